"""A recorded run log as the app's feed: a cursor over its statistics records."""

from __future__ import annotations

from pathlib import Path

from core.commands import Quit
from core.records import Event, ExitCode
from core.runlog import load_run_log
from tui.feed import Batch, FeedCommand, FeedKeys, Refused, Seek, SeekTo, TogglePause

PLAY_TICKS = 240  # a replay plays through in about this many UI ticks (a minute at 4 Hz)
REPLAY_KEYS = [
    ("← / →", "previous / next statistics record"),
    ("pgup / pgdn", "10 records back / forward (also shift+←/→)"),
    ("home / end", "first / last record"),
    ("space", "play / pause the replay"),
]


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
    ACTIONS = frozenset({"pause", "seek", "seek_to"})
    REFUSAL = "a replay: training keys are off · ←/→ move, space plays"

    def __init__(self, records: list[dict], name: str = "", skipped: int = 0):
        self.records = records
        self.name = name
        self.skipped = skipped  # lines of the log left out as malformed
        self._stats_at = stats_ticks(records)
        self.position = self.last  # open at the end: the whole run, as it finished
        self.playing = False
        self._shown: int | None = None  # the position the app has been handed (None: nothing yet)

    @classmethod
    def load(cls, path: str | Path) -> ReplayFeed:
        """Read a run log: malformed lines (a torn last line, a field of the wrong type) are
        skipped and counted; unknown events are kept for the view to ignore. Raises OSError."""
        records, skipped = load_run_log(path)
        return cls(records, name=Path(path).name, skipped=skipped)

    @property
    def greeting(self) -> str:
        return f"replay of {self.name} · home/end, ←/→, space plays"

    @property
    def count(self) -> int:
        """How many stats records (positions) the log holds."""
        return len(self._stats_at)

    @property
    def last(self) -> int:
        """The last position."""
        return max(self.count - 1, 0)

    def _end_of(self, position: int) -> int:
        if position + 1 < self.count:
            return self._stats_at[position + 1]
        return len(self.records)

    def poll(self) -> Batch:
        if self.playing and self._shown == self.position:  # each position shows before play moves on
            if self.position >= self.last:
                self.playing = False
            else:
                self.position = min(self.position + max(1, self.count // PLAY_TICKS), self.last)
        old = 0 if self._shown is None else self._end_of(self._shown)
        new = self._end_of(self.position)
        self._shown = self.position
        if new >= old:
            return Batch(self.records[old:new])
        return Batch(self.records[:new], reset=True)

    def send(self, command: FeedCommand) -> str:
        if isinstance(command, TogglePause):
            self.playing = not self.playing
            if self.playing and self.position >= self.last:
                self.position = 0  # played to the end: play again from the start
        elif isinstance(command, Seek):
            self.playing = False
            self.position = min(max(self.position + command.delta, 0), self.last)
        elif isinstance(command, SeekTo):
            self.playing = False
            self.position = 0 if command.where == "start" else self.last
        elif not isinstance(command, Quit):
            raise Refused(self.REFUSAL)
        return ""

    def describe(self) -> str:
        where = f"record {self.position + 1}/{self.count}" if self.count else "no statistics in this log"
        if self.playing:
            where += " ▶ playing"
        if self.skipped:
            where += f" · {self.skipped} record{'s' if self.skipped > 1 else ''} skipped (malformed)"
        return where

    def close(self) -> None:
        """Nothing to stop: the log was read whole."""

    def exit_code(self) -> ExitCode:
        return ExitCode.OK


def stats_ticks(records: list[dict]) -> list[int]:
    """Indices of the records that start a stats tick: a stats record whose run or step differs from
    the previous stats record's (a compare writes one per variant for each step it measures)."""
    starts, last = [], None
    for i, record in enumerate(records):
        if record.get("event") == Event.STATS:
            tick = (record.get("run"), record.get("step"))
            if tick != last:
                starts.append(i)
            last = tick
    return starts
