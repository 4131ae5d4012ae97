"""The fused step captured in a CUDA graph: one launch per step instead of fifty.

On a GPU this tiny net is launch-bound: eager steps spend their time in Python and kernel
launches, not in arithmetic (DESIGN §5: ~240 steps/s eager vs ~4,480 graphed on an H100).
The whole step (minibatch draw, forward, backward, update, BatchNorm buffers) is recorded
once and replayed; the learning rate lives in a device tensor so changing it needs no
recapture. Statistics read the graph's static tensors after a replay: no sync per step.
"""

from __future__ import annotations

import torch

from core.fused import FusedEngine
from core.model import MLP

WARMUP_STEPS = 3  # eager steps on a side stream before capture, as torch's docs require


class GraphedEngine(FusedEngine):
    """FusedEngine whose step is a CUDA graph replay."""

    name = "fused+cudagraph"

    def __init__(self, model: MLP, Xtr: torch.Tensor, Ytr: torch.Tensor, batch_size: int, seed: int):
        super().__init__(model, Xtr, Ytr, batch_size, generator=None)
        self.device = Xtr.device
        # The minibatch is drawn on the GPU's default generator, which graphs know how to replay.
        torch.cuda.manual_seed(seed)
        self.neg_lr = torch.zeros((), device=self.device)
        self._lr: float | None = None
        self._capture()

    def draw_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The minibatch, drawn on the device (graph-safe: no host round trip)."""
        ix = torch.randint(0, self.Xtr.shape[0], (self.batch_size,), device=self.device)
        self.batch = (self.Xtr[ix], self.Ytr[ix])
        return self.batch

    def _graph_step(self) -> torch.Tensor:
        loss, grads = self.forward_backward(*self.draw_batch())
        # out of place: the gradients themselves stay readable for the statistics
        torch._foreach_add_(self.params, torch._foreach_mul(grads, self.neg_lr))
        return loss

    def _state(self) -> list[torch.Tensor]:
        """Every tensor a step mutates: parameters and BatchNorm running buffers."""
        buffers = [t for bn in self.model.batchnorms() for t in (bn.running_mean, bn.running_var)]
        return self.params + buffers

    def _capture(self) -> None:
        saved = [t.clone() for t in self._state()]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(WARMUP_STEPS):
                self._graph_step()
        torch.cuda.current_stream().wait_stream(side)
        # Warm-up steps were not real training: put the model back as it was drawn.
        with torch.no_grad():
            for tensor, before in zip(self._state(), saved):
                tensor.copy_(before)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.static_loss = self._graph_step()

    def step(self, lr: float, keep_grads: bool = True) -> torch.Tensor:
        """Replay the captured step at learning rate `lr`; returns the (static) loss tensor."""
        if lr != self._lr:
            self.neg_lr.fill_(-lr)  # a device write, no sync
            self._lr = lr
        self.graph.replay()
        return self.static_loss
