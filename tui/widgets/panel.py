"""The base of every plot panel: Line API rendering from a cache rebuilt only on change."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip

from makemore_tui.core.hints import Hint
from makemore_tui.core.kinds import kind_heading, record_kinds
from makemore_tui.tui.canvas import Line, blank_lines, cut_line, message_lines
from makemore_tui.tui.state import STATS, RunView, ViewState
from makemore_tui.tui.widgets.palette import Themed

if TYPE_CHECKING:
    from makemore_tui.tui.panels import PanelSpec

MAX_HINT_LINES = 4


def text_line(*parts: tuple[str, Style | None] | str) -> Line:
    """A line from strings and (string, style) pairs."""
    return [Segment(part) if isinstance(part, str) else Segment(part[0], part[1]) for part in parts]


def key_span(panels: Sequence[PanelSpec], dash: str = "-") -> str:
    """The panel keys as a span: `1-8`, or `1-9,0` with a tenth panel."""
    keys = [spec.key for spec in panels]
    if not keys:
        return ""
    if keys[-1] == "0" and len(keys) > 2:
        return f"{keys[0]}{dash}{keys[-2]},0"
    return f"{keys[0]}{dash}{keys[-1]}" if len(keys) > 1 else keys[0]


def legend_line(entries: Sequence[tuple[str, str, Style]], width: int, more: Style | None = None) -> Line:
    """A legend of (marker, label, style) entries in one line of `width`; what does not fit is counted (`+2 more`)."""
    return legend_lines(entries, width, 1, more)[0]


def legend_lines(
    entries: Sequence[tuple[str, str, Style]], width: int, max_lines: int, more: Style | None = None
) -> list[Line]:
    """The entries reflowed over at most `max_lines` lines of `width` cells (at least one line).

    Entries never vanish silently: those that do not fit are counted at the end (`+2 more`, in `more`).
    """
    # an entry is `marker label` and two spaces (which the last one on a line may go without); no marker: a caption
    cells = [(cell_len(marker) + 1 if marker else 0) + cell_len(label) + 2 for marker, label, _ in entries]
    rows: list[list[int]] = [[]]
    for i, size in enumerate(cells):
        used = sum(cells[k] for k in rows[-1])
        if rows[-1] and used + size - 2 > width:
            if len(rows) == max(max_lines, 1):
                break
            rows.append([])
        rows[-1].append(i)
    shown = sum(len(row) for row in rows)
    left = len(entries) - shown
    while left and rows[-1]:  # room for the count on the last line
        note = f"+{left} more"
        if sum(cells[k] for k in rows[-1]) + len(note) <= width:
            break
        rows[-1].pop()
        left += 1
    lines: list[Line] = []
    for row in rows:
        line: Line = []
        for k in row:
            marker, label, style = entries[k]
            line += [Segment(f"{marker} ", style)] if marker else []
            line.append(Segment(f"{label}  ", style))
        lines.append(line)
    if left:
        lines[-1].append(Segment(f"+{left} more", more))
    return lines


def activation_word(run: RunView | None) -> str:
    """The activation of the run's layers as titles name it: `tanh`, `linear`, `tanh/linear` (a compare of both)."""
    if run is None:
        return "tanh"
    configs = [variant.config for variant in run.variants] or [run.config]
    words = list(dict.fromkeys("linear" if (c or {}).get("activation") == "linear" else "tanh" for c in configs))
    return "/".join(words)


class Panel(Themed):
    """A bordered panel: subclasses draw lines in `build`; hints for the panel go under it.

    What it is (title, hint topic) comes from its entry in the panel registry (tui/panels.py).
    The built lines are cached against (data version, size, palette, extra key): Textual asks
    for lines whenever it repaints, but `build` runs only when the data, the size or the theme
    changed, and never while the panel is hidden (Textual does not render hidden widgets).
    """

    PART: ClassVar[str] = STATS  # which ViewState version this panel follows
    ALSO: ClassVar[frozenset[str]] = frozenset()  # other parts whose changes it shows (the app repaints it for them)
    live = True  # the app trains (False: a replay): the title names live keys only then (PanelSpec.make)

    def __init__(self, view: ViewState, spec: PanelSpec):
        super().__init__(id=spec.id)
        self.view = view
        self.spec = spec
        self._cache_key: tuple | None = None
        self._strips: list[Strip] = []
        self.builds = 0  # measured by bench/bench_app.py
        self.build_seconds = 0.0

    def on_mount(self) -> None:
        self.border_title = self.heading()

    def heading(self) -> str:
        """The border title; its `tanh` names the activation the run on screen uses (`linear`,
        `tanh/linear` in a compare of both), or the kinds its layers record (`tanh/relu`)."""
        heading = self.spec.heading_for(self.live)
        run = self.view.current
        kinds = record_kinds(run.variants[0].stats) if run is not None and run.variants else []
        if kinds:  # a --model net or a Monitor's: the kinds its records name
            return kind_heading(heading, kinds)
        word = activation_word(run)
        return heading.replace("tanh", word) if word != "tanh" else heading

    @property
    def monochrome(self) -> bool:
        """No colour on this terminal (NO_COLOR): overlaid lines carry marks (canvas.line_labels)."""
        return self.app.no_color

    def zoom_gives_room(self) -> bool:
        """True when z would give this panel more room: it shares the screen in a grid, unzoomed."""
        from makemore_tui.tui.panels import GRIDS  # the registry imports every panel: imported here, not above

        return self.app.layout_mode in GRIDS and not self.app.zoomed

    def extra_key(self) -> tuple:
        """More state the drawing depends on (such as a chosen layer)."""
        return ()

    def build(self, width: int, height: int) -> list[Line]:
        """Draw the panel body into `height` lines of `width` cells."""
        raise NotImplementedError

    def stats_body(self, width: int, height: int, single: Callable[[RunView], list[Line]]) -> list[Line]:
        """The body of a panel of statistics: a message until the run on screen has a record, then a compare's
        `_compare` or a single run's `single(run)`."""
        run = self.view.current
        if run is None or not run.stats_count:
            return message_lines("waiting for the first statistics…", width, height, self.palette.dim)
        return self._compare(run, width, height) if run.compare else single(run)

    def _compare(self, run: RunView, width: int, height: int) -> list[Line]:
        """A compare's body, every variant side by side (the panels of statistics that draw them)."""
        raise NotImplementedError

    def hints(self) -> Sequence[Hint]:
        """The health hints shown under this panel (those whose topic is the panel's)."""
        run = self.view.current
        if run is None or self.spec.topic is None:
            return []
        return run.hints_for(self.spec.topic)

    def _key(self, width: int, height: int) -> tuple:
        return (self.view.versions[self.PART], width, height, self.palette, self.zoom_gives_room(), *self.extra_key())

    def render_lines(self, crop: Region) -> list[Strip]:
        # Build before Textual draws the border with the lines: a build may change the border's
        # subtitle (a compare's layer, the variant shown), which would otherwise show one repaint late.
        self._build_if_changed()
        return super().render_lines(crop)

    def _build_if_changed(self) -> None:
        width, height = self.size
        key = self._key(width, height)
        if key != self._cache_key:
            self._rebuild(width, height)
            self._cache_key = key

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        self._build_if_changed()
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return self.blank(width)

    def repaint_changes(self) -> None:
        """Rebuild now and repaint only the lines that differ from what is on screen.

        Textual's own work per repainted line (styles, filters, compositing) costs more
        than building it; bars, tables and axes mostly stay put between two updates.
        """
        width, height = self.size
        key = self._key(width, height)
        if key == self._cache_key:
            return
        old = self._strips
        self._rebuild(width, height)
        self._cache_key = key
        if len(old) != len(self._strips):
            self.refresh()
            return
        changed = [y for y, (before, after) in enumerate(zip(old, self._strips)) if before != after]
        regions = []
        for y in changed:
            if regions and regions[-1].bottom == y:
                last = regions.pop()
                regions.append(Region(0, last.y, width, last.height + 1))
            else:
                regions.append(Region(0, y, width, 1))
        if regions:
            self.refresh(*regions)

    def body_lines(self) -> int:
        """Lines the body needs before hints may take any (a hint still gets one)."""
        return 5

    def _rebuild(self, width: int, height: int) -> None:
        started = time.perf_counter()
        if width < 1 or height < 1:
            self._strips = []
            return
        heading = self.heading()  # before the border is drawn (render_lines): a new run may change it
        if self.border_title != heading:
            self.border_title = heading
        hints = list(self.hints())
        room = min(MAX_HINT_LINES, max(height - self.body_lines(), 1 if hints else 0), height // 2)
        hint_lines = self._hint_lines(hints, width, room)
        body = self.build(width, height - len(hint_lines)) if height > len(hint_lines) else []
        lines = [cut_line(line, width) for line in (body + hint_lines)[:height]]  # nothing cut silently
        lines += blank_lines(width, height - len(lines))
        self._strips = self.strips(lines, width)
        self.builds += 1
        self.build_seconds += time.perf_counter() - started

    def _hint_lines(self, hints: list[Hint], width: int, limit: int) -> list[Line]:
        """Full sentences when they fit, else the short forms, each wrapped to the panel's width (never
        cut at its edge); else the short forms that fit and a count of the others (z zooms the panel)."""
        if not hints or limit < 1:
            return []
        style = self.palette.hint
        full = [line for hint in hints for line in self._wrapped_hint(hint.text, width, style)]
        if len(full) <= limit:
            return full
        short = [self._wrapped_hint(hint.short, width, style) for hint in hints]
        if sum(len(lines) for lines in short) <= limit:
            return [line for lines in short for line in lines]
        shown: list[Line] = []
        more = len(hints)
        for lines in short:
            if len(shown) + len(lines) > limit - 1:
                break
            shown += lines
            more -= 1
        count = f"{more} more hint{'s' if more > 1 else ''}"
        notes = (f"{count}: z zooms this panel", f"{count}: z") if self.zoom_gives_room() else (count,)
        for note in (*notes, f"+{more}"):
            if cell_len(note) + 2 <= width:
                break
        return shown + [text_line((f"⚠ {note}", style))]

    @staticmethod
    def _wrapped_hint(text: str, width: int, style: Style) -> list[Line]:
        """A hint over as many lines as its words need: `⚠ ` on the first, indented after."""
        wrapped = textwrap.wrap(text, max(width - 2, 8)) or [""]
        return [text_line(("⚠ " if i == 0 else "  ", style), (line, style)) for i, line in enumerate(wrapped)]


class CyclingPanel(Panel):
    """A panel with views that a key cycles (`w`: the weights' table ↔ histograms, `h`: the history's
    activations ↔ gradients); in a compare it shows the one variant that `v` chooses."""

    VIEWS: ClassVar[tuple[str, ...]] = ("",)  # the views' names, in the key's order
    shown = reactive(0)  # index into VIEWS

    def extra_key(self) -> tuple:
        return (self.shown, self.view.shown_variant)

    def watch_shown(self) -> None:
        self.refresh()

    @property
    def view_name(self) -> str:
        """The name of the view shown, from VIEWS."""
        return self.VIEWS[self.shown]

    def cycle(self) -> str:
        """Show the next view; returns its name."""
        self.shown = (self.shown + 1) % len(self.VIEWS)
        return self.view_name
