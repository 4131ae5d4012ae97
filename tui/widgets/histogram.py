"""Histograms of the tanh layers, activations or their gradients: every layer overlaid on shared
bins (one run), or in a compare one layer (key l) as small multiples, one per variant, on a shared
x axis; each multiple has its own y scale (gain 0.5's spike would flatten the others to lines), or
all share one (key y). Key p turns the activations' panel to the tanh layers' input, the lecture's
hpreact, from the latest stats record that carries it (every records.WEIGHT_HIST_EVERY-th)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from rich.cells import cell_len

from makemore_tui.core.health import layer_name
from makemore_tui.core.values import layer_histogram
from makemore_tui.tui.canvas import Line, Trace, line_chart, line_labels, line_mark, message_lines
from makemore_tui.tui.state import RunView, VariantView
from makemore_tui.tui.widgets.panel import CyclingPanel, legend_lines, text_line
from makemore_tui.tui.widgets.variants import (
    OFF_SCALE,
    ended_note,
    fit,
    off_scale,
    scale_setters,
    set_subtitle,
    shared_words,
    short_label,
    side_by_side,
    split_widths,
    variant_style,
)

MIN_MULTIPLE = 12  # cells a small multiple needs (the chart's least); narrower ones go two to a row


def density(edges: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Counts as a probability density over their bins (integrates to 1), so histograms of
    different bin widths (gradients of different runs) share a y axis honestly."""
    total = counts.sum()
    return counts / (total * np.diff(edges)) if total > 0 else counts


def sigma_scale(values: Sequence) -> tuple[str, float]:
    """A shared unit for a legend's standard deviations: ("σ", 1) or ("σ×1e-3", 1e-3) for small ones."""
    finite = [abs(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v) and v != 0]
    if not finite:
        return "σ", 1.0
    exponent = math.floor(math.log10(max(finite)))
    if exponent >= -1:
        return "σ", 1.0
    return f"σ×1e{exponent}", 10.0**exponent


def compact(value) -> str:
    """A standard deviation in few cells: `0.56`, `2.0e-3`."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    if abs(value) >= 0.01:
        return f"{value:.2f}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def short_number(value: float) -> str:
    """An axis label in few cells for narrow charts: `-1`, `0.5`, `8.3`, `-6e-2`, `1e3`."""
    if value == 0 or 0.1 <= abs(value) < 100:
        return f"{value:.2g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def format_sigma(value, unit: float) -> str:
    """A standard deviation in the legend's unit, two significant digits: `0.56`, `2.0`."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    scaled = value / unit
    return f"{scaled:.2f}" if unit == 1.0 else f"{scaled:.1f}"


class HistogramPanel(CyclingPanel):
    """Per-layer histograms (as density) of tanh outputs (p: of their inputs, hpreact) or of their gradients."""

    VIEWS = ("t", "hpreact")  # the activations' panel: the tanh output, or its input (key p)

    def __init__(self, view, spec, *, gradients: bool):
        super().__init__(view, spec)
        self.gradients = gradients

    @property
    def hpreact(self) -> bool:
        """The activations' panel shows the tanh layers' input, hpreact (key p)."""
        return not self.gradients and self.view_name == "hpreact"

    @property
    def key(self) -> str:
        """The layer record's histogram drawn."""
        return "grad_hist" if self.gradients else "hpreact_hist" if self.hpreact else "hist"

    @property
    def std_key(self) -> str | None:
        """The layer record's std of what is drawn (none for hpreact)."""
        return "grad_std" if self.gradients else None if self.hpreact else "std"

    def extra_key(self) -> tuple:
        return (*super().extra_key(), self.view.hist_layer, self.view.hist_shared_y)

    def heading(self) -> str:
        heading = super().heading()
        return heading.replace("output t", "input hpreact") if self.hpreact else heading

    def source(self, variant: VariantView) -> Mapping | None:
        """The stats record drawn for `variant`: its latest, or for hpreact the latest that carries it."""
        return variant.history.hpreacts if self.hpreact else variant.stats

    def build(self, width: int, height: int) -> list[Line]:
        return self.stats_body(width, height, lambda run: self._shown(width, height))

    def _shown(self, width: int, height: int) -> list[Line]:
        """A single run's body: the variant shown's record (its latest, or the latest with hpreact)."""
        set_subtitle(self, "")
        stats = self.source(self.view.variant_shown())
        if stats is None:
            return message_lines("no hpreact histograms yet (every 20th record)", width, height, self.palette.dim)
        return self._single(stats, width, height)

    def _single(self, stats: Mapping, width: int, height: int) -> list[Line]:
        palette = self.palette
        layers = stats.get("layers") or []
        traces, entries, marks = [], [], []
        edges = None
        unit_label, unit = sigma_scale([layer.get(self.std_key) for layer in layers] if self.std_key else [])
        if self.hpreact:
            unit_label = f"hpreact @{stats.get('step')}"  # from the latest record that carries it: its step
        for i, layer in enumerate(layers):
            found = layer_histogram(stats, layer, self.key)
            if found is None:
                continue
            edges, counts = found
            traces.append(Trace((edges[:-1] + edges[1:]) / 2, density(edges, counts), palette.layer(i)))
            name = layer_name(layer, i)
            marks.append(line_mark(name, i))
            marker = marks[-1] if self.monochrome else "━"  # without colour the mark on the line names it
            sigma = f" {format_sigma(layer.get(self.std_key), unit)}" if self.std_key else ""
            entries.append((marker, name + sigma, palette.layer(i)))
        if not traces:
            return message_lines("no histograms in these statistics", width, height, palette.dim)
        legend = legend_lines([("", unit_label, palette.dim), *entries], width, 2 if height >= 9 else 1, palette.dim)
        top = max(float(np.max(trace.ys)) for trace in traces)
        x_range = (float(edges[0]), float(edges[-1]))
        chart = line_chart(
            traces + (line_labels(traces, marks, x_range) if self.monochrome else []),
            width,
            height - len(legend),
            x_range=x_range,
            y_range=(0.0, top if top > 0 else 1.0),
            axis=palette.axis,
        )
        return [*legend, *chart]

    # ---- a compare: one layer, one small multiple per variant --------------------------------

    def layer_position(self, run: RunView) -> int:
        """The layer the small multiples show: the one key l chose, else the last."""
        depth = max((len((v.stats or {}).get("layers") or []) for v in run.variants), default=0)
        chosen = self.view.hist_layer
        return (depth - 1 if chosen is None else chosen % max(depth, 1)) if depth else 0

    def _compare(self, run: RunView, width: int, height: int) -> list[Line]:
        palette = self.palette
        position = self.layer_position(run)
        shared = self.view.hist_shared_y
        set_subtitle(self, f"L{position + 1} · l: next layer · y: {'own' if shared else 'shared'} y scale")
        found = {v.index: self._histogram(v, position) for v in run.variants}
        shown = {k: h for k, h in found.items() if h is not None}
        if not shown:
            return message_lines(f"no L{position + 1} histograms in these statistics", width, height, palette.dim)
        setters = {v.index for v in scale_setters(run.variants)}
        scaled = {k: h for k, h in shown.items() if k in setters} or shown  # a frozen variant sets no scale
        span = max(max(abs(edges[0]), abs(edges[-1])) for edges, _ in scaled.values())
        x_range = (-span, span) if self.gradients or span != 1.0 else (-1.0, 1.0)
        shared_top = max(float(np.max(ys)) for _, ys in scaled.values())
        tops = {k: shared_top if shared else float(np.max(ys)) for k, (_, ys) in shown.items()}
        off = {k for k, (edges, ys) in shown.items() if off_scale(edges, -span, span) or off_scale(ys, 0.0, tops[k])}
        count = len(run.variants)
        words = shared_words([v.label for v in run.variants])
        per_row = count if (width - count + 1) // count >= MIN_MULTIPLE else max(1, (count + 1) // 2)
        rows = [run.variants[k : k + per_row] for k in range(0, count, per_row)]
        chart_height = max(height // len(rows) - 1, 3)
        lines: list[Line] = []
        for row in rows:
            widths = split_widths(width, per_row)
            headers, charts = [], []
            for k, variant in enumerate(row):
                headers.append(self._header(variant, position, widths[k], variant.index in off, words))
                found_k = found[variant.index]
                top = tops.get(variant.index, shared_top)
                labelled = k == 0 or not shared  # own scales: each multiple labels its own y axis
                charts.append(self._multiple(variant, found_k, widths[k], chart_height, x_range, top, labelled))
            lines += side_by_side([[h] for h in headers], widths) + side_by_side(charts, widths)
        return lines[:height]

    def _histogram(self, variant: VariantView, position: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(bin centres, density) of the variant's layer at `position`, or None."""
        stats = self.source(variant) or {}
        layers = stats.get("layers") or []
        if position >= len(layers):
            return None
        found = layer_histogram(stats, layers[position], self.key)
        if found is None:
            return None
        edges, counts = found
        return edges, density(edges, counts)

    def _header(self, variant: VariantView, position: int, width: int, off: bool, shared: str = "") -> Line:
        """`a gain 0.5 σ0.61` (`d gain 3 ✖ @401 σ0.73` once ended, `off scale` when drawn clipped to the
        others' range), shortened to `width`: first the words every label shares (`a 0.5 σ0.61`), then σ."""
        layers = (variant.stats or {}).get("layers") or []
        std = layers[position].get(self.std_key) if position < len(layers) and self.std_key else None
        sigma = f"σ{compact(std)}" if self.std_key else ""  # hpreact: no std in the record
        ended = ended_note(variant, short=True)
        clipped = OFF_SCALE if off else ""
        short = short_label(variant, shared)
        for parts in (
            [variant.name, ended, clipped, sigma],
            [short, ended, clipped, sigma],
            [short, ended[:1], clipped, sigma],
            [variant.name, ended, clipped],
            [variant.name, ended[:1], clipped],
            [variant.key, ended[:1], clipped],  # `d ✖ off scale`: the letter names it in the legends
            [variant.name, ended[:1]],
        ):
            text = " ".join(part for part in parts if part)
            if cell_len(text) <= width:
                break
        return text_line((fit(text, width), variant_style(self.palette, variant)))

    def _multiple(self, variant, found, width: int, height: int, x_range, top: float, labelled: bool) -> list[Line]:
        """One variant's histogram, its y axis labelled when `labelled` (a shared one: the first of a row only)."""
        palette = self.palette
        if found is None:
            return message_lines("–", width, height, palette.dim)
        edges, ys = found
        centres = (edges[:-1] + edges[1:]) / 2
        inside = (centres >= x_range[0]) & (centres <= x_range[1])  # not piled at the shared range's edge
        trace = Trace(centres[inside], ys[inside], variant_style(palette, variant))
        return line_chart(
            [trace],
            width,
            height,
            x_range=x_range,
            y_range=(0.0, top if top > 0 else 1.0),
            y_format=short_number if labelled else (lambda y: ""),
            x_format=short_number,
            axis=palette.axis,
        )
