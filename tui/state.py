"""What the screen shows, folded from records: the current run, the previous run, versions.

`ViewState.apply(records)` is the only way in. It is plain Python (no Textual), cheap per
record, bounded in memory (series are decimated to a fixed number of points), and tells
the caller which parts of the screen changed so only those are redrawn. Records are read
through the contract in core/records.py; a run holds one `VariantView` per variant (one in a
single run), and the run's own fields (step, speed, pause, end) are shared by its variants.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from makemore_tui.core.health import HealthJudge
from makemore_tui.core.hints import KEYS, LOOP, FixStyle, Hint, Topic
from makemore_tui.core.records import Event, problem, variant_of, variants_of
from makemore_tui.core.summary import RunsTable
from makemore_tui.core.values import is_number, number
from makemore_tui.tui.history import History
from makemore_tui.tui.series import MAX_POINTS, Series  # noqa: F401 (MAX_POINTS: the bound readers of the view rely on)

# Parts of the screen that redraw independently; each has a version counter.
STATUS, STATS, LOSS, SAMPLES, SATMAP = "status", "stats", "loss", "samples", "satmap"
ALL_PARTS = (STATUS, STATS, LOSS, SAMPLES, SATMAP)

MAX_EVALS = 200
ASKED_HOLD_SECONDS = 15.0  # names asked for with `s` stay up this long, beside newer scheduled ones
VARIANT_KEYS = "abcdefgh"  # a compare's variants by letter: legends, line ends, hints (NO_COLOR reads them)


@dataclass(frozen=True)
class AskedSamples:
    """Names sampled at the user's request (key s): held up a while, so a scheduled sample
    arriving a second later does not replace them before they are read."""

    names: tuple[str, ...]  # raw, as the record holds them (show through core.evaluate.shown_samples)
    cut: tuple[bool, ...]  # per name: cut at the length cap
    step: int
    until: float  # the view's clock time they stop being held


@dataclass
class VariantView:
    """Everything shown about one variant of a run (the whole of a single run)."""

    index: int
    label: str = ""
    config: dict = field(default_factory=dict)
    stats: dict | None = None  # the latest stats record
    stats_count: int = 0
    satmap: list | None = None  # latest per-layer bool arrays (live only)
    samples: list[str] = field(default_factory=list)
    samples_cut: list[bool] = field(default_factory=list)
    samples_step: int | None = None
    samples_asked: bool = False  # the latest samples were asked for with `s`
    asked: AskedSamples | None = None  # the latest asked-for samples, held up ASKED_HOLD_SECONDS
    evals: deque = field(default_factory=lambda: deque(maxlen=MAX_EVALS))  # (step, train, val)
    ended: dict | None = None  # its variant_end record, when it stopped before the run
    loss: float | None = None
    loss_series: Series = field(default_factory=Series)
    update_series: list[Series] = field(default_factory=list)  # per 2-D parameter
    saturation_series: list[Series] = field(default_factory=list)  # per activation layer
    update_median: Series = field(default_factory=Series)  # median weight's update:data (C left out), log10
    judge: HealthJudge | None = None
    history: History = field(default_factory=History)  # histograms over steps, latest weight histograms

    @property
    def key(self) -> str:
        """Its letter in a compare: a, b, c, … (legends and line ends name variants by it)."""
        return VARIANT_KEYS[self.index % len(VARIANT_KEYS)]

    @property
    def name(self) -> str:
        """Letter and label, `a gain 0.5`, as legends show it ("" for a single run's variant)."""
        return f"{self.key} {self.label}" if self.label else ""

    @property
    def hints(self) -> list[Hint]:
        """The rules of thumb that hold at the latest stats."""
        return self.judge.hints if self.judge is not None else []

    def apply_stats(self, record: Mapping) -> None:
        """Fold one stats record in: latest values, series, health hints."""
        step = _int(record.get("step"), 0)
        self.stats = dict(record)
        self.stats_count += 1
        if is_number(record.get("loss")):
            self.loss = record["loss"]
        loss = record.get("loss_window", record.get("loss"))
        if is_number(loss) and loss > 0:
            self.loss_series.add(step, math.log10(loss))
        layers = [layer for layer in record.get("layers") or [] if isinstance(layer, Mapping)]
        params = [param for param in record.get("params") or [] if isinstance(param, Mapping)]
        _grow(self.saturation_series, len(layers), Series)
        for series, layer in zip(self.saturation_series, layers):
            series.add(step, number(layer.get("saturated_pct")))
        _grow(self.update_series, len(params), Series)
        for series, param in zip(self.update_series, params):
            series.add(step, number(param.get("update_to_data_log10")))
        weights = [number(param.get("update_to_data_log10")) for param in params[1:]]  # C: sparse rows
        weights = [value for value in weights if value is not None]
        if weights:
            self.update_median.add(step, statistics.median(weights))
        if "_satmap" in record:
            self.satmap = record["_satmap"]
        if self.judge is not None:
            self.judge.observe(record)
        self.history.add(record)


@dataclass
class RunView:
    """Everything shown about one run: its shared state and its variants."""

    run: int
    config: dict = field(default_factory=dict)  # variant 0's config
    variants: list[VariantView] = field(default_factory=list)
    device: str = "?"
    engine: str | None = None
    vocab_size: int | None = None
    step: int = 0
    steps_per_sec: float | None = None
    training_speed: float | None = None  # steps/s last measured while training (not paused): a paused run's ETA
    lr: float | None = None  # variant 0's current learning rate
    paused: bool = False
    end: dict | None = None  # the run_end record once the run is over
    fix_style: FixStyle = KEYS  # how hints write their fixes: the app's keys (a replay: FLAGS)

    def __post_init__(self) -> None:
        if not self.variants:
            self.variants = [VariantView(0, config=self.config)]
        for variant in self.variants:
            variant.judge = HealthJudge(variant.config, self.vocab_size)

    def variant(self, index: int) -> VariantView:
        """Variant `index` (created on first sight for logs that never listed it)."""
        while len(self.variants) <= index:
            view = VariantView(len(self.variants), config=self.config)
            view.judge = HealthJudge(view.config, self.vocab_size)
            self.variants.append(view)
        return self.variants[index]

    def _style(self) -> FixStyle:
        """How the hints write their fixes: `fix_style` (a replay has no training keys), and in a compare
        "compared here" for the field it varies (its key is refused there)."""
        return self.fix_style.for_configs(
            [variant.config for variant in self.variants if isinstance(variant.config, dict)]
        )

    @property
    def compare(self) -> bool:
        """True for a compare run (more than one variant)."""
        return len(self.variants) > 1

    @property
    def stats_count(self) -> int:
        """Stats records so far, every variant's: 0 until the first statistics arrive."""
        return sum(variant.stats_count for variant in self.variants)

    @property
    def hints(self) -> list[Hint]:
        """Every variant's hints; in a compare each says which variants it holds for
        (`a gain 0.5, d gain 3: …`), a hint that holds for several said once."""
        style = self._style()
        if not self.compare:
            return [hint.written(style) for hint in self.variants[0].hints]
        # hints that read the same here are said once (a and b's gain fixes differ in presses, which a
        # compare of the gain does not write)
        holders: dict[tuple[str, str, str], tuple[Hint, list[VariantView]]] = {}
        for variant in self.variants:
            for hint in variant.hints:
                written = hint.written(style)
                holders.setdefault((written.rule, written.text, written.short), (written, []))[1].append(variant)
        hints = []
        for hint, variants in holders.values():
            if len(variants) == len(self.variants):
                who = "every variant"
            elif len(variants) == 1:
                who = variants[0].name
            else:
                who = ", ".join(variant.key for variant in variants)
            hints.append(hint.held_by(who))
        return hints

    def hints_for(self, topic: Topic) -> list[Hint]:
        """The live hints that belong beside the panel of `topic`."""
        return [hint for hint in self.hints if hint.topic == topic]

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


class ViewState:
    """The current and previous runs, and a version counter per part of the screen."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, fix_style: FixStyle = KEYS) -> None:
        """`fix_style`: how hints write their fixes (core.hints); a replay's name the flags (FLAGS)."""
        self.fix_style = fix_style
        self.current: RunView | None = None
        self.previous: RunView | None = None  # the faint A/B reference after a rerun
        self.versions: dict[str, int] = dict.fromkeys(ALL_PARTS, 0)
        self.skipped = 0  # records that broke the contract (core.records.problem) and were left out
        self.runs = RunsTable()  # every run and variant seen, one row each (the runs panel)
        self.clock = clock  # seconds, for how long asked-for samples stay up
        # What the user chose to look at in a compare (keys v and l); panels key their drawing on these.
        self.shown_variant = 0  # the variant the one-variant panels (map, samples) show
        self.hist_layer: int | None = None  # the layer the histograms' small multiples show (None: the last)
        self.hist_shared_y = False  # the small multiples share one y scale (key y), else each has its own

    def variant_shown(self) -> VariantView | None:
        """The current run's variant a panel shows of it: a single run's only variant; in a compare the
        one key v chose (the one-variant panels: map, samples, history, weights). None before a run."""
        run = self.current
        if run is None:
            return None
        return run.variants[self.shown_variant % len(run.variants)]

    def previous_shown(self) -> VariantView | None:
        """The previous run's first variant: the faint A/B reference a single run is drawn against
        (its loss, saturation bars and samples). None before a rerun."""
        return self.previous.variants[0] if self.previous is not None else None

    def release_asked(self) -> set[str]:
        """Let asked-for samples go once held long enough; the parts that changed (the app calls it each tick)."""
        run = self.current
        now = self.clock()
        released = False
        for variant in run.variants if run is not None else []:
            if variant.asked is not None and now >= variant.asked.until:
                variant.asked = None
                released = True
        if not released:
            return set()
        self.versions[SAMPLES] += 1
        return {SAMPLES}

    def reset(self) -> set[str]:
        """Forget every run (replay moving back); versions move on so every part redraws."""
        self.current = None
        self.previous = None
        self.skipped = 0
        self.runs = RunsTable()
        for part in ALL_PARTS:
            self.versions[part] += 1
        return set(ALL_PARTS)

    def apply(self, records: Iterable[dict]) -> set[str]:
        """Fold records in, oldest first; return the parts of the screen that changed."""
        changed: set[str] = set()
        for record in records:
            if problem(record) is not None:
                self.skipped += 1
                continue
            changed |= self._apply_one(record)
            self.runs.apply(record)
        for part in changed:
            self.versions[part] += 1
        return changed

    def _run_for(self, record: Mapping) -> RunView:
        run = _int(record.get("run"), self.current.run if self.current else 1)
        if self.current is None or self.current.run != run:
            self._start(RunView(run=run, fix_style=self.fix_style))
        return self.current

    def _start(self, view: RunView) -> None:
        if self.current is not None and self.current.stats_count:
            self.previous = self.current
        self.current = view

    def _apply_one(self, record: Mapping) -> set[str]:
        event = record.get("event")
        handler = _HANDLERS.get(event)
        if handler is None:
            return set()  # unknown events are ignored: newer logs open in older viewers
        if event == Event.RUN_START:
            return handler(self, record)
        if event == Event.SAMPLES:
            return handler(self._run_for(record), record, self.clock())
        return handler(self._run_for(record), record)

    def _on_run_start(self, record: Mapping) -> set[str]:
        run = _int(record.get("run"), (self.current.run + 1) if self.current else 1)
        config = record.get("config") if isinstance(record.get("config"), dict) else {}
        vocab = record.get("vocab")
        variants = [
            VariantView(k, label=v["label"], config=v["config"] or config) for k, v in enumerate(variants_of(record))
        ]
        view = RunView(
            run=run,
            config=config,
            variants=variants,
            device=str(record.get("device", "?")),
            engine=record.get("engine"),
            vocab_size=len(vocab) if isinstance(vocab, str) else None,
            lr=number(config.get("lr")),
            fix_style=LOOP if record.get("engine") == "monitor" else self.fix_style,  # the user's own loop
        )
        if self.current is not None and self.current.run == run and not self.current.stats_count:
            self.current = view  # a repeated start of the same empty run: replace it
        else:
            self._start(view)
        return set(ALL_PARTS)


def _on_stats(run: RunView, record: Mapping) -> set[str]:
    variant = run.variant(variant_of(record))
    variant.apply_stats(record)
    run.step = max(run.step, _int(record.get("step"), run.step))
    if variant.index == 0 and is_number(record.get("lr")):
        run.lr = record["lr"]
    return {STATUS, STATS, LOSS} | ({SATMAP} if "_satmap" in record else set())


def _on_progress(run: RunView, record: Mapping) -> set[str]:
    run.step = max(run.step, _int(record.get("step"), run.step))
    if is_number(record.get("steps_per_sec")):
        run.steps_per_sec = record["steps_per_sec"]
        if not run.paused:
            run.training_speed = record["steps_per_sec"]
    losses = record.get("losses") if isinstance(record.get("losses"), list) else [record.get("loss")]
    for variant, loss in zip(run.variants, losses):
        if is_number(loss):
            variant.loss = loss
    return {STATUS}


def _on_state(run: RunView, record: Mapping) -> set[str]:
    if isinstance(record.get("paused"), bool):
        run.paused = record["paused"]
        if run.paused:
            run.steps_per_sec = None
    if is_number(record.get("lr")):
        run.lr = record["lr"]
    run.step = max(run.step, _int(record.get("step"), run.step))
    return {STATUS}


def _on_eval(run: RunView, record: Mapping) -> set[str]:
    variant = run.variant(variant_of(record))
    variant.evals.append((_int(record.get("step"), run.step), number(record.get("train")), number(record.get("val"))))
    return {STATUS, LOSS}


def _on_samples(run: RunView, record: Mapping, now: float) -> set[str]:
    variant = run.variant(variant_of(record))
    names = record.get("names") or []
    cut = record.get("cut") if isinstance(record.get("cut"), list) else []
    variant.samples = [str(name) for name in names]
    variant.samples_cut = [c is True for c in cut[: len(names)]] + [False] * max(len(names) - len(cut), 0)
    variant.samples_step = _int(record.get("step"), run.step)
    variant.samples_asked = record.get("asked") is True
    if variant.samples_asked:
        variant.asked = AskedSamples(
            tuple(variant.samples), tuple(variant.samples_cut), variant.samples_step, now + ASKED_HOLD_SECONDS
        )
    return {SAMPLES}


def _on_variant_end(run: RunView, record: Mapping) -> set[str]:
    run.variant(variant_of(record)).ended = dict(record)
    return {STATUS, STATS, LOSS}


def _on_run_end(run: RunView, record: Mapping) -> set[str]:
    run.end = dict(record)
    run.paused = False
    run.step = max(run.step, _int(record.get("step"), run.step))
    if is_number(record.get("steps_per_sec")):
        run.steps_per_sec = record["steps_per_sec"]
    return {STATUS, LOSS}


_HANDLERS = {
    Event.RUN_START: ViewState._on_run_start,
    Event.STATS: _on_stats,
    Event.PROGRESS: _on_progress,
    Event.STATE: _on_state,
    Event.EVAL: _on_eval,
    Event.SAMPLES: _on_samples,
    Event.VARIANT_END: _on_variant_end,
    Event.RUN_END: _on_run_end,
}


def _grow(items: list, size: int, make) -> None:
    while len(items) < size:
        items.append(make())


def _int(value, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
