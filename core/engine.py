"""Training engines: one SGD step of the MLP, and the tensors statistics are read from."""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

from core.fused import FusedEngine
from core.model import MLP


class LectureEngine:
    """The lecture's loop, op for op: autograd through the from-scratch layers, hand SGD.

    `--preset lecture` runs on this engine so its numbers equal the notebook's.
    """

    name = "lecture"

    def __init__(self, model: MLP, Xtr: torch.Tensor, Ytr: torch.Tensor, batch_size: int, generator: torch.Generator):
        self.model = model
        self.params = model.parameters()
        self.Xtr, self.Ytr = Xtr, Ytr
        self.batch_size = batch_size
        self.generator = generator  # a CPU generator: init and minibatches share it, as in the lecture

    def step(self, lr: float, keep_grads: bool) -> torch.Tensor:
        """One SGD step; returns the detached loss. With `keep_grads`, layer outputs keep .grad."""
        # minibatch construct (drawn on the CPU generator, then moved: the lecture's sequence)
        ix = torch.randint(0, self.Xtr.shape[0], (self.batch_size,), generator=self.generator)
        ix = ix.to(self.Xtr.device, non_blocking=True)
        Xb, Yb = self.Xtr[ix], self.Ytr[ix]
        # forward pass
        logits = self.model.forward(Xb)
        loss = F.cross_entropy(logits, Yb)
        # backward pass
        if keep_grads:
            for layer in self.model.layers:
                layer.out.retain_grad()
        for p in self.params:
            p.grad = None
        loss.backward()
        # update
        for p in self.params:
            p.data += -lr * p.grad
        return loss.detach()

    def statistics_tensors(self):
        """(tanh indices, tanh outputs, their gradients, parameters, parameter gradients) of the last kept step."""
        tanh = self.model.activation_layers()
        return (
            [i for i, _ in tanh],
            [layer.out for _, layer in tanh],
            [layer.out.grad for _, layer in tanh],
            self.params,
            [p.grad for p in self.params],
        )


def make_engine(
    config, model: MLP, Xtr: torch.Tensor, Ytr: torch.Tensor, generator: torch.Generator, device: torch.device
):
    """The engine for `config`: `lecture` is exact; `fused` and `auto` take the fused step,
    captured in a CUDA graph on a GPU."""
    if config.engine == "lecture":
        return LectureEngine(model, Xtr, Ytr, config.batch_size, generator)
    if device.type == "cuda":
        from core.graphed import GraphedEngine

        try:
            return GraphedEngine(model, Xtr, Ytr, config.batch_size, config.seed)
        except RuntimeError as error:  # a GPU or driver that cannot capture: eager still trains
            warnings.warn(f"CUDA graph capture failed ({error}); training eagerly on the GPU", stacklevel=2)
    return FusedEngine(model, Xtr, Ytr, config.batch_size, generator)
