"""`--model` nets train: part 5's WaveNet and a torch.nn net headless, knobs, compare, the lr schedule."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from makemore_tui.core import usermodel
from makemore_tui.core.channel import RecordChannel
from makemore_tui.core.compare import Variant
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.records import LayerStats, ParamStats, problem
from makemore_tui.core.trainer import Trainer
from makemore_tui.tui.cli import main
from tests.conftest import events, run_to_end

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_wavenet_trains_headless_with_its_b_t_c_layers_named(tmp_path, capsys):
    log = tmp_path / "run.jsonl"
    argv = ["--headless", "--model", str(EXAMPLES / "wavenet.py"), "--block-size", "8", "--hidden", "32"]
    assert main([*argv, "--steps", "60", "--stats-every", "20", "--run-log", str(log)]) == 0
    out = capsys.readouterr().out
    assert "L1 (layers.4, tanh)" in out and "wavenet.py · embd 24 · hidden 32" in out
    records = _log(log)
    start = events(records, "run_start")[0]
    assert start["model"]["sha256"] == hashlib.sha256((EXAMPLES / "wavenet.py").read_bytes()).hexdigest()
    assert start["model"]["knobs"] == [{"embd": 24, "hidden": 32, "batchnorm": True}]
    stats = events(records, "stats")
    assert [layer["name"] for layer in stats[0]["layers"]] == ["layers.4", "layers.8", "layers.12"]
    for record in stats:  # the record contract, every declared field (core/records.py)
        assert problem(record) is None
        every = set(LayerStats.__annotations__) - {"edges", "hpreact_hist"}  # hpreact_hist: every 20th record
        assert all(set(layer) - {"hpreact_hist"} == every for layer in record["layers"])
        assert all(set(p) | {"grad_hist"} == set(ParamStats.__annotations__) for p in record["params"])
    assert stats[-1]["loss"] < stats[0]["loss"]
    assert events(records, "run_end")[-1]["reason"] == "finished"


def test_the_wavenet_refuses_another_block_size_naming_its_line(tmp_path, capsys):
    argv = ["--headless", "--model", str(EXAMPLES / "wavenet.py"), "--steps", "3"]
    assert main([*argv, "--run-log", str(tmp_path / "r.jsonl")]) == 2
    line = next(n for n, text in enumerate((EXAMPLES / "wavenet.py").read_text().splitlines(), 1) if "raise" in text)
    assert f"wavenet.py:{line}: build() raised ValueError: this WaveNet fuses 8 characters" in capsys.readouterr().err


def test_a_torch_nn_relu_layernorm_net_trains_with_hooked_layers_and_its_knobs(tmp_path, capsys):
    log = tmp_path / "run.jsonl"
    argv = ["--headless", "--model", str(EXAMPLES / "torch_nn.py"), "--activation", "gelu", "--set", "dropout=0.1"]
    assert main([*argv, "--steps", "40", "--stats-every", "20", "--run-log", str(log)]) == 0
    captured = capsys.readouterr()
    assert "build() drew nothing from generator" in captured.out
    assert "ModelNote" not in captured.out  # our own note is said bare, not as a warning class
    records = _log(log)
    assert events(records, "run_start")[0]["model"]["knobs"][0] == {
        "embd": 10,
        "hidden": 100,
        "depth": 4,
        "activation": "gelu",
        "dropout": 0.1,
    }
    layers = events(records, "stats")[0]["layers"]
    assert [(layer["name"], layer["kind"]) for layer in layers] == [(f"blocks.{i}.act", "gelu") for i in range(4)]
    assert all(layer["grad_std"] is not None for layer in layers)
    assert events(records, "eval")[-1]["val"] is not None
    assert records[0]["event"] == "run_start"  # the note said while building comes after it, in run 1
    assert events(records, "warning")[0]["run"] == 1
    # … so the log takes the next run (a warning on its first line made it "not a run log")
    assert main([*argv, "--steps", "2", "--stats-every", "1", "--run-log", str(log)]) == 0
    assert [r["run"] for r in events(_log(log), "run_start")] == [1, 2]


def test_a_knob_compare_trains_each_variant_as_its_single_run(small_words):
    base = TrainConfig(steps=30, stats_every=10, model=str(EXAMPLES / "first_half.py"), lr_decay_step=20)
    fixes = [("fix", "original"), ("fix", "kaiming")]
    variants = [Variant(f"fix {v}", base.replace(knobs=((k, v), ("embd", 10)))) for k, v in fixes]
    channel = RecordChannel(maxsize=10**9)
    trainer = Trainer(base, small_words, channel=channel, exit_when_done=True, variants=variants)
    trainer.start()
    assert trainer.join(120)
    compare = channel.drain()
    assert events(compare, "run_start")[0]["model"]["same_draws"] == [True, True]
    for v, variant in enumerate(variants):
        single = run_to_end(variant.config, small_words)
        mine = [r["loss"] for r in events(compare, "stats") if r["variant"] == v]
        assert mine == [r["loss"] for r in events(single, "stats")]
    lrs = {r["step"]: r["lr"] for r in events(compare, "stats") if r["variant"] == 0}
    assert lrs[10] == pytest.approx(0.1) and lrs[20] == pytest.approx(0.01)  # --lr-decay-step 20


def test_what_the_file_prints_goes_to_stderr_and_its_main_block_does_not_run(tmp_path, capsys):
    path = tmp_path / "talky.py"
    (tmp_path / "notebook_layers.py").write_text((EXAMPLES / "notebook_layers.py").read_text())  # it imports it
    path.write_text(
        (EXAMPLES / "first_half.py").read_text()
        + "\nprint('hello from the file')\nif __name__ == '__main__':\n    raise SystemExit('main ran')\n"
    )
    assert main(["--headless", "--model", str(path), "--steps", "2", "--run-log", str(tmp_path / "r.jsonl")]) == 0
    captured = capsys.readouterr()
    assert "talky.py: hello from the file" in captured.err and "hello" not in captured.out
    said = [r for r in _log(tmp_path / "r.jsonl") if r["event"] == "warning" and "hello" in r["message"]]
    assert said and all(r.get("printed") is True for r in said)  # the app shows none of those


FUNCTIONAL = """\
import torch
import torch.nn.functional as F

class Net:
    def __init__(self, vocab_size, block_size, g):
        self.C = torch.randn((vocab_size, 8), generator=g)
        self.W1 = torch.randn((8 * block_size, 64), generator=g) * 0.2
        self.W2 = torch.randn((64, vocab_size), generator=g) * 0.01
    def __call__(self, X):
        return F.relu(self.C[X].flatten(1) @ self.W1) @ self.W2
    def parameters(self):
        return [self.C, self.W1, self.W2]

def build(vocab_size, block_size, generator):
    return Net(vocab_size, block_size, generator)
"""


def test_a_net_whose_activations_the_walk_cannot_see_trains_and_says_how_to_show_them(tmp_path, capsys):
    path = tmp_path / "functional.py"
    path.write_text(FUNCTIONAL)
    log = tmp_path / "r.jsonl"
    assert main(["--headless", "--model", str(path), "--steps", "20", "--run-log", str(log)]) == 0
    assert "functional.py: no activation layer found" in capsys.readouterr().out
    stats = events(_log(log), "stats")
    assert stats[0]["layers"] == [] and [p["name"] for p in stats[0]["params"]] == ["C", "W1", "W2"]


@pytest.mark.parametrize(
    "flags",
    [
        ["--model", str(EXAMPLES / "wavenet.py"), "--block-size", "8", "--hidden", "32"],  # BatchNorm's buffers
        ["--model", str(EXAMPLES / "torch_nn.py"), "--hidden", "32", "--set", "dropout=0.2"],  # the global generator
    ],
    ids=["wavenet", "torch-nn-dropout"],
)
def test_the_first_run_tried_before_anything_starts_trains_as_if_it_had_not_been(flags, tmp_path, monkeypatch, capsys):
    """The command line builds the first run and tries its step 0 before the banner (core/firstrun.py): that try is
    undone (minibatch generator, buffers, torch's global generator), so the run equals one set up in the trainer."""
    import makemore_tui.tui.cli as cli

    def run(name: str) -> list[dict]:
        log = tmp_path / f"{name}.jsonl"
        assert main(["--headless", *flags, "--steps", "30", "--stats-every", "10", "--run-log", str(log)]) == 0
        capsys.readouterr()
        return [r for r in _log(log) if r["event"] in ("stats", "eval", "samples")]

    tried = run("tried")
    monkeypatch.setattr(cli, "prepare", lambda *args: None)  # the trainer sets the run up (as before)
    assert tried == run("untried")


def test_a_rerun_imports_the_files_helpers_afresh(tmp_path):
    """A learner edits a helper beside the model file (the examples' notebook_layers.py) and reruns: the next
    load sees the edit, as it sees an edit to the file itself."""
    (tmp_path / "helper.py").write_text("WIDTH = 1\n")
    model = tmp_path / "net.py"
    model.write_text("from helper import WIDTH\n\ndef build(vocab_size, block_size, generator, width=WIDTH): ...\n")
    assert usermodel.load(str(model)).knobs["width"] == 1
    (tmp_path / "helper.py").write_text("WIDTH = 22  # edited\n")
    assert usermodel.load(str(model)).knobs["width"] == 22


def test_a_compare_warns_of_dropout_only_where_it_drops(tmp_path, capsys):
    """torch_nn.py holds nn.Dropout layers whatever its dropout knob: at p=0 they draw nothing, so a compare of
    them equals its single runs and is not warned."""
    argv = ["--headless", "--model", str(EXAMPLES / "torch_nn.py"), "--hidden", "16", "--compare", "depth=1,2"]
    for sets, warned in ((["--set", "dropout=0"], False), (["--set", "dropout=0.1"], True)):
        assert main([*argv, *sets, "--steps", "2", "--tables", "none", "--run-log", str(tmp_path / "r.jsonl")]) == 0
        assert ("dropout draws from the global generator" in capsys.readouterr().out) is warned


def test_a_copied_example_says_what_it_needs_and_where_a_layer_failed(tmp_path, capsys):
    """A learner copies examples/deep_net.py alone: told to copy its notebook_layers.py too. With it, a wrong
    fan_in fails in the helper's Linear: the line names the layer, its input and the helper's line."""
    mine = tmp_path / "mynet.py"
    mine.write_text((EXAMPLES / "deep_net.py").read_text())
    argv = ["--headless", "--model", str(mine), "--steps", "3", "--run-log", str(tmp_path / "r.jsonl")]
    assert main(argv) == 2
    assert (
        "No module named 'notebook_layers' (copy examples/notebook_layers.py beside mynet.py" in capsys.readouterr().err
    )
    (tmp_path / "notebook_layers.py").write_text((EXAMPLES / "notebook_layers.py").read_text())
    wrong = "Linear(           n_hidden + 1, n_hidden, g, bias=bias)"  # layer 2's fan_in one too many
    mine.write_text(mine.read_text().replace("Linear(           n_hidden, n_hidden, g, bias=bias)", wrong, 1))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "shapes cannot be multiplied (32x100 and 101x100), in layers[3] (Linear) on input (32, 100)" in err
    assert ", at notebook_layers.py:" in err and "Traceback" not in err
