"""`makemore-tui replay RUN.jsonl --follow`: the app on a run log another process is still writing.

A FollowFeed is a ReplayFeed whose records grow: each app tick polls a core.tail.LogTailer (by byte
offset, never a selector) and the cursor stays at the newest record while it is there ("live");
replay's keys move it back, `end` returns to live. Where the log's writer serves a control socket
(core/control.py; its path in `run_start`), space and `n` pause, step and resume the training;
elsewhere the feed is read-only and says why. Quitting the viewer never touches the training: it
only disconnects (a loop it paused resumes).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from makemore_tui.core.commands import Evaluate, Quit, StepOnce
from makemore_tui.core.control import ControlClient, ControlError
from makemore_tui.core.control import Refused as ControlRefused
from makemore_tui.core.records import Event, ExitCode
from makemore_tui.core.tail import LogTailer, Tail, TailError
from makemore_tui.core.text import printable
from makemore_tui.tui.capabilities import FOLLOW
from makemore_tui.tui.feed import Batch, FeedCommand, Refused, StopTraining, TogglePause
from makemore_tui.tui.replay import ReplayFeed
from makemore_tui.tui.terminal import app_refusal, stdout_on_the_terminal

NOTE_SECONDS = 10.0  # how long what happened to the file (replaced, truncated) stays in the status line
NO_CONTROL = "its writer offers no control (Monitor(control=True) and --headless runs do)"


class FollowFeed(ReplayFeed):
    """A run log being written, followed live; `control` is the writer's socket when it offers one."""

    recording = False  # a training now: paused and training show as such, not "replay"
    capabilities = FOLLOW  # space, n and e go to the writer (refused "read-only" while it offers no control)

    def __init__(self, path: str | Path, tailer: LogTailer | None = None):
        super().__init__([], name=Path(path).name, path=Path(path))
        self.tailer = tailer or LogTailer(path)
        self.control: ControlClient | None = None  # connected to the writer of the latest run
        self.read_only = NO_CONTROL  # why space and n are refused, while `control` is None
        self.paused = False  # as the log's `state` records (and this viewer's keys) say
        self.ended = False  # the latest run has its run_end
        self.problem = ""  # what stops the following (a path that is no run log), said until it changes
        self._note: tuple[float, str] = (0.0, "")  # (time said, line): what last happened to the file

    @property
    def greeting(self) -> str:
        return f"following {printable(self.name)} · ←/→ look back, end returns to the latest · q quits the viewer only"

    def poll(self) -> Batch:
        live = self.position >= self.last and not self.playing
        tail = self._read()
        if tail.reset:
            self._forget()
        records = tail.records + self._died()
        self.records.extend(records)
        self.skipped += tail.skipped
        self._index()
        self._watch(records)
        if live:
            self.position = self.last
        batch = super().poll()
        return Batch(batch.records, reset=True) if tail.reset else batch

    def _read(self) -> Tail:
        try:
            tail = self.tailer.poll()
        except TailError as error:
            self.problem = printable(str(error))
            return Tail()
        self.problem = ""
        # the latest of what happened to the file; waiting and a dead writer are states, said while they last
        for note in tail.notes:
            if "waiting for" not in note and "without a run_end" not in note:
                self._note = (time.monotonic(), printable(note))
        return tail

    def _died(self) -> list[dict]:
        """The end of a run whose writer died without one (killed), for the screen only (the log is never written):
        the header then says the run ended in an error, not that it trains with an ETA."""
        if not self.tailer.writer_gone or self.ended or not self._starts:
            return []
        start = self.records[self._starts[-1]]
        steps = [r.get("step") for r in self.records if r.get("run") == start.get("run") and "step" in r]
        end = {"event": Event.RUN_END, "run": start.get("run"), "step": steps[-1] if steps else 0}
        return [end | {"reason": "error", "message": "its writer died without a run_end (killed?)"}]

    def _forget(self) -> None:
        """The log was replaced or truncated: index it again from nothing."""
        self.records.clear()
        self._stats_at.clear(), self._runs.clear(), self._steps.clear(), self._starts.clear()
        self._indexed, self._run_ordinal, self._tick = 0, -1, None
        self.position, self._shown, self._shown_end, self.playing = 0, None, 0, False

    def _watch(self, records: list[dict]) -> None:
        """Follow the latest run: its control socket, whether it is paused, whether it ended."""
        start = None
        for record in records:
            event = record.get("event")
            if event == Event.RUN_START:
                start, self.ended, self.paused = record, False, False
            elif event == Event.STATE and isinstance(record.get("paused"), bool):
                self.paused = record["paused"]
            elif event == Event.RUN_END:
                start, self.ended, self.paused = None, True, False
                self._disconnect("the run is over")
        if start is not None:
            self._connect(start.get("control"))

    def _connect(self, path) -> None:
        self._disconnect(NO_CONTROL)
        if not isinstance(path, str) or not path:
            return
        try:
            self.control = ControlClient(path, timeout=3.0)
        except ControlError as error:
            self.read_only = printable(str(error))

    def _disconnect(self, why: str) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        self.read_only = why

    def send(self, command: FeedCommand) -> str:
        if isinstance(command, Quit):
            self._disconnect("the viewer quit")  # the training goes on; one this viewer paused resumes
            return ""
        if isinstance(command, (TogglePause, StepOnce, Evaluate, StopTraining)):
            return self._control(command)
        return super().send(command)

    def _control(self, command: FeedCommand) -> str:
        """space, n and e, sent to the writer: one line of feedback, or Refused with why not."""
        if self.control is None:
            raise Refused(f"read-only: {self.read_only} · ←/→ look back, end returns to live")
        if isinstance(command, StepOnce) and not self.paused:
            raise Refused("n steps once while paused: press space first")
        names = {StepOnce: "step", Evaluate: "stats", StopTraining: "stop"}
        name = names.get(type(command)) or ("resume" if self.paused else "pause")
        try:
            feedback = self.control.send(name)
        except ControlRefused as refusal:
            raise Refused(f"the training refused {name}: {printable(str(refusal))}") from None
        except ControlError as error:
            self._disconnect(printable(str(error)))
            raise Refused(f"read-only now: {self.read_only}") from None
        if name in ("pause", "resume", "stop"):
            self.paused = name == "pause"
        said = {"pause": "pausing…", "resume": "resuming…", "step": "one step…", "stats": "statistics next step…"}
        said["stop"] = "stop sent: the training ends where it next looks (a Monitor's loop: monitor.stop_requested)"
        return printable(feedback) or said[name]

    def describe(self) -> str:
        parts = [self.problem] if self.problem else []
        if self.tailer.waiting:
            parts.append(f"waiting for {printable(self.tailer.path.name)} to appear")
        elif self.count:
            behind = self.last - self.position
            at_end = "● live" if not self.ended else "its run has ended"
            parts.append(at_end if not behind else f"{behind} record{'s' if behind > 1 else ''} behind · end: latest")
        if self._note[1] and time.monotonic() - self._note[0] < NOTE_SECONDS:
            parts.append(self._note[1])
        if self.tailer.writer_gone:
            parts.append("the writer died without a run_end")
        elif not self.ended:
            parts.append("control" if self.control is not None else "read-only")
        if self.skipped:
            parts.append(f"{self.skipped} line{'s' if self.skipped > 1 else ''} skipped (malformed)")
        return " · ".join(parts)

    def close(self) -> None:
        """Disconnect and stop reading: the training is not touched."""
        self._disconnect("the viewer quit")
        self.tailer.close()

    def exit_code(self) -> ExitCode:
        return ExitCode.OK


def run_follow(path: str, lifecycle=None) -> int:
    """`replay RUN.jsonl --follow`: the app over a FollowFeed; exit 2 with one line for a path that
    cannot be followed (not a regular file, unreadable). A log that does not exist yet is waited for."""
    from makemore_tui.tui.app import run_app

    problem = ""
    if os.path.exists(path) and not os.path.isfile(path):
        problem = f"{path} is not a regular file: --follow reads a run log being written"
    elif os.path.exists(path) and not os.access(path, os.R_OK):
        problem = f"cannot read {path}: permission denied"
    problem = problem or app_refusal("a log being written can be read with: tail -f") or ""
    if problem:
        print(f"makemore-tui: replay --follow: {printable(problem)}", file=sys.stderr)
        return ExitCode.USAGE
    with stdout_on_the_terminal():
        return run_app(FollowFeed(path), lifecycle)
