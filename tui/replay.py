"""A recorded run log as the app's feed: a cursor over its statistics records.

Navigation: a record at a time (←/→, pgup/pgdn), the first and last (home/end), a run at a time
([/]: each run's end, as the log opens at its end), a step typed at the `:` prompt, and play
(space) at a speed `<`/`>` halve and double.
"""

from __future__ import annotations

import bisect
from fractions import Fraction
from pathlib import Path

from makemore_tui.core.commands import Quit
from makemore_tui.core.records import Event, ExitCode
from makemore_tui.core.runlog import load_run_log
from makemore_tui.tui.feed import (
    Batch,
    FeedCommand,
    FeedKeys,
    PlaySpeed,
    Refused,
    Seek,
    SeekRun,
    SeekStep,
    SeekTo,
    TogglePause,
)

PLAY_TICKS = 240  # at 1× a replay plays through in about this many UI ticks (a minute at 4 Hz)
SPEEDS = (Fraction(1, 8), Fraction(64))  # the slowest and fastest playing speed, × the 1× pace
REPLAY_KEYS = [
    ("← / →", "previous / next statistics record"),
    ("pgup / pgdn", "10 records back / forward (also shift+←/→)"),
    ("home / end", "first / last record"),
    ("[ / ]", "previous / next run (its end)"),
    (":", "go to a step: 1200, 12k, 50% of the run, or RUN:STEP (2:500: the log's second run)"),
    ("space", "play / pause the replay"),
    ("< / >", "play slower / faster (×1/8 … ×64)"),
    ("v / l", "a compare: the variant the one-variant panels show / the layer of the histograms"),
]


def format_speed(speed: Fraction) -> str:
    """×2, ×1, ×½, ×⅛ …"""
    return f"×{speed.numerator}" if speed.denominator == 1 else f"×{speed.numerator}/{speed.denominator}"


class ReplayFeed(FeedKeys):
    """Positions are the log's stats ticks (a compare's tick: one stats record per variant, the step
    shown with every variant as the live app shows it); position k shows every record before tick k+1.

    Keys move the cursor (`position`); `poll` hands the app what it has not shown: moving
    forward, only the new records; moving back, every record up to the cursor with `reset`
    (folding records is cheap; the view keeps no history).
    """

    recording = True
    shares_cpu = False
    help_keys = ("Replay keys", REPLAY_KEYS)
    config = None
    variants = ()  # nothing to rerun
    ACTIONS = frozenset({"pause", "seek", "seek_to", "seek_run", "go_to_step", "play_speed"})
    REFUSAL = "a replay: training keys are off · ←/→ move, [/] runs, : a step, space plays"

    def __init__(self, records: list[dict], name: str = "", skipped: int = 0, path: Path | None = None):
        self.records = records
        self.name = name
        self.skipped = skipped  # lines of the log left out as malformed
        self.log_path = path  # the log replayed (screenshots are saved beside it); None: held in memory
        self._stats_at: list[int] = []  # record index of each position: a stats tick (tick_starts)
        self._runs: list[int] = []  # each position's run: its ordinal in the log (0 for the first run_start)
        self._steps: list[int] = []  # … and step
        self._starts: list[int] = []  # record index of each run_start
        self._indexed, self._run_ordinal, self._tick = 0, -1, None  # how far `_index` has read, and where
        self._index()
        self.position = self.last  # open at the end: the whole run, as it finished
        self.playing = False
        self.speed = Fraction(1)  # playing speed, × the 1× pace (PLAY_TICKS)
        self._travel = Fraction(0)  # positions play has earned but not yet moved
        self._shown: int | None = None  # the position the app has been handed (None: nothing yet)
        self._shown_end = 0  # … and how many records that was

    def _index(self) -> None:
        """Index the records not yet indexed (a followed log grows: tui/follow.py appends to `records`)."""
        for i in range(self._indexed, len(self.records)):
            record = self.records[i]
            if record.get("event") == Event.RUN_START:
                self._starts.append(i)
                self._run_ordinal += 1  # by start, not by number: two processes appending to one log both count from 1
                self._tick = None
            elif record.get("event") == Event.STATS:
                # a compare writes one stats record per variant for each step: one position per (run, step)
                tick = (self._run_ordinal, record.get("step"))
                if tick != self._tick:
                    self._stats_at.append(i)
                    self._runs.append(max(self._run_ordinal, 0))
                    self._steps.append(_int(record.get("step"), 0))
                self._tick = tick
        self._indexed = len(self.records)

    @classmethod
    def load(cls, path: str | Path) -> ReplayFeed:
        """Read a run log: malformed lines (a torn last line, a field of the wrong type) are
        skipped and counted; unknown events are kept for the view to ignore. Raises OSError."""
        records, skipped = load_run_log(path)
        return cls(records, name=Path(path).name, skipped=skipped, path=Path(path))

    @property
    def greeting(self) -> str:
        return f"replay of {self.name} · ←/→ [/] : move, space plays, ? keys"

    @property
    def count(self) -> int:
        """How many stats records (positions) the log holds."""
        return len(self._stats_at)

    @property
    def last(self) -> int:
        """The last position."""
        return max(self.count - 1, 0)

    def _end_of(self, position: int) -> int:
        """Where position's records end: at the next stats record, or the next run's start (a run's
        last position shows its end, eval and samples, not the next run)."""
        end = self._stats_at[position + 1] if position + 1 < self.count else len(self.records)
        if self.count:
            following = bisect.bisect_right(self._starts, self._stats_at[position])
            if following < len(self._starts):
                end = min(end, self._starts[following])
        return end

    def poll(self) -> Batch:
        if self.playing and self._shown == self.position:  # each position shows before play moves on
            self._play()
        old = self._shown_end  # records handed so far (a followed log's last position grows: not recomputed)
        new = self._end_of(self.position)
        self._shown, self._shown_end = self.position, new
        if new >= old:
            return Batch(self.records[old:new])
        return Batch(self.records[:new], reset=True)

    def _play(self) -> None:
        """One tick of play: forward by the pace × speed (fractions of a record add up), stop at the end."""
        if self.position >= self.last:
            self.playing = False
            return
        self._travel += max(1, self.count // PLAY_TICKS) * self.speed
        moves = int(self._travel)
        self._travel -= moves
        self.position = min(self.position + moves, self.last)

    def send(self, command: FeedCommand) -> str:
        if isinstance(command, TogglePause):
            self.playing = not self.playing
            self._travel = Fraction(0)
            if self.playing and self.position >= self.last:
                self.position = 0  # played to the end: play again from the start
            return ""
        if isinstance(command, PlaySpeed):
            return self._set_speed(command.factor)
        if isinstance(command, Quit):
            return ""
        self.playing = False
        if isinstance(command, Seek):
            self._move_to(self.position + command.delta)
        elif isinstance(command, SeekTo):
            self.position = 0 if command.where == "start" else self.last
        elif isinstance(command, SeekRun):
            return self._seek_run(command.delta)
        elif isinstance(command, SeekStep):
            return self._seek_step(command)
        else:
            raise Refused(self.REFUSAL)
        return ""

    def _move_to(self, position: int) -> None:
        self.position = min(max(position, 0), self.last)

    def _set_speed(self, factor: float) -> str:
        speed = min(max(self.speed * Fraction(factor).limit_denominator(64), SPEEDS[0]), SPEEDS[1])
        if speed == self.speed:
            raise Refused(f"already at the {'slowest' if factor < 1 else 'fastest'} speed, {format_speed(speed)}")
        self.speed = speed
        return f"play speed {format_speed(speed)}"

    @property
    def run_count(self) -> int:
        """How many runs (run_start records followed by statistics) the log holds."""
        return len(set(self._runs))

    def _seek_run(self, delta: int) -> str:
        if not self.count:
            raise Refused("no statistics in this log")
        runs = sorted(set(self._runs))
        here = runs.index(self._runs[self.position])
        target = min(max(here + delta, 0), len(runs) - 1)
        if target == here:
            raise Refused(f"this is the {'first' if delta < 0 else 'last'} run of the log ({here + 1} of {len(runs)})")
        self.position = max(i for i, run in enumerate(self._runs) if run == runs[target])
        return f"run {target + 1} of {len(runs)}, at its end"

    def _seek_step(self, command: SeekStep) -> str:
        """`command.run`: the log's 1st, 2nd … run (None: the one at the cursor)."""
        if not self.count:
            raise Refused("no statistics in this log")
        runs = sorted(set(self._runs))
        run = command.run
        if run is not None and not 1 <= run <= len(runs):
            raise Refused(
                f"this log holds {len(runs)} run{'s' if len(runs) > 1 else ''}: give RUN:STEP with RUN 1…{len(runs)}"
            )
        segment = self._runs[self.position] if run is None else runs[run - 1]
        positions = [i for i, r in enumerate(self._runs) if r == segment]
        steps = [self._steps[i] for i in positions]
        step = command.step if command.percent is None else round(command.percent / 100 * steps[-1])
        at = max(bisect.bisect_right(steps, step) - 1, 0)
        self.position = positions[at]
        nearest = "" if steps[at] == step else f" (the record at or before {step:,})"
        return f"run {runs.index(segment) + 1} of {len(runs)}, step {steps[at]:,}{nearest}"

    def describe(self) -> str:
        if not self.count:
            where = "no statistics in this log"
        else:
            where = f"record {self.position + 1}/{self.count}"
            runs = sorted(set(self._runs))
            if len(runs) > 1:
                where += f" · run {runs.index(self._runs[self.position]) + 1}/{len(runs)}"
        if self.playing:
            where += f" ▶ playing {format_speed(self.speed)}"
        elif self.speed != 1:
            where += f" · speed {format_speed(self.speed)}"
        if self.skipped:
            where += f" · {self.skipped} record{'s' if self.skipped > 1 else ''} skipped (malformed)"
        return where

    def close(self) -> None:
        """Nothing to stop: the log was read whole."""

    def exit_code(self) -> ExitCode:
        return ExitCode.OK


def parse_step(text: str) -> SeekStep:
    """What the `:` prompt typed, as the command that goes there: `1200`, `1,200`, `12k`, `50%` (of the
    steps the run recorded), `2:500` (the log's run 2: runs are numbered in the order they were written, across
    processes, so the n-th run_start is run n). Raises ValueError with one line saying what is wrong."""
    text = text.strip().lower().replace(",", "").replace("_", "")
    run = None
    if ":" in text:
        run_text, text = text.split(":", 1)
        if not run_text.strip().isdigit():
            raise ValueError(f"{run_text.strip()!r} is not a run number")
        run = int(run_text)
    text = text.strip()
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            if not 0 <= percent <= 100:
                raise ValueError("a share of the run is 0% … 100%")
            return SeekStep(0, run, percent)
        step = round(float(text[:-1]) * 1000) if text.endswith("k") else int(text)
    except (ValueError, OverflowError) as error:
        raise ValueError(str(error) if "%" in str(error) else f"{text!r} is not a step") from None
    if step < 0:
        raise ValueError("a step is 0 or more")
    return SeekStep(step, run)


def _int(value, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
