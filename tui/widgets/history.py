"""Each layer's histogram over steps: a heatmap per layer, steps across, bins up (DESIGN §8).

The lecture draws one histogram per layer at one moment; this shows how that histogram moved
while the run trained: saturation creeping to the ±1 edges, gradients narrowing. Each column is
one moment's histogram normalised on its own (the shape, whatever the batch): each cell's density
against a flat histogram, a shade per doubling (░ under half as dense, ▒ under flat, ▓ under twice,
█ beyond), drawn in shade glyphs so it reads without colour too. The x axis spans the whole run (0 … its steps), so
in a replay the columns end at the cursor and ▲ marks the step shown as the cursor moves.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style

from makemore_tui.core.health import layer_name
from makemore_tui.tui.canvas import Line, format_number, format_steps, message_lines
from makemore_tui.tui.history import LayerHistory, rebin
from makemore_tui.tui.widgets.panel import CyclingPanel, text_line
from makemore_tui.tui.widgets.variants import set_subtitle

SHADES = np.array([" ", "░", "▒", "▓", "█"])  # a cell's density against a flat histogram: none … ≥2×
DOUBLINGS = np.array([0.5, 1.0, 2.0])  # ░ under half as dense as flat, ▒ under flat, ▓ under 2×, █ beyond
KINDS = ("activations", "gradients")
MIN_BAND = 4  # rows per layer (bins shown) when not every layer fits (z zooms for the rest)
TIGHT_BAND = 3  # the least (its top, name and bottom labels): every layer at 3 rows beats one left out
LABEL = 7  # cells of the value labels left of the heatmap


def heat_rows(history: LayerHistory, layer: int, rows: int, cols: int, x_end: float) -> tuple[np.ndarray, float, float]:
    """One layer's history as a (rows, cols) array of shade levels 0…4, top row the highest bin.

    Columns span steps 0…`x_end`; each display column shows the stored columns that fall in it
    (summed) or, between sparse records, the last one before it. Returns (levels, lo, hi): the
    value range shown (the widest any column has, symmetric for gradients).
    """
    steps, counts, lo, hi = history.columns()
    lo, hi = lo[:, layer], hi[:, layer]
    shown_lo, shown_hi = float(lo.min()), float(hi.max())
    if history.key == "grad_hist":
        shown_hi = max(abs(shown_lo), abs(shown_hi))
        shown_lo = -shown_hi
    binned = rebin(counts[:, layer, :], lo, hi, shown_lo, shown_hi, rows)  # (n, rows)
    x = np.clip(np.rint(steps / max(x_end, 1.0) * (cols - 1)), 0, cols - 1).astype(np.int64)
    grid = np.zeros((cols, rows))
    np.add.at(grid, x, binned)
    filled = np.zeros(cols, dtype=bool)
    filled[x] = True
    # between sparse records: the last column before (forward fill), up to the last record
    last = np.maximum.accumulate(np.where(filled, np.arange(cols), -1))
    covered = (last >= 0) & (np.arange(cols) <= x.max())
    grid = np.where(covered[:, None], grid[np.maximum(last, 0)], 0.0)
    total = grid.sum(axis=1, keepdims=True)
    # each column's histogram as a density against a flat one (1: the bin holds its 1/rows share):
    # a shade per doubling, so a broad histogram (BatchNorm's) shows its hump and a saturated one its
    # ±1 edges, however few rows a band has (scaled to the column's peak, 4 rows of a broad one are all █)
    dense = np.divide(grid * rows, total, out=np.zeros_like(grid), where=total > 0)
    levels = np.where(dense > 0, np.searchsorted(DOUBLINGS, dense, side="right") + 1, 0)
    return levels.T[::-1], shown_lo, shown_hi


class HistoryPanel(CyclingPanel):
    """Heatmaps of every layer's histogram over steps, activations or gradients (`h`)."""

    VIEWS = KINDS  # cycled by the app's `h` key

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        variant = self.view.variant_shown()  # a single run's only variant; in a compare the one v shows
        palette = self.palette
        if run is None or variant is None or variant.stats is None:
            return message_lines("waiting for the first statistics…", width, height, palette.dim)
        set_subtitle(self, variant.name)
        history = variant.history
        layers = history.gradients if self.view_name == "gradients" else history.activations
        names = [layer_name(layer, i) for i, layer in enumerate(variant.stats.get("layers") or [])]
        if not len(layers) or layers.shape is None or height < 4 or width < LABEL + 8:
            return message_lines("no histograms in these statistics", width, height, palette.dim)
        count = layers.shape[0]
        band = max((height - 2) // count, 1)
        shown = count if band >= TIGHT_BAND else max((height - 2) // MIN_BAND, 1)
        band = max((height - 2) // shown, 1)
        x_end = float(run.total_steps or max(run.step, 1))
        cols = width - LABEL
        zoom = ": z" if self.zoom_gives_room() else ""  # alone on the page, or zoomed, z adds no room
        hidden = f" · +{count - shown} more{zoom}" if shown < count else ""
        kind, other = self.view_name, KINDS[1 - self.shown]
        what = "t" if kind == "activations" else "∂loss/∂t"
        header = f"{kind} {what} over steps · h: {other}{hidden}"
        if len(header) > width:  # the layers left out matter more than the words
            header = f"{kind} · h: {other}{hidden}"
        lines = [text_line((header[:width], palette.dim))]
        for j in range(shown):
            levels, lo, hi = heat_rows(layers, j, band, cols, x_end)
            name = names[j] if j < len(names) else f"L{j + 1}"
            lines += self._band(levels, name, lo, hi, palette.layer(j))
        lines.append(self._axis(cols, x_end, run.step))
        return lines

    def _band(self, levels: np.ndarray, name: str, lo: float, hi: float, style: Style) -> list[Line]:
        """One layer's rows: its name and range on the left, the shades in its colour."""
        rows = levels.shape[0]
        labels = [format_number(hi), name, format_number(lo)] if rows >= 3 else [name] * rows
        at = {0: labels[0], rows - 1: labels[-1]} | ({rows // 2: labels[1]} if rows >= 3 else {})
        lines = []
        for r, text in enumerate("".join(row) for row in SHADES[levels].tolist()):
            label = at.get(r, "")[: LABEL - 1].rjust(LABEL - 1)
            label_style = style if label.strip() == name else self.palette.axis
            lines.append([Segment(label, label_style), Segment("│", self.palette.axis), Segment(text, style)])
        return lines

    def _axis(self, cols: int, x_end: float, step: int) -> Line:
        """Steps 0 … the run's end, ▲ at the step shown."""
        marker = int(np.clip(round(step / max(x_end, 1.0) * (cols - 1)), 0, cols - 1))
        left, right = "0", format_steps(x_end)
        cells = [" "] * cols
        cells[: len(left)] = left
        at = cols - len(right) - (1 if marker >= cols - len(right) else 0)  # the marker never hides the label
        cells[at : at + len(right)] = right
        cells[marker] = "▲"
        text = "".join(cells)
        return [
            Segment(" " * LABEL, self.palette.axis),
            Segment(text[:marker], self.palette.axis),
            Segment("▲", self.palette.message),
            Segment(text[marker + 1 :], self.palette.axis),
        ]
