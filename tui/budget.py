"""The redraw budget: how often data may repaint a widget while a trainer shares the process.

Every millisecond the UI thread holds the GIL is taken from the trainer thread (DESIGN §5;
measured: training loses about twice the UI thread's share of a core). So data-driven repaints
of one widget are spaced by an interval that starts at the fastest and backs off while the UI
thread uses more than its share of a core, and comes back down when it uses less. Keys, run
starts and ends repaint at once (`force`), whatever the interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

REDRAW_INTERVAL = (0.5, 2.0)  # seconds between data repaints of one widget: fastest, slowest
UI_CPU_BUDGET = 0.03  # share of one core the UI thread aims to stay under while training
BUDGET_WINDOW = 2.0  # seconds over which that share is measured
BACK_OFF = 1.5  # the interval's factor per window over budget (and its divisor under half of it)


class RedrawBudget:
    """Which changed widgets may repaint now, with the interval kept to a CPU budget.

    `wall` is a monotonic clock and `cpu` the UI thread's CPU clock, both in seconds (the
    defaults are `time.monotonic` and `time.thread_time`; tests pass their own).
    """

    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.monotonic,
        cpu: Callable[[], float] = time.thread_time,
        intervals: tuple[float, float] = REDRAW_INTERVAL,
        share: float = UI_CPU_BUDGET,
        window: float = BUDGET_WINDOW,
    ):
        self.wall, self.cpu = wall, cpu
        self.low, self.high = intervals
        self.share = share
        self.window = window
        self.interval = self.low  # seconds between data repaints of one widget, now
        self._window_start = (wall(), cpu())
        self._dirty: set[Hashable] = set()
        self._painted: dict[Hashable, float] = {}  # item -> wall time of its last repaint

    def measure(self) -> float | None:
        """Close the measuring window once it is long enough: back off over budget, speed up
        under half of it. Returns the share of a core used in the window closed, else None."""
        now, cpu = self.wall(), self.cpu()
        started, cpu_started = self._window_start
        if now - started < self.window:
            return None
        used = (cpu - cpu_started) / (now - started)
        if used > self.share:
            self.interval = min(self.interval * BACK_OFF, self.high)
        elif used < self.share / 2:
            self.interval = max(self.interval / BACK_OFF, self.low)
        self._window_start = (now, cpu)
        return used

    def mark(self, item: Hashable) -> None:
        """`item` has new data to show."""
        self._dirty.add(item)

    def due(self, force: bool = False) -> list:
        """The marked items to repaint now: each at most once per interval, all of them with
        `force`. They are unmarked and their repaint time is kept."""
        now = self.wall()
        ready = [item for item in self._dirty if force or now - self._painted.get(item, float("-inf")) >= self.interval]
        for item in ready:
            self._dirty.discard(item)
            self._painted[item] = now
        return ready
