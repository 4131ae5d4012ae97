"""What the screen shows, folded from records: the current run, the previous run, versions.

`ViewState.apply(records)` is the only way in. It is plain Python (no Textual), cheap per
record, bounded in memory (series are decimated to a fixed number of points), and tells
the caller which parts of the screen changed so only those are redrawn.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from core.config import format_gain
from tui import health

# Parts of the screen that redraw independently; each has a version counter.
STATUS, STATS, LOSS, SAMPLES, SATMAP = "status", "stats", "loss", "samples", "satmap"
ALL_PARTS = (STATUS, STATS, LOSS, SAMPLES, SATMAP)

MAX_POINTS = 400  # points kept per series; older points merge pairwise beyond this
MAX_EVALS = 200
UPDATE_HINT_POINTS = 5  # stats records averaged before judging update:data


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


def param_names(params: list[dict]) -> list[str]:
    """Names for the 2-D parameters: C for the embedding (first), then W1, W2, … in order."""
    return ["C" if i == 0 else f"W{i}" for i in range(len(params))]


@dataclass
class RunView:
    """Everything shown about one run."""

    run: int
    config: dict = field(default_factory=dict)
    device: str = "?"
    engine: str | None = None
    vocab_size: int | None = None
    step: int = 0
    steps_per_sec: float | None = None
    loss: float | None = None
    lr: float | None = None
    paused: bool = False
    stats: dict | None = None  # the latest stats record
    stats_count: int = 0
    satmap: list | None = None  # latest per-layer bool arrays (live only)
    samples: list[str] = field(default_factory=list)
    samples_step: int | None = None
    evals: deque = field(default_factory=lambda: deque(maxlen=MAX_EVALS))  # (step, train, val)
    end: dict | None = None  # the run_end record once the run is over
    initial_loss: float | None = None
    loss_series: Series = field(default_factory=Series)
    update_series: list[Series] = field(default_factory=list)  # per 2-D parameter
    saturation_series: list[Series] = field(default_factory=list)  # per tanh layer
    recent_updates: list[deque] = field(default_factory=list)
    dead_streaks: dict = field(default_factory=dict)
    hints: list[health.Hint] = field(default_factory=list)

    @property
    def total_steps(self) -> int | None:
        """Steps the run will take, from its config."""
        steps = self.config.get("steps")
        return steps if isinstance(steps, int) and steps > 0 else None

    @property
    def batchnorm(self) -> bool | None:
        """Whether the run uses BatchNorm (None when unknown)."""
        return self.config.get("batchnorm")

    @property
    def running(self) -> bool:
        """True until the run's run_end arrives."""
        return self.end is None

    def eta_seconds(self) -> float | None:
        """Seconds left at the current speed; None when unknown or not training."""
        total = self.total_steps
        if total is None or not self.steps_per_sec or self.paused or self.end is not None:
            return None
        return max(total - self.step, 0) / self.steps_per_sec

    def hints_for(self, panel: str) -> list[health.Hint]:
        """The live hints that belong beside `panel`."""
        return [hint for hint in self.hints if hint.panel == panel]

    def apply_stats(self, record: dict) -> None:
        """Fold one stats record in: latest values, series, health hints."""
        step = _int(record.get("step"), self.step)
        self.stats = record
        self.stats_count += 1
        self.step = max(self.step, step)
        if _finite(record.get("lr")):
            self.lr = record["lr"]
        loss = record.get("loss_window", record.get("loss"))
        if _finite(record.get("loss")):
            self.loss = record["loss"]
        if _finite(loss) and loss > 0:
            self.loss_series.add(step, math.log10(loss))
        if self.initial_loss is None and step == 0 and _finite(record.get("loss")):
            self.initial_loss = record["loss"]
        layers = record.get("layers") or []
        params = record.get("params") or []
        _grow(self.saturation_series, len(layers), Series)
        for series, layer in zip(self.saturation_series, layers):
            series.add(step, layer.get("saturated_pct"))
        _grow(self.update_series, len(params), Series)
        _grow(self.recent_updates, len(params), lambda: deque(maxlen=UPDATE_HINT_POINTS))
        for series, recent, param in zip(self.update_series, self.recent_updates, params):
            value = param.get("update_to_data_log10")
            series.add(step, value)
            if _finite(value):
                recent.append(value)
        if "_satmap" in record:
            self.satmap = record["_satmap"]
        self.dead_streaks = health.next_dead_streaks(self.dead_streaks, layers)
        self.hints = self._judge(layers, params)

    def _judge(self, layers: list, params: list) -> list[health.Hint]:
        names = param_names(params)
        recent = {
            name: sum(values) / len(values)
            for name, values in zip(names, self.recent_updates)
            if len(values) == UPDATE_HINT_POINTS
        }
        return [
            *health.saturation_hints(layers, self.batchnorm),
            *health.activation_depth_hints(layers, self.batchnorm),
            *health.gradient_depth_hints(layers, self.batchnorm),
            *health.update_ratio_hints(recent),
            *health.dead_neuron_hints(self.dead_streaks, layers, self.batchnorm),
            *health.initial_loss_hints(self.initial_loss, self.vocab_size),
        ]


class ViewState:
    """The current and previous runs, and a version counter per part of the screen."""

    def __init__(self) -> None:
        self.current: RunView | None = None
        self.previous: RunView | None = None  # the faint A/B reference after a rerun
        self.versions: dict[str, int] = dict.fromkeys(ALL_PARTS, 0)
        self.records_seen = 0

    def reset(self) -> set[str]:
        """Forget every run (replay moving back); versions move on so every part redraws."""
        self.current = None
        self.previous = None
        self.records_seen = 0
        for part in ALL_PARTS:
            self.versions[part] += 1
        return set(ALL_PARTS)

    def apply(self, records: Iterable[dict]) -> set[str]:
        """Fold records in, oldest first; return the parts of the screen that changed."""
        changed: set[str] = set()
        for record in records:
            changed |= self._apply_one(record)
            self.records_seen += 1
        for part in changed:
            self.versions[part] += 1
        return changed

    def _run_for(self, record: dict) -> RunView:
        run = _int(record.get("run"), self.current.run if self.current else 1)
        if self.current is None or self.current.run != run:
            self._start(RunView(run=run))
        return self.current

    def _start(self, view: RunView) -> None:
        if self.current is not None and self.current.stats_count:
            self.previous = self.current
        self.current = view

    def _apply_one(self, record: dict) -> set[str]:
        event = record.get("event") if isinstance(record, dict) else None
        if event == "run_start":
            run = _int(record.get("run"), (self.current.run + 1) if self.current else 1)
            config = record.get("config") if isinstance(record.get("config"), dict) else {}
            view = RunView(run=run, config=config, device=str(record.get("device", "?")), engine=record.get("engine"))
            vocab = record.get("vocab")
            view.vocab_size = len(vocab) if isinstance(vocab, str) else (vocab if isinstance(vocab, int) else None)
            view.lr = config.get("lr") if _finite(config.get("lr")) else None
            if self.current is not None and self.current.run == run and not self.current.stats_count:
                self.current = view  # a repeated start of the same empty run: replace it
            else:
                self._start(view)
            return set(ALL_PARTS)
        if event == "stats":
            view = self._run_for(record)
            view.apply_stats(record)
            changed = {STATUS, STATS, LOSS}
            if "_satmap" in record:
                changed.add(SATMAP)
            return changed
        if event == "progress":
            view = self._run_for(record)
            view.step = max(view.step, _int(record.get("step"), view.step))
            if _finite(record.get("steps_per_sec")):
                view.steps_per_sec = record["steps_per_sec"]
            if _finite(record.get("loss")):
                view.loss = record["loss"]
            return {STATUS}
        if event == "state":
            view = self._run_for(record)
            if isinstance(record.get("paused"), bool):
                view.paused = record["paused"]
                if view.paused:
                    view.steps_per_sec = None
            if _finite(record.get("lr")):
                view.lr = record["lr"]
            view.step = max(view.step, _int(record.get("step"), view.step))
            return {STATUS}
        if event == "eval":
            view = self._run_for(record)
            view.evals.append(
                (_int(record.get("step"), view.step), _float(record.get("train")), _float(record.get("val")))
            )
            return {STATUS, LOSS}
        if event == "samples":
            view = self._run_for(record)
            names = record.get("names")
            view.samples = [str(name) for name in names] if isinstance(names, list) else []
            view.samples_step = _int(record.get("step"), view.step)
            return {SAMPLES}
        if event == "run_end":
            view = self._run_for(record)
            view.end = record
            view.paused = False
            view.step = max(view.step, _int(record.get("step"), view.step))
            if _finite(record.get("steps_per_sec")):
                view.steps_per_sec = record["steps_per_sec"]
            return {STATUS, LOSS}
        return set()  # unknown events are ignored: newer logs open in older viewers


def config_tag(config: dict) -> str:
    """The A/B-relevant part of a config, short: (BN, g 5/3)."""
    parts = []
    if isinstance(config.get("batchnorm"), bool):
        parts.append("BN" if config["batchnorm"] else "no BN")
    if _finite(config.get("gain")):
        parts.append(f"g {format_gain(config['gain'])}")
    return f"({', '.join(parts)})" if parts else ""


def config_line(config: dict, lr: float | None = None) -> str:
    """The run's config in one line, as the status bar shows it; `lr` is the live rate."""
    parts = []
    if isinstance(config.get("batchnorm"), bool):
        parts.append("BN on" if config["batchnorm"] else "BN off")
    if _finite(config.get("gain")):
        parts.append(f"gain {format_gain(config['gain'])}")
    rate = lr if _finite(lr) else config.get("lr")
    if _finite(rate):
        parts.append(f"lr {rate:.3g}")
    if isinstance(config.get("depth"), int) and isinstance(config.get("hidden"), int):
        parts.append(f"{config['depth']}×{config['hidden']} tanh")
    if isinstance(config.get("batch_size"), int):
        parts.append(f"batch {config['batch_size']}")
    return " · ".join(parts)


def _grow(items: list, size: int, make) -> None:
    while len(items) < size:
        items.append(make())


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _int(value, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _float(value) -> float | None:
    return float(value) if _finite(value) else None
