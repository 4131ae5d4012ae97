"""Histograms of every tanh layer overlaid on shared bins: activations or their gradients."""

from __future__ import annotations

import math

import numpy as np

from core.health import layer_name
from core.records import layer_histogram
from tui.canvas import Line, Trace, line_chart, message_lines
from tui.widgets.panel import DIM_STYLE, Panel, layer_style, legend_line


class HistogramPanel(Panel):
    """Overlaid per-layer histograms (as density) of tanh outputs or of their gradients."""

    def __init__(self, view, *, gradients: bool, id: str | None = None, classes: str | None = None):
        super().__init__(view, id=id, classes=classes)
        self.gradients = gradients
        self.TITLE = "3 gradient histograms · ∂loss/∂t" if gradients else "2 activation histograms · tanh output t"
        self.HINT_PANEL = "gradients" if gradients else "activations"

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        if run is None or run.stats is None:
            return message_lines("waiting for the first statistics…", width, height, DIM_STYLE)
        layers = run.stats.get("layers") or []
        key = "grad_hist" if self.gradients else "hist"
        traces, legend = [], []
        edges = None
        for i, layer in enumerate(layers):
            found = layer_histogram(run.stats, layer, key)
            if found is None:
                continue
            layer_edges, counts = found
            edges = layer_edges
            total = counts.sum()
            density = counts / (total * np.diff(layer_edges)) if total > 0 else counts
            traces.append(Trace((layer_edges[:-1] + layer_edges[1:]) / 2, density, layer_style(i)))
            std = layer.get("grad_std" if self.gradients else "std")
            legend.append(("━", f"{layer_name(layer, i)} σ{_short(std)}", layer_style(i)))
        if not traces:
            return message_lines("no histograms in these statistics", width, height, DIM_STYLE)
        legend = legend_line(legend, width)
        top = max(float(np.max(trace.ys)) for trace in traces)
        chart = line_chart(
            traces,
            width,
            height - 1,
            x_range=(float(edges[0]), float(edges[-1])),
            y_range=(0.0, top if top > 0 else 1.0),
        )
        return [legend, *chart]


def _short(value) -> str:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    return f"{value:.2f}" if abs(value) >= 0.01 else f"{value:.1e}"
