"""On a GPU: the CUDA-graph step computes what the eager fused step computes (skipped without CUDA)."""

from __future__ import annotations

import pytest
import torch

from core.config import TrainConfig
from core.fused import FusedEngine
from core.graphed import GraphedEngine
from core.model import MLP
from data import make_splits
from tests.conftest import events, run_to_end

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.parametrize("batchnorm", [True, False])
def test_a_graph_replay_equals_an_eager_fused_step_on_the_same_batch(small_words, batchnorm):
    splits = make_splits(small_words, 3)
    config = TrainConfig(batchnorm=batchnorm, hidden=32, depth=3)
    Xtr, Ytr = (t.cuda() for t in splits.train)
    graphed_model = MLP.build(config, splits.vocab.size, torch.Generator().manual_seed(3)).to(torch.device("cuda"))
    eager_model = MLP.build(config, splits.vocab.size, torch.Generator().manual_seed(3)).to(torch.device("cuda"))
    graphed = GraphedEngine(graphed_model, Xtr, Ytr, 32, seed=1)
    eager = FusedEngine(eager_model, Xtr, Ytr, 32, torch.Generator())
    for _ in range(5):
        loss = graphed.step(0.1)
        Xb, Yb = graphed.batch  # the batch the replay drew
        eager_loss, grads = eager.forward_backward(Xb, Yb)
        torch._foreach_add_(eager.params, grads, alpha=-0.1)
        torch.testing.assert_close(loss, eager_loss, rtol=1e-5, atol=1e-6)
        for mine, theirs in zip(graphed.grads, grads, strict=True):
            torch.testing.assert_close(mine, theirs, rtol=1e-4, atol=1e-6)
        for mine, theirs in zip(graphed.params, eager.params, strict=True):
            torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-6)


def test_a_cuda_run_trains_and_records(small_words):
    records = run_to_end(TrainConfig(steps=500, stats_every=100, device="cuda"), small_words)
    assert records[0]["device"].startswith("cuda") and records[0]["engine"] == "fused+cudagraph"
    stats = events(records, "stats")
    assert [s["step"] for s in stats] == [0, 100, 200, 300, 400, 499]
    assert stats[-1]["loss_window"] < stats[0]["loss"]
    assert records[-1]["reason"] == "finished"
