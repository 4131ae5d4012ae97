"""The process's way out: SIGHUP and SIGTERM handled until the run log is closed, and an end no thread can delay.

A quit (q, SIGHUP, SIGTERM) at time T runs on one clock (time.monotonic):

    T                  the watchdog is armed; the trainer is told Quit(deadline=T + EVAL_SECONDS)
    T + EVAL_SECONDS   the trainer's final eval and samples stop here (run_end's `skipped` says what
                       was left out) and it writes run_end
    T + CLOSE_SECONDS  the command line stops waiting for the trainer: the log is sealed (core/sealing.py),
                       its path printed, stdout flushed; then os._exit, never the interpreter's shutdown
    T + EXIT_SECONDS   the watchdog, if the process is still here (a Textual driver thread blocked on a
                       dead terminal, a write that never returns): seal the log, give the terminal back
                       as far as it can, flush, os._exit

After SIGHUP in the app (its terminal is gone: Textual's shutdown may wait forever on it) the watchdog does
not wait for EXIT_SECONDS: it ends the process as soon as the log holds no open run (the trainer's run_end).

The signals are the lifecycle's from main's start to its end, never asyncio's (`loop.add_signal_handler`
resets a signal to its default when the loop closes, so a SIGHUP in the wind-down killed the process before
run_end: the terminal closing 100–240 ms after `q`). A library thread, a Textual driver thread spinning on a
dead pty, cannot keep the process alive: it ends with os._exit once the log is closed.
"""

from __future__ import annotations

import os
import signal
import sys
import termios
import threading
import time
from collections.abc import Callable

from makemore_tui.core.records import ExitCode
from makemore_tui.core.sealing import SealableLog

EXIT_SECONDS = 2.5  # a quit to the process gone, at most: the watchdog's deadline
EVAL_SECONDS = 1.8  # a quit to the trainer's run_end: its final eval and samples are cut to fit
CLOSE_SECONDS = 2.2  # a quit to the log sealed when the trainer has not ended (time left to print and flush)
STEP_SECONDS = 0.2  # the most the watchdog waits for each of: a write in progress, the terminal, stdio
WATCH_SECONDS = 0.05  # how often the watchdog looks whether a hung-up app's log is whole
SIGNALS = (signal.SIGHUP, signal.SIGTERM)
# What Textual's driver undoes when it stops: kitty keys, the alternate screen, the hidden cursor, focus
# reports, bracketed paste, mouse reports. Written only when the watchdog ends the process inside the app.
TERMINAL_RESET = b"\x1b[<u\x1b[?1049l\x1b[?25h\x1b[?1004l\x1b[?2004l\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"


def within(seconds: float, action: Callable[[], object]) -> bool:
    """Run `action` in a daemon thread and wait for it at most `seconds`; True if it returned.

    For what may block forever (a write to a terminal nobody reads): the caller goes on either way.
    Exceptions (OSError from a closed terminal) are swallowed.
    """

    def run() -> None:
        try:
            action()
        except (OSError, ValueError, termios.error):
            pass

    thread = threading.Thread(target=run, name="bounded", daemon=True)
    thread.start()
    thread.join(max(seconds, 0.0))
    return not thread.is_alive()


def flush_stdio() -> None:
    """Flush Python's stdout and stderr buffers (os._exit does not)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def say(line: str, stream=None) -> None:
    """Print one line to `stream` (stdout), quietly doing nothing when the terminal has gone (EIO)."""
    try:
        print(line, file=stream or sys.stdout, flush=True)
    except (OSError, ValueError):
        pass


class Lifecycle:
    """SIGHUP/SIGTERM handling and the watchdog of one process: install at main's start, restore at its end.

    While installed, SIGHUP and SIGTERM never kill the process. The first is recorded (`signalled`), each
    arms the watchdog (`quitting`) and is handed to the current `route` (the app's: it quits as on q); with
    no route (before the app is up, while the run log closes, headless) it is only recorded.

    `end_process`: how the watchdog ends the process (os._exit in the real process); None in tests that call
    main() in-process, where the watchdog only seals the log. The deadlines are seconds after the quit.
    """

    def __init__(
        self,
        *,
        end_process: Callable[[int], object] | None = None,
        exit_seconds: float = EXIT_SECONDS,
        eval_seconds: float = EVAL_SECONDS,
        close_seconds: float = CLOSE_SECONDS,
    ):
        self.end_process = end_process
        self.exit_seconds, self.eval_seconds, self.close_seconds = exit_seconds, eval_seconds, close_seconds
        self.signalled: str | None = None  # the first SIGHUP/SIGTERM's name
        self.hung_up = False  # a SIGHUP came: the terminal has gone
        self.quit_at: float | None = None  # time.monotonic() of the first quit (q, a signal, the app's end)
        self.log: SealableLog | None = None  # what the watchdog seals before it ends the process
        self.screen = False  # the app holds the terminal (alternate screen, raw mode): the watchdog resets it
        self.app_ran = False  # the app has run on the terminal (after SIGHUP its shutdown may never end)
        self._route: Callable[[], object] | None = None
        self._previous: dict[int, object] = {}
        self._tty: list | None = None  # the terminal's settings at main's start (stdin a terminal)
        self._disarmed = threading.Event()

    # ---- signals ----------------------------------------------------------------------------
    def install(self) -> Lifecycle:
        """Take SIGHUP and SIGTERM (main thread only; elsewhere, nothing; one ignored, as under nohup, stays
        ignored) and note the terminal's settings."""
        try:
            ignored = {sig for sig in SIGNALS if signal.getsignal(sig) == signal.SIG_IGN}
            self._previous = {sig: signal.signal(sig, self._on_signal) for sig in SIGNALS if sig not in ignored}
        except ValueError:  # not the main thread: leave signals as they are
            self._previous = {}
        try:
            self._tty = termios.tcgetattr(sys.stdin.fileno()) if sys.stdin.isatty() else None
        except (OSError, ValueError, AttributeError, termios.error):
            self._tty = None
        return self

    def restore(self) -> None:
        """Put the signal handlers back as they were and disarm the watchdog (main has returned)."""
        self._disarmed.set()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def __enter__(self) -> Lifecycle:
        return self.install()

    def __exit__(self, *exc) -> None:
        self.restore()

    def route(self, callback: Callable[[], object] | None) -> None:
        """Where a signal goes now: `callback()` (in the main thread, inside the signal handler), or nowhere."""
        self._route = callback

    def _on_signal(self, signum: int, frame) -> None:
        self.signalled = self.signalled or signal.Signals(signum).name
        self.hung_up = self.hung_up or signum == signal.SIGHUP
        self.quitting()
        route = self._route
        if route is not None:
            route()

    # ---- deadlines --------------------------------------------------------------------------
    def quitting(self) -> None:
        """A quit began (the first call counts): the deadlines run from now and the watchdog is armed."""
        if self.quit_at is not None:
            return
        self.quit_at = time.monotonic()
        threading.Thread(target=self._watch, name="quit-watchdog", daemon=True).start()

    @property
    def eval_deadline(self) -> float | None:
        """time.monotonic() by which the trainer's run_end is due (None before a quit)."""
        return None if self.quit_at is None else self.quit_at + self.eval_seconds

    def time_left(self, default: float = 10.0) -> float:
        """Seconds the command line may still wait for the trainer: until CLOSE_SECONDS after the quit."""
        if self.quit_at is None:
            return default
        return max(self.quit_at + self.close_seconds - time.monotonic(), 0.0)

    @property
    def code(self) -> int:
        """The exit code of a process ended by the watchdog: 130 after a signal, else 0 (q)."""
        return ExitCode.INTERRUPTED if self.signalled else ExitCode.OK

    # ---- the way out ------------------------------------------------------------------------
    def _watch(self) -> None:
        deadline = self.quit_at + self.exit_seconds
        while not self._disarmed.wait(min(WATCH_SECONDS, max(deadline - time.monotonic(), 0.0))):
            if time.monotonic() >= deadline or self._hung_up_and_whole():
                self.expire()
                return

    def _hung_up_and_whole(self) -> bool:
        """The app's terminal hung up and the run log has its run_end: nothing is left worth waiting for."""
        return self.app_ran and self.hung_up and (self.log is None or not self.log.run_open)

    def expire(self) -> None:
        """The deadline passed with the process still here: seal the log, reset the terminal, flush, end."""
        if self.log is not None:
            self.log.seal(timeout=STEP_SECONDS)
        if self.screen:
            within(STEP_SECONDS, self._reset_terminal)
        within(STEP_SECONDS, flush_stdio)
        if self.end_process is not None:
            self.end_process(self.code)

    def _reset_terminal(self) -> None:
        if self._tty is not None:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, self._tty)
        if os.isatty(sys.stderr.fileno()):  # Textual draws on stderr
            os.write(sys.stderr.fileno(), TERMINAL_RESET)

    def end(self, code: int) -> None:
        """The process's last act: flush stdout and stderr, then end_process(code) (os._exit: no thread waited for).

        After a quit the flush waits only until the watchdog's deadline; otherwise (a run that finished,
        headless output read by a pager) it waits for the reader, as the interpreter's own exit would.
        """
        if self.quit_at is None:
            flush_stdio()
        else:
            within(self.quit_at + self.exit_seconds - time.monotonic(), flush_stdio)
        if self.end_process is not None:
            self.end_process(code)
