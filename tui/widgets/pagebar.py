"""The panel switcher shown when panels do not all fit: numbers, names, hint markers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive

from tui.state import ViewState
from tui.widgets.palette import Themed
from tui.widgets.panel import key_span

if TYPE_CHECKING:
    from tui.panels import PanelSpec


class PageBar(Themed):
    """One line: `1 saturation  2 activations …`, the shown panel highlighted, ⚠ where hints are."""

    current = reactive(0)
    zoomed = reactive(False)

    def __init__(self, view: ViewState, panels: Sequence[PanelSpec], *, id: str | None = None):
        super().__init__(id=id)
        self.view = view
        self.panels = panels

    def render(self) -> Text:
        run = self.view.current
        hinted = {hint.topic for hint in run.hints} if run is not None else set()
        tail = f"  tab · {key_span(self.panels)}" + ("  esc: all" if self.zoomed else "")
        full = self._labels(False, hinted)
        # Narrow terminals get the short labels, so every panel's number stays in sight.
        text = full if full.cell_len + len(tail) <= self.size.width else self._labels(True, hinted)
        text.append(tail, self.palette.dim)
        return text

    def _labels(self, short: bool, hinted: set) -> Text:
        palette = self.palette
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, spec in enumerate(self.panels):
            style = palette.current if index == self.current else palette.other
            text.append(f" {spec.key} {spec.short if short else spec.label} ", style)
            text.append("⚠" if spec.topic in hinted else " ", palette.hint)
        return text
