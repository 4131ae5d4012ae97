"""The plot renderers: exact sizes whatever the input, lines where the data is, dead columns kept."""

from __future__ import annotations

import numpy as np
import pytest
from rich.segment import Segment
from rich.style import Style

from makemore_tui.tui.canvas import RefLine, Trace, bar, bool_map, cut_line, format_number, format_steps, line_chart

RED = Style(color="red")


def cells(line) -> int:
    return sum(Segment(s.text).cell_length for s in line)


def text(lines) -> list[str]:
    return ["".join(s.text for s in line) for line in lines]


@pytest.mark.parametrize("size", [(0, 0), (5, 2), (12, 3), (40, 10), (200, 50)])
def test_line_chart_is_exactly_the_size_asked(size):
    width, height = size
    trace = Trace(np.arange(100), np.sin(np.arange(100) / 10), RED)
    lines = line_chart([trace], width, height, refs=[RefLine(0.0, RED)])
    assert len(lines) == max(height, 0)
    assert all(cells(line) == width for line in lines)


def test_line_chart_copes_with_no_data_nan_and_flat_lines():
    assert "waiting" in text(line_chart([], 30, 5))[0]
    nan = Trace([0, 1, 2], [np.nan, np.nan, np.nan], RED)
    assert len(line_chart([nan], 30, 5)) == 5
    flat = line_chart([Trace([0, 1, 2], [2.0, 2.0, 2.0], RED)], 30, 5)
    assert any(ch != " " for row in text(flat)[:-1] for ch in row[6:])


def test_a_rising_line_goes_from_bottom_left_to_top_right():
    lines = text(line_chart([Trace([0, 1], [0.0, 1.0], RED)], 40, 10, y_range=(0, 1)))
    plot = [row[5:] for row in lines[:-1]]  # strip the y labels and axis
    first_col = min(i for i, ch in enumerate(plot[-1]) if ch != " ")
    last_col = max(i for i, ch in enumerate(plot[0]) if ch != " ")
    assert first_col < 3 and last_col > len(plot[0]) - 4


def test_markers_are_drawn_as_their_character():
    lines = text(line_chart([Trace([0, 10], [0, 1], RED), Trace([5], [0.5], RED, marker="◆")], 30, 6))
    assert sum(row.count("◆") for row in lines) == 1


def test_bool_map_keeps_a_dead_column_when_shrunk():
    grid = np.zeros((32, 100), dtype=bool)
    grid[:, 40] = True
    lines = bool_map(grid, 50, 4, Style(color="white"), Style(color="black"))
    assert len(lines) == 4 and all(cells(line) == 50 for line in lines)
    assert [[i for i, ch in enumerate(row) if ch != " "] for row in text(lines)] == [[20]] * 4
    assert text(lines)[0][20] == "█"  # both pixels of the cell on


def test_bool_map_pixels_show_without_colour():
    # NO_COLOR or TERM=dumb drop colours: the glyph alone must say which half of a cell is on.
    grid = np.array([[1, 0, 1, 0], [0, 1, 1, 0]], dtype=bool)  # top only, bottom only, both, neither
    assert text(bool_map(grid, 4, 1, Style(color="white"), Style(color="black"))) == ["▀▄█ "]


def test_bar_fills_and_marks_the_ghost():
    line = bar(0.5, 10, RED, Style(color="grey37"), ghost=0.8, ghost_style=Style(color="grey50"))
    assert (
        cells(line) == 10 and "".join(s.text for s in line).startswith("█████") and "┃" in "".join(s.text for s in line)
    )
    inside = bar(0.5, 10, RED, Style(color="grey37"), ghost=0.2, ghost_style=Style(color="grey50"))
    assert cells(inside) == 10 and "┃" in "".join(s.text for s in inside)
    assert cells(bar(float("nan"), 7, RED, RED)) == 7


def test_axis_labels_are_short():
    assert format_steps(150_000) == "150k" and format_steps(1_500_000) == "1.5M" and format_steps(12) == "12"
    assert format_number(0.00123) == "1e-3" and format_number(2.345) == "2.35"


def test_lines_ending_in_one_cell_keep_both_names_side_by_side():
    blue = Style(color="blue")
    lines = [Trace(np.arange(10), np.full(10, 1.3 + k * 1e-3), style) for k, style in enumerate((RED, blue))]
    ends = [Trace(line.xs[-1:], line.ys[-1:], line.style, marker=key) for line, key in zip(lines, "ab")]
    rows = text(line_chart([*lines, *ends], 30, 5, y_range=(0.0, 2.0)))
    (row,) = [row for row in rows if "a" in row or "b" in row]
    assert row.rstrip().endswith("ba")  # the first name keeps the end cell, the next steps left of it


def test_a_line_too_long_is_cut_with_an_ellipsis_in_its_last_cell():
    line = [Segment("b ✖ diverged", RED), Segment(" · bars 0–20% of |t|>0.97")]
    assert text([cut_line(line, 20)]) == ["b ✖ diverged · bars…"]
    assert cut_line(line, 20)[-1].style is None  # the cut segment's style
    assert text([cut_line([Segment("名前の一覧", RED)], 6)]) == ["名前 …"]  # a wide character is not halved
    assert cells(cut_line([Segment("名前の一覧", RED)], 6)) == 6


def test_a_line_that_fits_or_only_has_blanks_past_the_edge_is_not_marked():
    line = [Segment("0 dead", RED), Segment("    ")]
    assert cut_line(line, 10) == line
    assert text([cut_line(line, 7)]) == ["0 dead "]


def test_the_weights_table_fits_a_named_parameter_in_its_column_keeping_what_differs():
    from makemore_tui.tui.widgets.weights import NAME_CELLS, _fit

    assert _fit("W1") == "W1" and _fit("0.weight") == "0"  # `.weight` is on every row: it goes
    assert _fit("blocks.0.fc.weight") == "…0.fc" and len(_fit("blocks.0.fc.weight")) == NAME_CELLS
