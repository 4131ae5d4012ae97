"""The lecture's rules of thumb as pure functions: statistics in, hints in words out.

Each hint names the panel it belongs beside and the likely fix, with the key that applies
it (g gain, b BatchNorm, +/- lr). No Textual here: the rules are tested on plain dicts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SATURATION_LIMIT_PCT = 5.0  # the lecture: a few percent of saturated tanh units is fine
UPDATE_TARGET_LOG10 = -3.0  # update:data of ~1e-3 is the lecture's "about right"
UPDATE_TOLERANCE_DECADES = 1.0
GRAD_SPREAD_LIMIT = 3.0  # max/min gradient std across the tanh layers
DEAD_TICKS = 3  # consecutive stats records a neuron must stay dead before we say so
INITIAL_LOSS_MARGIN = 1.0  # nats above -log(1/vocab) that count as "far above"


@dataclass(frozen=True)
class Hint:
    """One rule of thumb that fired: the panel it sits beside and what to do about it."""

    panel: str  # saturation | gradients | update | map | loss
    text: str  # the full sentence: what is wrong, why it matters, the fix and its key
    short: str  # one short line for small panels


def layer_name(layer: Mapping) -> str:
    """A tanh layer as the lecture counts it: its position in the layer list."""
    return f"L{layer.get('index', '?')}"


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
        (layer_name(layer), layer["saturated_pct"])
        for layer in layers
        if _finite(layer.get("saturated_pct")) and layer["saturated_pct"] > limit
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
    stds = [(layer_name(layer), layer["grad_std"]) for layer in layers if _finite(layer.get("grad_std"))]
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
    high = {name: value for name, value in recent.items() if _finite(value) and value > UPDATE_TARGET_LOG10 + tolerance}
    low = {name: value for name, value in recent.items() if _finite(value) and value < UPDATE_TARGET_LOG10 - tolerance}
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
    stds = [(layer_name(layer), layer["std"]) for layer in layers if _finite(layer.get("std"))]
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
        (layer_name(layer), layer.get("dead") or 0)
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
    if not _finite(loss) or not vocab_size or vocab_size < 2:
        return []
    expected = expected_initial_loss(vocab_size)
    if loss <= expected + margin:
        return []
    text = (
        f"initial loss {loss:.2f} ≫ −log(1/{vocab_size}) = {expected:.2f}: the output layer is confidently wrong; "
        "scale the last layer down (×0.1) or lower the gain (g)"
    )
    return [Hint("loss", text, f"initial loss {loss:.1f} ≫ {expected:.1f} → shrink last layer / gain (g)")]


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
