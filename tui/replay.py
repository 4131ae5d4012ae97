"""A cursor over a recorded run log: which records to show as it moves through the stats."""

from __future__ import annotations

from pathlib import Path

from core.runlog import read_run_log

PLAY_TICKS = 240  # a replay plays through in about this many UI ticks (a minute at 4 Hz)


class ReplayFeed:
    """Positions are the log's stats records; position k shows every record before stats k+1.

    Moving forward hands back only the new records; moving back asks the caller to reset
    and re-apply from the start (folding records is cheap; the view keeps no history).
    """

    def __init__(self, records: list[dict], name: str = ""):
        self.records = records
        self.name = name
        self._stats_at = [i for i, record in enumerate(records) if record.get("event") == "stats"]
        self.position = self.last  # open at the end: the whole run, as it finished
        self.playing = False

    @classmethod
    def load(cls, path: str | Path) -> ReplayFeed:
        """Read a run log (a torn last line and unknown events are fine)."""
        return cls(read_run_log(path), name=Path(path).name)

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

    def shown(self) -> list[dict]:
        """Every record shown at the current position."""
        return self.records[: self._end_of(self.position)]

    def seek(self, position: int) -> tuple[bool, list[dict]]:
        """Move to `position` (clamped); return (reset first?, records to apply)."""
        position = min(max(position, 0), self.last)
        if position == self.position:
            return False, []
        old, new = self._end_of(self.position), self._end_of(position)
        self.position = position
        if new >= old:
            return False, self.records[old:new]
        return True, self.records[:new]

    def play_step(self) -> int:
        """Positions to advance per tick while playing."""
        return max(1, self.count // PLAY_TICKS)

    def describe(self) -> str:
        """Where the cursor is, for the status line."""
        if not self.count:
            return "no statistics in this log"
        return f"record {self.position + 1}/{self.count}" + (" ▶ playing" if self.playing else "")
