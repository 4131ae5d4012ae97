"""The run log: JSON Lines, one complete record per line, written and flushed at once."""

from __future__ import annotations

import errno
import fcntl
import json
import math
import os
import stat
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from makemore_tui.core.records import Event, problem
from makemore_tui.core.values import float32, rounded

DEFAULT_DIR = Path("runs")
FIRST_LINE_LIMIT = 1 << 20  # bytes read to find a log's first line: a run_start record is a few KB


def for_log(record: Mapping) -> dict:
    """The record as the run log stores it.

    In-memory fields (`_…`) are left out and NaN/±inf become null (JSON has neither). In a stats
    record every statistic is written to SIGNIFICANT_DIGITS significant digits (the losses are
    float32 already and stay bit for bit), which with histograms as integer counts keeps a stats
    record of the default net under 3 KB; the trainer's in-memory records keep full precision.
    """
    out = _json_safe(record)
    if record.get("event") == Event.STATS:
        for key in ("layers", "params", "input_std", "grad_range"):
            if key in out:
                out[key] = _rounded_tree(out[key])
        for key in ("loss", "loss_window"):
            if isinstance(out.get(key), float):
                out[key] = float32(out[key])
    return out


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _rounded_tree(value):
    if isinstance(value, float):
        return rounded(value)
    if isinstance(value, dict):
        return {k: _rounded_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded_tree(v) for v in value]
    return value


class RunLogError(OSError):
    """The run log cannot be opened or written; str() is one line for the user."""


def default_path(now: datetime | None = None) -> Path:
    """A fresh path under ./runs/ named by the start time."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return DEFAULT_DIR / f"run-{stamp}-{os.getpid()}.jsonl"


def _open_for_append(path: Path) -> int:
    """An unbuffered append-only descriptor: each record reaches the OS in one write(), so a kill -9 tears at most
    the last line. Non-blocking while opening, so a FIFO nobody reads fails at once instead of hanging."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as error:
        reason = "it is a FIFO that no process reads" if error.errno == errno.ENXIO else error.strerror or str(error)
        raise RunLogError(f"cannot write the run log {path}: {reason} (choose another path with --run-log)") from None
    os.set_blocking(fd, True)  # writes wait for a slow reader rather than fail
    return fd


def _lock(fd: int, path: Path) -> None:
    """Take the exclusive flock on `fd` without waiting, or raise a RunLogError naming the holder."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = lock_holder(fd)
        holder = f"another process (PID {pid})" if pid else "another process"
        raise RunLogError(
            f"the run log {path} is in use by {holder}; two runs never share a log: wait for it to end, "
            "or choose another path with --run-log"
        ) from None
    except OSError as error:  # a file system without flock (some network mounts)
        raise RunLogError(
            f"cannot lock the run log {path}: {error.strerror or error} (choose another path with --run-log)"
        ) from None


def lock_holder(fd: int, locks: str = "/proc/locks") -> int | None:
    """The PID holding a FLOCK lock on the file of `fd`, read from Linux's /proc/locks; None when unknown.

    A /proc/locks line: `1: FLOCK  ADVISORY  WRITE 4242 08:01:1234567 0 EOF` (PID, then
    major:minor in hex and the inode). Waiters (`->`) are skipped.
    """
    info = os.fstat(fd)
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    try:
        with open(locks, encoding="ascii", errors="replace") as file:
            lines = file.read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if "->" in fields or "FLOCK" not in fields:
            continue
        at = fields.index("FLOCK")
        if len(fields) > at + 4 and fields[at + 4] == device and fields[at + 3].isdigit() and int(fields[at + 3]) > 0:
            return int(fields[at + 3])
    return None


def _check_is_run_log(path: Path) -> None:
    """Raise a RunLogError unless the file is empty or its first line is a `run_start` record."""
    try:
        with open(path, "rb") as file:
            first = file.readline(FIRST_LINE_LIMIT)
    except OSError as error:
        raise RunLogError(
            f"cannot read the run log {path} to check it is one: {error.strerror or error} "
            "(choose another path with --run-log)"
        ) from None
    if not first:
        return
    try:
        record = json.loads(first)
    except (UnicodeDecodeError, json.JSONDecodeError):
        record = None
    if not (isinstance(record, dict) and record.get("event") == "run_start"):
        raise RunLogError(
            f"{path} is not a run log (its first line is not a run_start record), so it was left untouched; "
            "choose a new or empty file, or an existing run log, with --run-log"
        )


class RunLog:
    """Appends records to a JSON Lines file, one flushed write per record.

    Opening takes an exclusive advisory lock (flock) on a regular file for as long as the log
    is open, so two processes never interleave their runs in one log: the second gets a
    RunLogError naming the holder's PID. The kernel drops the lock when the holder exits, even
    by kill -9, so a stale lock never blocks. A regular file that already holds data is only
    appended to when it is a run log (its first line a `run_start` record); anything else (a
    user's notes) is refused and left untouched. Other files (/dev/null, a pipe, a FIFO that
    has a reader) are written as streams, without lock or check. Raises RunLogError (one
    line) for every way opening fails.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        fd = _open_for_append(self.path)
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                _lock(fd, self.path)
                _check_is_run_log(self.path)
            self._file = open(fd, "ab", buffering=0)
        except BaseException:
            os.close(fd)
            raise

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
