"""The run log: JSON Lines, one complete record per line, written and flushed at once."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from core.records import for_log, problem

DEFAULT_DIR = Path("runs")


class RunLogError(OSError):
    """The run log cannot be opened or written; str() is one line for the user."""


def default_path(now: datetime | None = None) -> Path:
    """A fresh path under ./runs/ named by the start time."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return DEFAULT_DIR / f"run-{stamp}-{os.getpid()}.jsonl"


class RunLog:
    """Appends records to a JSON Lines file, one flushed write per record."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Unbuffered binary append: each record reaches the OS in one write() call,
            # so a kill -9 can tear at most the last line.
            self._file = open(self.path, "ab", buffering=0)
        except OSError as error:
            reason = error.strerror or str(error)
            raise RunLogError(
                f"cannot write the run log {self.path}: {reason} (choose another path with --run-log)"
            ) from None

    def write(self, record: dict) -> None:
        """Write one record as one line, as `core.records.for_log` encodes it."""
        line = json.dumps(for_log(record), separators=(",", ":"), allow_nan=False) + "\n"
        self._file.write(line.encode("utf-8"))

    def close(self) -> None:
        """Close the file; later writes are an error."""
        self._file.close()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_run_log(path: str | os.PathLike) -> list[dict]:
    """Every usable record of a run log, in order (see `load_run_log`)."""
    return load_run_log(path)[0]


def load_run_log(path: str | os.PathLike) -> tuple[list[dict], int]:
    """(usable records, how many lines were skipped) of a run log.

    Skipped: a torn last line (the process was killed mid-write), lines that are not JSON
    objects, and records that break the contract (core.records.problem: a field of the wrong
    type). Unknown events and fields are kept for the caller to ignore, so older readers open
    newer logs. Blank lines are neither kept nor counted.
    """
    records, skipped = [], 0
    with open(path, "rb") as file:
        for raw in file:
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                skipped += 1
                continue
            if problem(record) is None:
                records.append(record)
            else:
                skipped += 1
    return records, skipped
