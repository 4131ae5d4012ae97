"""The loss on a log scale (mean per stats window), eval points, and the previous run faint."""

from __future__ import annotations

import math

import numpy as np
from rich.style import Style

from tui.canvas import Line, Trace, format_steps, line_chart, message_lines
from tui.state import LOSS, config_tag
from tui.widgets.panel import DIM_STYLE, PREVIOUS_STYLE, Panel, legend_line

LOSS_STYLE = Style(color="#f28e2b")
TRAIN_STYLE = Style(color="#4e79a7", bold=True)
VAL_STYLE = Style(color="#b07aa1", bold=True)


def _loss_label(log_value: float) -> str:
    # The axis is log10(loss); labels read in loss units, as the lecture's plot is read.
    return f"{10**log_value:.3g}"


class LossPanel(Panel):
    """log10 loss over steps with train (●) and val (◆) evaluations."""

    PART = LOSS
    TITLE = "6 loss · log scale, mean per stats window"
    HINT_PANEL = "loss"

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        if run is None:
            return message_lines("waiting for the run to start…", width, height, DIM_STYLE)
        xs, ys = run.loss_series.points()
        if xs.size == 0:
            return message_lines("waiting for the first loss…", width, height, DIM_STYLE)
        x_end = max(float(xs[-1]), 1.0)
        traces = []
        legend = []
        previous = self.view.previous
        if previous is not None:
            # The previous run over the same steps as this one: "BN on vs off" at a glance.
            pxs, pys = previous.loss_series.points()
            keep = pxs <= x_end
            if keep.any():
                traces.append(Trace(pxs[keep], pys[keep], PREVIOUS_STYLE))
                legend.append(("━", f"run {previous.run} {config_tag(previous.config)}", PREVIOUS_STYLE))
        traces.append(Trace(xs, ys, LOSS_STYLE))
        legend.insert(0, ("━", f"run {run.run} {config_tag(run.config)} {10 ** ys[-1]:.3f}", LOSS_STYLE))
        evals = [(s, t, v) for s, t, v in run.evals if s <= x_end]
        train = [(s, math.log10(t)) for s, t, _ in evals if t and t > 0]
        val = [(s, math.log10(v)) for s, _, v in evals if v and v > 0]
        if train:
            traces.append(Trace(*map(np.asarray, zip(*train)), TRAIN_STYLE, marker="●"))
            legend.append(("●", f"train {10 ** train[-1][1]:.3f}", TRAIN_STYLE))
        if val:
            traces.append(Trace(*map(np.asarray, zip(*val)), VAL_STYLE, marker="◆"))
            legend.append(("◆", f"val {10 ** val[-1][1]:.3f}", VAL_STYLE))
        chart = line_chart(traces, width, height - 1, x_range=(0.0, x_end), x_format=format_steps, y_format=_loss_label)
        return [legend_line(legend, width), *chart]
