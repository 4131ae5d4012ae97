"""What every panel shares to draw a compare: a colour and a letter per variant, ended variants greyed.

A variant is told apart three ways, so it reads on any theme and without colour (NO_COLOR, TERM=dumb):
its colour (the layer palette's, made legible on the background; red is left out, it means "bad"), its
letter (a, b, c, … at line ends and in legends) and its label (`gain 0.5`). A variant that ended early
(`variant_end`: diverged or failed while the others went on) is drawn in the ghost colour and says so.
"""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style

from makemore_tui.tui.canvas import Line
from makemore_tui.tui.state import VariantView
from makemore_tui.tui.widgets.palette import Palette

# Positions in the palette's layer colours (Tableau-10) for variants 0, 1, …: blue, orange, green,
# purple, teal, yellow, pink, brown; its red (3) is left out, the colour of "bad".
VARIANT_COLOURS = (0, 1, 2, 4, 6, 5, 7, 8)


def variant_style(palette: Palette, variant: VariantView) -> Style:
    """The variant's colour; the ghost colour once it has ended early."""
    if variant.ended is not None:
        return palette.ghost
    return palette.layer(VARIANT_COLOURS[variant.index % len(VARIANT_COLOURS)])


def ended_note(variant: VariantView, short: bool = False, brief: bool = False) -> str:
    """`✖ diverged at step 412` for a variant that ended early ("" while it trains); `brief`: `✖ diverged @412`;
    `short`: `✖ @412`."""
    end = variant.ended
    if end is None:
        return ""
    step = end.get("step")
    where = f"{step:,}" if isinstance(step, int) else "?"
    if short:
        return f"✖ @{where}"
    return f"✖ {end.get('reason', 'ended')} {'@' if brief else 'at step '}{where}"


OFF_SCALE = "off scale"  # said of a frozen variant drawn clipped to the scale the others set


def scale_setters(variants: list[VariantView]) -> list[VariantView]:
    """The variants that set a compare's shared scales (axes, histogram ranges, bar scales): those still
    training. A frozen one (ended early by `variant_end`, often for blowing up) would squash the others
    to a line or a spike; it is drawn clipped to their scale, and said OFF_SCALE. All when none trains."""
    training = [variant for variant in variants if variant.ended is None]
    return training or list(variants)


def off_scale(values, low: float, high: float) -> bool:
    """True when a finite one of `values` lies outside [low, high]: drawn clipped."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return bool(finite.size) and bool(finite.min() < low or finite.max() > high)


def fit(text: str, cells: int) -> str:
    """`text` cut or padded to exactly `cells` terminal cells (by display width), `…` where cut."""
    if cells <= 0:
        return ""
    if cell_len(text) <= cells:
        return set_cell_size(text, cells)
    return set_cell_size(text, cells - 1) + "…"


def side_by_side(blocks: list[list[Line]], widths: list[int], gap: int = 1) -> list[Line]:
    """Blocks of lines placed left to right, block k padded to widths[k] cells, `gap` spaces between."""
    height = max((len(block) for block in blocks), default=0)
    lines: list[Line] = []
    for y in range(height):
        line: Line = []
        for k, (block, width) in enumerate(zip(blocks, widths)):
            if k:
                line.append(Segment(" " * gap))
            segments = block[y] if y < len(block) else []
            used = sum(segment.cell_length for segment in segments)
            line += list(Segment.adjust_line_length(segments, width)) if used > width else segments
            if used < width:
                line.append(Segment(" " * (width - used)))
        lines.append(line)
    return lines


def split_widths(total: int, count: int, gap: int = 1) -> list[int]:
    """`count` near-equal widths that fill `total` cells with `gap` cells between them."""
    room = max(total - gap * (count - 1), count)
    base, extra = divmod(room, count)
    return [base + (1 if k < extra else 0) for k in range(count)]


def shared_words(labels: list[str]) -> str:
    """The leading words every label shares, `gain` for `gain 0.5`, `gain 1`, … ("" when none, or when
    they would leave a label empty)."""
    split = [label.split(" ") for label in labels]
    if len(split) < 2:
        return ""
    shared = []
    for words in zip(*split):
        if len(set(words)) > 1:
            break
        shared.append(words[0])
    if any(len(words) <= len(shared) for words in split):
        return ""
    return " ".join(shared)


def short_label(variant: VariantView, shared: str) -> str:
    """The variant's letter and label without the words every label shares: `a 0.5`."""
    label = variant.label[len(shared) :].lstrip() if shared else variant.label
    return f"{variant.key} {label}"


def labels_line(labels: list[str]) -> str:
    """Labels in one line, the shared words said once: `gain 0.5 · 1 · 5/3 · 3`."""
    shared = shared_words(labels)
    if not shared:
        return " · ".join(labels)
    return f"{shared} " + " · ".join(label[len(shared) :].lstrip() for label in labels)


def set_subtitle(widget, text: str) -> None:
    """The widget's border subtitle (what a compare panel shows: its layer, its measure), set only on change."""
    if widget.border_subtitle != text:
        widget.border_subtitle = text


Entry = tuple[str, str, Style]  # a legend entry: marker, label, style (tui.widgets.panel.legend_lines)


def entries_fit(entries: list[Entry], width: int, lines: int) -> bool:
    """True when legend_lines would show every entry in `lines` lines of `width` cells."""
    rows, used = 1, 0
    for marker, label, _ in entries:
        size = (cell_len(marker) + 1 if marker else 0) + cell_len(label) + 2
        if used and used + size - 2 > width:
            rows, used = rows + 1, 0
        used += size
    return rows <= lines


def variant_entries(
    variants: list[VariantView], palette: Palette, width: int, lines: int, notes: dict[int, str] | None = None
) -> list[Entry]:
    """A legend entry per variant (`━ a gain 0.5`, a note after it); when they do not all fit in
    `lines` lines, the words every label shares are said once in front (`gain ━ a 0.5 ━ b 1`)."""
    notes = notes or {}

    def entry(variant: VariantView, name: str) -> Entry:
        note = notes.get(variant.index, "")
        return ("━", f"{name} {note}".rstrip(), variant_style(palette, variant))

    full = [entry(variant, variant.name) for variant in variants]
    shared = shared_words([variant.label for variant in variants])
    if entries_fit(full, width, lines) or not shared:
        return full
    return [("", shared, palette.dim), *(entry(variant, short_label(variant, shared)) for variant in variants)]
