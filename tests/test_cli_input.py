"""Input at the edges (issue 9): mistyped flags, seeds near 2^64, /dev/zero as data, the lecture preset's note."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from makemore_tui.core.config import LECTURE, MAX_SEED, ConfigError, TrainConfig, lecture_data_note
from makemore_tui.tui.cli import main
from tests.conftest import events, run_to_end

ROOT = Path(__file__).resolve().parents[1]


def one_line_exit_2(argv: list[str], capsys) -> str:
    """Run main(argv); check it exits 2 with exactly one line on stderr; return that line."""
    with pytest.raises(SystemExit) as exit_info:
        sys.exit(main(argv))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("makemore-tui") and "Traceback" not in err, err
    return err


# ---- item 8: say what was not understood --------------------------------------------------------

NOT_UNDERSTOOD = {
    "--headless --stepz 10": "unknown flag --stepz; did you mean --steps?",
    "--headless --stepz=10": "unknown flag --stepz; did you mean --steps?",
    "--bachnorm": "unknown flag --bachnorm; did you mean --batchnorm?",
    "--batch 3": "did you mean --batchnorm or --batch-size?",
    "--headless 10": "unexpected argument '10'",
    "--headless --lr 0.1 oops": "unexpected argument 'oops'",
    "--headless names.txt": "unexpected argument 'names.txt'; for a words file: --data names.txt",
    "--headless run.jsonl": "unexpected argument 'run.jsonl'; to view a run log: makemore-tui replay run.jsonl",
    "--headless replay run.jsonl": "replay comes first and takes no training flags",
    "replay": "the following arguments are required: RUN.jsonl",
    "replay run.jsonl --steps 5": "training flag --steps given to replay: replay takes RUN.jsonl and --follow",
    "replay --headless run.jsonl": "training flag --headless given to replay",
    "replay run.jsonl --bogus": "unknown flag --bogus: replay takes only RUN.jsonl (and --follow, --help)",
    "replay a.jsonl b.jsonl": "unexpected argument 'b.jsonl': replay takes one run log",
}


@pytest.mark.parametrize("argv", sorted(NOT_UNDERSTOOD))
def test_what_was_not_understood_is_named_in_one_line(argv, capsys):
    err = one_line_exit_2(argv.split(), capsys)
    assert NOT_UNDERSTOOD[argv] in err and "invalid choice" not in err


def test_replay_still_reaches_the_viewer(tmp_path, monkeypatch):
    from makemore_tui.tui import app, cli

    log = tmp_path / "run.jsonl"
    log.write_text('{"event":"run_start","run":1}\n')
    opened = []
    monkeypatch.setattr(app, "run_replay", lambda path, lifecycle=None: opened.append(path) or 0)
    monkeypatch.setattr(cli, "app_refusal", lambda instead: None)  # pytest's stdin is no terminal
    assert main(["replay", str(log)]) == 0 and opened == [str(log)]


def test_help_teaches_usage_examples_presets_and_exit_codes():
    result = subprocess.run(
        [sys.executable, "-m", "makemore_tui", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    for text in ("makemore-tui replay RUN.jsonl", "examples:", "presets:", "exit codes", "--steps", "names.txt"):
        assert text in result.stdout
    replay = subprocess.run(
        [sys.executable, "-m", "makemore_tui", "replay", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "RUN.jsonl" in replay.stdout and "--steps" not in replay.stdout


# ---- item 5: every accepted seed runs ---------------------------------------------------------------

EDGES = st.one_of(
    st.integers(-(2**70), -1),
    st.integers(0, 20),
    st.integers(2**31 - 20, 2**32 + 20),
    st.integers(2**63 - 20, 2**63 + 20),
    st.integers(MAX_SEED - 20, MAX_SEED + 20),
    st.integers(2**64, 2**80),
)


@settings(max_examples=300, deadline=None)
@given(EDGES)
def test_seeds_are_accepted_exactly_where_every_derived_seed_seeds_a_generator(seed):
    try:
        config = TrainConfig(seed=seed).validate()
    except ConfigError as error:
        assert not 0 <= seed <= MAX_SEED
        assert str(error) == f"--seed must be a whole number from 0 to {MAX_SEED} (got {seed})"
        return
    assert 0 <= seed <= MAX_SEED
    for derived in (config.seed, config.sample_seed):  # init and minibatches; sampling
        generator = torch.Generator().manual_seed(derived)
        torch.randint(0, 10, (2,), generator=generator)
    assert config.sample_seed == (seed + 10) % 2**64


def test_the_lectures_sampling_seed_is_unchanged():
    assert LECTURE.sample_seed == 2147483647 + 10


@pytest.mark.parametrize("seed", [0, 2**63, MAX_SEED - 10, MAX_SEED])
@pytest.mark.parametrize("engine", ["lecture", "fused"])
def test_runs_at_the_seed_edges_finish_with_samples(seed, engine, small_words):
    config = TrainConfig(steps=5, hidden=8, depth=1, stats_every=5, device="cpu", engine=engine, seed=seed)
    records = run_to_end(config, small_words)
    assert records[-1]["reason"] == "finished", records[-1].get("message")
    assert events(records, "samples")[-1]["names"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cuda_run_at_the_largest_seed_finishes(small_words):
    config = TrainConfig(steps=5, hidden=8, depth=1, stats_every=5, device="cuda", seed=MAX_SEED)
    assert run_to_end(config, small_words)[-1]["reason"] == "finished"


@pytest.mark.parametrize("seed", ["-1", str(MAX_SEED + 1), str(2**80)])
def test_a_seed_out_of_range_is_one_line_and_exit_2(seed, capsys, tmp_path):
    err = one_line_exit_2(["--headless", "--seed", seed, "--run-log", str(tmp_path / "r.jsonl")], capsys)
    assert f"from 0 to {MAX_SEED}" in err


# ---- item 9: the lecture preset on the built-in names says so -----------------------------------


def test_lecture_data_note_only_for_the_lecture_preset_on_the_built_in_names():
    assert "--data path/to/names.txt" in lecture_data_note(LECTURE)
    assert lecture_data_note(LECTURE.replace(data="/data/names.txt")) is None
    assert lecture_data_note(TrainConfig()) is None


def test_headless_lecture_preset_prints_the_note_and_still_runs(capsys, tmp_path, small_words):
    flags = ["--headless", "--preset", "lecture", "--steps", "2", "--hidden", "8", "--depth", "1"]
    assert main([*flags, "--run-log", str(tmp_path / "a.jsonl")]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and lecture_data_note(LECTURE) in err
    words = tmp_path / "w.txt"
    words.write_text("\n".join(small_words))
    assert main([*flags, "--data", str(words), "--run-log", str(tmp_path / "b.jsonl")]) == 0
    assert capsys.readouterr().err == ""


# ---- item 4: endless devices as data ---------------------------------------------------------------


def _cap_memory() -> None:
    """Child process: 3 GiB of address space at most, so an unbounded read fails instead of eating the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_as_data_is_one_line_and_exit_2(device, tmp_path):
    log = tmp_path / "run.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "makemore_tui", "--headless", "--data", device, "--run-log", str(log)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_cap_memory,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.count("\n") == 1 and "looks binary" in result.stderr and device in result.stderr
    assert not log.exists()


def test_a_net_too_big_for_the_machine_is_one_line_and_exit_2_before_anything_is_drawn(
    small_words, tmp_path, monkeypatch, capsys
):
    from makemore_tui.core import devices

    monkeypatch.setattr(devices, "device_memory_bytes", lambda device: 10 * 2**20)  # a 10 MiB machine
    words, log = tmp_path / "words.txt", tmp_path / "run.jsonl"
    words.write_text("\n".join(small_words))
    flags = ["--headless", "--data", str(words), "--steps", "1", "--run-log", str(log)]
    assert main([*flags, "--hidden", "100"]) == 2  # about 17 MiB
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "this net needs about 17 MiB to train and this machine has 10 MiB" in err
    assert "lower --embd, --hidden, --depth or --batch-size" in err and not log.exists()
    assert main([*flags, "--hidden", "16", "--compare", "gain=0.5,1,2,3"]) == 2  # 4 × about 3.3 MiB
    assert "compare fewer variants" in capsys.readouterr().err and not log.exists()
    assert main([*flags, "--hidden", "16", "--stats-every", "1"]) == 0


def test_the_memory_estimate_counts_parameters_and_activations():
    from makemore_tui.core.devices import BYTES_PER_PARAMETER, EVAL_CHUNK_ROWS, training_bytes

    config = TrainConfig(embd=2, block_size=3, hidden=4, depth=1, batch_size=8)
    parameters = 5 * 2 + (6 * 4 + 2 * 4) + (4 * 5 + 2 * 5)  # C (5, 2); W1 (6, 4); W2 (4, 5); gains and biases
    per_row = 6 + 4 * 4 + 3 * 5
    assert training_bytes(config, 5) == parameters * BYTES_PER_PARAMETER + EVAL_CHUNK_ROWS * per_row * 4


def test_every_flag_that_takes_a_value_says_its_default_in_help():
    from makemore_tui.tui.cli import build_parser

    takes_value = [a for a in build_parser()._actions if a.option_strings and a.nargs != 0 and a.dest != "compare"]
    assert len(takes_value) > 15
    assert [a.option_strings[0] for a in takes_value if "default" not in (a.help or "")] == []


def test_replay_of_a_file_that_is_no_run_log_says_so_not_plot_it(tmp_path, capsys):
    """A learner replays their model file by mistake: told it is not a run log (was: 'draw it with plot')."""
    model = tmp_path / "mynet.py"
    model.write_text("def build(vocab_size, block_size, generator):\n    pass\n")
    err = one_line_exit_2(["replay", str(model)], capsys)
    assert f"replay: {model} is not a run log (pass a .jsonl file written by makemore-tui)" in err
    assert f"to train a model file: makemore-tui --model {model}" in err
