"""The fused engine computes the lecture's gradients and follows the lecture engine's run."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from core.config import TrainConfig
from core.fused import FusedEngine
from core.model import MLP
from data import make_splits
from tests.conftest import events, run_to_end


def _double(model: MLP) -> None:
    for p in model.parameters():
        p.data = p.data.double()
    for bn in model.batchnorms():
        bn.running_mean, bn.running_var = bn.running_mean.double(), bn.running_var.double()


@pytest.mark.parametrize("batchnorm", [True, False])
def test_fused_gradients_equal_autograd_through_the_lecture_layers(small_words, batchnorm):
    splits = make_splits(small_words, 3)
    config = TrainConfig(batchnorm=batchnorm, hidden=20, depth=3)
    Xb, Yb = splits.train[0][:32], splits.train[1][:32]

    reference = MLP.build(config, splits.vocab.size, torch.Generator().manual_seed(7))
    _double(reference)
    loss = F.cross_entropy(reference.forward(Xb), Yb)
    for layer in reference.layers:
        layer.out.retain_grad()
    loss.backward()

    model = MLP.build(config, splits.vocab.size, torch.Generator().manual_seed(7))
    _double(model)
    engine = FusedEngine(model, *splits.train, 32, torch.Generator())
    fused_loss, grads = engine.forward_backward(Xb, Yb)

    assert float(fused_loss) == pytest.approx(loss.item(), rel=1e-12)
    for mine, theirs in zip(grads, [p.grad for p in reference.parameters()], strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-9, atol=1e-12)
    for mine, (_, layer) in zip(engine.tanh_grads, reference.activation_layers(), strict=True):
        torch.testing.assert_close(mine, layer.out.grad, rtol=1e-9, atol=1e-12)
    if batchnorm:  # running buffers: the lecture's unbiased variance and momentum
        for mine, theirs in zip(model.batchnorms(), reference.batchnorms()):
            torch.testing.assert_close(mine.running_var, theirs.running_var.view(-1), rtol=1e-9, atol=1e-12)
            torch.testing.assert_close(mine.running_mean, theirs.running_mean.view(-1), rtol=1e-9, atol=1e-12)


def test_fused_run_follows_the_lecture_run(small_words):
    config = TrainConfig(steps=40, stats_every=1, hidden=24, depth=3, device="cpu")
    lecture = events(run_to_end(config.replace(engine="lecture"), small_words), "stats")
    fused = events(run_to_end(config.replace(engine="fused"), small_words), "stats")
    assert [s["step"] for s in fused] == [s["step"] for s in lecture]
    for mine, theirs in zip(fused, lecture):
        # float32 rounding differs (fused kernels), the math does not: the runs stay together
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=1e-4)
        for a, b in zip(mine["layers"], theirs["layers"]):
            assert a["saturated_pct"] == pytest.approx(b["saturated_pct"], abs=0.1)
            assert a["std"] == pytest.approx(b["std"], rel=1e-3)
            assert a["grad_std"] == pytest.approx(b["grad_std"], rel=1e-2)
