"""Numbers and histograms as records carry them: finite or None, rounded for the log, bins from counts.

Records (core/records.py) hold plain numbers: a value that is not finite is `None` (undefined),
never NaN or ±inf. Histograms are integer counts over equal bins spanning [lo, hi], with the
bounds left out when they are −1 and 1 (tanh outputs), and a stats record's layer-gradient
histograms share one `grad_range`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def is_number(value: Any) -> bool:
    """True for a finite int or float (not a bool): a number a reader can plot or compare."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number(value: Any) -> float | None:
    """`value` as a float when it is a finite number, else None (undefined)."""
    return float(value) if is_number(value) else None


SIGNIFICANT_DIGITS = 5  # statistics in the run log: more than any figure shows, and a compact log


def rounded(value: float | None, digits: int = SIGNIFICANT_DIGITS) -> float | None:
    """A finite float to `digits` significant digits; NaN and ±inf become None."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def float32(value: float | None) -> float | None:
    """A float32 value (a loss) in the fewest digits that give back the same float32; None if not finite.

    Lossless: `numpy.float32(float32(x)) == numpy.float32(x)`, so records keep losses bit for bit.
    """
    if value is None or not math.isfinite(value):
        return None
    return float(str(np.float32(value)))


def histogram(lo: float, hi: float, counts) -> dict:
    """A histogram record of integer `counts` over equal bins spanning [lo, hi] (±1 left implicit)."""
    if lo == -1.0 and hi == 1.0:
        return dict(counts=[int(c) for c in counts])
    return dict(lo=float(lo), hi=float(hi), counts=[int(c) for c in counts])


def histogram_edges(hist: Mapping, lo: float = -1.0, hi: float = 1.0) -> np.ndarray | None:
    """The bin edges of a histogram record: its `lo`/`hi` (absent: the `lo`/`hi` given), or an old log's `edges`.

    None when malformed. For a layer's histograms use `layer_histogram`, which knows the defaults.
    """
    counts = hist.get("counts")
    if not isinstance(counts, list) or not counts:
        return None
    edges = hist.get("edges")
    if edges is not None:
        if isinstance(edges, list) and len(edges) == len(counts) + 1 and all(is_number(e) for e in edges):
            return np.asarray(edges, dtype=float)
        return None
    lo, hi = hist.get("lo", lo), hist.get("hi", hi)
    if is_number(lo) and is_number(hi) and hi > lo:
        return np.linspace(float(lo), float(hi), len(counts) + 1)
    return None


def layer_histogram(stats: Mapping, layer: Mapping, key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(edges, counts) of a layer's `hist` or `grad_hist` in a stats record; None when absent or malformed."""
    hist = layer.get(key)
    if not isinstance(hist, Mapping):
        return None
    span = stats.get("grad_range") if key == "grad_hist" else 1.0
    span = float(span) if is_number(span) and span > 0 else 1.0
    edges = histogram_edges(hist, -span, span)
    if edges is None or not all(isinstance(c, int) and not isinstance(c, bool) for c in hist["counts"]):
        return None
    return edges, np.asarray(hist["counts"], dtype=float)


def forward_gains(stats: Mapping) -> list[float | None]:
    """Each activation layer's forward gain, std(output) / std(input), from a stats record.

    Layer 1's input is the embedding (`input_std`), layer k's the output of layer k − 1.
    None where a std is missing or zero (records written before `input_std` have no layer-1 gain).
    """
    stds = [layer.get("std") if isinstance(layer, Mapping) else None for layer in stats.get("layers") or []]
    inputs = [stats.get("input_std"), *stds[:-1]]
    return [out / inp if is_number(out) and is_number(inp) and inp > 0 else None for out, inp in zip(stds, inputs)]


# Each event's record type, for readers and for the test that checks a real run log.
