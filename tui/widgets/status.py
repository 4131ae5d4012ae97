"""The two status lines: state, step/total, progress bar, speed, ETA; device, config, messages."""

from __future__ import annotations

import math

from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from tui.canvas import Line
from tui.state import STATUS, RunView, ViewState, config_line
from tui.widgets.panel import BAD_STYLE, DIM_STYLE, HINT_STYLE, OK_STYLE, WARN_STYLE, text_line

BAR_STYLE = Style(color="#4e79a7", bold=True)
TRACK_STYLE = Style(color="grey30")
MESSAGE_STYLE = Style(color="#76b7b2", bold=True)

END_STATES = {
    "finished": ("✔ finished", OK_STYLE),
    "stopped": ("■ stopped", WARN_STYLE),
    "diverged": ("✖ diverged", BAD_STYLE),
    "error": ("✖ error", BAD_STYLE),
}


def format_duration(seconds: float | None) -> str:
    """Seconds as m:ss or h:mm:ss; an en dash when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def run_state(run: RunView | None, replay: bool) -> tuple[str, Style]:
    """The run's state as a word with an icon, and its colour."""
    if run is None:
        return ("… starting", DIM_STYLE)
    if run.end is not None:
        return END_STATES.get(str(run.end.get("reason")), (f"■ {run.end.get('reason')}", WARN_STYLE))
    if replay:
        return ("⏵ replay", MESSAGE_STYLE)
    if run.paused:
        return ("⏸ paused", WARN_STYLE)
    return ("▶ training", OK_STYLE)


class StatusBar(Widget):
    """Status at a glance: what runs, how far, how fast, with what config; and key feedback."""

    message = reactive("")  # feedback for the last key, shown at once (before the trainer answers)
    position = reactive("")  # replay: where the cursor is

    def __init__(self, view: ViewState, *, replay: bool = False, id: str | None = None):
        super().__init__(id=id)
        self.view = view
        self.replay = replay
        self._cache_key: tuple | None = None
        self._strips: list[Strip] = []

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        key = (self.view.versions[STATUS], self.view.versions["stats"], self.message, self.position, width)
        if key != self._cache_key:
            self._strips = [Strip(line).adjust_cell_length(width) for line in self._build(width)]
            self._cache_key = key
        return self._strips[y] if 0 <= y < len(self._strips) else Strip.blank(width)

    def _build(self, width: int) -> list[Line]:
        run = self.view.current
        state, state_style = run_state(run, self.replay)
        first: Line = text_line((f" {state} ", state_style))
        if run is not None:
            first += text_line(f"run {run.run} · ")
            total = run.total_steps
            step_text = f"step {run.step:,}" + (f"/{total:,}" if total else "")
            first += text_line(step_text)
            if self.position:
                first += text_line((f" · {self.position}", MESSAGE_STYLE))
            tail = ""
            if run.steps_per_sec:
                tail += f" · {run.steps_per_sec:,.0f} steps/s"
            if run.end is not None and isinstance(run.end.get("seconds"), (int, float)):
                tail += f" · took {format_duration(run.end['seconds'])}"
            elif not self.replay:
                tail += f" · ETA {format_duration(run.eta_seconds())}"
            fraction = min(run.step / total, 1.0) if total else 0.0
            used = sum(segment.cell_length for segment in first) + len(tail) + 7
            bar_width = width - used
            if bar_width >= 10:
                filled = round(fraction * bar_width)
                first += [
                    Segment(" "),
                    Segment("━" * filled, BAR_STYLE),
                    Segment("━" * (bar_width - filled), TRACK_STYLE),
                ]
            first += text_line(f" {fraction * 100:3.0f}%", (tail, None))

        config = ""
        if run is not None:
            config = f" {run.device} · {config_line(run.config, run.lr)}"
            if run.loss is not None:
                config += f" · loss {run.loss:.3f}"
        right: Line = []
        hints = len(run.hints) if run is not None else 0
        if hints:
            right += text_line((f"⚠ {hints} hint{'s' if hints > 1 else ''}", HINT_STYLE))
        if run is not None and run.end is not None and run.end.get("message"):
            right += text_line(("  " + str(run.end["message"]), BAD_STYLE))
        if self.message:
            right += text_line(("  " + self.message, MESSAGE_STYLE))
        right_cells = sum(segment.cell_length for segment in right)
        # Narrow terminal: the key feedback and hints matter more than the config's tail.
        config = config[: max(width - right_cells - 2, 0)]
        gap = max(width - len(config) - right_cells - 1, 1)
        second = [Segment(config, DIM_STYLE), Segment(" " * gap), *right]
        return [first, second]
