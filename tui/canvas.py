"""Cheap terminal plots: braille line charts, half-block maps and bars, as Rich segments.

Why not plotext: one plotext build costs 8 ms (60×16, 5 lines) to 57 ms (90×25, 6×500
points) of GIL-holding Python, and every millisecond the UI thread holds the GIL is taken
from the trainer thread (DESIGN §5). These numpy renderers build a whole panel in well
under a millisecond. Nothing here imports Textual, so it is testable on its own.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style

Line = list[Segment]

# Bit of each braille dot, indexed [row within the cell 0..3][column within the cell 0..1].
_DOT_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)
# Code 0 is drawn as a space: the empty braille glyph shows as dots in some fonts.
_BRAILLE = np.array([" "] + [chr(0x2800 + i) for i in range(1, 256)])
_EIGHTHS = " ▏▎▍▌▋▊▉█"
# A cell of a two-pixel-high map by (top pixel on) × 2 + (bottom pixel on): the glyph alone
# shows the pixels, so the map reads in colour and without (NO_COLOR, TERM=dumb) alike.
_HALF_BLOCKS = np.array([" ", "▄", "▀", "█"])


@dataclass(frozen=True)
class Trace:
    """One series to draw: a braille line, or markers when `marker` is set."""

    xs: Sequence[float]
    ys: Sequence[float]
    style: Style
    marker: str | None = None


@dataclass(frozen=True)
class RefLine:
    """A dotted horizontal reference line at `y` (such as update:data = 10^-3), drawn over the
    traces so dense data never hides it; with a `label`, the y axis names it on its row."""

    y: float
    style: Style
    label: str | None = None


def format_number(value: float) -> str:
    """A short axis label: 3 significant digits, scientific for tiny or huge values."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    magnitude = abs(value)
    if magnitude < 1e-2 or magnitude >= 1e5:
        return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e")
    return f"{value:.3g}"


def format_steps(value: float) -> str:
    """A step count as an axis label: 1200 → 1.2k, 150000 → 150k."""
    value = float(value)
    if abs(value) >= 1e6:
        return f"{value / 1e6:.3g}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:.3g}k"
    return f"{value:.0f}"


def _finite_range(traces: Sequence[Trace], axis: str, extra: Sequence[float] = ()) -> tuple[float, float] | None:
    lows, highs = [], []
    for trace in traces:
        values = np.asarray(trace.xs if axis == "x" else trace.ys, dtype=float)
        values = values[np.isfinite(values)]
        if values.size:
            lows.append(values.min())
            highs.append(values.max())
    lows.extend(extra)
    highs.extend(extra)
    if not lows:
        return None
    return float(min(lows)), float(max(highs))


def fitted_range(traces: Sequence[Trace], extra: Sequence[float] = ()) -> tuple[float, float] | None:
    """The y range line_chart fits to `traces` and the values in `extra` (reference lines), margins
    included; None when they hold no finite value. Pass it as `y_range` to fit the axis to some traces
    only (the others are clipped to it)."""
    found = _finite_range(traces, "y", extra)
    return None if found is None else _widen(*found, 0.05)


def _widen(lo: float, hi: float, pad: float) -> tuple[float, float]:
    if hi - lo < 1e-12:
        half = max(abs(lo) * 0.1, 0.5)
        return lo - half, hi + half
    margin = (hi - lo) * pad
    return lo - margin, hi + margin


def _raster_line(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dots of the polyline through integer points (px, py), every step at most one dot apart."""
    if px.size == 1:
        return px, py
    dx, dy = np.diff(px), np.diff(py)
    counts = np.maximum(np.abs(dx), np.abs(dy)) + 1
    segment = np.repeat(np.arange(counts.size), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    frac = offset / np.maximum(counts - 1, 1)[segment]
    xs = px[:-1][segment] + np.rint(dx[segment] * frac).astype(np.int64)
    ys = py[:-1][segment] + np.rint(dy[segment] * frac).astype(np.int64)
    return xs, ys


def _column_means(xs: np.ndarray, ys: np.ndarray, x0: float, x1: float, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """One point per dot column (the mean of the points in it): a line never needs more."""
    keep = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[keep], ys[keep]
    column = np.clip(((xs - x0) / (x1 - x0) * (columns - 1)).round().astype(np.int64), 0, columns - 1)
    counts = np.bincount(column, minlength=columns)
    filled = counts > 0
    return (
        np.bincount(column, xs, columns)[filled] / counts[filled],
        np.bincount(column, ys, columns)[filled] / counts[filled],
    )


def blank_lines(width: int, height: int) -> list[Line]:
    """`height` empty lines of `width` cells."""
    return [[Segment(" " * max(width, 0))] for _ in range(max(height, 0))]


def cut_line(line: Line, width: int) -> Line:
    """`line` as `width` cells show it: one too long for them is cut with `…` in its last cell, so a cut is
    never silent. Blanks past the edge are not a cut (they are dropped, unmarked); shorter lines are kept."""
    if width < 1 or sum(segment.cell_length for segment in line) <= width:
        return line
    if cell_len("".join(segment.text for segment in line).rstrip()) <= width:
        return list(Segment.adjust_line_length(line, width))
    kept = list(Segment.adjust_line_length(line, width - 1))
    style = next((segment.style for segment in reversed(kept) if segment.text.strip()), None)
    return [*kept, Segment("…", style)]


def message_lines(text: str, width: int, height: int, style: Style | None = None) -> list[Line]:
    """A message at the top of an otherwise empty area, wrapped to its width (the lines it has room for)."""
    lines = blank_lines(width, height)
    if lines and width > 0:
        for y, part in enumerate(textwrap.wrap(text, width)[:height]):
            part = set_cell_size(part, width)
            lines[y] = [Segment(part, style)]
    return lines


def line_mark(name: str, position: int) -> str:
    """The one cell that names a line on a plot: `L3` → `3`, `W2` → `2`, `C` → `C`; a letter past 9."""
    digits = name.lstrip("LW")
    if len(name) == 1:
        return name
    if len(digits) == 1 and digits.isdigit():
        return digits
    return chr(ord("a") + position % 26)


def line_labels(traces: Sequence[Trace], marks: Sequence[str], x_range: tuple[float, float]) -> list[Trace]:
    """A one-cell mark on each line, staggered along x (line i of n at (i + 1)/(n + 1) of `x_range`, on
    the line) so no two share a column: overlaid lines read apart without colour (NO_COLOR)."""
    x0, x1 = x_range
    labels = []
    for i, (trace, mark) in enumerate(zip(traces, marks)):
        xs, ys = np.asarray(trace.xs, dtype=float), np.asarray(trace.ys, dtype=float)
        keep = np.isfinite(xs) & np.isfinite(ys)
        xs, ys = xs[keep], ys[keep]
        if not xs.size:
            continue
        order = np.argsort(xs)
        x = min(max(x0 + (x1 - x0) * (i + 1) / (len(traces) + 1), xs.min()), xs.max())
        y = float(np.interp(x, xs[order], ys[order]))
        labels.append(Trace(np.array([x]), np.array([y]), trace.style, marker=mark))
    return labels


def line_chart(
    traces: Sequence[Trace],
    width: int,
    height: int,
    *,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    refs: Sequence[RefLine] = (),
    x_format: Callable[[float], str] = format_number,
    y_format: Callable[[float], str] = format_number,
    axis: Style | None = None,
) -> list[Line]:
    """Draw traces as braille lines with a labelled y axis (in `axis` style) and an x-axis label row.

    Returns exactly `height` lines of exactly `width` cells. Later traces win a shared cell.
    """
    if width < 12 or height < 3:
        return blank_lines(width, height)
    xr = x_range or _finite_range(traces, "x")
    yr = y_range or fitted_range(traces, [ref.y for ref in refs])
    if xr is None or yr is None:
        return message_lines("waiting for data…", width, height, axis)
    x0, x1 = _widen(*xr, 0.0)
    y0, y1 = _widen(*yr, 0.0)

    rows = height - 1
    labels = _distinct([y_format(y1), y_format((y0 + y1) / 2), y_format(y0)])
    label_width = min(max(len(label) for label in [*labels, *(ref.label or "" for ref in refs)]), 8)
    cols = width - label_width - 1
    if cols < 4:
        return blank_lines(width, height)
    dots_w, dots_h = cols * 2, rows * 4

    codes = np.zeros((rows, cols), dtype=np.uint8)
    owner = np.full((rows, cols), -1, dtype=np.int32)
    styles: list[Style] = []

    def to_dots(xs, ys):
        xs = np.asarray(xs, dtype=float)
        ys = np.asarray(ys, dtype=float)
        keep = np.isfinite(xs) & np.isfinite(ys)
        xs, ys = xs[keep], ys[keep]
        px = np.rint((xs - x0) / (x1 - x0) * (dots_w - 1)).astype(np.int64)
        py = np.rint((y1 - ys) / (y1 - y0) * (dots_h - 1)).astype(np.int64)
        return np.clip(px, 0, dots_w - 1), np.clip(py, 0, dots_h - 1)

    def plot_dots(px, py, style):
        if px.size == 0:
            return
        styles.append(style)
        r, c = py // 4, px // 2
        np.bitwise_or.at(codes, (r, c), _DOT_BITS[py % 4, px % 2])
        owner[r, c] = len(styles) - 1

    markers: list[tuple[int, int, str, int]] = []
    for trace in traces:
        xs, ys = trace.xs, trace.ys
        if trace.marker is None and len(xs) > dots_w:
            xs, ys = _column_means(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), x0, x1, dots_w)
        px, py = to_dots(xs, ys)
        if px.size == 0:
            continue
        if trace.marker:
            styles.append(trace.style)
            markers.extend((y // 4, x // 2, trace.marker, len(styles) - 1) for x, y in zip(px.tolist(), py.tolist()))
        else:
            plot_dots(*_raster_line(px, py), trace.style)

    ref_labels: dict[int, tuple[str, Style]] = {}
    for ref in refs:  # after the traces: every other cell of its row is its colour, so it shows through them
        if y0 <= ref.y <= y1:
            px = np.arange(0, dots_w, 4)  # a dot in every other cell: a dotted line
            _, py = to_dots([x0], [ref.y])
            plot_dots(px, np.full(px.shape, py[0]), ref.style)
            if ref.label:
                ref_labels[int(py[0]) // 4] = (ref.label, ref.style)

    chars = _BRAILLE[codes]
    labelled: dict[tuple[int, int], str] = {}  # cells holding a line's one-character name
    for r, c, marker, style_index in markers:
        if marker.isalnum():  # a line's name: two lines ending in one cell keep both names, side by side
            while labelled.get((r, c), marker) != marker and c > 0:
                c -= 1
            labelled[(r, c)] = marker
        chars[r, c] = marker
        owner[r, c] = style_index

    label_rows = {0: labels[0], (rows - 1) // 2: labels[1], rows - 1: labels[2]}
    label_rows.update({row: text for row, (text, _) in ref_labels.items()})
    # One join per row, then string slices per same-style run: far cheaper than joining runs.
    row_texts = ["".join(row) for row in chars.tolist()]
    changes = np.flatnonzero(owner[:, 1:] != owner[:, :-1])
    breaks_by_row: list[list[int]] = [[] for _ in range(rows)]
    for flat in changes.tolist():
        breaks_by_row[flat // (cols - 1)].append(flat % (cols - 1) + 1)
    owner_rows = owner.tolist()
    lines: list[Line] = []
    for r in range(rows):
        label = label_rows.get(r, "")[:label_width].rjust(label_width)
        label_style = ref_labels[r][1] if r in ref_labels else axis
        line = [Segment(label, label_style), Segment("┤" if r in label_rows else "│", label_style)]
        text, row_owner, start = row_texts[r], owner_rows[r], 0
        for stop in [*breaks_by_row[r], cols]:
            index = row_owner[start]
            line.append(Segment(text[start:stop], styles[index] if index >= 0 else None))
            start = stop
        lines.append(line)

    left, right = x_format(x0), x_format(x1)
    gap = cols - len(left) - len(right)
    axis_text = " " * (label_width + 1) + (left + " " * gap + right if gap >= 1 else left[:cols].ljust(cols))
    lines.append([Segment(axis_text, axis)])
    return lines


def _distinct(labels: list[str]) -> list[str]:
    """Axis labels with a repeat left blank: a range narrower than the labels' precision (a loss over 3.296…3.314)
    would otherwise say `3.31` on every labelled row, as if the rows were one value."""
    seen: set[str] = set()
    kept = []
    for label in labels:
        kept.append("" if label in seen else label)
        seen.add(label)
    return kept


def bool_map(grid: np.ndarray, width: int, height: int, on: Style, off: Style) -> list[Line]:
    """Draw a 2-D boolean array with half blocks (two pixel rows per cell), pooled to fit.

    A cell pixel is on when at least half of the array entries it covers are on, so a column
    that is on for every row (a dead neuron) stays a solid column however far it is shrunk.
    On pixels are glyph ink in `on`'s colour over `off`'s colour.
    """
    grid = np.asarray(grid, dtype=bool)
    if grid.ndim != 2 or grid.size == 0 or width < 1 or height < 1:
        return blank_lines(width, height)
    n_rows, n_cols = grid.shape
    cols = min(n_cols, width)
    pixel_rows = min(n_rows, height * 2)
    pooled = _pool(_pool(grid.astype(np.float32), pixel_rows, axis=0), cols, axis=1) >= 0.5
    if pixel_rows % 2:
        pooled = np.vstack([pooled, np.zeros((1, cols), dtype=bool)])
    combo = pooled[0::2].astype(np.int8) * 2 + pooled[1::2]  # top pixel ×2 + bottom pixel
    style = Style(color=on.color, bgcolor=off.color)
    lines: list[Line] = [
        [Segment("".join(row), style)] + ([Segment(" " * (width - cols))] if width > cols else [])
        for row in _HALF_BLOCKS[combo].tolist()
    ]
    lines.extend(blank_lines(width, height - len(lines)))
    return lines


def _pool(values: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Mean over `size` near-equal blocks along `axis`."""
    length = values.shape[axis]
    if size >= length:
        return values
    starts = (np.arange(size) * length) // size
    sums = np.add.reduceat(values, starts, axis=axis)
    counts = np.diff(np.append(starts, length))
    shape = [1, 1]
    shape[axis] = size
    return sums / counts.reshape(shape)


def bar(
    fraction: float,
    width: int,
    style: Style,
    track: Style,
    ghost: float | None = None,
    ghost_style: Style | None = None,
) -> Line:
    """A horizontal bar filled to `fraction` (0..1) with eighth-cell precision.

    `ghost` marks another fraction (the previous run's value) with a thin line on the track, or a
    cut in the bar.
    """
    if width < 1:
        return []
    fraction = min(max(fraction if math.isfinite(fraction) else 0.0, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    cells = ["█"] * full + ([_EIGHTHS[part]] if part and full < width else [])
    filled = len(cells)
    line = [Segment("".join(cells), style)]
    rest = width - filled
    ghost_at = None
    if ghost is not None and math.isfinite(ghost):
        ghost_at = min(int(min(max(ghost, 0.0), 1.0) * width), width - 1)
    ghost_style = ghost_style or track
    if ghost_at is not None and ghost_at < filled:
        # Inside the filled part: a cut in the bar, in the background's colour (the track's
        # background when it has one): legible on any bar that is legible on the background.
        on_bar = Style(color=track.bgcolor or ghost_style.color, bgcolor=style.color)
        text = line[0].text
        line = [Segment(text[:ghost_at], style), Segment("┃", on_bar), Segment(text[ghost_at + 1 :], style)]
    if rest <= 0:
        return line
    if ghost_at is not None and ghost_at >= filled:
        line.append(Segment("─" * (ghost_at - filled), track))
        line.append(Segment("┃", ghost_style))
        line.append(Segment("─" * (width - ghost_at - 1), track))
    else:
        line.append(Segment("─" * rest, track))
    return line
