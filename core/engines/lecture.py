"""The lecture engine: the notebook's training loop, op for op (`--preset lecture` runs on it).

Autograd through the from-scratch layers of core/layers.py, `F.cross_entropy`, `retain_grad` on
the layer outputs on stats steps, hand SGD `p.data += -lr * p.grad`: its numbers equal the
notebook's. A compare holds one model per variant and steps them one after another on the shared
minibatch: slow, but each variant is exactly its single run.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from makemore_tui.core.engines.base import EngineRequest, StatsTensors
from makemore_tui.core.engines.variants import VariantEngine, build_variants, stack_variants
from makemore_tui.core.model import MLP


def build(request: EngineRequest) -> LectureEngine:
    """The lecture engine for `request` (see core.engines.base.Builder); ConfigError as build_variants raises."""
    models, generator = build_variants(request.configs, request.vocab_size)
    models = [model.to(request.device) for model in models]
    return LectureEngine(models, request.configs, request.Xtr, request.Ytr, request.first.batch_size, generator)


class LectureEngine(VariantEngine):
    """The lecture's loop, op for op: autograd through the from-scratch layers, hand SGD.

    `--preset lecture` runs on this engine so its numbers equal the notebook's. With V > 1 it
    holds V models and steps them one after another on the shared minibatch: slow, but each
    is exactly its single run. A frozen variant is skipped.
    """

    name = "lecture"

    def step(self, lrs: Sequence[float], keep_stats: bool) -> torch.Tensor:
        """One SGD step of every variant not frozen; the detached losses (V,)."""
        return self._step(lrs, keep_stats, update=True)

    def preview(self, lrs: Sequence[float]) -> torch.Tensor:
        """The next step without its update; buffers and the generator put back (see Engine)."""
        generator_state = self.generator.get_state()
        buffers = [(bn, bn.running_mean, bn.running_var) for model in self.models for bn in model.batchnorms()]
        losses = self._step(lrs, True, update=False)
        self.generator.set_state(generator_state)
        for bn, running_mean, running_var in buffers:  # the layer assigned new tensors: take the old ones back
            bn.running_mean, bn.running_var = running_mean, running_var
        return losses

    def _step(self, lrs: Sequence[float], keep_stats: bool, update: bool) -> torch.Tensor:
        Xb, Yb = self.draw_batch()  # minibatch construct
        nan = torch.full((), float("nan"), device=Xb.device)  # a frozen variant's loss
        losses = [
            nan if frozen else _lecture_step(model, Xb, Yb, lr, keep_stats, update)
            for model, lr, frozen in zip(self.models, lrs, self.frozen, strict=True)
        ]
        return stack_variants(losses)

    def statistics_tensors(self) -> list[StatsTensors]:
        """Each structure group's layer outputs and gradients, stacked over its variants (copies on the
        device for V > 1, views for V = 1; no host sync)."""
        return [self._group_statistics(group) for group in self.groups]

    def _group_statistics(self, group: tuple[int, ...]) -> StatsTensors:
        models = [self.models[v] for v in group]
        layers = [model.activation_layers() for model in models]
        params = [model.parameters() for model in models]
        return StatsTensors(
            variants=group,
            layer_index=tuple(i for i, _ in layers[0]),
            embcat=stack_variants([model.embcat for model in models]),
            acts=[stack_variants([m[k][1].out for m in layers]) for k in range(len(layers[0]))],
            # hpreact: what the activation layer took in, the output of the layer before it (BatchNorm or Linear)
            hpreacts=[
                stack_variants([model.layers[m[k][0] - 1].out for model, m in zip(models, layers)])
                for k in range(len(layers[0]))
            ],
            act_grads=[stack_variants([_grad(m[k][1].out) for m in layers]) for k in range(len(layers[0]))],
            params=[stack_variants([p[k] for p in params]) for k in range(len(params[0]))],
            grads=[stack_variants([p[k].grad for p in params]) for k in range(len(params[0]))],
        )

    def freeze(self, v: int) -> None:
        """Variant v is skipped from the next step on."""
        self.frozen[v] = True


def _grad(t: torch.Tensor) -> torch.Tensor:
    """t.grad, or zeros where a frozen variant's last step kept none."""
    return t.grad if t.retains_grad and t.grad is not None else torch.zeros_like(t)


def _lecture_step(
    model: MLP, Xb: torch.Tensor, Yb: torch.Tensor, lr: float, keep_stats: bool, update: bool = True
) -> torch.Tensor:
    """The notebook's step on one model; the detached loss. With `keep_stats`, layer outputs keep .grad."""
    params = model.parameters()
    # forward pass
    logits = model.forward(Xb)
    loss = F.cross_entropy(logits, Yb)
    # backward pass
    if keep_stats:
        for layer in model.layers:
            layer.out.retain_grad()
    for p in params:
        p.grad = None
    loss.backward()
    # update
    if update:
        for p in params:
            p.data += -lr * p.grad
    return loss.detach()
