"""The panel switcher shown when panels do not all fit: numbers, names, hint markers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive

from makemore_tui.tui.state import ViewState
from makemore_tui.tui.widgets.palette import Themed
from makemore_tui.tui.widgets.panel import key_span

if TYPE_CHECKING:
    from makemore_tui.tui.panels import PanelSpec


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
        # Narrow terminals get the short labels (without the keys' tail if need be), then the numbers
        # alone, so every panel's number stays in sight.
        forms = [("label", tail), ("short", tail), ("short", ""), ("number", tail), ("number", "")]
        for form, end in forms:
            text = self._labels(form, hinted)
            if text.cell_len + len(end) <= self.size.width:
                break
        text.append(end, self.palette.dim)
        return text

    def _labels(self, form: str, hinted: set) -> Text:
        """` 1 saturation⚠  2 activations  …`: each panel's number and name (`form`: label, short or
        number alone), a ⚠ against the name it belongs to."""
        palette = self.palette
        text = Text(no_wrap=True, overflow="ellipsis")
        gap = " " if form == "label" else ""  # the full labels have room to breathe
        for index, spec in enumerate(self.panels):
            style = palette.current if index == self.current else palette.other
            name = {"label": f" {spec.label}", "short": f" {spec.short}", "number": ""}[form]
            text.append(f" {spec.key}{name}", style)
            if spec.topic in hinted:
                text.append("⚠", palette.hint)
            text.append(" " + gap, style)
        return text
