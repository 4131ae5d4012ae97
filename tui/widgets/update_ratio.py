"""update:data (log10) over steps per 2-D parameter, with the lecture's −3 reference line."""

from __future__ import annotations

from rich.style import Style

from core.health import UPDATE_TARGET_LOG10, param_names
from tui.canvas import Line, RefLine, Trace, format_steps, line_chart, message_lines
from tui.widgets.panel import DIM_STYLE, Panel, layer_style, legend_line

REF_STYLE = Style(color="#e15759", dim=True)


class UpdateRatioPanel(Panel):
    """log10 of (lr·grad).std / data.std over steps: ~−3 means the weights learn at a sane rate."""

    TITLE = "5 update:data · log10 over steps"
    HINT_PANEL = "update"

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        if run is None or run.stats is None:
            return message_lines("waiting for the first statistics…", width, height, DIM_STYLE)
        params = run.stats.get("params") or []
        names = param_names(len(params))
        traces, legend = [], []
        for i, series in enumerate(run.update_series):
            xs, ys = series.points()
            if xs.size:
                traces.append(Trace(xs, ys, layer_style(i)))
                legend.append(("━", names[i] if i < len(names) else f"p{i}", layer_style(i)))
        if not traces:
            return message_lines("no update:data yet", width, height, DIM_STYLE)
        legend.append(("┄", f"{UPDATE_TARGET_LOG10:g} target", REF_STYLE))
        chart = line_chart(
            traces, width, height - 1, refs=[RefLine(UPDATE_TARGET_LOG10, REF_STYLE)], x_format=format_steps
        )
        return [legend_line(legend, width), *chart]
