"""Training engines: one SGD step of the MLP, and the tensors statistics are read from."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import torch
import torch.nn.functional as F

from core.fused import FusedEngine
from core.model import MLP


class StatsTensors(NamedTuple):
    """The tensors one stats tick reads, for the variants of one structure group (stacked on dim 0)."""

    variants: tuple[int, ...]  # which variants (0-based, in config order) lie along dim 0
    layer_index: tuple[int, ...]  # each activation layer's position in the lecture's layer list
    embcat: torch.Tensor  # (V, B, block_size*embd): the first Linear's input this step
    acts: list[torch.Tensor]  # per activation layer, (V, B, hidden): its output, forward pass of the step
    act_grads: list[torch.Tensor]  # per activation layer, (V, B, hidden): d loss / d output, backward pass
    params: list[torch.Tensor]  # every parameter in the lecture's order (C first), each (V, *shape), after the update
    grads: list[torch.Tensor]  # their gradients, same shapes


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

    def statistics_tensors(self) -> list[StatsTensors]:
        """The statistics tensors of the last kept step (one group, one variant)."""
        tanh = self.model.tanh_layers()
        return [
            StatsTensors(
                variants=(0,),
                layer_index=tuple(i for i, _ in tanh),
                embcat=self.model.embcat.unsqueeze(0),
                acts=[layer.out.unsqueeze(0) for _, layer in tanh],
                act_grads=[layer.out.grad.unsqueeze(0) for _, layer in tanh],
                params=[p.unsqueeze(0) for p in self.params],
                grads=[p.grad.unsqueeze(0) for p in self.params],
            )
        ]


class _SingleRunAdapter:
    """A single-model engine behind the variant-aware interface the trainer drives (V = 1)."""

    variants = 1

    def __init__(self, inner, generator: torch.Generator | None):
        self.inner = inner
        self.name = inner.name
        self.generator = generator

    def step(self, lrs, keep_stats: bool) -> torch.Tensor:
        """One SGD step at lrs[0]; the loss, shape (1,)."""
        return self.inner.step(lrs[0], keep_stats).reshape(1)

    def preview(self, lrs) -> torch.Tensor:
        """Statistics of the next step without taking it: parameters, buffers and the generator stay."""
        state = self.generator.get_state() if self.generator is not None else None
        buffers = [(bn, bn.running_mean.clone(), bn.running_var.clone()) for bn in self.inner.model.batchnorms()]
        loss = self.inner.step(0.0, True).reshape(1)
        if state is not None:
            self.generator.set_state(state)
        for bn, mean, var in buffers:
            # in place where the layer updated in place (a CUDA graph holds the tensors)
            if bn.running_mean.shape == mean.shape:
                bn.running_mean.copy_(mean)
                bn.running_var.copy_(var)
            else:
                bn.running_mean, bn.running_var = mean, var
        return loss

    def statistics_tensors(self):
        """The inner engine's statistics tensors."""
        return self.inner.statistics_tensors()

    def variant_model(self, v: int) -> MLP:
        """The one model."""
        return self.inner.model

    def freeze(self, v: int) -> None:
        """A single run ends when it diverges: nothing to freeze."""


def make_engine(configs, vocab_size: int, Xtr: torch.Tensor, Ytr: torch.Tensor, device: torch.device):
    """The engine for `configs` (one per variant; a single run for now)."""
    config = configs[0]
    generator = torch.Generator().manual_seed(config.seed)
    model = MLP.build(config, vocab_size, generator).to(device)
    return _SingleRunAdapter(_make_single(config, model, Xtr, Ytr, generator, device), generator)


def _make_single(
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
