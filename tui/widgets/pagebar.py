"""The panel switcher shown when panels do not all fit: numbers, names, hint markers."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.state import ViewState
from tui.widgets.panel import HINT_STYLE

CURRENT_STYLE = Style(color="black", bgcolor="#4e79a7", bold=True)
OTHER_STYLE = Style(color="grey70")
HELP_STYLE = Style(color="grey50")


class PageBar(Widget):
    """One line: `1 saturation  2 activations …`, the shown panel highlighted, ⚠ where hints are."""

    current = reactive(0)
    zoomed = reactive(False)

    def __init__(self, view: ViewState, pages: list[tuple[str, str, str | None]], *, id: str | None = None):
        super().__init__(id=id)
        self.view = view
        self.pages = pages  # (label, short label, hint panel name) per panel, in key order

    def render(self) -> Text:
        run = self.view.current
        hinted = {hint.topic for hint in run.hints} if run is not None else set()
        tail = "  tab · 1-8" + ("  esc: all" if self.zoomed else "")
        full = self._labels(0, hinted)
        # Narrow terminals get the short labels, so every panel's number stays in sight.
        text = full if full.cell_len + len(tail) <= self.size.width else self._labels(1, hinted)
        text.append(tail, HELP_STYLE)
        return text

    def _labels(self, which: int, hinted: set) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for number, page in enumerate(self.pages, start=1):
            style = CURRENT_STYLE if number - 1 == self.current else OTHER_STYLE
            text.append(f" {number} {page[which]} ", style)
            text.append("⚠" if page[2] in hinted else " ", HINT_STYLE)
        return text
