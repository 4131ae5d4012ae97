"""The trainer's lecture engine equals the lecture's own loop, step for step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from makemore_tui.core.config import LECTURE
from tests.conftest import events, run_to_end
from tests.lecture_reference import train_reference

LAYER_KEYS = ("index", "mean", "std", "saturated_pct", "grad_mean", "grad_std")
PARAM_KEYS = ("index", "shape", "grad_mean", "grad_std", "grad_to_data", "update_to_data_log10")


def assert_stats_match(ours: dict, reference: dict, rel: float = 1e-4, abs_: float = 1e-7) -> None:
    """Layer and parameter statistics agree (reductions may differ in the last float bits)."""
    assert [layer["index"] for layer in ours["layers"]] == [layer["index"] for layer in reference["layers"]]
    for mine, theirs in zip(ours["layers"], reference["layers"]):
        for key in LAYER_KEYS:
            assert mine[key] == pytest.approx(theirs[key], rel=rel, abs=abs_), (mine["index"], key)
    assert len(ours["params"]) == len(reference["params"])
    for mine, theirs in zip(ours["params"], reference["params"]):
        for key in PARAM_KEYS:
            assert mine[key] == pytest.approx(theirs[key], rel=rel, abs=abs_), (mine["index"], key)


@pytest.mark.parametrize("batchnorm, gain", [(True, 1.0), (False, 5 / 3)])
def test_lecture_engine_matches_reference_every_step(small_words, batchnorm, gain):
    steps = 30
    config = LECTURE.replace(steps=steps, stats_every=1, batchnorm=batchnorm, gain=gain, hidden=24, depth=3)
    records = run_to_end(config, small_words)
    reference = train_reference(
        small_words, steps=steps, batchnorm=batchnorm, gain=gain, n_hidden=24, depth=3, stats_steps=range(steps)
    )
    stats = events(records, "stats")
    assert [s["step"] for s in stats] == list(range(steps))
    for record in stats:
        # the same ops in the same order: the losses are bit for bit the lecture's (float32)
        assert np.float32(record["loss"]) == np.float32(reference["losses"][record["step"]])
        assert_stats_match(record, reference["stats"][record["step"]])
    final = events(records, "eval")[-1]
    assert final["train"] == pytest.approx(reference["train"], rel=1e-5)
    assert final["val"] == pytest.approx(reference["val"], rel=1e-5)


def test_layer_indices_follow_the_lecture(small_words):
    with_bn = events(run_to_end(LECTURE.replace(steps=1), small_words), "stats")[0]
    without = events(run_to_end(LECTURE.replace(steps=1, batchnorm=False), small_words), "stats")[0]
    assert [layer["index"] for layer in with_bn["layers"]] == [2, 5, 8, 11, 14]
    assert [layer["index"] for layer in without["layers"]] == [1, 3, 5, 7, 9]
    # one entry per 2-D parameter, the embedding first
    assert [p["shape"] for p in with_bn["params"]][0] == [27, 10]
    assert len(with_bn["params"]) == 7


# The notebook's printed statistics after `if i >= 1000: break` (1001 steps, BatchNorm, gain 1).
LECTURE_SATURATION = [2.78, 2.56, 2.25, 1.69, 1.88]
LECTURE_GRAD_STD = [2.640701e-03, 2.245584e-03]
LECTURE_WEIGHTS = [  # shape, grad std, grad:data
    ((27, 10), 8.020527e-03, 8.012623e-03),
    ((30, 100), 9.241064e-03, 4.881084e-02),
    ((100, 100), 7.132873e-03, 6.964613e-02),
    ((100, 100), 6.234302e-03, 6.073738e-02),
    ((100, 100), 5.742181e-03, 5.631477e-02),
    ((100, 100), 5.672201e-03, 5.570121e-02),
    ((100, 27), 1.209415e-02, 1.160105e-01),
]


def test_lecture_preset_reproduces_the_notebook(lecture_words):
    steps = 1001
    records = run_to_end(LECTURE.replace(steps=steps, stats_every=1000), lecture_words)
    stats = {s["step"]: s for s in events(records, "stats")}
    assert sorted(stats) == [0, 1000]
    assert f"{stats[0]['loss']:.4f}" == "3.2870"  # the notebook's "0/ 200000: 3.2870"
    last = stats[1000]
    assert [round(layer["saturated_pct"], 2) for layer in last["layers"]] == LECTURE_SATURATION
    assert [f"{layer['mean']:+.2f}".replace("-0.00", "+0.00") for layer in last["layers"]] == ["+0.00"] * 5
    assert [round(layer["std"], 2) for layer in last["layers"]] == [0.63, 0.64, 0.65, 0.65, 0.65]
    for layer, expected in zip(last["layers"], LECTURE_GRAD_STD):
        assert layer["grad_std"] == pytest.approx(expected, rel=1e-5)
    for param, (shape, grad_std, ratio) in zip(last["params"], LECTURE_WEIGHTS):
        assert tuple(param["shape"]) == shape
        assert param["grad_std"] == pytest.approx(grad_std, rel=1e-5)
        assert param["grad_to_data"] == pytest.approx(ratio, rel=1e-5)
    # and against the independent loop, all 1001 steps
    reference = train_reference(lecture_words, steps=steps, stats_steps={1000})
    assert last["loss"] == reference["losses"][1000]
    assert_stats_match(last, reference["stats"][1000])
    final = events(records, "eval")[-1]
    assert final["train"] == pytest.approx(reference["train"], rel=1e-5)
    assert final["val"] == pytest.approx(reference["val"], rel=1e-5)
    assert math.isfinite(final["train"]) and final["train"] < 2.5


def test_lecture_preset_first_step_without_batchnorm(lecture_words):
    config = LECTURE.replace(steps=1, batchnorm=False, gain=5 / 3)
    stats = events(run_to_end(config, lecture_words), "stats")
    reference = train_reference(lecture_words, steps=1, batchnorm=False, gain=5 / 3, stats_steps={0})
    assert len(stats) == 1 and stats[0]["step"] == 0
    assert stats[0]["loss"] == reference["losses"][0]
    assert_stats_match(stats[0], reference["stats"][0])
