"""A bounded (step, value) series for the view's plots (tui/state.py folds records into them)."""

from __future__ import annotations

import math

import numpy as np

MAX_POINTS = 400  # points kept per series; older points merge pairwise beyond this


class Series:
    """A bounded (step, value) series: when full, neighbouring points merge into their mean.

    Merging (rather than dropping) keeps it a windowed average, so a long run's loss curve
    is smoothed, not aliased, and memory stays fixed however long the run.
    """

    def __init__(self, max_points: int = MAX_POINTS):
        self.max_points = max(2, max_points - max_points % 2)
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.bucket = 1  # raw points per stored point
        self._sum_x = self._sum_y = 0.0
        self._count = 0

    def add(self, x: float, y: float | None) -> None:
        """Append a point; non-finite values (a diverged loss) are skipped."""
        if y is None or not math.isfinite(y):
            return
        self._sum_x += x
        self._sum_y += y
        self._count += 1
        if self._count < self.bucket:
            return
        self.xs.append(self._sum_x / self._count)
        self.ys.append(self._sum_y / self._count)
        self._sum_x = self._sum_y = 0.0
        self._count = 0
        if len(self.xs) >= self.max_points:
            self.xs = [(a + b) / 2 for a, b in zip(self.xs[0::2], self.xs[1::2])]
            self.ys = [(a + b) / 2 for a, b in zip(self.ys[0::2], self.ys[1::2])]
            self.bucket *= 2

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """Stored points plus the partial bucket, so the newest value always shows."""
        xs, ys = self.xs, self.ys
        if self._count:
            xs = xs + [self._sum_x / self._count]
            ys = ys + [self._sum_y / self._count]
        return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)

    def value_at(self, x: float) -> float | None:
        """The value of the last point at or before `x` (the first point if none is)."""
        xs, ys = self.points()
        if xs.size == 0:
            return None
        i = int(np.searchsorted(xs, x, side="right")) - 1
        return float(ys[max(i, 0)])

    def __len__(self) -> int:
        return len(self.xs) + (1 if self._count else 0)
