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
from typing import BinaryIO

from makemore_tui.core.records import Event, problem
from makemore_tui.core.text import printable
from makemore_tui.core.values import float32, rounded

DEFAULT_DIR = Path("runs")
FIRST_LINE_LIMIT = 1 << 20  # bytes read to find a log's first line: a run_start record is a few KB
MIN_FREE_BYTES = 1 << 20  # a disk with less free space is full: a run's first records alone take tens of KB
CHOOSE = "(choose another path with --run-log)"
TAIL_CHUNK = 1 << 16  # bytes read at a time, backwards from the end, to find the log's last run number


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


def _open_for_append(path: Path, shown: str) -> int:
    """An unbuffered append-only descriptor: each record reaches the OS in one write(), so a kill -9 tears at most
    the last line. Non-blocking while opening, so a FIFO nobody reads fails at once instead of hanging."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise RunLogError(f"cannot write the run log {shown}: {_reason(path, error)} {CHOOSE}") from None
    os.set_blocking(fd, True)  # writes wait for a slow reader rather than fail
    return fd


def _reason(path: Path, error: OSError) -> str:
    """What is wrong with `path` as a place for the run log, in words (not "File exists")."""
    if error.errno == errno.ENXIO:
        return "it is a FIFO that no process reads"
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        blocker = next((p for p in reversed(path.parents) if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            return f"{printable(str(blocker))} is a file, not a folder"
    return printable(error.strerror or str(error))


def _check_space(fd: int, shown: str) -> None:
    """Refuse a log nothing can be written to: a full disk (under MIN_FREE_BYTES free), or a device
    that fails every write (/dev/full). A write of no bytes reaches the device's driver and adds nothing."""
    try:
        os.write(fd, b"")
        if stat.S_ISREG(os.fstat(fd).st_mode):
            disk = os.fstatvfs(fd)
            free = (disk.f_bfree if os.geteuid() == 0 else disk.f_bavail) * disk.f_frsize
            if free < MIN_FREE_BYTES:
                raise OSError(errno.ENOSPC, f"{free:,} bytes free")
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise RunLogError(f"cannot write the run log {shown}: {printable(error.strerror)} {CHOOSE}") from None
        raise RunLogError(
            f"cannot write the run log {shown}: the disk is full ({printable(error.strerror)}); "
            "free some space, or choose another path with --run-log"
        ) from None


def _lock(fd: int, shown: str) -> None:
    """Take the exclusive flock on `fd` without waiting, or raise a RunLogError naming the holder."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = lock_holder(fd)
        holder = f"another process (PID {pid})" if pid else "another process"
        raise RunLogError(
            f"the run log {shown} is in use by {holder}; two runs never share a log: wait for it to end, "
            "or choose another path with --run-log"
        ) from None
    except OSError as error:  # a file system without flock (some network mounts)
        raise RunLogError(
            f"cannot lock the run log {shown}: {printable(error.strerror or str(error))} {CHOOSE}"
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


def _last_run(file: BinaryIO) -> tuple[int, bool]:
    """(the `run` of the log's last record that has one, 0 if none; True if the log ends mid-line).

    Reads backwards from the end in TAIL_CHUNK pieces: every record of a run carries its `run`,
    so the last whole line that parses says which run the log ended in. A line cut short (a kill -9
    or a full disk mid-write) does not parse and is passed over.
    """
    at = file.seek(0, os.SEEK_END)
    if at == 0:
        return 0, False
    file.seek(at - 1)
    torn = file.read(1) != b"\n"
    carry = b""  # the start of a line whose beginning lies in the next piece back
    while at > 0:
        start = max(at - TAIL_CHUNK, 0)
        file.seek(start)
        lines = (file.read(at - start) + carry).split(b"\n")
        at = start
        carry = lines.pop(0) if at > 0 else b""
        for raw in reversed(lines):
            run = _run_of(raw)
            if run is not None:
                return run, torn
    return 0, torn


def _run_of(raw: bytes) -> int | None:
    """The `run` of one log line, or None if it is not a record that carries one."""
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    run = record.get("run") if isinstance(record, dict) else None
    return run if isinstance(run, int) and not isinstance(run, bool) and run > 0 else None


def _inspect(path: Path, shown: str) -> tuple[int, bool]:
    """(the log's last run number, True if its last line is torn) of an existing log (_last_run).

    Raises a RunLogError unless the file is empty or its first line is a `run_start` record.
    """
    try:
        with open(path, "rb") as file:
            first = file.readline(FIRST_LINE_LIMIT)
            tail = _last_run(file)
    except OSError as error:
        raise RunLogError(
            f"cannot read the run log {shown} to check it is one: {printable(error.strerror or str(error))} {CHOOSE}"
        ) from None
    if first and not _a_record(first):
        raise RunLogError(
            f"{shown} is not a run log (its first line is not a run log record), so it was left untouched; "
            "choose a new or empty file, or an existing run log, with --run-log"
        )
    return tail


def looks_like_run_log(path: str) -> bool:
    """True when the file at `path` is empty or its first line is a record of the contract (what `replay` reads).
    Raises OSError when it cannot be read."""
    with open(path, "rb") as file:
        first = file.readline(FIRST_LINE_LIMIT)
    return not first or _a_record(first)


def _a_record(line: bytes) -> bool:
    """A run_start, or any record of the contract (an older version wrote a --model build's warning first)."""
    try:
        record = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(record, dict) and isinstance(record.get("event"), str) and problem(record) is None


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte: a short write (the disk filled up mid-record) is followed by one that raises its OSError."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


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
        self.last_run = 0  # the run number the log ended with when opened: this process numbers its runs after it
        shown = printable(str(self.path))
        fd = _open_for_append(self.path, shown)
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                _lock(fd, shown)
                self.last_run, torn = _inspect(self.path, shown)
                if torn:  # a killed run's cut line: the next record starts a line of its own
                    _write_all(fd, b"\n")
            _check_space(fd, shown)
            self._file = open(fd, "ab", buffering=0)
        except OSError as error:
            os.close(fd)
            if isinstance(error, RunLogError):
                raise
            raise RunLogError(f"cannot write the run log {shown}: {_reason(self.path, error)} {CHOOSE}") from None
        except BaseException:
            os.close(fd)
            raise

    def write(self, record: dict) -> None:
        """Write one record as one line, as `core.records.for_log` encodes it; OSError when the disk is full."""
        line = json.dumps(for_log(record), separators=(",", ":"), allow_nan=False) + "\n"
        _write_all(self._file.fileno(), line.encode("utf-8"))

    def close(self) -> None:
        """Close the file; later writes are an error."""
        self._file.close()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def log_stopped(record: Mapping, error: Exception) -> dict:
    """The `log_error` record for a write of `record` that failed (a full disk): the viewer's warning.

    Carries the lost record's `run` and `step` when it had them (a stats record's step is the step measured).
    """
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    step = record.get("step")
    where = f" at step {step:,}" if isinstance(step, int) else ""
    out = {"event": Event.LOG_ERROR, "message": f"the run log stopped{where} ({reason}); training goes on, unrecorded"}
    out |= {key: record[key] for key in ("run", "step") if isinstance(record.get(key), int)}
    return out


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
            record = parse_line(raw)
            if record is None:
                skipped += 1
            else:
                records.append(record)
    return records, skipped


def parse_line(raw: bytes) -> dict | None:
    """One line of a run log as its record, or None when it is not one: not UTF-8 JSON (a torn line), not
    an object, or a record that breaks the contract (core.records.problem)."""
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return record if problem(record) is None else None
