"""The loss on a log scale (mean per stats window) with eval points: one run and the previous one
faint, each named by what sets it apart; or every variant of a compare overlaid beside a table of
their evaluations."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from rich.style import Style

from makemore_tui.core.wording import difference
from makemore_tui.tui.canvas import Line, Trace, fitted_range, format_steps, line_chart, message_lines
from makemore_tui.tui.state import LOSS, RunView, VariantView
from makemore_tui.tui.widgets.panel import Panel, legend_line, legend_lines, text_line
from makemore_tui.tui.widgets.variants import (
    OFF_SCALE,
    ended_note,
    fit,
    off_scale,
    scale_setters,
    side_by_side,
    variant_style,
)

BOLD = Style(bold=True)
# Series colours (the layer palette's): this run's loss, train and val evaluations
LOSS_SERIES, TRAIN_SERIES, VAL_SERIES = 1, 0, 4
MIN_CHART = 24  # cells the chart keeps beside the eval table; narrower, the table goes above it
LABEL_CELLS = 10  # a variant's label in the eval table, at most


def _loss_label(log_value: float, digits: int = 3) -> str:
    # The axis is log10(loss); labels read in loss units, as the lecture's plot is read.
    return f"{10**log_value:.{digits}g}"


def loss_labels(y_range: tuple[float, float] | None) -> Callable[[float], str]:
    """The loss axis's label format: 3 significant digits, more (up to 6) where the range is so narrow
    that its top, middle and bottom would read alike (3.3141 … 3.3145 at 3 digits: `3.31` three times)."""
    if y_range is None:
        return _loss_label
    lo, hi = y_range
    for digits in range(3, 7):
        if len({_loss_label(y, digits) for y in (lo, (lo + hi) / 2, hi)}) == 3:
            break
    return lambda y: _loss_label(y, digits)


def eval_points(evals, x_end: float) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(step, log10 loss) of the train and of the val evaluations up to `x_end`."""
    kept = [(s, t, v) for s, t, v in evals if s <= x_end]
    train = [(s, math.log10(t)) for s, t, _ in kept if t and t > 0]
    val = [(s, math.log10(v)) for s, _, v in kept if v and v > 0]
    return train, val


def marker_trace(points: list[tuple[float, float]], style: Style, marker: str) -> Trace:
    xs, ys = zip(*points)
    return Trace(np.asarray(xs), np.asarray(ys), style, marker=marker)


def _value(value) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) and math.isfinite(value) else "–"


class LossPanel(Panel):
    """log10 loss over steps with train (●) and val (◆) evaluations."""

    PART = LOSS

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        palette = self.palette
        if run is None:
            return message_lines("waiting for the run to start…", width, height, palette.dim)
        if run.compare:
            return self._compare(run, width, height)
        shown = self.view.variant_shown()
        xs, ys = shown.loss_series.points()
        if xs.size == 0:
            return message_lines("waiting for the first loss…", width, height, palette.dim)
        return self._single(run, shown, width, height)

    def _chart(
        self, traces: list[Trace], x_end: float, width: int, height: int, y_range: tuple[float, float] | None = None
    ) -> list[Line]:
        y_range = y_range or fitted_range(traces)
        return line_chart(
            traces,
            width,
            height,
            x_range=(0.0, x_end),
            y_range=y_range,
            x_format=format_steps,
            y_format=loss_labels(y_range),
            axis=self.palette.axis,
        )

    # ---- one run, and the previous one faint -------------------------------------------------

    def _single(self, run: RunView, shown: VariantView, width: int, height: int) -> list[Line]:
        palette = self.palette
        xs, ys = shown.loss_series.points()
        loss_style, train_style, val_style = (
            palette.layer(LOSS_SERIES),
            palette.layer(TRAIN_SERIES) + BOLD,
            palette.layer(VAL_SERIES) + BOLD,
        )
        x_end = max(float(xs[-1]), 1.0)
        traces, legend = [], []
        previous = self.view.previous
        other = previous.config if previous is not None else None
        if previous is not None:
            # The previous run over the same steps as this one: "BN on vs off" at a glance.
            pxs, pys = self.view.previous_shown().loss_series.points()
            keep = pxs <= x_end
            if keep.any():
                traces.append(Trace(pxs[keep], pys[keep], palette.ghost))
                legend.append(("━", _run_label(previous.run, difference(previous.config, run.config)), palette.ghost))
        traces.append(Trace(xs, ys, loss_style))
        legend.insert(0, ("━", _run_label(run.run, difference(run.config, other)), loss_style))  # the axis reads it
        train, val = eval_points(shown.evals, x_end)
        if train:
            traces.append(marker_trace(train, train_style, "●"))
            legend.append(("●", f"train {10 ** train[-1][1]:.3f}", train_style))
        if val:
            traces.append(marker_trace(val, val_style, "◆"))
            legend.append(("◆", f"val {10 ** val[-1][1]:.3f}", val_style))
        if shown.calibrated is not None:  # the end's eval with BatchNorm calibrated (the lecture's), train/val
            legend.append(("", "BN calibrated " + "/".join(_value(loss) for loss in shown.calibrated), val_style))
        legend_rows = legend_lines(legend, width, 2 if height >= 9 else 1, palette.dim)
        return [*legend_rows, *self._chart(traces, x_end, width, height - len(legend_rows))]

    # ---- a compare: every variant overlaid, and a table of the last evaluations ---------------

    def _compare(self, run: RunView, width: int, height: int) -> list[Line]:
        palette = self.palette
        series = {v.index: v.loss_series.points() for v in run.variants}
        ends = [float(xs[-1]) for xs, _ in series.values() if xs.size]
        if not ends:
            return message_lines("waiting for the first loss…", width, height, palette.dim)
        x_end = max(max(ends), 1.0)
        lines, ends_traces, marks = [], [], []
        scaled: list[Trace] = []  # the traces of the variants still training: they set the y axis
        setters = {v.index for v in scale_setters(run.variants)}
        drawn: dict[int, list[Trace]] = {}
        for variant in run.variants:
            xs, ys = series[variant.index]
            if not xs.size:
                continue
            style = variant_style(palette, variant)
            own = [Trace(xs, ys, style)]
            lines.append(own[0])
            ends_traces.append(Trace(xs[-1:], ys[-1:], style, marker=variant.key))
            train, val = eval_points(variant.evals, x_end)
            own += [marker_trace(train, style + BOLD, "●")] if train else []
            own += [marker_trace(val, style + BOLD, "◆")] if val else []
            marks += own[1:]
            drawn[variant.index] = own
            scaled += own if variant.index in setters else []
        y_range = fitted_range(scaled)
        off = {
            index
            for index, own in drawn.items()
            if y_range is not None and any(off_scale(trace.ys, *y_range) for trace in own)
        }
        traces = lines + marks + ends_traces
        table = self._table(run, off)
        table_width = max(sum(segment.cell_length for segment in line) for line in table)
        if width - table_width - 1 >= MIN_CHART:
            chart = self._chart(traces, x_end, width - table_width - 1, height, y_range)
            return side_by_side([chart, table], [width - table_width - 1, table_width])[:height]
        if height >= len(table) + 5:
            return [*table, *self._chart(traces, x_end, width, height - len(table), y_range)]
        names = {v.index: f"{v.name} {OFF_SCALE}" if v.index in off else v.name for v in run.variants}
        legend = [("━", names[variant.index], variant_style(palette, variant)) for variant in run.variants]
        return [legend_line(legend, width, palette.dim), *self._chart(traces, x_end, width, height - 1, y_range)]

    def _table(self, run: RunView, off: set[int]) -> list[Line]:
        """Per variant: its latest loss (stats window) and its last evaluation's train and val loss
        (a variant that ended: when, and `off scale` when its curve is clipped, `off` its indices)."""
        palette = self.palette
        label = min(max(len(v.label) for v in run.variants), LABEL_CELLS)
        steps = [v.evals[-1][0] for v in run.variants if v.evals]
        caption = f"eval @{format_steps(max(steps))}" if steps else "no eval"
        lines = [
            text_line((fit(caption, label + 2), palette.dim), (f" {'loss':>5} {'train':>5} {'val':>5}", palette.dim))
        ]
        for variant in run.variants:
            lines.append(self._row(variant, label, variant.index in off))
        return lines

    def _row(self, variant: VariantView, label: int, off: bool) -> Line:
        style = variant_style(self.palette, variant)
        head = text_line((f"{variant.key} {fit(variant.label, label)}", style))
        if variant.ended is not None:
            note = f"{ended_note(variant, short=True)} {OFF_SCALE}" if off else ended_note(variant, short=True)
            return head + text_line((f" {note:<17}", self.palette.ghost))
        _, ys = variant.loss_series.points()
        loss = 10 ** ys[-1] if ys.size else None
        train, val = (variant.evals[-1][1], variant.evals[-1][2]) if variant.evals else (None, None)
        return head + text_line((f" {_value(loss):>5} {_value(train):>5} {_value(val):>5}", style))


def _run_label(run: int, differs: str) -> str:
    """`run 2 (BN off)`; `run 1` where nothing sets it apart (a Monitor's only run)."""
    return f"run {run} ({differs})" if differs else f"run {run}"
