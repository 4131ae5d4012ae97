"""The lecture's rules of thumb, judged on stats records: statistics in, hints in words out.

Each hint names what it is about (its topic: the app shows it beside that panel, headless
prints it once) and the likely fix, with the key that applies it (g gain, b BatchNorm, +/- lr).
The rules are pure functions of records (core/records.py); `HealthJudge` keeps the little
history some rules need (dead-neuron streaks, recent update:data) for one variant of one run.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.records import is_number

SATURATION_LIMIT_PCT = 5.0  # the lecture: a few percent of saturated tanh units is fine
UPDATE_TARGET_LOG10 = -3.0  # update:data of ~1e-3 is the lecture's "about right"
UPDATE_TOLERANCE_DECADES = 1.0
GRAD_SPREAD_LIMIT = 3.0  # max/min gradient std across the tanh layers
DEAD_TICKS = 3  # consecutive stats records a neuron must stay dead before we say so
INITIAL_LOSS_MARGIN = 1.0  # nats above -log(1/vocab) that count as "far above"
UPDATE_HINT_POINTS = 5  # stats records averaged before judging update:data


@dataclass(frozen=True)
class Hint:
    """One rule of thumb that fired: what it is about and what to do about it."""

    topic: str  # saturation | activations | gradients | update | map | loss: the panel it sits beside
    text: str  # the full sentence: what is wrong, why it matters, the fix and its key
    short: str  # one short line for small panels

    @property
    def rule(self) -> str:
        """Which rule fired (its topic and the first words of its short line): headless prints each once."""
        return f"{self.topic}:{self.short.split(' ')[0]}"


def layer_name(layer: Mapping, position: int | None = None) -> str:
    """An activation layer by its depth, 1 for the first (the run log also keeps the lecture's list index).

    Records written before `depth` existed are named by their position among the layers.
    """
    depth = layer.get("depth")
    if isinstance(depth, int) and not isinstance(depth, bool):
        return f"L{depth}"
    return f"L{position + 1}" if position is not None else "L?"


def param_names(count: int) -> list[str]:
    """Names for the 2-D parameters: C for the embedding (first), then W1, W2, … in order."""
    return ["C" if i == 0 else f"W{i}" for i in range(count)]


def _fix_activations(batchnorm: bool | None) -> str:
    if batchnorm:
        return "lower the gain (g)"
    return "turn BatchNorm on (b) or lower the gain (g)"


def _fix_keys(batchnorm: bool | None, gain: str = "lower gain") -> str:
    return f"{gain} (g)" if batchnorm else f"BN (b) / {gain} (g)"


def saturation_hints(
    layers: Sequence[Mapping], batchnorm: bool | None, limit: float = SATURATION_LIMIT_PCT
) -> list[Hint]:
    """Layers with more than `limit` percent of |t| > 0.97."""
    hot = [
        (layer_name(layer, i), layer["saturated_pct"])
        for i, layer in enumerate(layers)
        if is_number(layer.get("saturated_pct")) and layer["saturated_pct"] > limit
    ]
    if not hot:
        return []
    names = ", ".join(f"{name} {pct:.0f}%" for name, pct in hot)
    return [
        Hint(
            "saturation",
            f"saturated > {limit:g}%: {names} — tanh gradients vanish there; {_fix_activations(batchnorm)}",
            _saturation_short(hot, limit) + f" → {_fix_keys(batchnorm)}",
        )
    ]


def _saturation_short(hot: list[tuple[str, float]], limit: float) -> str:
    if len(hot) == 1:
        return f"{hot[0][0]} {hot[0][1]:.0f}% saturated"
    return f"{len(hot)} layers >{limit:g}% saturated"


def gradient_depth_hints(
    layers: Sequence[Mapping], batchnorm: bool | None, limit: float = GRAD_SPREAD_LIMIT
) -> list[Hint]:
    """Gradient std that shrinks or grows more than `limit`× from the first tanh layer to the last."""
    stds = [
        (layer_name(layer, i), layer["grad_std"]) for i, layer in enumerate(layers) if is_number(layer.get("grad_std"))
    ]
    if len(stds) < 2:
        return []
    values = [std for _, std in stds]
    low, high = min(values), max(values)
    if low <= 0 or high / low <= limit:
        return []
    first, last = stds[0], stds[-1]
    direction = "shrinks toward the input" if first[1] < last[1] else "grows toward the input"
    fix = "set the gain near 5/3 (g)" if batchnorm else "turn BatchNorm on (b) or set the gain near 5/3 (g)"
    text = (
        f"grad std {direction}: {high / low:.1f}× across depth ({first[0]} {first[1]:.1e}, {last[0]} "
        f"{last[1]:.1e}); {fix}"
    )
    return [Hint("gradients", text, f"grad std {high / low:.1f}× across depth → {_fix_keys(batchnorm, 'gain 5/3')}")]


def update_ratio_hints(recent: Mapping[str, float], tolerance: float = UPDATE_TOLERANCE_DECADES) -> list[Hint]:
    """Weights whose recent mean log10 update:data sits more than a decade off −3.

    The embedding (C) is plotted but not judged: a batch touches few of its rows, so its
    update:data sits well below the weights' by nature, even when lr is right.
    """
    recent = {name: value for name, value in recent.items() if name != "C"}
    high = {
        name: value for name, value in recent.items() if is_number(value) and value > UPDATE_TARGET_LOG10 + tolerance
    }
    low = {
        name: value for name, value in recent.items() if is_number(value) and value < UPDATE_TARGET_LOG10 - tolerance
    }
    hints = []
    if high:
        listed = ", ".join(f"{name} {value:.1f}" for name, value in high.items())
        hints.append(
            Hint(
                "update",
                f"update:data > 10^-2 ({listed}): steps too big for the weights; lower lr (-)",
                f"update:data high ({', '.join(high)}) → lr ÷2 (-)",
            )
        )
    if low:
        listed = ", ".join(f"{name} {value:.1f}" for name, value in low.items())
        hints.append(
            Hint(
                "update",
                f"update:data < 10^-4 ({listed}): learning too slowly; raise lr (+)",
                f"update:data low ({', '.join(low)}) → lr ×2 (+)",
            )
        )
    return hints


def activation_depth_hints(
    layers: Sequence[Mapping], batchnorm: bool | None, limit: float = GRAD_SPREAD_LIMIT
) -> list[Hint]:
    """Activation std collapsing toward zero with depth (the gain too low for tanh)."""
    stds = [(layer_name(layer, i), layer["std"]) for i, layer in enumerate(layers) if is_number(layer.get("std"))]
    if len(stds) < 2 or stds[-1][1] <= 0 or stds[0][1] / stds[-1][1] <= limit:
        return []
    (first, top), (last, bottom) = stds[0], stds[-1]
    fix = "raise the gain toward 5/3 (g)" if batchnorm else "raise the gain toward 5/3 (g) or turn BatchNorm on (b)"
    text = f"activations shrink toward zero with depth: std {first} {top:.2f} → {last} {bottom:.2f}; {fix}"
    return [
        Hint(
            "activations",
            text,
            f"activations shrink {top / bottom:.0f}× with depth → {_fix_keys(batchnorm, 'gain 5/3')}",
        )
    ]


def next_dead_streaks(streaks: Mapping[int, int], layers: Sequence[Mapping]) -> dict[int, int]:
    """Consecutive stats records each layer (by index) has had dead neurons, after `layers`."""
    return {
        layer.get("index", i): (streaks.get(layer.get("index", i), 0) + 1 if (layer.get("dead") or 0) > 0 else 0)
        for i, layer in enumerate(layers)
    }


def dead_neuron_hints(
    streaks: Mapping[int, int], layers: Sequence[Mapping], batchnorm: bool | None, ticks: int = DEAD_TICKS
) -> list[Hint]:
    """Layers whose neurons stayed saturated for the whole batch over `ticks` stats records."""
    dead = [
        (layer_name(layer, i), layer.get("dead") or 0)
        for i, layer in enumerate(layers)
        if streaks.get(layer.get("index", i), 0) >= ticks
    ]
    if not dead:
        return []
    listed = ", ".join(f"{name} {count}" for name, count in dead)
    fix = "lower the gain (g) or lr (-)" if batchnorm else "turn BatchNorm on (b), lower the gain (g) or lr (-)"
    text = f"dead neurons (|t|>0.99 for the whole batch, {ticks}+ ticks): {listed}; they never learn — {fix}"
    return [Hint("map", text, f"dead neurons {listed} → {_fix_keys(batchnorm)} / lr (-)")]


def expected_initial_loss(vocab_size: int) -> float:
    """The loss of a uniform guess over the vocabulary: −log(1/vocab)."""
    return math.log(vocab_size)


def initial_loss_hints(loss: float | None, vocab_size: int | None, margin: float = INITIAL_LOSS_MARGIN) -> list[Hint]:
    """An initial loss far above a uniform guess: the output layer starts confidently wrong."""
    if not is_number(loss) or not vocab_size or vocab_size < 2:
        return []
    expected = expected_initial_loss(vocab_size)
    if loss <= expected + margin:
        return []
    text = (
        f"initial loss {loss:.2f} ≫ −log(1/{vocab_size}) = {expected:.2f}: the output layer is confidently wrong; "
        "scale the last layer down (×0.1) or lower the gain (g)"
    )
    return [Hint("loss", text, f"initial loss {loss:.1f} ≫ {expected:.1f} → shrink last layer / gain (g)")]


class HealthJudge:
    """The rules of thumb for one variant of one run, fed its stats records in order.

    `observe(stats)` returns the hints that hold now. The judge remembers what the rules need
    across records: the step-0 loss, dead-neuron streaks, recent update:data per weight.
    """

    def __init__(self, config: Mapping, vocab_size: int | None):
        self.batchnorm = config.get("batchnorm") if isinstance(config.get("batchnorm"), bool) else None
        self.vocab_size = vocab_size
        self.initial_loss: float | None = None
        self.dead_streaks: dict = {}
        self.recent_updates: list[deque] = []
        self.hints: list[Hint] = []

    def observe(self, stats: Mapping) -> list[Hint]:
        """Fold one stats record in; return (and keep in `hints`) the hints that hold now."""
        layers = [layer for layer in stats.get("layers") or [] if isinstance(layer, Mapping)]
        params = [param for param in stats.get("params") or [] if isinstance(param, Mapping)]
        if self.initial_loss is None and stats.get("step") == 0 and is_number(stats.get("loss")):
            self.initial_loss = stats["loss"]
        while len(self.recent_updates) < len(params):
            self.recent_updates.append(deque(maxlen=UPDATE_HINT_POINTS))
        for recent, param in zip(self.recent_updates, params):
            if is_number(param.get("update_to_data_log10")):
                recent.append(param["update_to_data_log10"])
        names = param_names(len(params))
        recent = {
            name: sum(values) / len(values)
            for name, values in zip(names, self.recent_updates)
            if len(values) == UPDATE_HINT_POINTS
        }
        self.dead_streaks = next_dead_streaks(self.dead_streaks, layers)
        self.hints = [
            *saturation_hints(layers, self.batchnorm),
            *activation_depth_hints(layers, self.batchnorm),
            *gradient_depth_hints(layers, self.batchnorm),
            *update_ratio_hints(recent),
            *dead_neuron_hints(self.dead_streaks, layers, self.batchnorm),
            *initial_loss_hints(self.initial_loss, self.vocab_size),
        ]
        return self.hints
