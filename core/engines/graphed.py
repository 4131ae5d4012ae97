"""The lockstep fused step captured in a CUDA graph: one launch per step instead of a hundred.

On a GPU this tiny net is launch-bound: eager steps spend their time in Python and kernel
launches, not in arithmetic (DESIGN §5: ~240 steps/s eager vs ~4,480 graphed on an H100),
so V stacked variants cost about what one does. The whole step (minibatch draw on the
device, every net's forward, backward and update, BatchNorm buffers, the frozen-variant
masks) is recorded once and replayed. Learning rates live in a device tensor per net and
the frozen mask is a static device tensor, so changing either needs no recapture.
Statistics read the graph's static tensors after a replay. Host syncs per step: none.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.engines import lockstep
from makemore_tui.core.engines.base import EngineRequest
from makemore_tui.core.engines.variants import build_variants
from makemore_tui.core.model import MLP

WARMUP_STEPS = 3  # eager steps on a side stream before capture, as torch's docs require


def build(request: EngineRequest) -> lockstep.LockstepEngine:
    """The fused engine for `request` (see core.engines.base.Builder): its step captured in a CUDA graph on
    a GPU; on the CPU, or when the capture fails (a warning says so), the eager lockstep step."""
    if request.device.type == "cuda":
        models, _ = build_variants(request.configs, request.vocab_size)
        try:
            return GraphedEngine(
                models, request.configs, request.Xtr, request.Ytr, request.first.batch_size, seed=request.first.seed
            )
        except RuntimeError as error:  # a GPU or driver that cannot capture: eager still trains
            warnings.warn(f"CUDA graph capture failed ({error}); training eagerly on the GPU", stacklevel=2)
    return lockstep.build(request)  # fresh models: a failed capture bound the old ones


class GraphedEngine(lockstep.LockstepEngine):
    """LockstepEngine whose step is a CUDA graph replay."""

    name = "fused+cudagraph"

    def __init__(self, models: Sequence[MLP], configs: Sequence[TrainConfig], *split, seed: int):
        """`split`: (Xtr, Ytr, batch_size), on the GPU; `seed`: the device generator's, drawing the minibatches."""
        # The minibatch is drawn on the GPU's default generator, which graphs know how to replay.
        torch.cuda.manual_seed(seed)
        super().__init__(models, configs, *split, None, static=True)
        self.set_lrs([config.lr for config in configs])
        self._capture()

    def _capture(self) -> None:
        saved = [t.clone() for t in self.state()]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(WARMUP_STEPS):
                self._step()
        torch.cuda.current_stream().wait_stream(side)
        # Warm-up steps were not real training: put the models back as they were drawn.
        with torch.no_grad():
            for tensor, before in zip(self.state(), saved):
                tensor.copy_(before)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.static_losses = self._step()

    def step(self, lrs: Sequence[float], keep_stats: bool) -> torch.Tensor:
        """Replay the captured step at these learning rates; returns the (static) losses (V,)."""
        if all(self.frozen):
            return self.nan_losses
        if lrs != self.lrs:
            self.set_lrs(lrs)  # device writes only where a rate changed: no sync, no recapture
        self.graph.replay()
        return self.static_losses
