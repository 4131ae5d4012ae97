"""The two status lines: state, step/total, progress bar, speed, ETA; device, config, messages.

Line 2 holds the config (what the run trains: `core.compare.describe`, the lecture's experiments
named when they are not at their default) on the left and the hints count and key feedback on the
right. When both do not fit, each is cut with an ellipsis: the config keeps at least its essential
part (BatchNorm, gain, lr and the experiments), never hidden silently by a long message.
"""

from __future__ import annotations

import math

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip

from makemore_tui.core.records import EndReason
from makemore_tui.core.wording import describe, varied_fields
from makemore_tui.tui.canvas import Line
from makemore_tui.tui.state import STATS, STATUS, RunView, ViewState
from makemore_tui.tui.widgets.palette import Palette, Themed
from makemore_tui.tui.widgets.panel import text_line
from makemore_tui.tui.widgets.variants import labels_line

# End reason -> (word with its icon, palette field)
END_STATES = {
    EndReason.FINISHED: ("✔ finished", "ok"),
    EndReason.STOPPED: ("■ stopped", "warn"),
    EndReason.DIVERGED: ("✖ diverged", "bad"),
    EndReason.ERROR: ("✖ error", "bad"),
}
STRUCTURE_FIELDS = ("depth", "hidden", "batch_size")  # the config's tail: cut first when line 2 is full
MIN_MESSAGE_CELLS = 16  # a message keeps at least this much of line 2 (cut with …) beside the config


def format_duration(seconds: float | None) -> str:
    """Seconds as m:ss or h:mm:ss; an en dash when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def clip(text: str, cells: int) -> str:
    """`text` in at most `cells` terminal cells, its end replaced by `…` when cut ("" for no room)."""
    if cell_len(text) <= cells:
        return text
    if cells <= 0:
        return ""
    return set_cell_size(text, cells - 1).rstrip() + "…"


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


def config_text(run: RunView) -> tuple[str, int]:
    """Line 2's config, ` cpu · BN on · gain 5/3 · lr 0.1 · linear · 5×100 · batch 32 · loss 2.846`,
    and the cells of its essential part (device, BatchNorm, gain, lr and the experiments not at
    their default), which a long message never cuts."""
    compared = set(varied_fields([variant.config for variant in run.variants])) if run.compare else set()
    config = {name: value for name, value in run.config.items() if name not in compared}
    lr = None if "lr" in compared else run.lr
    head = f" {run.device} · " + (f"compare {labels_line([v.label for v in run.variants])} · " if compared else "")
    # a compare's essential part is what it compares; a single run's its device, BatchNorm, gain, lr, experiments
    essential = (
        head.rstrip(" ·")
        if compared
        else head + describe({name: value for name, value in config.items() if name not in STRUCTURE_FIELDS}, lr)
    )
    text = head + describe(config, lr)
    loss = run.variants[0].loss  # a single run's; a compare's first variant's (the loss panel has every one)
    if loss is not None:
        text += f" · loss {loss:.3f}"
    return text, cell_len(essential)


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
        elif self.position:  # no run yet: what the feed says (a followed log not there yet: waiting for it)
            first += text_line((self.position, palette.message))
        return [first, self._second(run, width)]

    def _second(self, run: RunView | None, width: int) -> Line:
        """Config left (dim), hints count and messages right; both cut with … when they do not fit."""
        palette = self.palette
        config, essential = config_text(run) if run is not None else ("", 0)
        hints = len(run.hints) if run is not None else 0
        right: list[tuple[str, Style]] = []
        if hints:
            right.append((f"⚠ {hints} hint{'s' if hints > 1 else ''}", palette.hint))
        if run is not None and run.end is not None and run.end.get("message"):
            right.append((str(run.end["message"]), palette.bad))
        if self.message:
            right.append((self.message, palette.message))
        keep = min(cell_len(config), essential, max(width - MIN_MESSAGE_CELLS - 2, 0))
        room = max(width - keep - 2, 0)  # cells the right part may take
        line: Line = []
        for text, style in right:
            shown = clip(("  " if line else "") + text, room - sum(s.cell_length for s in line))
            if shown.strip():
                line.append(Segment(shown, style))
        right_cells = sum(segment.cell_length for segment in line)
        config = clip(config, width - right_cells - (1 if right_cells else 0))
        gap = max(width - cell_len(config) - right_cells, 0)
        return [Segment(config, palette.dim), Segment(" " * gap), *line]

    def _progress(self, run: RunView, room: int) -> Line:
        """run, step, the feed's position, a progress bar, speed and ETA (or time taken)."""
        palette = self.palette
        total = run.total_steps
        line = text_line(f"run {run.run} · ", f"step {run.step:,}" + (f"/{total:,}" if total else ""))
        if self.position:
            line += text_line((f" · {self.position}", palette.message))
        tail = self._pace(run)
        fraction = min(run.step / total, 1.0) if total else 0.0
        bar_width = room - sum(segment.cell_length for segment in line) - cell_len(tail) - 7
        if bar_width >= 10:
            filled = round(fraction * bar_width)
            line += [
                Segment(" "),
                Segment("━" * filled, palette.bar),
                Segment("━" * (bar_width - filled), palette.track),
            ]
        return line + text_line(f" {fraction * 100:3.0f}%", (tail, None))

    def _pace(self, run: RunView) -> str:
        """` · 812 steps/s · ETA 1:02`; `took` once ended; while paused no speed (a paused run makes
        none): ` · paused · ETA 1:02 once resumed` at the speed it trained at before the pause."""
        ended = run.end is not None and isinstance(run.end.get("seconds"), (int, float))
        if run.paused and not ended:
            speed, total = run.training_speed, run.total_steps
            if self.recording or not speed or total is None:
                return " · paused"
            return f" · paused · ETA {format_duration(max(total - run.step, 0) / speed)} once resumed"
        if run.end is not None and not ended:
            return ""  # an end without its time (a dead writer's): no speed, no ETA
        tail = f" · {run.steps_per_sec:,.0f} steps/s" if run.steps_per_sec else ""
        if ended:
            return tail + f" · took {format_duration(run.end['seconds'])}"
        if not self.recording:
            tail += f" · ETA {format_duration(run.eta_seconds())}"
        return tail
