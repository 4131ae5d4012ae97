"""Following a run log that another process is still writing (`makemore-tui replay RUN.jsonl --follow`).

The tailer reads by byte offset and is polled by its caller on a timer (the app's tick): a select()
or poll() on a regular file is always "ready" and spins a core at 100% (toolong#17), so nothing here
waits on the file. A poll reads what was appended since the last one:

    writer ──append──▶ RUN.jsonl ──pread(offset)──▶ LogTailer.poll() ──▶ Tail(records, …, notes)

What the file does is said in `Tail.notes`, one line each: a log that does not exist yet (waited
for), a log replaced by another file at its path (inode change: followed from its start), a log
truncated (read again from its start), and a writer that died: its flock on the log (core/runlog.py
holds one while writing) released with no `run_end` after the last `run_start`.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from makemore_tui.core.records import Event
from makemore_tui.core.runlog import lock_holder, parse_line

READ_LIMIT = 8 << 20  # bytes one poll reads at most: a long log loads over a few ticks, the screen stays live
LINE_LIMIT = 16 << 20  # a partial line held longer than this is not a record: dropped and counted
WRITER_CHECK_SECONDS = 1.0  # how often an idle tailer looks whether the log's writer still holds its lock


class TailError(OSError):
    """The path cannot be followed (not a regular file, unreadable); str() is one line for the user."""


@dataclass
class Tail:
    """What one poll read."""

    records: list[dict] = field(default_factory=list)  # usable records, in order (core.records.problem is None)
    skipped: int = 0  # lines left out: not JSON, or records that break the contract
    reset: bool = False  # the log was replaced or truncated: forget every record read before `records`
    notes: list[str] = field(default_factory=list)  # what happened to the file, one line each (untrusted path
    # inside: show through core.text.printable)


class LogTailer:
    """Follows a JSON Lines run log by byte offset; `poll()` returns what was appended since the last poll.

    A partial last line (the writer is mid-write) is held until its newline comes. `open_run` is True
    between a `run_start` and its `run_end`; `writer_gone` once the log's lock was seen released with
    the run still open. Raises TailError from `poll` for a path that is not a regular file.
    """

    def __init__(self, path: str | os.PathLike, read_limit: int = READ_LIMIT, locks: str = "/proc/locks"):
        self.path = Path(path)
        self.read_limit = read_limit
        self.locks = locks  # Linux's lock table (core.runlog.lock_holder); tests point it elsewhere
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the file read
        self._offset = 0  # bytes of the file read so far (whole lines and the held partial line)
        self._partial = b""  # the last line's bytes before its newline
        self.waiting = False  # the path did not exist at the last poll
        self.open_run = False  # a run_start was read and its run_end not yet
        self.writer_gone = False  # said once: the writer's lock is gone with the run open
        self._checked = 0.0  # time.monotonic() of the last writer check

    def poll(self) -> Tail:
        """Read what was appended since the last poll (at most `read_limit` bytes). Raises TailError."""
        tail = Tail()
        if self._fd is None and not self._open(tail):
            return tail
        self._check_path(tail)
        if self._fd is None:
            return tail
        data = self._read()
        if data:
            self._take(data, tail)
            self.writer_gone = False  # someone wrote: a writer (a new one) is there
        elif self.open_run and not self.writer_gone:
            self._check_writer(tail)
        return tail

    def close(self) -> None:
        """Stop reading (the file is never written or locked by the tailer)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # ---- the file ----------------------------------------------------------------------------
    def _open(self, tail: Tail) -> bool:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            if not self.waiting:
                tail.notes.append(f"waiting for {self.path.name} to appear")
                self.waiting = True
            return False
        except OSError as error:
            raise TailError(f"cannot read {self.path}: {error.strerror or error}") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise TailError(f"{self.path} is not a regular file: --follow reads a run log being written")
        if self.waiting:
            tail.notes.append(f"{self.path.name} appeared: following it")
        self.waiting = False
        self._fd, self._identity, self._offset, self._partial = fd, (info.st_dev, info.st_ino), 0, b""
        return True

    def _check_path(self, tail: Tail) -> None:
        """Notice a log removed, replaced (another inode at the path) or truncated (shorter than read)."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return  # removed: keep the file read (its writer may still append); a new file is noticed when it comes
        if (info.st_dev, info.st_ino) != self._identity:
            self._restart(tail, f"{self.path.name} was replaced by another file: following the new one from its start")
            self._open(tail)
            return
        if os.fstat(self._fd).st_size < self._offset:
            self._restart(tail, f"{self.path.name} was truncated: reading it again from its start")
            self._offset = 0

    def _restart(self, tail: Tail, note: str) -> None:
        """Forget what was read: the caller reads the log again from its start."""
        tail.notes.append(note)
        tail.reset = True
        tail.records.clear()
        self._partial = b""
        self.open_run = self.writer_gone = False
        if "replaced" in note:
            self.close()

    def _read(self) -> bytes:
        chunks, size = [], 0
        while size < self.read_limit:
            chunk = os.pread(self._fd, min(1 << 20, self.read_limit - size), self._offset + size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        self._offset += size
        return b"".join(chunks)

    def _take(self, data: bytes, tail: Tail) -> None:
        """Whole lines become records; the bytes after the last newline wait for the rest."""
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > LINE_LIMIT:
            self._partial = b""
            tail.skipped += 1
        for raw in lines:
            if not raw.strip():
                continue
            record = parse_line(raw)
            if record is None:
                tail.skipped += 1
                continue
            tail.records.append(record)
            if record.get("event") == Event.RUN_START:
                self.open_run = True
            elif record.get("event") == Event.RUN_END:
                self.open_run = False

    def _check_writer(self, tail: Tail) -> None:
        """A run still open and nobody holding the log's lock: its writer died (killed, crashed)."""
        now = time.monotonic()
        if now - self._checked < WRITER_CHECK_SECONDS:
            return
        self._checked = now
        if not os.path.exists(self.locks):
            return  # no lock table to read: the writer's fate is unknown, and nothing is said
        if lock_holder(self._fd, self.locks) is not None:
            return
        data = self._read()  # the writer may have written its run_end and let go since the last read
        if data:
            self._take(data, tail)
        if self.open_run:
            self.writer_gone = True
            tail.notes.append("the writer stopped without a run_end (its lock on the log is released): the run died")
