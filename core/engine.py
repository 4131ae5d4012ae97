"""Training engines: one SGD step of V variants of the MLP, and the tensors statistics are read from.

Every engine implements `Engine`. A single run is V = 1; a compare run trains V variants in
lockstep: one minibatch draw per step shared by all, each variant initialised with the very
draws a single run of its config makes, so variant v equals the single run of its config.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple, Protocol

import torch
import torch.nn.functional as F

from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.model import MLP


class StatsTensors(NamedTuple):
    """One structure group's tensors of the last step run with keep_stats (dim 0: the variants).

    Activations come from the step's forward pass, gradients from its backward pass and
    parameters are read after its update, as the lecture reads them. Entries of a frozen
    variant are not meaningful (stale or zero): read only the variants still training.
    """

    variants: tuple[int, ...]  # which variants (0-based, in config order) lie along dim 0
    layer_index: tuple[int, ...]  # each activation layer's position in the lecture's layer list (2,5,8,.. / 1,3,5,..)
    embcat: torch.Tensor  # (V, B, block_size*embd): the first Linear's input this step
    acts: list[torch.Tensor]  # per activation layer, (V, B, hidden): its output, forward pass of the step
    act_grads: list[torch.Tensor]  # per activation layer, (V, B, hidden): d loss / d output, backward pass
    params: list[torch.Tensor]  # every parameter in the lecture's order (C first), each (V, *shape), after the update
    grads: list[torch.Tensor]  # their gradients, same shapes

    def select(self, k: int) -> tuple[list[int], list, list, list, list]:
        """The k-th variant along dim 0 as (layer indices, acts, act grads, params, grads): the
        argument list `core.stats.step_statistics` takes today (the trainer's shim until it reads groups)."""
        return (
            list(self.layer_index),
            [t[k] for t in self.acts],
            [t[k] for t in self.act_grads],
            [t[k] for t in self.params],
            [t[k] for t in self.grads],
        )


class Engine(Protocol):
    """What the trainer drives: V ≥ 1 variants stepped together on one minibatch stream."""

    name: str  # shown in run_start records and the status line
    variants: int  # V

    def step(self, lrs: Sequence[float], keep_stats: bool) -> torch.Tensor:
        """One SGD step of every variant at its own learning rate; the detached per-variant
        losses (V,), on the device, without a host sync (NaN for a frozen variant).
        `keep_stats`: the caller will read `statistics_tensors()` of this step."""
        ...

    def preview(self, lrs: Sequence[float]) -> torch.Tensor:
        """The next step's forward and backward pass without its update: the losses (V,), and
        `statistics_tensors()` reads them (a paused start shows step 0). Parameters, BatchNorm
        buffers and the CPU minibatch generator are left as they were."""
        ...

    def statistics_tensors(self) -> list[StatsTensors]:
        """One entry per structure group, of the last step run with keep_stats."""
        ...

    def variant_model(self, v: int) -> MLP:
        """An MLP whose tensors are variant v's (views on the stacked engines): evaluate and sample it."""
        ...

    def freeze(self, v: int) -> None:
        """Variant v stops updating from the next step; its parameters and buffers stay as they are."""
        ...


def structure_groups(configs: Sequence[TrainConfig]) -> list[tuple[int, ...]]:
    """Variant indices grouped by network structure (BatchNorm on/off, activation), in order of
    first appearance: variants of one structure can be stacked along a leading dimension."""
    groups: dict[tuple, list[int]] = {}
    for v, config in enumerate(configs):
        groups.setdefault((config.batchnorm, config.activation), []).append(v)
    return [tuple(g) for g in groups.values()]


def stack_variants(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """(V, *shape) from V detached tensors: a view when V = 1, else a copy."""
    if len(tensors) == 1:
        return tensors[0].detach().unsqueeze(0)
    return torch.stack([t.detach() for t in tensors])


class VariantEngine:
    """What the engines share: the variants' models, the training split and the minibatch draw."""

    def __init__(
        self,
        models: Sequence[MLP],
        configs: Sequence[TrainConfig],
        Xtr: torch.Tensor,
        Ytr: torch.Tensor,
        batch_size: int,
        generator: torch.Generator | None,
    ):
        self.models = list(models)
        self.variants = len(self.models)
        self.groups = structure_groups(configs)
        self.Xtr, self.Ytr = Xtr, Ytr
        self.device = Xtr.device
        self.batch_size = batch_size
        self.generator = generator  # the CPU generator left after init: the minibatches, as in the lecture
        self.frozen = [False] * self.variants  # host copy, in config order
        self.batch: tuple[torch.Tensor, torch.Tensor] | None = None

    def draw_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The step's minibatch (Xb (n, block_size), Yb (n,)), shared by every variant: drawn on the
        CPU generator, then moved, as the lecture draws it. Sync point on a GPU (the lecture engine
        and the eager fallback): a copy from pageable host memory, which the host waits for."""
        ix = torch.randint(0, self.Xtr.shape[0], (self.batch_size,), generator=self.generator)
        return self._take(ix.to(self.device, non_blocking=True))

    def _take(self, ix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.batch = (self.Xtr[ix], self.Ytr[ix])
        return self.batch

    def variant_model(self, v: int) -> MLP:
        """Variant v's MLP (on the stacked engines its tensors are views of the slices they train)."""
        return self.models[v]


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


def build_variants(configs: Sequence[TrainConfig], vocab_size: int) -> tuple[list[MLP], torch.Generator]:
    """Every variant's model, drawn on the CPU exactly as its single run draws it
    (`torch.Generator().manual_seed(config.seed)`), and the generator left after init, which
    draws the minibatches (the lecture's order). Raises ConfigError (one line) when the
    variants cannot share one minibatch stream: different shared fields, or different draws."""
    _check_shared(configs)
    models, generators = [], []
    for config in configs:
        generator = torch.Generator().manual_seed(config.seed)
        models.append(MLP.build(config, vocab_size, generator))
        generators.append(generator)
    states = [g.get_state() for g in generators]
    if any(not torch.equal(state, states[0]) for state in states[1:]):
        raise ConfigError("compared variants must draw the same initial weights (the same --seed and shapes)")
    return models, generators[0]


def make_engine(
    configs: Sequence[TrainConfig], vocab_size: int, Xtr: torch.Tensor, Ytr: torch.Tensor, device: torch.device
) -> Engine:
    """The engine training `configs` in lockstep on (Xtr, Ytr) (already on `device`).

    `engine`: `lecture` is exact (the notebook's ops, one model after another); `fused` and
    `auto` take the stacked fused step, captured in a CUDA graph on a GPU (a failed capture
    falls back to the eager step with a warning). Raises ConfigError as `build_variants` does.
    """
    if configs and configs[0].model is not None:  # --model FILE.py: the learner's own net on autograd
        from makemore_tui.core.userengine import make_user_engine

        return make_user_engine(configs, vocab_size, Xtr, Ytr, device)
    models, generator = build_variants(configs, vocab_size)
    first = configs[0]
    if first.engine == "lecture":
        return LectureEngine([m.to(device) for m in models], configs, Xtr, Ytr, first.batch_size, generator)
    from makemore_tui.core.lockstep import LockstepEngine

    if device.type == "cuda":
        from makemore_tui.core.graphed import GraphedEngine

        try:
            return GraphedEngine(models, configs, Xtr, Ytr, first.batch_size, seed=first.seed)
        except RuntimeError as error:  # a GPU or driver that cannot capture: eager still trains
            warnings.warn(f"CUDA graph capture failed ({error}); training eagerly on the GPU", stacklevel=2)
            models, generator = build_variants(configs, vocab_size)  # fresh: the capture bound the old ones
    return LockstepEngine(models, configs, Xtr, Ytr, first.batch_size, generator)


# Fields every variant of one lockstep run must share: the minibatch and the stacked shapes.
SHARED_FIELDS = ("engine", "embd", "hidden", "depth", "block_size", "batch_size")


def _check_shared(configs: Sequence[TrainConfig]) -> None:
    if not configs:
        raise ConfigError("make_engine needs at least one config")
    for name in SHARED_FIELDS:
        values = {getattr(c, name) for c in configs}
        if len(values) > 1:
            raise ConfigError(
                f"compared variants must share --{name.replace('_', '-')} (got {', '.join(map(str, sorted(values)))})"
            )
