"""update:data (log10) over steps with the lecture's −3 reference line: per 2-D parameter for one run,
the median weight per variant in a compare."""

from __future__ import annotations

from makemore_tui.core.health import UPDATE_TARGET_LOG10, param_labels, param_names
from makemore_tui.tui.canvas import (
    Line,
    RefLine,
    Trace,
    fitted_range,
    format_steps,
    line_chart,
    line_labels,
    line_mark,
    message_lines,
)
from makemore_tui.tui.state import RunView
from makemore_tui.tui.widgets.panel import Panel, legend_lines
from makemore_tui.tui.widgets.variants import (
    OFF_SCALE,
    ended_note,
    entries_fit,
    off_scale,
    scale_setters,
    set_subtitle,
    variant_entries,
    variant_style,
)


class UpdateRatioPanel(Panel):
    """log10 of (lr·grad).std / data.std over steps: ~−3 means the weights learn at a sane rate."""

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        palette = self.palette
        if run is None or not run.stats_count:
            return message_lines("waiting for the first statistics…", width, height, palette.dim)
        legend_rows = 2 if height >= 9 else 1
        traces, legend, y_range = self._compare(run, width, legend_rows) if run.compare else (*self._single(), None)
        set_subtitle(self, "median weight per variant (C left out)" if run.compare else "")
        if not traces:
            return message_lines("no update:data yet", width, height, palette.dim)
        target = ("┄", f"{UPDATE_TARGET_LOG10:g} target", palette.ref)
        if entries_fit([*legend, target], width, legend_rows):  # else the y axis alone names it
            legend.append(target)
        lines = legend_lines(legend, width, legend_rows, palette.dim)
        x_end = max(max(float(trace.xs[-1]) for trace in traces), 1.0)
        chart = line_chart(
            traces,
            width,
            height - len(lines),
            x_range=(0.0, x_end),  # from step 0, as the loss: the two read against each other
            y_range=y_range,
            refs=[RefLine(UPDATE_TARGET_LOG10, palette.ref, f"{UPDATE_TARGET_LOG10:g}")],
            x_format=format_steps,
            axis=palette.axis,
        )
        return [*lines, *chart]

    def _single(self) -> tuple[list[Trace], list]:
        """Every 2-D parameter of a single run (the variant shown), in the layer colours."""
        palette = self.palette
        variant = self.view.variant_shown()
        params = (variant.stats or {}).get("params") or []
        names = param_labels(params) + param_names(len(variant.update_series))[len(params) :]
        traces, legend, marks = [], [], []
        for i, series in enumerate(variant.update_series):
            xs, ys = series.points()
            if xs.size:
                traces.append(Trace(xs, ys, palette.layer(i)))
                marks.append(line_mark(names[i], i))
                legend.append((marks[-1] if self.monochrome else "━", names[i], palette.layer(i)))
        if self.monochrome and traces:  # without colour a mark on each line names it, as in the legend
            x_end = max(max(float(trace.xs[-1]) for trace in traces), 1.0)
            traces += line_labels(traces, marks, (0.0, x_end))
        return traces, legend

    def _compare(self, run: RunView, width: int, lines: int) -> tuple[list[Trace], list, tuple[float, float] | None]:
        """The median weight (C left out: a batch touches few of its rows) of each variant, lettered at its
        end; the y range the variants still training set (a frozen one is clipped to it, said off scale)."""
        palette = self.palette
        traces, ends, shown = [], [], []
        for variant in run.variants:
            xs, ys = variant.update_median.points()
            if not xs.size:
                continue
            style = variant_style(palette, variant)
            traces.append(Trace(xs, ys, style))
            ends.append(Trace(xs[-1:], ys[-1:], style, marker=variant.key))
            shown.append(variant)
        setters = {v.index for v in scale_setters(shown)}
        y_range = fitted_range([t for t, v in zip(traces, shown) if v.index in setters], [UPDATE_TARGET_LOG10])
        notes = {}
        for trace, variant in zip(traces, shown):
            if variant.ended is not None:
                clipped = y_range is not None and off_scale(trace.ys, *y_range)
                notes[variant.index] = f"{ended_note(variant, short=True)} {OFF_SCALE if clipped else ''}".rstrip()
        return traces + ends, variant_entries(shown, palette, width, lines, notes), y_range
