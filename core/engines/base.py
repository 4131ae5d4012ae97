"""What every engine is: the `Engine` protocol the trainer drives, what it is built from, what it hands back.

This module holds types only (no engine): the implementations import it, never the reverse, and
the trainer, `core/stats.py` and `core/fused.py` read these types without importing any engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

import torch

from makemore_tui.core.config import TrainConfig

if TYPE_CHECKING:  # the model the built-in engines evaluate and sample
    from makemore_tui.core.model import MLP


class ModelNote(UserWarning):
    """Something a learner should know about their run (a compare whose variants drew differently, a `--model`
    file's build that drew nothing): front-ends say it bare, as one line."""


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
    hpreacts: list[torch.Tensor]  # per activation layer, (V, B, hidden): its input, the lecture's hpreact
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
    """What the trainer drives: V ≥ 1 variants stepped together on one minibatch stream.

    The contract every engine keeps (tests/test_core_lockstep.py checks the built-in ones):
    - variant v trains exactly as the single run of its config would: the same initial weights
      (drawn on `torch.Generator().manual_seed(seed)` before any minibatch) and the same minibatches;
    - no host sync inside `step` or `statistics_tensors` (the trainer syncs once per stats tick);
    - a frozen variant stops changing; the others go on.
    An engine whose layers differ in shape between variants (core/engines/user.py, a `--model` net) returns
    no `statistics_tensors` and offers `step_statistics(lrs, bins, weight_hists) -> {variant: stats fields}`
    instead, which the trainer calls when present (one host transfer for every variant).
    """

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
        """A model whose tensors are variant v's (views on the stacked engines): evaluate and sample it
        (`core/evaluate.py`: `forward(X)` gives logits, `train()`/`eval()` switch BatchNorm's mode)."""
        ...

    def freeze(self, v: int) -> None:
        """Variant v stops updating from the next step; its parameters and buffers stay as they are."""
        ...


@dataclass(frozen=True)
class EngineRequest:
    """What an engine is built from: the variants' configs and the training split, on its device."""

    configs: tuple[TrainConfig, ...]  # one per variant, in order (one for a single run); they share SHARED_FIELDS
    vocab_size: int  # characters, the end token included
    Xtr: torch.Tensor  # (N, block_size) int64 contexts of the training split, on `device`
    Ytr: torch.Tensor  # (N,) int64 next characters
    device: torch.device  # where the engine trains

    @property
    def first(self) -> TrainConfig:
        """Variant 0's config: the fields every variant shares (engine, sizes, batch, seed) are read here."""
        return self.configs[0]


# An engine module's `build`: the engine for a request. Raises ConfigError (one line) for configs it cannot train.
Builder = Callable[[EngineRequest], Engine]
