"""On a GPU: the CUDA-graph step computes what the eager fused step computes (skipped without CUDA)."""

from __future__ import annotations

import pytest
import torch

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.engines.factory import make_engine
from makemore_tui.core.engines.graphed import GraphedEngine
from makemore_tui.core.engines.lockstep import LockstepEngine
from makemore_tui.core.engines.variants import build_variants
from makemore_tui.data import make_splits
from tests.conftest import events, run_to_end

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

CUDA = torch.device("cuda")
BASE = TrainConfig(hidden=32, depth=3, device="cuda")
# float32 on a GPU: batched and plain matmuls may take different kernels, so a little looser than on the CPU
CLOSE = dict(rtol=1e-4, atol=1e-5)


def _train_on_cuda(splits):
    return tuple(t.to(CUDA) for t in splits.train)


@pytest.mark.parametrize(
    "configs",
    [
        [BASE],
        [BASE.replace(batchnorm=False)],
        [BASE, BASE.replace(batchnorm=False), BASE.replace(gain=0.5)],
    ],
    ids=["BN", "no BN", "BN on/off"],
)
def test_a_graph_replay_equals_an_eager_step_on_the_same_batch(small_words, configs):
    splits = make_splits(small_words, 3)
    Xtr, Ytr = _train_on_cuda(splits)
    graphed = GraphedEngine(build_variants(configs, splits.vocab.size)[0], configs, Xtr, Ytr, 32, seed=1)
    eager = LockstepEngine(build_variants(configs, splits.vocab.size)[0], configs, Xtr, Ytr, 32, None)
    lrs = [0.1] * len(configs)
    eager.set_lrs(lrs)
    for _ in range(5):
        losses = graphed.step(lrs, True)
        Xb, Yb = graphed.batch  # the batch the replay drew
        for mine, net in zip(graphed.nets, eager.nets):
            theirs = net.train_step(Xb, Yb, masked=False, lr_tensor=False)
            torch.testing.assert_close(losses[list(net.variants)], theirs, **CLOSE)
            for a, b in zip(mine.grads, net.grads, strict=True):
                torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-5)
            for a, b in zip(mine.state(), net.state(), strict=True):
                torch.testing.assert_close(a, b, **CLOSE)


def _graphed_losses(configs, splits, steps, lrs_at=None, on_step=None):
    """Per-step losses of one graphed engine (each construction reseeds the device generator)."""
    engine = make_engine(configs, splits.vocab.size, *_train_on_cuda(splits), CUDA)
    assert engine.name == "fused+cudagraph"
    rows = []
    for step in range(steps):
        losses = engine.step(lrs_at(step) if lrs_at else [c.lr for c in configs], True)
        rows.append(losses.clone())
        if on_step:
            on_step(step, engine, losses)
    return engine, torch.stack(rows)


def test_a_graphed_compare_equals_graphed_single_runs(small_words):
    splits = make_splits(small_words, 3)
    configs = [BASE.replace(batchnorm=False, gain=g) for g in (0.5, 1.0, 5 / 3, 3.0)] + [BASE]
    compare, losses = _graphed_losses(configs, splits, 30)
    for v, config in enumerate(configs):  # one after another: the runs must not share the generator
        single, single_losses = _graphed_losses([config], splits, 30)
        torch.testing.assert_close(losses[:, v], single_losses[:, 0], **CLOSE)
        for a, b in zip(compare.variant_model(v).parameters(), single.variant_model(0).parameters()):
            torch.testing.assert_close(a, b, **CLOSE)


@pytest.mark.parametrize("batchnorm", [True, False])
def test_freezing_inside_the_graph_stops_one_variant_and_not_the_other(small_words, batchnorm):
    splits = make_splits(small_words, 3)
    configs = [BASE.replace(batchnorm=batchnorm), BASE.replace(batchnorm=batchnorm, lr=1000.0)]
    seen = {}

    def on_step(step, engine, losses):
        model = engine.variant_model(1)
        if step == 4:
            with torch.no_grad():
                model.layers[0].weight[0, :2] = torch.tensor([float("nan"), float("inf")], device=CUDA)
        if step == 8:
            engine.freeze(1)
            seen["then"] = [t.clone() for t in model.parameters() + model.buffers()]

    compare, losses = _graphed_losses(configs, splits, 20, on_step=on_step)
    _, single = _graphed_losses(configs[:1], splits, 20)
    torch.testing.assert_close(losses[:, 0], single[:, 0], **CLOSE)
    assert torch.isnan(losses[9:, 1]).all()
    model = compare.variant_model(1)
    for now, then in zip(model.parameters() + model.buffers(), seen["then"], strict=True):
        torch.testing.assert_close(now, then, rtol=0, atol=0, equal_nan=True)


def test_a_graphed_preview_takes_nothing_and_training_goes_on(small_words):
    splits = make_splits(small_words, 3)
    configs = [BASE, BASE.replace(batchnorm=False)]
    engine = make_engine(configs, splits.vocab.size, *_train_on_cuda(splits), CUDA)
    before = [t.clone() for t in engine.state()]
    preview = engine.preview([0.1, 0.1])
    assert torch.isfinite(preview).all() and preview.shape == (2,)
    assert all(torch.equal(now, then) for now, then in zip(engine.state(), before, strict=True))
    engine.step([0.1, 0.1], True)
    assert not all(torch.equal(now, then) for now, then in zip(engine.state(), before, strict=True))


def test_a_cuda_run_trains_and_records(small_words):
    records = run_to_end(TrainConfig(steps=500, stats_every=100, device="cuda"), small_words)
    assert records[0]["device"].startswith("cuda") and records[0]["engine"] == "fused+cudagraph"
    stats = events(records, "stats")
    assert [s["step"] for s in stats] == [0, 100, 200, 300, 400, 499]
    assert stats[-1]["loss_window"] < stats[0]["loss"]
    assert records[-1]["reason"] == "finished"
