"""Per 2-D parameter: the gradient table the lecture prints, and its weight-gradient histograms.

Two views (`w`): the table (gradient mean and std, grad:data, update:data, a log10 grad:data
bar) and the lecture's third figure, every weight gradient's histogram overlaid. Stats records
carry the histograms only every records.WEIGHT_HIST_EVERY-th time (and at step 0, the last step,
paused steps): the figure shows the latest that has them and says its step. A tall panel
(zoomed) shows the table with the histograms under it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from makemore_tui.core.health import param_labels
from makemore_tui.core.values import histogram_edges, is_number
from makemore_tui.tui.canvas import Line, Trace, bar, line_chart, line_labels, line_mark, message_lines
from makemore_tui.tui.widgets.panel import CyclingPanel, text_line
from makemore_tui.tui.widgets.variants import set_subtitle

# grad:data bars span these decades: 1e-5 … 1e0 covers every healthy and sick run we saw.
LOG_LOW, LOG_HIGH = -5.0, 0.0
NAME_CELLS = 5  # a parameter's name in the table at least; a longer one takes up to MAX_NAME_CELLS from the bar
MAX_NAME_CELLS = 16
SHAPE_CELLS = 11  # the shape column with its padding (less when a --model net's names need the room)
MIN_BAR = 12  # cells a wide grad:data bar keeps when names take room from it (a narrow one gives way)


def _short(name: str) -> str:
    """`name` without the `.weight` every row would repeat (`0.weight` → `0`, `layers.12.weight` → `layers.12`)."""
    return name.removesuffix(".weight") or name


def _shape(param: Mapping) -> str:
    """`100×27`: a parameter's shape."""
    return "×".join(str(size) for size in param.get("shape") or [])


def _fit(name: str, cells: int = NAME_CELLS) -> str:
    """`name` (_short) in `cells` cells; the end of a long name says the most (`blocks.0.fc.weight` → `…0.fc`)."""
    name = _short(name)
    return name if len(name) <= cells else "…" + name[-(cells - 1) :]


VIEWS = ("table", "histograms")
BOTH_MIN_CHART = 10  # lines the histograms need under the table before a tall table view shows both
# The bar column's header, longest first: the first that fits the bar's width is shown.
BAR_HEADERS = (f"log10 grad:data {LOG_LOW:g}…{LOG_HIGH:g}", f"log10 g:d {LOG_LOW:g}…{LOG_HIGH:g}", "log g:d", "g:d")


class WeightsPanel(CyclingPanel):
    """The weight gradients: the lecture's table, or its histograms (`w` switches)."""

    VIEWS = VIEWS  # cycled by the app's `w` key

    def body_lines(self) -> int:
        # every weight's row before hints take lines (they shorten to one line each, or a count)
        variant = self.view.variant_shown()
        params = (variant.stats or {}).get("params") if variant is not None else None
        return len(params) + 1 if self.view_name == "table" and isinstance(params, list) else 5

    def build(self, width: int, height: int) -> list[Line]:
        variant = self.view.variant_shown()  # a single run's only variant; in a compare the one v shows
        palette = self.palette
        if variant is None or variant.stats is None:
            return message_lines("waiting for the first statistics…", width, height, palette.dim)
        set_subtitle(self, variant.name)
        params = [p for p in variant.stats.get("params") or [] if isinstance(p, Mapping)]
        if self.view_name == "histograms":
            return self.histograms(variant.history.weights, width, height)
        if not params:
            return message_lines("no parameter statistics", width, height, palette.dim)
        table = self.table(params, width, height)
        if height - len(table) >= BOTH_MIN_CHART + 1:
            table += [[], *self.histograms(variant.history.weights, width, height - len(table) - 1)]
        return table

    def table(self, params: list[Mapping], width: int, height: int) -> list[Line]:
        """Header and one row per parameter; rows that do not fit are named in a `+N more` line."""
        palette = self.palette
        finite = sorted(r for r in (p.get("grad_to_data") for p in params) if is_number(r) and r > 0)
        median = finite[len(finite) // 2] if finite else None
        show_mean = width >= 70
        show_update = width >= 46  # narrower: update:data goes (panel 5 plots it), grad:data stays whole
        bar_width = max(width - (58 if show_mean else 46), 0)
        names = param_labels(params)
        longest = max((len(_short(name)) for name in names), default=NAME_CELLS)
        spare = bar_width - MIN_BAR if bar_width >= MIN_BAR + 8 else bar_width  # a bar too narrow gives way
        shape_cells = SHAPE_CELLS
        if longest > NAME_CELLS + spare:  # and the shape column its padding
            shape_cells = max(max((len(_shape(p)) for p in params), default=5) + 1, 6)
            spare += SHAPE_CELLS - shape_cells
        cells = max(NAME_CELLS, min(longest, MAX_NAME_CELLS, NAME_CELLS + spare))
        bar_width -= cells - NAME_CELLS + shape_cells - SHAPE_CELLS  # `layers.12` whole where the row has room
        header = (
            f"{'param':<{cells + 1}}{'shape':<{shape_cells}}"
            + (f"{'grad mean':>11}" if show_mean else "")
            + f"{'grad std':>10}{'grad:data':>10}"
            + (f"{'upd:data':>9}" if show_update else "")
        )
        if bar_width >= 8:
            label = next((text for text in BAR_HEADERS if len(text) <= bar_width - 2), "")
            header += "  " + label
        fit = len(params) if len(params) + 1 <= height else max(height - 2, 0)
        lines = [text_line((header, palette.dim))]
        for i in range(fit):
            name = f"{_fit(names[i], cells):<{cells}} {_shape(params[i]):<{shape_cells}}"
            lines.append(self._row(i, name, params[i], median, show_mean, show_update, bar_width))
        if fit < len(params):
            hidden = names[fit:]
            lines.append(text_line((f"+{len(hidden)} more: {', '.join(hidden)} · z zooms", palette.warn)))
        return lines[:height]

    def _row(
        self, i: int, head: str, param: Mapping, median, show_mean: bool, show_update: bool, bar_width: int
    ) -> Line:
        """Parameter `i`'s row: `head` (its name and shape, fitted to the table's columns), then its numbers."""
        palette = self.palette
        ratio = param.get("grad_to_data")
        # The lecture's tell-tale: one layer learning ~10× faster than the rest (the last
        # layer right after init) shows up as a grad:data far above the median.
        outlier = median is not None and is_number(ratio) and ratio > 10 * median
        row = head
        if show_mean:
            row += f"{_sci(param.get('grad_mean')):>11}"
        row += f"{_sci(param.get('grad_std')):>10}"
        line = text_line((row, palette.layer(i)), (f"{_sci(ratio):>10}", palette.warn if outlier else None))
        update = param.get("update_to_data_log10")
        if show_update:
            line += text_line((f"{update:>9.2f}" if is_number(update) else f"{'–':>9}", None))
        if bar_width >= 8 and is_number(ratio) and ratio > 0:
            frac = (math.log10(ratio) - LOG_LOW) / (LOG_HIGH - LOG_LOW)
            style = palette.warn if outlier else palette.layer(i)
            line += text_line("  ") + bar(frac, bar_width - 2, style, palette.track)
        return line

    def histograms(self, latest: dict | None, width: int, height: int) -> list[Line]:
        """Every weight gradient's histogram (as density) overlaid, legend lines above, from `latest`."""
        palette = self.palette
        if latest is None:
            return message_lines("no weight-gradient histograms yet · w: table", width, height, palette.dim)
        params = latest["params"]
        traces, legend, short, marks = [], [], [], []
        names = param_labels(params)
        for i, (name, param) in enumerate(zip(names, params)):
            hist = param.get("grad_hist") if isinstance(param, Mapping) else None
            edges = histogram_edges(hist) if isinstance(hist, Mapping) else None
            if edges is None:
                continue
            counts = np.asarray(hist["counts"], dtype=float)
            total = counts.sum()
            density = counts / (total * np.diff(edges)) if total > 0 else counts
            traces.append(Trace((edges[:-1] + edges[1:]) / 2, density, palette.layer(i)))
            marks.append(line_mark(name, i))
            marker = marks[-1] if self.monochrome else "━"  # without colour the mark on the line names it
            shape = "×".join(str(s) for s in param.get("shape") or [])
            legend.append((f"{marker} {name} {shape} g:d {_sci(param.get('grad_to_data'))}", palette.layer(i)))
            short.append((f"{marker} {name}", palette.layer(i)))
        if not traces:
            return message_lines("no weight-gradient histograms in these statistics", width, height, palette.dim)
        step = latest.get("step")
        title = f"weight gradients at step {step:,} · w: table" if isinstance(step, int) else "weight gradients"
        legend_lines = _wrap_legend(legend, width, max(height - 5, 1))
        if len(legend_lines) > max(1, (height - 1) // 4):  # a small panel: the chart first, names only
            legend_lines = _wrap_legend(short, width, max(height - 5, 1))
        lines = [text_line((title[:width], palette.dim)), *legend_lines]
        top = max(float(np.max(trace.ys)) for trace in traces)
        span = max(float(np.max(np.abs(trace.xs))) for trace in traces)
        chart_height = height - len(lines)
        if chart_height < 3:
            return lines[:height]
        if self.monochrome:
            traces += line_labels(traces, marks, (-span, span))
        return lines + line_chart(
            traces, width, chart_height, x_range=(-span, span), y_range=(0.0, top or 1.0), axis=palette.axis
        )


def _wrap_legend(entries: list[tuple[str, object]], width: int, max_lines: int) -> list[Line]:
    """Legend entries over as many lines as they need; past `max_lines` the last line says `+N more`."""
    rows: list[list[tuple[str, object]]] = [[]]
    for text, style in entries:
        used = sum(len(item) + 2 for item, _ in rows[-1])
        if rows[-1] and used + len(text) > width:
            rows.append([])
        rows[-1].append((text, style))
    if len(rows) > max_lines:
        rows = rows[:max_lines]
        shown = sum(len(row) for row in rows)
        while rows[-1] and sum(len(item) + 2 for item, _ in rows[-1]) + len(f"+{len(entries) - shown} more") > width:
            rows[-1].pop()
            shown -= 1
        rows[-1].append((f"+{len(entries) - shown} more", None))
    return [text_line(*[(text + "  ", style) for text, style in row]) for row in rows]


def _sci(value) -> str:
    return f"{value:.2e}" if is_number(value) else "–"
