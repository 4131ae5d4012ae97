"""A learner's copy of the notebook's deep net (`--model`) equals the built-in `--preset lecture` run.

Two copies: examples/deep_net.py (the notebook's code as a learner writes it) and a file whose build is
tests/lecture_reference.py's `build_network` (the independent oracle). Each trains a few hundred steps
on the autograd engine; its losses and statistics must equal the built-in lecture engine's to float32
rounding. On the lecture's names.txt when ../shared has it, else on the built-in names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from makemore_tui.core.config import LECTURE
from makemore_tui.data import load_words
from tests.conftest import LECTURE_NAMES, events, run_to_end

ROOT = Path(__file__).resolve().parents[1]
ORACLE = """\
from tests.lecture_reference import build_network

def build(vocab_size, block_size, generator, batchnorm=True, gain=1.0):
    C, layers, _ = build_network(vocab_size, generator, batchnorm=batchnorm, gain=gain, block_size=block_size)
    return C, layers
"""
STEPS = 300
LAYER_FIELDS = ("mean", "std", "saturated_pct", "grad_mean", "grad_std")
PARAM_FIELDS = ("grad_mean", "grad_std", "grad_to_data", "update_to_data_log10")


@pytest.fixture(scope="module")
def words():
    return load_words(LECTURE_NAMES if LECTURE_NAMES.is_file() else None)


@pytest.fixture(scope="module")
def builtin_run(words):
    return run_to_end(LECTURE.replace(steps=STEPS, stats_every=100), words)


def _oracle_file(tmp_path: Path) -> str:
    path = tmp_path / "notebook_net.py"
    path.write_text(ORACLE)
    return str(path)


@pytest.mark.parametrize("which", ["examples", "oracle"])
def test_the_notebooks_net_as_a_file_equals_the_builtin_lecture_run(which, words, builtin_run, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))  # the oracle imports tests.lecture_reference
    path = str(ROOT / "examples" / "deep_net.py") if which == "examples" else _oracle_file(tmp_path)
    records = run_to_end(LECTURE.replace(steps=STEPS, stats_every=100, model=path), words)
    assert events(records, "run_end")[-1]["reason"] == "finished"
    start = events(records, "run_start")[0]
    assert start["engine"] == "autograd" and start["model"]["drew"] is True
    ours, theirs = events(records, "stats"), events(builtin_run, "stats")
    assert [r["step"] for r in ours] == [r["step"] for r in theirs] == [0, 100, 200, 299]
    for mine, built_in in zip(ours, theirs):
        assert mine["loss"] == pytest.approx(built_in["loss"], rel=2e-6)
        assert mine["loss_window"] == pytest.approx(built_in["loss_window"], rel=2e-6)
        assert [layer["index"] for layer in mine["layers"]] == [layer["index"] for layer in built_in["layers"]]
        for a, b in zip(mine["layers"], built_in["layers"]):
            assert a["kind"] == "tanh"
            for field in LAYER_FIELDS:
                assert a[field] == pytest.approx(b[field], rel=1e-4, abs=1e-9), field
            assert a["dead"] == b["dead"]
            assert sum(a["hist"]["counts"]) == sum(b["hist"]["counts"])
        assert [p["shape"] for p in mine["params"]] == [p["shape"] for p in built_in["params"]]
        for a, b in zip(mine["params"], built_in["params"]):
            for field in PARAM_FIELDS:
                assert a[field] == pytest.approx(b[field], rel=1e-4, abs=1e-9), field
    mine_eval, their_eval = events(records, "eval")[-1], events(builtin_run, "eval")[-1]
    assert mine_eval["train"] == pytest.approx(their_eval["train"], rel=1e-5)
    assert mine_eval["val"] == pytest.approx(their_eval["val"], rel=1e-5)
    assert events(records, "samples")[-1]["names"] == events(builtin_run, "samples")[-1]["names"]
