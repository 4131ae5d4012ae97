"""The panel registry: every panel of the screen, once, in key order.

Compose, the page bar, the help screen, the 1–8 bindings and hint routing all read this
tuple; adding a panel is one entry here (and its widget).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tui.state import ViewState
from tui.widgets.histogram import HistogramPanel
from tui.widgets.loss import LossPanel
from tui.widgets.panel import Panel
from tui.widgets.samples import SamplesPanel
from tui.widgets.satmap import SatMapPanel
from tui.widgets.saturation import SaturationPanel
from tui.widgets.update_ratio import UpdateRatioPanel
from tui.widgets.weights import WeightsPanel


@dataclass(frozen=True)
class PanelSpec:
    """One panel: how the screen names it, what it shows, and the widget that draws it."""

    number: int  # its key (1, 2, …) and its place in the page bar and the grid
    id: str  # the widget's id (app.tcss places some by it)
    label: str  # page-bar label
    short: str  # page-bar label on narrow terminals
    title: str  # border title, after the number
    help: str  # what it shows, for the help screen
    topic: str | None  # Hint.topic of the health hints shown under it (core/health.py); None: none
    widget: type[Panel]  # draws it
    options: Mapping[str, object] = field(default_factory=dict)  # keyword arguments for the widget

    @property
    def heading(self) -> str:
        """The border title: number and title."""
        return f"{self.number} {self.title}"

    def make(self, view: ViewState) -> Panel:
        """The panel's widget over `view`."""
        return self.widget(view, self, **self.options)


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec(
        1,
        "saturation",
        "saturation",
        "sat",
        "saturation · tanh layers",
        "% of tanh outputs with |t|>0.97 per layer (yellow past 5% at init, past 65% in training; red where the "
        "hints judge it), and each layer's forward gain, std out ÷ std in; the faint ┃ and column are the previous "
        "run at the same step (A/B after b, g or r); in a compare, one bar per variant",
        "saturation",
        SaturationPanel,
    ),
    PanelSpec(
        2,
        "activations",
        "activations",
        "act",
        "activation histograms · tanh output t",
        "histograms of every tanh layer's output on shared bins in [-1, 1]",
        "activations",
        HistogramPanel,
        {"gradients": False},
    ),
    PanelSpec(
        3,
        "gradients",
        "gradients",
        "grad",
        "gradient histograms · ∂loss/∂t",
        "histograms of the gradients at the tanh outputs, shared symmetric bins",
        "gradients",
        HistogramPanel,
        {"gradients": True},
    ),
    PanelSpec(
        4,
        "weights",
        "weights",
        "wts",
        "weight gradients · per 2-D parameter",
        "per 2-D parameter: gradient mean and std, grad:data, update:data (log10)",
        "weights",
        WeightsPanel,
    ),
    PanelSpec(
        5,
        "update",
        "update:data",
        "upd",
        "update:data · log10 over steps",
        "log10 of (lr·grad).std / data.std over steps; near −3 (dotted) the weights learn at a sane rate",
        "update",
        UpdateRatioPanel,
    ),
    PanelSpec(
        6,
        "loss",
        "loss",
        "loss",
        "loss · log scale, mean per stats window",
        "log-scale loss, mean per stats window; ● train and ◆ val evaluations; the previous run faint",
        "loss",
        LossPanel,
    ),
    PanelSpec(
        7,
        "satmap",
        "map",
        "map",
        "saturation map · |t|>0.99 · m: next layer",
        "|t|>0.99 per example (row) × neuron (column) of one layer; a white column is a dead neuron, "
        "saturated for the whole batch: it never learns",
        "map",
        SatMapPanel,
    ),
    PanelSpec(
        8,
        "samples",
        "samples",
        "names",
        "samples · s: sample now",
        "names sampled from the model",
        None,
        SamplesPanel,
    ),
)
