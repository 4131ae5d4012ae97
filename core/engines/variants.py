"""What the built-in engines share: the variants' MLPs drawn as their single runs draw them, and one
minibatch stream for all of them.

A compare trains V variants in lockstep: one minibatch draw per step shared by all, each variant
initialised with the very draws a single run of its config makes, so variant v equals the single
run of its config.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch

from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.engines.base import ModelNote
from makemore_tui.core.model import MLP
from makemore_tui.core.wording import difference

# Fields every variant of one lockstep run must share: the minibatch stream and the stacked shapes.
SHARED_FIELDS = ("engine", "seed", "embd", "hidden", "depth", "block_size", "batch_size")


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


def build_variants(configs: Sequence[TrainConfig], vocab_size: int) -> tuple[list[MLP], torch.Generator]:
    """Every variant's model, drawn on the CPU exactly as its single run draws it
    (`torch.Generator().manual_seed(config.seed)`), and the generator left after init, which
    draws the minibatches (the lecture's order). Raises ConfigError (one line) when the
    variants cannot share one minibatch stream (different shared fields). A variant that drew
    differently (drawn biases: `bias_scale`) trains on variant 1's stream: a ModelNote says so."""
    check_shared(configs)
    models, generators = [], []
    for config in configs:
        generator = torch.Generator().manual_seed(config.seed)
        models.append(MLP.build(config, vocab_size, generator))
        generators.append(generator)
    for v, generator in enumerate(generators[1:], 1):
        if not torch.equal(generator.get_state(), generators[0].get_state()):
            warnings.warn(different_draws(configs[v], configs[0], v), ModelNote, stacklevel=2)
    return models, generators[0]


def different_draws(config: TrainConfig, first: TrainConfig, v: int) -> str:
    """The note for variant `v` (0-based), whose init drew differently from variant 0's."""
    return (
        f"compare: variant {v + 1} ({difference(config.to_dict(), first.to_dict())}) does not share variant 1's "
        "init draws: it starts from other weights and trains on variant 1's minibatches, so it will not equal "
        "its single run"
    )


def check_shared(configs: Sequence[TrainConfig]) -> None:
    """Raise ConfigError (one line) unless there is a config and all share SHARED_FIELDS."""
    if not configs:
        raise ConfigError("make_engine needs at least one config")
    for name in SHARED_FIELDS:
        values = {getattr(c, name) for c in configs}
        if len(values) > 1:
            raise ConfigError(
                f"compared variants must share --{name.replace('_', '-')} (got {', '.join(map(str, sorted(values)))})"
            )


class VariantEngine:
    """The built-in engines' common part: the variants' models, the training split and the minibatch draw."""

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
