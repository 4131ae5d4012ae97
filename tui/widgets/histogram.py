"""Histograms of every tanh layer overlaid on shared bins: activations or their gradients."""

from __future__ import annotations

import math

import numpy as np

from core.health import layer_name
from core.records import layer_histogram
from tui.canvas import Line, Trace, line_chart, message_lines
from tui.widgets.panel import Panel, legend_line


class HistogramPanel(Panel):
    """Overlaid per-layer histograms (as density) of tanh outputs or of their gradients."""

    def __init__(self, view, spec, *, gradients: bool):
        super().__init__(view, spec)
        self.gradients = gradients

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        palette = self.palette
        if run is None or run.stats is None:
            return message_lines("waiting for the first statistics…", width, height, palette.dim)
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
            traces.append(Trace((layer_edges[:-1] + layer_edges[1:]) / 2, density, palette.layer(i)))
            std = layer.get("grad_std" if self.gradients else "std")
            legend.append(("━", f"{layer_name(layer, i)} σ{_short(std)}", palette.layer(i)))
        if not traces:
            return message_lines("no histograms in these statistics", width, height, palette.dim)
        legend = legend_line(legend, width)
        top = max(float(np.max(trace.ys)) for trace in traces)
        chart = line_chart(
            traces,
            width,
            height - 1,
            x_range=(float(edges[0]), float(edges[-1])),
            y_range=(0.0, top if top > 0 else 1.0),
            axis=palette.axis,
        )
        return [legend, *chart]


def _short(value) -> str:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    return f"{value:.2f}" if abs(value) >= 0.01 else f"{value:.1e}"
