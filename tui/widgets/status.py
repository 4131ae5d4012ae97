"""The two status lines: state, step/total, progress bar, speed, ETA; device, config, messages."""

from __future__ import annotations

import math

from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip

from core.records import EndReason
from tui.canvas import Line
from tui.state import STATS, STATUS, RunView, ViewState, config_line
from tui.widgets.palette import Palette, Themed
from tui.widgets.panel import text_line

# End reason -> (word with its icon, palette field)
END_STATES = {
    EndReason.FINISHED: ("✔ finished", "ok"),
    EndReason.STOPPED: ("■ stopped", "warn"),
    EndReason.DIVERGED: ("✖ diverged", "bad"),
    EndReason.ERROR: ("✖ error", "bad"),
}


def format_duration(seconds: float | None) -> str:
    """Seconds as m:ss or h:mm:ss; an en dash when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def run_state(run: RunView | None, recording: bool, palette: Palette) -> tuple[str, Style]:
    """The run's state as a word with an icon, and its colour."""
    if run is None:
        return ("… starting", palette.dim)
    if run.end is not None:
        word, colour = END_STATES.get(run.end.get("reason"), (f"■ {run.end.get('reason')}", "warn"))
        return word, getattr(palette, colour)
    if recording:
        return ("⏵ replay", palette.message)
    if run.paused:
        return ("⏸ paused", palette.warn)
    return ("▶ training", palette.ok)


class StatusBar(Themed):
    """Status at a glance: what runs, how far, how fast, with what config; and key feedback."""

    message = reactive("")  # feedback for the last key, shown at once (before the trainer answers)
    position = reactive("")  # what the feed says of itself (a replay: where the cursor is)

    def __init__(self, view: ViewState, *, recording: bool = False, id: str | None = None):
        super().__init__(id=id)
        self.view = view
        self.recording = recording  # a recorded run: no ETA, "replay" while it has not ended
        self._cache_key: tuple | None = None
        self._strips: list[Strip] = []

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        key = (self.view.versions[STATUS], self.view.versions[STATS], self.message, self.position, width, self.palette)
        if key != self._cache_key:
            self._strips = self.strips(self._build(width), width)
            self._cache_key = key
        return self._strips[y] if 0 <= y < len(self._strips) else self.blank(width)

    def _build(self, width: int) -> list[Line]:
        run = self.view.current
        palette = self.palette
        state, state_style = run_state(run, self.recording, palette)
        first: Line = text_line((f" {state} ", state_style))
        if run is not None:
            first += self._progress(run, width - sum(segment.cell_length for segment in first))
        config = ""
        if run is not None:
            config = f" {run.device} · {config_line(run.config, run.lr)}"
            if run.loss is not None:
                config += f" · loss {run.loss:.3f}"
        right: Line = []
        hints = len(run.hints) if run is not None else 0
        if hints:
            right += text_line((f"⚠ {hints} hint{'s' if hints > 1 else ''}", palette.hint))
        if run is not None and run.end is not None and run.end.get("message"):
            right += text_line(("  " + str(run.end["message"]), palette.bad))
        if self.message:
            right += text_line(("  " + self.message, palette.message))
        right_cells = sum(segment.cell_length for segment in right)
        # Narrow terminal: the key feedback and hints matter more than the config's tail.
        config = config[: max(width - right_cells - 2, 0)]
        gap = max(width - len(config) - right_cells - 1, 1)
        second = [Segment(config, palette.dim), Segment(" " * gap), *right]
        return [first, second]

    def _progress(self, run: RunView, room: int) -> Line:
        """run, step, the feed's position, a progress bar, speed and ETA (or time taken)."""
        palette = self.palette
        total = run.total_steps
        line = text_line(f"run {run.run} · ", f"step {run.step:,}" + (f"/{total:,}" if total else ""))
        if self.position:
            line += text_line((f" · {self.position}", palette.message))
        tail = ""
        if run.steps_per_sec:
            tail += f" · {run.steps_per_sec:,.0f} steps/s"
        if run.end is not None and isinstance(run.end.get("seconds"), (int, float)):
            tail += f" · took {format_duration(run.end['seconds'])}"
        elif not self.recording:
            tail += f" · ETA {format_duration(run.eta_seconds())}"
        fraction = min(run.step / total, 1.0) if total else 0.0
        bar_width = room - sum(segment.cell_length for segment in line) - len(tail) - 7
        if bar_width >= 10:
            filled = round(fraction * bar_width)
            line += [
                Segment(" "),
                Segment("━" * filled, palette.bar),
                Segment("━" * (bar_width - filled), palette.track),
            ]
        return line + text_line(f" {fraction * 100:3.0f}%", (tail, None))
