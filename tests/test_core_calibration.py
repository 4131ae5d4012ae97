"""BatchNorm calibrated at the end of training, as the lecture does it: the batch statistics of the whole
training split, and the eval on them beside the running buffers' eval."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.engines.factory import make_engine
from makemore_tui.core.evaluate import calibrated_losses, split_loss
from makemore_tui.core.records import problem
from makemore_tui.data import make_splits
from tests.conftest import events, run_to_end

CPU = torch.device("cpu")
SMALL = TrainConfig(steps=60, hidden=16, depth=3, stats_every=20, eval_every=30, device="cpu")


@pytest.mark.parametrize("engine", ["lecture", "fused"])
def test_calibrated_losses_are_the_whole_training_split_as_one_batch(small_words, engine):
    splits = make_splits(small_words, 3)
    trained = make_engine([SMALL.replace(engine=engine)], splits.vocab.size, *splits.train, CPU)
    for _ in range(30):
        trained.step([0.1], keep_stats=False)
    model = trained.variant_model(0)
    buffers = [(bn.running_mean, bn.running_var) for bn in model.batchnorms()]
    before = [t.clone() for pair in buffers for t in pair]
    running = split_loss(model, *splits.train), split_loss(model, *splits.val)
    train, val = calibrated_losses(model, splits.train, splits.val)
    # the same buffers, untouched: training (and the stacked engine's views) go on as before
    assert all(bn.running_mean is m and bn.running_var is v for bn, (m, v) in zip(model.batchnorms(), buffers))
    assert all(torch.equal(a, b) for a, b in zip(before, [t for pair in buffers for t in pair], strict=True))
    assert (split_loss(model, *splits.train), split_loss(model, *splits.val)) == running
    # the calibration's definition: each BatchNorm on the batch statistics of all of Xtr, which is what a
    # training-mode forward pass of the whole split as one batch computes, layer after layer
    with torch.no_grad():
        whole = F.cross_entropy(model.forward(splits.train[0]), splits.train[1]).item()
    assert train == pytest.approx(whole, rel=1e-5)
    assert val != pytest.approx(running[1], rel=1e-6)  # 30 steps of momentum 0.1: the buffers lag the batch stats


def test_a_finished_batchnorm_run_ends_with_a_calibrated_eval_and_a_run_without_batchnorm_does_not(small_words):
    evals = events(run_to_end(SMALL, small_words), "eval")
    assert [e["step"] for e in evals] == [30, 60]
    assert "calibrated_train" not in evals[0]  # only the end's
    end = evals[-1]
    assert problem(end) is None
    assert end["calibrated_train"] == pytest.approx(end["train"], abs=0.1) and end["calibrated_train"] != end["train"]
    assert end["calibrated_val"] == pytest.approx(end["val"], abs=0.1)
    no_bn = events(run_to_end(SMALL.replace(batchnorm=False), small_words), "eval")
    assert all("calibrated_train" not in e and "calibrated_val" not in e for e in no_bn)
