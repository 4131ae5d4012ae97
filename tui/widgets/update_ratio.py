"""update:data (log10) over steps per 2-D parameter, with the lecture's −3 reference line."""

from __future__ import annotations

from core.health import UPDATE_TARGET_LOG10, param_names
from tui.canvas import Line, RefLine, Trace, format_steps, line_chart, message_lines
from tui.widgets.panel import Panel, legend_line


class UpdateRatioPanel(Panel):
    """log10 of (lr·grad).std / data.std over steps: ~−3 means the weights learn at a sane rate."""

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        palette = self.palette
        if run is None or run.stats is None:
            return message_lines("waiting for the first statistics…", width, height, palette.dim)
        params = run.stats.get("params") or []
        names = param_names(len(params))
        traces, legend = [], []
        for i, series in enumerate(run.update_series):
            xs, ys = series.points()
            if xs.size:
                traces.append(Trace(xs, ys, palette.layer(i)))
                legend.append(("━", names[i] if i < len(names) else f"p{i}", palette.layer(i)))
        if not traces:
            return message_lines("no update:data yet", width, height, palette.dim)
        legend.append(("┄", f"{UPDATE_TARGET_LOG10:g} target", palette.ref))
        chart = line_chart(
            traces,
            width,
            height - 1,
            refs=[RefLine(UPDATE_TARGET_LOG10, palette.ref)],
            x_format=format_steps,
            axis=palette.axis,
        )
        return [legend_line(legend, width), *chart]
