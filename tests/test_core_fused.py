"""The fused engine computes the lecture's gradients and follows the lecture engine's run."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.engines.factory import make_engine
from makemore_tui.core.fused import FusedNet
from makemore_tui.core.model import MLP
from makemore_tui.core.stats import step_statistics
from makemore_tui.data import make_splits
from tests.conftest import events, run_to_end


def _double(model: MLP) -> MLP:
    for p in model.parameters():
        p.data = p.data.double()
    for bn in model.batchnorms():
        bn.running_mean, bn.running_var = bn.running_mean.double(), bn.running_var.double()
    return model


def _autograd_reference(config: TrainConfig, vocab_size: int, Xb, Yb) -> MLP:
    """The lecture's way, in float64: forward through the layers, loss.backward(), grads on .grad."""
    reference = _double(MLP.build(config, vocab_size, torch.Generator().manual_seed(7)))
    loss = F.cross_entropy(reference.forward(Xb), Yb)
    for layer in reference.layers:
        layer.out.retain_grad()
    loss.backward()
    reference.loss = loss.item()
    return reference


TIGHT = dict(rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("batchnorm", [True, False])
@pytest.mark.parametrize("activation", ["tanh", "linear"])
@pytest.mark.parametrize("gains", [(5 / 3,), (0.5, 1.0, 3.0)], ids=["V=1", "V=3"])
def test_fused_gradients_equal_autograd_through_the_lecture_layers(small_words, batchnorm, activation, gains):
    splits = make_splits(small_words, 3)
    configs = [TrainConfig(batchnorm=batchnorm, activation=activation, gain=g, hidden=20, depth=3) for g in gains]
    Xb, Yb = splits.train[0][:32], splits.train[1][:32]
    references = [_autograd_reference(c, splits.vocab.size, Xb, Yb) for c in configs]

    models = [_double(MLP.build(c, splits.vocab.size, torch.Generator().manual_seed(7))) for c in configs]
    net = FusedNet(models, range(len(models)), torch.device("cpu"), 32)
    losses, _ = net.forward_backward(Xb, Yb)
    stats = net.statistics_tensors()

    assert stats.layer_index == tuple(i for i, _ in references[0].activation_layers())
    for v, reference in enumerate(references):
        assert float(losses[v]) == pytest.approx(reference.loss, rel=1e-12)
        _, acts, act_grads, _, grads = stats.select(v)
        for mine, theirs in zip(grads, [p.grad for p in reference.parameters()], strict=True):
            torch.testing.assert_close(mine, theirs, **TIGHT)
        for mine, grad, (_, layer) in zip(acts, act_grads, reference.activation_layers(), strict=True):
            torch.testing.assert_close(mine, layer.out, **TIGHT)
            torch.testing.assert_close(grad, layer.out.grad, **TIGHT)
        for mine, (i, _) in zip(stats.hpreacts, reference.activation_layers(), strict=True):
            torch.testing.assert_close(mine[v], reference.layers[i - 1].out, **TIGHT)  # hpreact: the tanh's input
        torch.testing.assert_close(stats.embcat[v], reference.embcat, **TIGHT)
        # running buffers: the lecture's unbiased variance and momentum, each variant its own
        for mine, theirs in zip(models[v].buffers(), reference.buffers(), strict=True):
            torch.testing.assert_close(mine, theirs.view(-1), **TIGHT)


@pytest.mark.parametrize("activation", ["tanh", "linear"])
def test_fused_run_follows_the_lecture_run(small_words, activation):
    config = TrainConfig(steps=40, stats_every=1, hidden=24, depth=3, device="cpu", activation=activation)
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


@pytest.mark.parametrize("engine", ["lecture", "fused"])
def test_the_hpreact_histogram_counts_each_tanh_layers_input(small_words, engine):
    splits = make_splits(small_words, 3)
    config = TrainConfig(batchnorm=False, init="normal", hidden=20, depth=2, engine=engine)  # the first draft
    built = make_engine([config], splits.vocab.size, *splits.train, torch.device("cpu"))
    built.step([0.1], keep_stats=True)
    groups = built.statistics_tensors()
    with_hists = step_statistics(groups, [0.1], 32, weight_hists=True)[0]["layers"]
    assert all(
        "hpreact_hist" not in layer for layer in step_statistics(groups, [0.1], 32, weight_hists=False)[0]["layers"]
    )
    for layer, hpreact in zip(with_hists, groups[0].hpreacts, strict=True):
        hist = layer["hpreact_hist"]
        lo, hi = hist["lo"], hist["hi"]
        assert lo == -hi and hi > 3  # plain randn weights: the pre-activations spread far past tanh's ±1
        values = np.clip(hpreact[0].flatten().numpy(), lo, hi)  # the outliers past the range count in the edge bins
        expected, _ = np.histogram(values, bins=32, range=(lo, hi))
        assert np.abs(np.asarray(hist["counts"]) - expected).sum() <= 2  # a value on a bin edge may round either way
        assert sum(hist["counts"]) == 32 * 20
