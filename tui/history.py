"""What the figures over time need, folded from one variant's stats records, in bounded memory.

- `LayerHistory`: each activation layer's histogram (of its output t, or of d loss / d t) over
  steps, the data of a heatmap with steps across and bins up. Columns merge pairwise when full,
  as `tui.state.Series` merges points, so a 200,000-step run holds at most `max_columns`
  columns of `layers × bins` counts however long it runs.
- `History`: both kinds, and the latest weight-gradient and hpreact histograms (stats records carry
  `params[i].grad_hist` and `layers[i].hpreact_hist` only every records.WEIGHT_HIST_EVERY-th time, at
  step 0, the last step and paused steps: the figures show the latest that has them, and say its step).

Histogram ranges change from record to record (gradients shrink as a run learns; a linear
activation widens its range), so a column keeps its counts on its own range and columns are
re-binned only when two merge (onto the range of both) and when drawn (onto the shown range).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from makemore_tui.core.values import is_number

MAX_COLUMNS = 256  # columns kept per layer history; a panel is at most ~200 cells wide


def rebin(counts: np.ndarray, lo: np.ndarray, hi: np.ndarray, new_lo, new_hi, bins: int) -> np.ndarray:
    """Counts on equal bins of [lo, hi] moved onto `bins` equal bins of [new_lo, new_hi], by bin centre.

    counts: (K, B); lo, hi: (K,); new_lo, new_hi: scalars or (K,). Returns (K, bins) float64; counts
    whose centre falls outside the new range go to its edge bins (as the recorded ones do).
    """
    counts = np.asarray(counts, dtype=float)
    K, B = counts.shape
    lo, hi = np.asarray(lo, dtype=float).reshape(K, 1), np.asarray(hi, dtype=float).reshape(K, 1)
    new_lo = np.broadcast_to(np.asarray(new_lo, dtype=float), (K,)).reshape(K, 1)
    new_hi = np.broadcast_to(np.asarray(new_hi, dtype=float), (K,)).reshape(K, 1)
    centres = lo + (np.arange(B) + 0.5) * (hi - lo) / B
    span = np.where(new_hi > new_lo, new_hi - new_lo, 1.0)
    index = np.clip(np.floor((centres - new_lo) / span * bins), 0, bins - 1).astype(np.int64)
    flat = (np.arange(K).reshape(K, 1) * bins + index).ravel()
    return np.bincount(flat, weights=counts.ravel(), minlength=K * bins).reshape(K, bins)


class LayerHistory:
    """Every layer's histogram of one kind (`hist` or `grad_hist`) over steps, bounded.

    Column k holds `counts[k]` (layers × bins) on per-layer ranges `lo[k]`, `hi[k]`, at the mean
    step of the records merged into it (`steps[k]`). New records gather `bucket` at a time into
    one column, so the columns stay evenly spaced in steps after every merge.
    """

    def __init__(self, key: str, max_columns: int = MAX_COLUMNS):
        self.key = key  # "hist" (the layer's output t) or "grad_hist" (d loss / d t)
        self.max_columns = max(2, max_columns - max_columns % 2)
        self.bucket = 1  # records per column
        self.steps: list[float] = []
        self.counts: list[np.ndarray] = []  # (layers, bins) each
        self.lo: list[np.ndarray] = []  # (layers,) each
        self.hi: list[np.ndarray] = []
        # the column being gathered: (sum of steps, counts, lo, hi, records)
        self._pending: tuple[float, np.ndarray, np.ndarray, np.ndarray, int] | None = None
        self.shape: tuple[int, int] | None = None  # (layers, bins) of the first record; others must match

    def add(self, stats: Mapping) -> None:
        """Fold one stats record in; a record without every layer's histogram (or of another shape) is skipped."""
        found = layer_counts(stats, self.key)
        if found is None:
            return
        counts, lo, hi = found
        if self.shape is None:
            self.shape = counts.shape
        if counts.shape != self.shape:
            return
        step = stats.get("step")
        step = float(step) if isinstance(step, int) and not isinstance(step, bool) else float(len(self))
        if self._pending is None:
            self._pending = (step, counts, lo, hi, 1)
        else:
            total, *merged = self._pending
            self._pending = (total + step, *merge(*merged[:3], counts, lo, hi), merged[3] + 1)
        if self._pending[4] >= self.bucket:
            total, counts, lo, hi, n = self._pending
            self._append(total / n, counts, lo, hi)
            self._pending = None

    def _append(self, step: float, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        self.steps.append(step)
        self.counts.append(counts)
        self.lo.append(lo)
        self.hi.append(hi)
        if len(self.steps) >= self.max_columns:
            self._halve()

    def _halve(self) -> None:
        """Merge neighbouring columns pairwise (one re-binning of every layer of every pair, vectorised)."""
        counts, lo, hi = np.stack(self.counts), np.stack(self.lo), np.stack(self.hi)
        merged, new_lo, new_hi = merge(counts[0::2], lo[0::2], hi[0::2], counts[1::2], lo[1::2], hi[1::2])
        self.steps = [(a + b) / 2 for a, b in zip(self.steps[0::2], self.steps[1::2])]
        self.counts, self.lo, self.hi = list(merged), list(new_lo), list(new_hi)
        self.bucket *= 2

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(steps (n,), counts (n, layers, bins), lo (n, layers), hi (n, layers)), the partial column last."""
        steps, counts, lo, hi = list(self.steps), list(self.counts), list(self.lo), list(self.hi)
        if self._pending is not None:
            total, pending, p_lo, p_hi, n = self._pending
            steps.append(total / n)
            counts.append(pending)
            lo.append(p_lo)
            hi.append(p_hi)
        if not steps:
            return np.zeros(0), np.zeros((0, 0, 0)), np.zeros((0, 0)), np.zeros((0, 0))
        return np.asarray(steps), np.stack(counts), np.stack(lo), np.stack(hi)

    def __len__(self) -> int:
        return len(self.steps) + (1 if self._pending is not None else 0)


def layer_counts(stats: Mapping, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(counts (layers, bins), lo (layers,), hi (layers,)) of every layer's `key` histogram in a stats
    record, as `core.records.layer_histogram` reads one (its lo/hi, an old log's edges, ±1 for `hist`,
    ±grad_range for `grad_hist`); None when one is missing or malformed.

    One array for all layers: a replay moving back refolds every record, and this runs twice per record.
    """
    hists = [layer.get(key) if isinstance(layer, Mapping) else None for layer in stats.get("layers") or []]
    if not hists or not all(isinstance(hist, Mapping) for hist in hists):
        return None
    try:
        counts = np.array([hist["counts"] for hist in hists], dtype=float)
    except (KeyError, TypeError, ValueError):
        return None
    if counts.ndim != 2 or not counts.shape[1] or not np.isfinite(counts).all() or (counts < 0).any():
        return None
    span = stats.get("grad_range", 1.0) if key == "grad_hist" else 1.0
    span = float(span) if is_number(span) and span > 0 else 1.0
    ranges = [_range(hist, span, counts.shape[1]) for hist in hists]
    if any(r is None for r in ranges):
        return None
    lo, hi = np.array(ranges).T
    return counts, lo, hi


def _range(hist: Mapping, span: float, bins: int) -> tuple[float, float] | None:
    edges = hist.get("edges")
    if edges is not None:  # logs written before lo/hi
        ok = isinstance(edges, list) and len(edges) == bins + 1 and is_number(edges[0]) and is_number(edges[-1])
        return (float(edges[0]), float(edges[-1])) if ok and edges[-1] > edges[0] else None
    if "lo" not in hist and "hi" not in hist:  # the common case: the record's default range
        return (-span, span)
    lo, hi = hist.get("lo", -span), hist.get("hi", span)
    return (float(lo), float(hi)) if is_number(lo) and is_number(hi) and hi > lo else None


def merge(counts_a, lo_a, hi_a, counts_b, lo_b, hi_b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two histograms (…, bins) per layer added on the range that holds both: (counts, lo, hi)."""
    counts_a, counts_b = np.asarray(counts_a, dtype=float), np.asarray(counts_b, dtype=float)
    if np.array_equal(lo_a, lo_b) and np.array_equal(hi_a, hi_b):  # tanh outputs: always on [-1, 1]
        return counts_a + counts_b, np.asarray(lo_a), np.asarray(hi_a)
    shape = counts_a.shape
    bins = shape[-1]
    lo, hi = np.minimum(lo_a, lo_b), np.maximum(hi_a, hi_b)
    flat = (-1, bins)
    a = rebin(counts_a.reshape(flat), np.ravel(lo_a), np.ravel(hi_a), np.ravel(lo), np.ravel(hi), bins)
    b = rebin(counts_b.reshape(flat), np.ravel(lo_b), np.ravel(hi_b), np.ravel(lo), np.ravel(hi), bins)
    return (a + b).reshape(shape), lo, hi


class History:
    """The figures over time of one variant: activation and gradient histories, latest weight histograms."""

    def __init__(self, max_columns: int = MAX_COLUMNS):
        self.activations = LayerHistory("hist", max_columns)
        self.gradients = LayerHistory("grad_hist", max_columns)
        self.weights: dict | None = None  # the latest stats record whose params carry `grad_hist`
        self.hpreacts: Mapping | None = None  # the latest stats record whose layers carry `hpreact_hist`

    def add(self, stats: Mapping) -> None:
        """Fold one stats record in (cheap: a few small numpy arrays per record)."""
        self.activations.add(stats)
        self.gradients.add(stats)
        if _carries(stats.get("params"), "grad_hist"):
            self.weights = {"step": stats.get("step"), "params": stats["params"]}
        if _carries(stats.get("layers"), "hpreact_hist"):
            self.hpreacts = stats


def _carries(entries, key: str) -> bool:
    """True when `entries` (a stats record's layers or params) is a list one of whose entries has `key`."""
    return isinstance(entries, list) and any(isinstance(entry, Mapping) and key in entry for entry in entries)
