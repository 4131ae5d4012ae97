"""What feeds the app records, and what the user can do with it: a live trainer or a recorded log.

The app asks its feed for the records since the last tick (`poll`) and hands it what a key asks
(`send`); which keys mean something is the registry's rule over the feed's `capabilities`
(tui/registry.py). It never asks which kind of feed it has.
`LiveFeed` wraps the trainer thread and its channel; `ReplayFeed` (tui/replay.py) a run log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from makemore_tui.core import wording
from makemore_tui.core.channel import RecordChannel
from makemore_tui.core.commands import Command, Evaluate, Pause, Quit, Rerun, Resume, Sample, ScaleLr, StepOnce
from makemore_tui.core.compare import Variant, compared_fields, single
from makemore_tui.core.config import TrainConfig, lecture_data_note
from makemore_tui.core.records import Event, ExitCode, exit_code_for
from makemore_tui.tui.capabilities import LIVE, NO_CURSOR, Capabilities


class Refused(Exception):
    """A key the feed will not act on now; str() is one line for the status line saying why."""


@dataclass(frozen=True)
class TogglePause:
    """space: pause or resume training; play or pause a replay."""


@dataclass(frozen=True)
class Seek:
    """Move a replay's cursor by `delta` statistics records."""

    delta: int


@dataclass(frozen=True)
class SeekTo:
    """Move a replay's cursor to its first (`"start"`) or last (`"end"`) statistics record."""

    where: str


@dataclass(frozen=True)
class SeekRun:
    """Move a replay's cursor to the end of the run `delta` runs away (−1: the previous run)."""

    delta: int


@dataclass(frozen=True)
class SeekStep:
    """Move a replay's cursor to the last statistics record at or before `step` of run `run`
    (None: the run at the cursor); with `percent`, that share of the steps the run recorded."""

    step: int
    run: int | None = None
    percent: float | None = None


@dataclass(frozen=True)
class PlaySpeed:
    """Multiply a replay's playing speed by `factor` (2: twice as fast, 0.5: half)."""

    factor: float


@dataclass(frozen=True)
class StopTraining:
    """X in a followed log: ask the writer's training to stop (a headless run ends with reason stopped; a loop
    watched by Monitor sees `monitor.stop_requested` and ends where it checks it)."""


FeedCommand = Command | TogglePause | Seek | SeekTo | SeekRun | SeekStep | PlaySpeed | StopTraining


class Batch(NamedTuple):
    """Records handed to the app by one poll."""

    records: list[dict]
    reset: bool = False  # forget every run before applying them (a replay moved back)


class Feed(Protocol):
    """A source of records for the app, and the actions it takes."""

    recording: bool  # records of a past run (no ETA, nothing announced), not of one training now
    shares_cpu: bool  # records come from a trainer thread in this process: repaints keep to a budget
    greeting: str  # said in the status line when the app opens ("" for nothing)
    capabilities: Capabilities  # what its keys can do: the registry's rules read it (tui/registry.py)
    config: TrainConfig | None  # the config the next rerun trains (None: nothing to rerun); a compare's variant 0
    variants: list[Variant]  # what the next rerun trains: one variant, or a compare's ([]: nothing to rerun)
    log_path: Path | None  # the run log written (live) or read (replay); screenshots go beside it

    def poll(self) -> Batch:
        """The records since the last poll, oldest first."""

    def send(self, command: FeedCommand) -> str:
        """Act on a key; return the feedback to show. Raises Refused (or ConfigError) with why not."""

    def describe(self) -> str:
        """The feed's part of the status line ("" for nothing)."""

    def close(self) -> None:
        """Stop the source (after the app has exited)."""

    def exit_code(self) -> ExitCode:
        """The process exit code for what the app showed last."""


class LiveFeed:
    """A trainer thread in this process: its records through the channel, keys as commands.

    It holds what the next rerun trains (`variants`: one, or a compare's) and watches its own
    records for what the keys need: whether the run is paused (as the last space asked, until a
    `state` record says) and whether it has ended. A rerun it sent is on its way until the new run's
    `run_start`: the old run's `run_end` then says neither "over" nor "not paused" (a paused rerun
    takes `n` and space at once, and b, g, r keep it paused).
    """

    recording = False
    shares_cpu = True
    greeting = ""
    capabilities = LIVE

    def __init__(self, trainer, channel: RecordChannel):
        self.trainer = trainer  # core.trainer.Trainer (send, close, variants) or a stand-in
        self.channel = channel
        # the next rerun's variants; b, g, +, - and the compare picker change them
        self.variants: list[Variant] = list(getattr(trainer, "variants", None) or single(trainer.config))
        run_log = getattr(trainer, "run_log", None)  # read now: the trainer drops it if a write fails
        self.log_path: Path | None = getattr(run_log, "path", None)
        # a trainer started paused (--paused) takes n before its first record arrives
        self.paused = bool(getattr(trainer, "start_paused", False))
        self.end: dict | None = None  # the latest run's run_end, once it has ended
        self._starts: list[bool] = []  # per rerun sent and not yet started: whether it starts paused
        # --preset lecture on the built-in names cannot show the notebook's numbers: say so at once
        self.greeting = lecture_data_note(self.config, short=True) or ""

    @property
    def config(self) -> TrainConfig:
        """Variant 0's config: a single run's whole config (keys that change one field read it)."""
        return self.variants[0].config

    @property
    def compare(self) -> bool:
        """True while the runs are compares (more than one variant)."""
        return len(self.variants) > 1

    def poll(self) -> Batch:
        records = self.channel.drain()
        for record in records:
            event = record.get("event")
            if event == Event.RUN_START:
                self.paused, self.end = self._starts.pop(0) if self._starts else self.paused, None
            elif event == Event.STATE and isinstance(record.get("paused"), bool):
                self.paused = record["paused"]
            elif event == Event.RUN_END and self._starts:
                self.paused = self._starts[0]  # the run a rerun replaces: the next one starts as asked
            elif event == Event.RUN_END:
                self.paused, self.end = False, record
        return Batch(records)

    def send(self, command: FeedCommand) -> str:
        if isinstance(command, TogglePause):
            if self.end is not None:
                raise Refused("the run is over · r reruns")
            command = Resume() if self.paused else Pause()
        if isinstance(command, (Seek, SeekTo, SeekRun, SeekStep, PlaySpeed)):
            raise Refused(NO_CURSOR)
        if isinstance(command, StepOnce) and not self.paused:
            raise Refused("n steps once while paused: press space first")
        variants = self._variants_after(command)  # before sending: a bad config raises ConfigError
        self.trainer.send(command)
        self.variants = variants
        if isinstance(command, (Pause, Resume)):
            self.paused = isinstance(command, Pause)
        elif isinstance(command, Rerun):
            self.paused = command.paused
            self.end = None
            self._starts.append(command.paused)
        return self._feedback(command)

    def _variants_after(self, command: Command) -> list[Variant]:
        if isinstance(command, Rerun):
            return command.variants_after(self.variants)
        if isinstance(command, ScaleLr):  # kept for reruns, every variant's
            return scaled_lr(self.variants, command.factor)
        return self.variants

    def _feedback(self, command: Command) -> str:
        if isinstance(command, ScaleLr):
            factor = command.factor
            rates = " · ".join(dict.fromkeys(f"{variant.config.lr:.3g}" for variant in self.variants))  # once if shared
            return f"lr {'×' if factor >= 1 else '÷'}{max(factor, 1 / factor):g} → {rates}"
        if isinstance(command, Rerun):
            paused = " paused at step 0" if command.paused else ""
            return f"rerunning{paused}…" if len(self.variants) == 1 else f"comparing {len(self.variants)}{paused}…"
        return {
            Pause: "pausing… (n steps once)",
            Resume: "resuming…",
            StepOnce: "one step…",
            Evaluate: "evaluating train/val…",
            Sample: "sampling names…",
            Quit: "quitting…",
        }[type(command)]

    def describe(self) -> str:
        return ""

    def close(self) -> None:
        """Ask the trainer to stop, without waiting: the command line waits for its run_end within the quit's
        deadline and seals the log if it does not come (tui/cli.py, tui/lifecycle.py)."""
        self.trainer.close(timeout=0.0)

    def exit_code(self) -> ExitCode:
        # No run_end seen: the user quit mid-run.
        return ExitCode.OK if self.end is None else exit_code_for(self.end)


def scaled_lr(variants: list[Variant], factor: float) -> list[Variant]:
    """Every variant's lr times `factor`; a compare of lr keeps its labels true (`lr 0.1` → `lr 0.2`)."""
    relabel = "lr" in compared_fields(variants)
    scaled = []
    for variant in variants:
        config = variant.config.replace(lr=variant.config.lr * factor)
        label = variant.label
        if relabel:
            old, new = wording.label("lr", variant.config.lr), wording.label("lr", config.lr)
            label = label.replace(old, new)
        scaled.append(Variant(label, config))
    return scaled
