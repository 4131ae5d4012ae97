"""What every panel shares to draw a compare: a colour and a letter per variant, ended variants greyed.

A variant is told apart three ways, so it reads on any theme and without colour (NO_COLOR, TERM=dumb):
its colour (the layer palette's, made legible on the background; red is left out, it means "bad"), its
letter (a, b, c, … at line ends and in legends) and its label (`gain 0.5`). A variant that ended early
(`variant_end`: diverged or failed while the others went on) is drawn in the ghost colour and says so.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style

from tui.canvas import Line
from tui.state import VariantView
from tui.widgets.palette import Palette

# Positions in the palette's layer colours (Tableau-10) for variants 0, 1, …: blue, orange, green,
# purple, teal, yellow, pink, brown; its red (3) is left out, the colour of "bad".
VARIANT_COLOURS = (0, 1, 2, 4, 6, 5, 7, 8)


def variant_style(palette: Palette, variant: VariantView) -> Style:
    """The variant's colour; the ghost colour once it has ended early."""
    if variant.ended is not None:
        return palette.ghost
    return palette.layer(VARIANT_COLOURS[variant.index % len(VARIANT_COLOURS)])


def ended_note(variant: VariantView, short: bool = False) -> str:
    """`✖ diverged at step 412` for a variant that ended early ("" while it trains); `short`: `✖ @412`."""
    end = variant.ended
    if end is None:
        return ""
    step = end.get("step")
    where = f"{step:,}" if isinstance(step, int) else "?"
    return f"✖ @{where}" if short else f"✖ {end.get('reason', 'ended')} at step {where}"


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
