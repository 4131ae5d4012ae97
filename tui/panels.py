"""The panel registry: every panel of the screen, once, in key order.

Compose, the page bar, the help screen, the number keys (1–9, 0 for the tenth) and hint routing
all read this tuple; adding a panel is one entry here (and its widget). A panel is in the grid of
the layouts its `grids` names; in the others its key shows it zoomed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from makemore_tui.core.hints import Topic
from makemore_tui.tui.state import ViewState
from makemore_tui.tui.widgets.histogram import HistogramPanel
from makemore_tui.tui.widgets.history import HistoryPanel
from makemore_tui.tui.widgets.loss import LossPanel
from makemore_tui.tui.widgets.panel import Panel
from makemore_tui.tui.widgets.runs import RunsPanel
from makemore_tui.tui.widgets.samples import SamplesPanel
from makemore_tui.tui.widgets.satmap import SatMapPanel
from makemore_tui.tui.widgets.saturation import SaturationPanel
from makemore_tui.tui.widgets.update_ratio import UpdateRatioPanel
from makemore_tui.tui.widgets.weights import WeightsPanel


class Layout(str, Enum):
    """How the panels are arranged at a terminal size (tui/app.py `layout_for`); app.tcss styles each
    through the screen class `-<value>`."""

    TOO_SMALL = "too-small"  # under the app's minimum size: a message instead of panels
    PAGES = "pages"  # one panel at a time, the number keys page (also any zoomed panel)
    COLS2 = "cols2"  # a grid of two columns
    COLS3 = "cols3"  # a grid of three columns
    TALL = "tall"  # a 3×4 grid


GRIDS = frozenset({Layout.COLS2, Layout.COLS3, Layout.TALL})  # the layouts that show panels in a grid


@dataclass(frozen=True, kw_only=True)
class PanelSpec:
    """One panel: how the screen names it, what it shows, and the widget that draws it (built by keyword)."""

    number: int  # its key (1, 2, …) and its place in the page bar and the grid
    id: str  # the widget's id (app.tcss places some by it)
    label: str  # page-bar label
    short: str  # page-bar label on narrow terminals
    title: str  # border title, after the number
    help: str  # what it shows, for the help screen
    widget: type[Panel]  # draws it
    topic: Topic | None = None  # the topic of the health hints shown under it (core/hints.py); None: none
    options: Mapping[str, object] = field(default_factory=dict)  # keyword arguments for the widget
    live_keys: str = ""  # keys named after the title in a live app only (a replay has no trainer to ask)
    grids: frozenset[Layout] = GRIDS  # the grid layouts it has a cell in; in the others only its key shows it

    @property
    def key(self) -> str:
        """The key that shows it: its number, 0 for the tenth."""
        return str(self.number % 10)

    @property
    def heading(self) -> str:
        """The border title in a live app: key, title and the keys it offers."""
        return self.heading_for(live=True)

    def heading_for(self, live: bool) -> str:
        """The border title: key and title, and the live keys when `live`."""
        keys = f" · {self.live_keys}" if live and self.live_keys else ""
        return f"{self.key} {self.title}{keys}"

    def make(self, view: ViewState, live: bool = True) -> Panel:
        """The panel's widget over `view` (`live`: the app trains; False: a replay)."""
        panel = self.widget(view, self, **self.options)
        panel.live = live
        return panel


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec(
        number=1,
        id="saturation",
        label="saturation",
        short="sat",
        title="saturation · tanh layers",
        help="% of tanh outputs with |t|>0.97 per layer (yellow past 5% at init, past 65% in training; red where the "
        "hints judge it), and each layer's forward gain, std out ÷ std in; the faint ┃ and column are the previous "
        "run at the same step (A/B after b, g or r); in a compare, one bar per variant",
        topic=Topic.SATURATION,
        widget=SaturationPanel,
    ),
    PanelSpec(
        number=2,
        id="activations",
        label="activations",
        short="act",
        title="activation histograms · tanh output t",
        help="histograms of every tanh layer's output on shared bins in [-1, 1]; p: of its input, the pre-activation "
        "hpreact (from the latest of every 20th record)",
        topic=Topic.ACTIVATIONS,
        widget=HistogramPanel,
        options={"gradients": False},
    ),
    PanelSpec(
        number=3,
        id="gradients",
        label="gradients",
        short="grad",
        title="gradient histograms · ∂loss/∂t",
        help="histograms of the gradients at the tanh outputs, shared symmetric bins",
        topic=Topic.GRADIENTS,
        widget=HistogramPanel,
        options={"gradients": True},
    ),
    PanelSpec(
        number=4,
        id="weights",
        label="weights",
        short="wts",
        title="weight gradients · w: table ↔ histograms",
        help="per 2-D parameter: gradient mean and std, grad:data, update:data (log10); w: the gradient histograms "
        "(the lecture's weight-gradient figure, from the latest record that has them)",
        topic=Topic.WEIGHTS,
        widget=WeightsPanel,
    ),
    PanelSpec(
        number=5,
        id="update",
        label="update:data",
        short="upd",
        title="update:data · log10 over steps",
        help="log10 of (lr·grad).std / data.std over steps; near −3 (dotted) the weights learn at a sane rate",
        topic=Topic.UPDATE,
        widget=UpdateRatioPanel,
    ),
    PanelSpec(
        number=6,
        id="loss",
        label="loss",
        short="loss",
        title="loss · log scale, mean per stats window",
        help="log-scale loss, mean per stats window; ● train and ◆ val evaluations; the previous run faint",
        topic=Topic.LOSS,
        widget=LossPanel,
    ),
    PanelSpec(
        number=7,
        id="satmap",
        label="map",
        short="map",
        title="saturation map · |t|>0.99",
        help="|t|>0.99 per example (row) × neuron (column) of one layer; a white column is a dead neuron, "
        "saturated for the whole batch: it never learns",
        topic=Topic.MAP,
        widget=SatMapPanel,
        live_keys="m: next layer",
    ),
    PanelSpec(
        number=8,
        id="samples",
        label="samples",
        short="names",
        title="samples",
        help="names sampled from the model",
        widget=SamplesPanel,
        live_keys="s: sample now",
    ),
    PanelSpec(
        number=9,
        id="history",
        label="history",
        short="hist",
        title="histograms over steps",
        help="each layer's histogram over steps (steps across, bins up; each step's against a flat histogram, a "
        "shade per doubling: ░ under half as dense, █ over twice): activations or their gradients (h); ▲ marks "
        "the step shown",
        widget=HistoryPanel,
        grids=frozenset({Layout.COLS3, Layout.TALL}),
    ),
    PanelSpec(
        number=10,
        id="runs",
        label="runs",
        short="runs",
        title="runs · every run so far",
        help="one row per run and variant: what differs, steps, last train/val loss, peak saturation, mean "
        "update:data (log10, weights W1…)",
        widget=RunsPanel,
        grids=frozenset({Layout.TALL}),
    ),
)


def panel_index(panel_id: str) -> int:
    """The position in PANELS of the panel with id `panel_id` (its show_panel argument)."""
    return next(i for i, spec in enumerate(PANELS) if spec.id == panel_id)
