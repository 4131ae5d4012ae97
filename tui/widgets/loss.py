"""The loss on a log scale (mean per stats window), eval points, and the previous run faint."""

from __future__ import annotations

import math

import numpy as np
from rich.style import Style

from tui.canvas import Line, Trace, format_steps, line_chart, message_lines
from tui.state import LOSS, config_tag
from tui.widgets.panel import Panel, legend_line

BOLD = Style(bold=True)
# Series colours (the layer palette's): this run's loss, train and val evaluations
LOSS_SERIES, TRAIN_SERIES, VAL_SERIES = 1, 0, 4


def _loss_label(log_value: float) -> str:
    # The axis is log10(loss); labels read in loss units, as the lecture's plot is read.
    return f"{10**log_value:.3g}"


class LossPanel(Panel):
    """log10 loss over steps with train (●) and val (◆) evaluations."""

    PART = LOSS

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        palette = self.palette
        loss_style, train_style, val_style = (
            palette.layer(LOSS_SERIES),
            palette.layer(TRAIN_SERIES) + BOLD,
            palette.layer(VAL_SERIES) + BOLD,
        )
        if run is None:
            return message_lines("waiting for the run to start…", width, height, palette.dim)
        xs, ys = run.loss_series.points()
        if xs.size == 0:
            return message_lines("waiting for the first loss…", width, height, palette.dim)
        x_end = max(float(xs[-1]), 1.0)
        traces = []
        legend = []
        previous = self.view.previous
        if previous is not None:
            # The previous run over the same steps as this one: "BN on vs off" at a glance.
            pxs, pys = previous.loss_series.points()
            keep = pxs <= x_end
            if keep.any():
                traces.append(Trace(pxs[keep], pys[keep], palette.ghost))
                legend.append(("━", f"run {previous.run} {config_tag(previous.config)}", palette.ghost))
        traces.append(Trace(xs, ys, loss_style))
        legend.insert(0, ("━", f"run {run.run} {config_tag(run.config)} {10 ** ys[-1]:.3f}", loss_style))
        evals = [(s, t, v) for s, t, v in run.evals if s <= x_end]
        train = [(s, math.log10(t)) for s, t, _ in evals if t and t > 0]
        val = [(s, math.log10(v)) for s, _, v in evals if v and v > 0]
        if train:
            traces.append(Trace(*map(np.asarray, zip(*train)), train_style, marker="●"))
            legend.append(("●", f"train {10 ** train[-1][1]:.3f}", train_style))
        if val:
            traces.append(Trace(*map(np.asarray, zip(*val)), val_style, marker="◆"))
            legend.append(("◆", f"val {10 ** val[-1][1]:.3f}", val_style))
        chart = line_chart(
            traces,
            width,
            height - 1,
            x_range=(0.0, x_end),
            x_format=format_steps,
            y_format=_loss_label,
            axis=palette.axis,
        )
        return [legend_line(legend, width), *chart]
