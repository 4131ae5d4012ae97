"""The `?` help screen: every key, what each panel shows, and what the hints mean."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget

if TYPE_CHECKING:
    from tui.panels import PanelSpec

KeyRows = Sequence[tuple[str, str]]  # (key, what it does)


def common_keys(panel_count: int) -> KeyRows:
    """The screen keys, the same whatever feeds the app."""
    return [
        (f"1 … {panel_count}", "show that panel (zoomed when all panels fit)"),
        ("tab / shift+tab", "next / previous panel"),
        ("z, escape", "zoom the current panel / all panels again"),
        ("m", "saturation map: next tanh layer"),
        ("ctrl+p", "command palette: every action, searchable; themes"),
        ("?", "this help (escape closes it)"),
        ("q, ctrl+c", "quit (the run log ends with run_end)"),
    ]


HINTS = (
    "Hints (⚠) are the lecture's rules of thumb: a layer > 5% saturated, update:data more than a "
    "decade off −3, gradient std changing > 3× across depth, activations shrinking toward zero with "
    "depth, dead neurons over several ticks, an initial loss far above −log(1/vocab). Each names "
    "the likely fix and its key."
)


def _key_table(title: str, rows: KeyRows, style: Style) -> Table:
    table = Table.grid(padding=(0, 2))
    table.title = title
    table.title_style = "bold"
    table.title_justify = "left"
    table.add_column(style=style, no_wrap=True, min_width=15)
    table.add_column()
    for name, meaning in rows:
        table.add_row(name, meaning)
    return table


class HelpBody(Widget):
    """The help text, in the theme's colours (component classes, read at each render)."""

    COMPONENT_CLASSES = {"help--title", "help--key", "help--panel"}

    def __init__(self, keys_title: str, keys: KeyRows, panels: Sequence[PanelSpec]):
        super().__init__()
        self.keys_title = keys_title
        self.keys = keys
        self.panels = panels

    def render(self) -> Group:
        key = self.get_component_rich_style("help--key", partial=True)
        title = Text.assemble(
            ("makemore-tui", self.get_component_rich_style("help--title", partial=True)),
            " · the deep tanh MLP of makemore part 3, live\n",
        )
        panels = [(f"{spec.number} {spec.label}", spec.help) for spec in self.panels]
        return Group(
            title,
            _key_table(self.keys_title, self.keys, key),
            Text(""),
            _key_table("Screen keys", common_keys(len(self.panels)), key),
            Text(""),
            _key_table("Panels", panels, self.get_component_rich_style("help--panel", partial=True)),
            Text(""),
            Text(HINTS),
        )


class HelpScreen(ModalScreen[None]):
    """Keys and panels explained; any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "close help"),
    ]

    def __init__(self, keys_title: str, keys: KeyRows, panels: Sequence[PanelSpec]):
        super().__init__()
        self.body = HelpBody(keys_title, keys, panels)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield self.body
