"""What the figures show, read from a run log: its runs, their variants, the stats nearest a step.

Plain numpy, no matplotlib: `figure_specs` turns one run of a log into `FigureSpec`s (panels of
curves with labels and colour keys) that `plot.figures` draws. The figures are the lecture's
(makemore part 3): activation, gradient and weight-gradient distributions of one step, the
update:data ratio over steps with its −3 line, and the loss with the evaluations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from makemore_tui.core.health import layer_name
from makemore_tui.core.records import Event, variant_of, variants_of
from makemore_tui.core.text import printable
from makemore_tui.core.values import histogram_edges, is_number

# a layer record's kind (core/kinds.py) as the class name the lecture's legends print
KIND_CLASSES = {"tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid", "gelu": "GELU", "silu": "SiLU", "elu": "ELU"}
UPDATE_TO_DATA_TARGET = -3.0  # the lecture's line: update:data ratios should be ~1e-3 (log10 −3)


class PlotError(ValueError):
    """A run log (or a choice in it) the figures cannot be drawn from; str() is one line for the user."""


@dataclass
class Run:
    """One run of a log: the records from its run_start to the next run's."""

    number: int  # the run_start's `run` (1, 2, … per process)
    start: dict | None  # its run_start record; None when that line was torn or missing
    records: list[dict] = field(default_factory=list)  # every record of the run, in log order

    def of(self, event: str, variant: int | None = None) -> list[dict]:
        """The run's records of one event (and one variant, when given)."""
        return [r for r in self.records if r.get("event") == event and (variant is None or variant_of(r) == variant)]

    @property
    def labels(self) -> list[str]:
        """Each variant's label, in variant order ("" in a single run; "variant k" when unnamed)."""
        announced = variants_of(self.start) if self.start else []
        labels = [v["label"] for v in announced]
        seen = max((variant_of(r) for r in self.records), default=0) + 1
        labels += [""] * (seen - len(labels))
        if len(labels) > 1:
            labels = [label or f"variant {k}" for k, label in enumerate(labels)]
        return labels

    def config(self, variant: int = 0) -> dict:
        """A variant's config as logged ({} when unknown)."""
        announced = variants_of(self.start) if self.start else []
        return announced[variant]["config"] if variant < len(announced) else {}


def split_runs(records: Sequence[dict]) -> list[Run]:
    """The runs of a log in order: a new run begins at each run_start or where `run` changes."""
    runs: list[Run] = []
    for record in records:
        number = record.get("run")
        if not isinstance(number, int):
            continue  # log_error records carry no run
        starts = record.get("event") == Event.RUN_START
        if starts or not runs or runs[-1].number != number:
            runs.append(Run(number, record if starts else None))
        runs[-1].records.append(record)
    return runs


def pick_run(runs: Sequence[Run], number: int | None, name: str) -> Run:
    """The run numbered `number` (the last one of that number), or the log's last run; PlotError if absent."""
    if not runs:
        raise PlotError(f"{name} holds no run records (is it a run log written by makemore-tui?)")
    if number is None:
        run = runs[-1]
    else:
        matches = [run for run in runs if run.number == number]
        if not matches:
            held = ", ".join(str(n) for n in sorted({run.number for run in runs}))
            raise PlotError(f"{name} has no run {number} (it holds run {held}; choose one with --run)")
        run = matches[-1]
    if not run.of(Event.STATS):
        with_stats = [str(r.number) for r in runs if r.of(Event.STATS)]
        hint = f"runs with statistics: {', '.join(with_stats)}" if with_stats else "no run in it has any"
        raise PlotError(f"run {run.number} of {name} has no statistics records to draw ({hint})")
    return run


def nearest_stats(
    run: Run, step: int | None, has: Callable[[Mapping], bool] | None = None
) -> tuple[int | None, dict[int, dict]]:
    """(the recorded step nearest `step`, each variant's stats record nearest it), among records that `has`.

    `step` None means the last step recorded; a tie goes to the earlier step. A variant that
    stopped early (diverged) gives its record nearest that step. (None, {}) when no record `has`.
    """
    steps = [r["step"] for r in run.of(Event.STATS) if has is None or has(r)]
    if not steps:
        return None, {}
    target = max(steps) if step is None else min(steps, key=lambda s: (abs(s - step), s))
    chosen = {}
    for variant in range(len(run.labels)):
        records = [r for r in run.of(Event.STATS, variant) if has is None or has(r)]
        if records:
            chosen[variant] = min(records, key=lambda r: (abs(r["step"] - target), r["step"]))
    return target, chosen


def has_weight_histograms(stats: Mapping) -> bool:
    """Whether a stats record carries weight-gradient histograms (compact logs: every few records)."""
    return any(isinstance(p.get("grad_hist"), Mapping) for p in stats.get("params") or [])


def param_histogram(param: Mapping) -> tuple[np.ndarray, np.ndarray] | None:
    """(edges, counts) of a weight's gradient histogram (in some stats records only); None when absent."""
    hist = param.get("grad_hist")
    edges = histogram_edges(hist) if isinstance(hist, Mapping) else None
    if edges is None or not all(is_number(c) for c in hist["counts"]):
        return None
    return edges, np.asarray(hist["counts"], dtype=float)


def density(histogram: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(bin centres, density) of (edges, counts), as torch.histogram(density=True); None if unusable."""
    if histogram is None:
        return None
    edges, counts = histogram
    total = counts.sum()
    if total <= 0:
        return None
    return (edges[:-1] + edges[1:]) / 2, counts / (total * np.diff(edges))


# ---- what is drawn ----------------------------------------------------------------------------


@dataclass
class Curve:
    """One line (or a set of markers) on a panel."""

    label: str  # the legend entry
    x: np.ndarray
    y: np.ndarray  # NaN leaves a gap
    color: int | None = None  # index into the palette (a compare's variant); None: the colour cycle
    marker: str | None = None  # markers only, no line (the loss figure's evaluations)
    filled: bool = True  # hollow markers stay visible over filled ones at the same point


@dataclass
class Panel:
    """One axes of a figure."""

    title: str  # "" for a single-panel figure (the figure's title says it)
    curves: list[Curve]


@dataclass
class FigureSpec:
    """One figure: its file name part, the lecture's title and its panels."""

    name: str  # part of the file name: activations, gradients, weight-gradients, update-data, loss
    title: str  # the lecture's title, e.g. "activation distribution"
    panels: list[Panel]
    xlabel: str
    ylabel: str
    note: str = ""  # small print under the plot: run, step, config
    hline: float | None = None  # a reference line (the update:data −3)
    hline_label: str = ""
    log_y: bool = False
    ylim: tuple[float, float] | None = None  # set by the variants still training when one diverged

    @property
    def curve_count(self) -> int:
        """How many curves all panels hold together."""
        return sum(len(panel.curves) for panel in self.panels)


def fmt(value, spec: str) -> str:
    return format(value, spec) if is_number(value) else "–"


@dataclass(frozen=True)
class Name:
    """How a layer or weight is called: its key across variants, the lecture's list index, and the rest.

    A compare keys its panels by depth (`L3`, `W2`): BatchNorm on and off put one depth at different
    list indexes (L3 is the lecture's layer 8 with BatchNorm, layer 5 without).
    """

    key: str  # the app's depth name, shared by every variant: L1…, C, W1…
    lecture: str  # the lecture's name by list index: "layer 5", "param 7"
    rest: str  # what follows it: "(Tanh) · L3", "(W3) torch.Size([100, 27])"

    @property
    def label(self) -> str:
        return f"{self.lecture} {self.rest}"


def titled(names: Sequence[Name]) -> str:
    """One title for the names of one depth across variants: `layer 8 / layer 5 (Tanh) · L3` when they differ."""
    return f"{' / '.join(dict.fromkeys(n.lecture for n in names))} {' / '.join(dict.fromkeys(n.rest for n in names))}"


def layer_label(layer: Mapping, position: int, activation: str = "Tanh") -> Name:
    """The lecture's name of an activation layer, `layer 2 (Tanh)` by list index, and the app's `L1`."""
    key = layer_name(layer, position)
    kind = layer.get("kind")  # a --model net's or a Monitor's layer says its own kind
    activation = KIND_CLASSES.get(kind, printable(kind)) if isinstance(kind, str) else activation
    return Name(key, f"layer {layer.get('index', '?')}", f"({activation}) · {key}")


def param_label(param: Mapping, position: int, names: Sequence[str], shape: bool = False) -> Name:
    """The lecture's `param 0` (index in the parameter list) and the app's name, C, W1, … (and its torch.Size)."""
    key = names[position] if position < len(names) else "?"
    size = f" {torch_size(param.get('shape'))}" if shape else ""
    return Name(key, f"param {param.get('index', position)}", f"({key}){size}")


def torch_size(shape) -> str:
    """A shape as torch prints it: torch.Size([27, 10])."""
    return f"torch.Size([{', '.join(str(n) for n in shape)}])" if isinstance(shape, list) else "torch.Size(?)"


def activation_name(config: Mapping) -> str:
    """The class name the lecture's legend gives the activation layers."""
    return "Identity" if config.get("activation") == "linear" else "Tanh"
