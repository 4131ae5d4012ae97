"""The lockstep engine: every variant of a compare trained on one minibatch stream (DESIGN §7).

Variants of one structure (BatchNorm on/off, tanh/linear) are stacked into one `FusedNet`;
the engine draws one minibatch per step and steps every net on it, so each variant sees
exactly the minibatches its single run would. Learning rates are per variant; a variant
that diverges is frozen (its parameters and buffers stay, the others go on).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from makemore_tui.core.engines.base import EngineRequest, StatsTensors
from makemore_tui.core.engines.variants import VariantEngine, build_variants
from makemore_tui.core.fused import FusedNet


def build(request: EngineRequest) -> LockstepEngine:
    """The eager lockstep engine for `request` (see core.engines.base.Builder): the fused step, no CUDA graph."""
    models, generator = build_variants(request.configs, request.vocab_size)
    return LockstepEngine(models, request.configs, request.Xtr, request.Ytr, request.first.batch_size, generator)


class LockstepEngine(VariantEngine):
    """V variants in stacked fused nets, one per structure, on a shared minibatch.

    `static=True` is the CUDA-graph-safe form of the step (core/engines/graphed.py captures it): the
    minibatch is drawn on the device, every learning rate read from a device tensor, and the
    frozen-variant masks always applied when there are several variants. On the CPU, with
    the CPU generator, it computes exactly what the eager step computes (a test checks).
    """

    name = "fused"

    def __init__(self, *variants, static: bool = False):
        """`variants`: VariantEngine's (models, configs, Xtr, Ytr, batch_size, generator); a None
        generator draws on the device's default generator (the static form only)."""
        super().__init__(*variants)
        self.static = static
        self.nets = [FusedNet([self.models[v] for v in g], g, self.device, self.batch_size) for g in self.groups]
        self.where = {v: (net, k) for net in self.nets for k, v in enumerate(net.variants)}
        concatenated = [v for net in self.nets for v in net.variants]
        # the losses come out net by net; put them back in config order when that differs
        self.order = (
            None
            if concatenated == sorted(concatenated)
            else torch.tensor(sorted(range(self.variants), key=concatenated.__getitem__), device=self.device)
        )
        self.nan_losses = torch.full((self.variants,), float("nan"), device=self.device)
        self.lrs: list[float] | None = None  # the learning rates the nets hold

    def draw_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The step's minibatch, shared by every variant; the static form draws on the device
        (graph-safe, no host round trip)."""
        if not self.static:
            return super().draw_batch()
        ix = torch.randint(0, self.Xtr.shape[0], (self.batch_size,), device=self.device, generator=self.generator)
        return self._take(ix)

    def step(self, lrs: Sequence[float], keep_stats: bool) -> torch.Tensor:
        """One SGD step of every variant at its own learning rate; the losses (V,), no host sync.

        The fused nets keep the statistics tensors of every step, so `keep_stats` costs nothing here.
        """
        if all(self.frozen):
            return self.nan_losses  # nothing trains any more
        if lrs != self.lrs:
            self.set_lrs(lrs)
        return self._step()

    def preview(self, lrs: Sequence[float]) -> torch.Tensor:
        """The next step's losses and statistics without its update (see core.engines.base.Engine).

        Takes the step, then puts parameters, BatchNorm buffers and the CPU generator back. On a
        GPU the device generator draws inside the graph and moves on: the next step's batch is
        the one after the preview's.
        """
        saved = [t.clone() for t in self.state()]
        generator_state = self.generator.get_state() if self.generator is not None else None
        losses = self.step(lrs, True).clone()
        with torch.no_grad():
            for tensor, before in zip(self.state(), saved):
                tensor.copy_(before)
        if generator_state is not None:
            self.generator.set_state(generator_state)
        return losses

    def set_lrs(self, lrs: Sequence[float]) -> None:
        """Hand each net its variants' learning rates (device writes only where a rate changed)."""
        if len(lrs) != self.variants:
            raise ValueError(f"step: {len(lrs)} learning rates for {self.variants} variants")
        for net in self.nets:
            net.lr.set([lrs[v] for v in net.variants])
        self.lrs = list(lrs)

    def _step(self) -> torch.Tensor:
        """Draw, then forward, backward and update every net: the body a CUDA graph captures."""
        Xb, Yb = self.draw_batch()
        losses = [self._net_step(net, Xb, Yb) for net in self.nets]
        loss = losses[0] if len(losses) == 1 else torch.cat(losses)
        return loss if self.order is None else loss[self.order]

    def _net_step(self, net: FusedNet, Xb: torch.Tensor, Yb: torch.Tensor) -> torch.Tensor:
        if self.static:
            return net.train_step(Xb, Yb, masked=self.variants > 1, lr_tensor=True)
        if net.frozen.all:
            return net.frozen.nan  # nothing of this net trains: skip it
        return net.train_step(Xb, Yb, masked=net.frozen.any, lr_tensor=not net.lr.uniform)

    def statistics_tensors(self) -> list[StatsTensors]:
        """One entry per structure group, views of the last step's tensors (no copy, no sync)."""
        return [net.statistics_tensors() for net in self.nets]

    def freeze(self, v: int) -> None:
        """Variant v stops updating from the next step; the others go on."""
        net, k = self.where[v]
        net.frozen.freeze(k)
        self.frozen[v] = True

    def state(self) -> list[torch.Tensor]:
        """Every tensor a step mutates (parameters and BatchNorm running buffers of every net)."""
        return [t for net in self.nets for t in net.state()]
