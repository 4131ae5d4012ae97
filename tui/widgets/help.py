"""The `?` help screen: every key (its rows come from the registry, tui/keys.py help_tables), what each
panel shows, and what the hints mean."""

from __future__ import annotations

import os
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

from makemore_tui.core.health import (
    DEAD_TICKS,
    DEPTH_SPREAD_LIMIT,
    INIT_SATURATION_LIMIT_PCT,
    INITIAL_LOSS_MARGIN,
    TRAINING_SATURATION_LIMIT_PCT,
    UPDATE_TARGET_LOG10,
    UPDATE_TOLERANCE_DECADES,
)
from makemore_tui.core.kinds import kind_heading
from makemore_tui.core.text import printable

if TYPE_CHECKING:
    from makemore_tui.tui.panels import PanelSpec

KeyRows = Sequence[tuple[str, str]]  # (key, what it does)
KeyTables = Sequence[tuple[str, KeyRows]]  # (title, rows): the feed's keys, the screen's (tui/keys.py help_tables)


# What the rules of thumb are (core/health.py), in the numbers the rules use.
HINTS = (
    "Hints (⚠) are the lecture's rules of thumb, each raised only where its fix works. "
    "Init rules judge step 0 alone (the init sets it) and hold for the run; a rerun clears them: without "
    f"BatchNorm the median layer more than {INIT_SATURATION_LIMIT_PCT:g}% saturated, activation std shrinking "
    f"more than {DEPTH_SPREAD_LIMIT:g}× over depth, gradient std changing more than {DEPTH_SPREAD_LIMIT:g}× across "
    f"depth; and an initial loss more than {INITIAL_LOSS_MARGIN:g} nat above −log(1/vocab). Each names its key: "
    "g gain, b BatchNorm, i Kaiming init, o output scale. "
    "Training rules judge the run as it trains and name the lr: update:data of the median weight more than "
    f"{UPDATE_TOLERANCE_DECADES:g} decade above 10^{UPDATE_TARGET_LOG10:g}: -, or below it: + (below "
    f"10^{UPDATE_TARGET_LOG10 - 1:g} after the schedule's lr/10, which makes steps smaller); "
    f"dead neurons for {DEAD_TICKS}+ stats ticks, or a layer more than "
    f"{TRAINING_SATURATION_LIMIT_PCT:g}% saturated: the lr is far too high, lower it (-) and rerun (r). "
    "With BatchNorm on the gain cannot move saturation, and saturation growing in training is learning, not a fault."
)


LECTURE_NET = "the deep tanh MLP of makemore part 3"
MONITOR_NET = "a training loop watched by Monitor"


def net_words(run) -> str:
    """What the help's first line calls the net of `run` (a RunView, or None): the lecture's, a --model file's,
    or a loop watched by Monitor."""
    config = run.config if run is not None and isinstance(run.config, dict) else {}
    if run is not None and run.engine == "monitor":
        return MONITOR_NET
    if isinstance(config.get("model"), str):
        return f"your network, {printable(os.path.basename(config['model']))}"
    return LECTURE_NET


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

    def __init__(
        self, tables: KeyTables, panels: Sequence[PanelSpec], source: str = "", net: str = LECTURE_NET, kinds=()
    ):
        super().__init__()
        self.tables = tables
        self.panels = panels
        self.source = source  # a replay's log name ("": a live run)
        self.net = net  # what the first line calls the net (net_words)
        self.kinds = kinds  # the kinds its records name ([]: the built-in tanh net)

    def _for_net(self, text: str) -> str:
        """A panel's help for the net on screen: its layers' kinds for tanh (kind_heading), and for a loop watched
        by Monitor the update the optimizer measured in place of lr·grad."""
        text = kind_heading(text, self.kinds)
        return text.replace("(lr·grad).std", "(the optimizer's change).std") if self.net == MONITOR_NET else text

    def render(self) -> Group:
        key = self.get_component_rich_style("help--key", partial=True)
        what = f"replayed from {self.source}" if self.source else "live"
        title = Text.assemble(
            ("makemore-tui", self.get_component_rich_style("help--title", partial=True)),
            f" · {self.net}, {what}\n",
        )
        panels = [(f"{spec.key} {spec.label}", self._for_net(spec.help)) for spec in self.panels]
        keys = [part for name, rows in self.tables for part in (_key_table(name, rows, key), Text(""))]
        return Group(
            title,
            *keys,
            _key_table("Panels", panels, self.get_component_rich_style("help--panel", partial=True)),
            Text(""),
            Text(HINTS),
        )


class HelpScreen(ModalScreen[None]):
    """Keys and panels explained; any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "close help"),
    ]

    def __init__(
        self, tables: KeyTables, panels: Sequence[PanelSpec], source: str = "", net: str = LECTURE_NET, kinds=()
    ):
        super().__init__()
        self.body = HelpBody(tables, panels, source, net, list(kinds))

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield self.body
