"""Headless output streams: lines for a pipe or a log file, a progress line updated in place on a terminal.

Three displays share one interface (`write` lines, `progress` from a progress record, `close`):
- `PipedDisplay` (not a terminal): lines, and a progress line every PIPED_PROGRESS_EVERY seconds;
- `RichDisplay` (a terminal, Rich installed): Rich's Progress bar kept below the printed lines;
- `CarriageReturnDisplay` (a terminal without Rich: GPU boxes often have torch only): one plain
  line redrawn with `\\r`.
A write to a closed stream (the reader of a pipe went away: `| head -1`) raises `OutputClosed`.
"""

from __future__ import annotations

import errno
import shutil
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol, TextIO

from makemore_tui.core.values import is_number

PIPED_PROGRESS_EVERY = 5.0  # seconds between progress lines when not on a terminal
DEFAULT_WIDTH = 120  # columns assumed when the terminal does not say
BAR_WIDTH = 24  # characters of the plain progress bar
# Progress records (one per ~0.5 s) whose median rate the speed and ETA use: the trainer's rate is over
# the last interval, and the interval that held an evaluation reads ~15× slow (148 steps/s at 2,400)
SPEED_WINDOW = 9


class OutputClosed(Exception):
    """The output stream's reader has gone (EPIPE): nothing more can be shown."""


def write(out: TextIO, text: str) -> None:
    """Write and flush (progress shows under tee and in CI logs); a broken pipe raises OutputClosed."""
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError as error:
        raise OutputClosed(str(error)) from None
    except OSError as error:
        if error.errno == errno.EPIPE:
            raise OutputClosed(str(error)) from None
        raise


def format_seconds(seconds: float) -> str:
    """H:MM:SS, or `?` when unknown (no speed yet)."""
    if not is_number(seconds) or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class SpeedMeter:
    """The training speed of recent progress records: the median of the last `window` rates, so that one
    interval that held an evaluation (or a sample) is an outlier, not a slowdown."""

    def __init__(self, window: int = SPEED_WINDOW):
        self._rates: deque[float] = deque(maxlen=window)
        self._step: int | None = None

    def rate(self, record: Mapping) -> float | None:
        """Fold in a progress record's `steps_per_sec`; steps/s now, None before any (a new run starts over)."""
        step = record.get("step") if isinstance(record.get("step"), int) else None
        if step is not None and self._step is not None and step < self._step:
            self._rates.clear()
        self._step = step if step is not None else self._step
        rate = record.get("steps_per_sec")
        if is_number(rate) and rate > 0:
            self._rates.append(float(rate))
        return statistics.median(self._rates) if self._rates else None


def progress_text(record: Mapping, total: int, rate: float | None = None) -> str:
    """`1350/3000 (45%) · 812 steps/s · ETA 0:00:02 · loss 2.3456` from a progress record.

    `rate`: steps/s to show (a SpeedMeter's), else the record's own. A compare's record shows every
    variant's loss (`losses`), `–` for a diverged one.
    """
    step = record.get("step") if isinstance(record.get("step"), int) else 0
    rate = rate if rate is not None else record.get("steps_per_sec")
    eta = (total - step) / rate if is_number(rate) and rate > 0 else float("nan")
    losses = record.get("losses")
    if isinstance(losses, list) and len(losses) > 1:
        loss = "losses " + " ".join(f"{v:.2f}" if is_number(v) else "–" for v in losses)
    else:
        loss = "loss " + (f"{record['loss']:.4f}" if is_number(record.get("loss")) else "–")
    speed = f"{rate:,.0f}" if is_number(rate) else "–"
    percent = 100 * step / max(total, 1)
    return f"{step}/{total} ({percent:.0f}%) · {speed} steps/s · ETA {format_seconds(eta)} · {loss}"


class Display(Protocol):
    """Where headless output goes."""

    def write(self, lines: Iterable[str]) -> None:
        """Print whole lines (above the progress line, where there is one)."""

    def progress(self, record: Mapping, total: int) -> None:
        """Show a progress record's step, speed, ETA and loss."""

    def close(self) -> None:
        """Take the progress line away; later writes are lines only."""


class PipedDisplay:
    """Lines only, and a progress line every `every` seconds of `clock`: a pipe or a log file stays readable."""

    def __init__(self, out: TextIO, every: float = PIPED_PROGRESS_EVERY, clock: Callable[[], float] = time.monotonic):
        self.out = out
        self.every = every
        self.clock = clock
        self._last = clock()  # the first progress line comes `every` seconds into the run
        self.speed = SpeedMeter()

    def write(self, lines: Iterable[str]) -> None:
        """Print lines."""
        write(self.out, "".join(line + "\n" for line in lines))

    def progress(self, record: Mapping, total: int) -> None:
        """A `step …` line when `every` seconds have passed since the last."""
        rate, now = self.speed.rate(record), self.clock()
        if now - self._last >= self.every:
            self._last = now
            self.write(["step " + progress_text(record, total, rate)])

    def close(self) -> None:
        """Nothing to take away."""


class CarriageReturnDisplay:
    """One plain progress line redrawn in place with `\\r`, cut to the terminal's width; lines print above it."""

    def __init__(self, out: TextIO, width: int | None = None):
        self.out = out
        self.width = width
        self._line = ""  # the progress text on screen now
        self.speed = SpeedMeter()

    def _columns(self) -> int:
        return self.width or shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns

    def _erase(self) -> str:
        return "\r" + " " * len(self._line) + "\r" if self._line else ""

    def write(self, lines: Iterable[str]) -> None:
        """Erase the progress line, print the lines, draw it again below them."""
        write(self.out, self._erase() + "".join(line + "\n" for line in lines) + self._line)

    def progress(self, record: Mapping, total: int) -> None:
        """Redraw the line: a bar of `#`, then the progress text."""
        step = record.get("step") if isinstance(record.get("step"), int) else 0
        filled = min(BAR_WIDTH, BAR_WIDTH * step // max(total, 1))
        text = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {progress_text(record, total, self.speed.rate(record))}"
        text = text[: max(self._columns() - 1, 0)]  # never wrap: \r would return to the wrapped half
        padding = " " * max(len(self._line) - len(text), 0)
        self._line = text
        write(self.out, "\r" + text + padding)

    def close(self) -> None:
        """Erase the progress line."""
        erase, self._line = self._erase(), ""
        if erase:
            write(self.out, erase)


class RichDisplay:
    """Rich's Progress (bar, step, speed, ETA, loss) below the printed lines; refreshed per progress record."""

    def __init__(self, out: TextIO):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        self.console = Console(file=out, highlight=False, markup=False, emoji=False)
        self._progress = Progress(
            BarColumn(),
            TextColumn("{task.fields[info]}", markup=False),
            console=self.console,
            auto_refresh=False,  # refreshed when a progress record comes: no thread writes behind our back
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._progress.add_task("train", total=None, info="starting…")
        self._started = False
        self.speed = SpeedMeter()

    def write(self, lines: Iterable[str]) -> None:
        """Print lines above the bar, verbatim (no markup, no highlighting)."""
        text = "\n".join(lines)
        self._guard(lambda: self.console.out(text, highlight=False))  # one print: the bar redraws once

    def progress(self, record: Mapping, total: int) -> None:
        """Move the bar and redraw it."""
        step = record.get("step") if isinstance(record.get("step"), int) else 0
        info = progress_text(record, total, self.speed.rate(record))

        def update():
            if not self._started:
                self._progress.start()
                self._started = True
            self._progress.update(self._task, completed=step, total=total, info=info)
            self._progress.refresh()

        self._guard(update)

    def close(self) -> None:
        """Stop the live bar (it is transient: the screen keeps only the lines)."""
        if self._started:
            self._started = False
            self._guard(self._progress.stop)

    def _guard(self, action: Callable[[], object]) -> None:
        try:
            action()
        except BrokenPipeError as error:
            raise OutputClosed(str(error)) from None


def make_display(
    out: TextIO, clock: Callable[[], float] = time.monotonic, rich: bool = True, width: int | None = None
) -> Display:
    """The display for `out`: piped lines unless a terminal; there Rich when installed (and `rich`), else `\\r`."""
    if not _isatty(out):
        return PipedDisplay(out, clock=clock)
    if rich:
        try:
            return RichDisplay(out)
        except ImportError:
            pass
    return CarriageReturnDisplay(out, width)


def _isatty(out: TextIO) -> bool:
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError, OSError):
        return False
