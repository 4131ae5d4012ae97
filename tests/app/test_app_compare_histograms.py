"""A compare's histograms as small multiples: each variant on its own y scale by default (gain 0.5's spike
would flatten the others into lines), one shared scale on key y, and nothing drawn outside its plot."""

from __future__ import annotations

import re

from makemore_tui.tui.widgets.histogram import HistogramPanel
from tests.app.helpers import compare_app, run_async, screen_text, small_multiples
from tests.app.test_app_compare import panel_lines, started
from tests.fake_trainer import SMALL

BRAILLE = re.compile("[\u2801-\u28ff]")
LETTERS = "abcd"
HEADER = re.compile(r"(?:^|\s)([a-h]) (?=\S)")  # a variant's header: its letter, a space, its label


def multiples(app, panel_id: str) -> list[list[str]]:
    """Each small multiple's text lines (header, chart rows, x-axis labels), cut from the panel's lines
    at the columns where the variants' headers start."""
    text = ["".join(segment.text for segment in line) for line in panel_lines(app, panel_id)]
    return [[head, *rows] for _, head, rows in small_multiples(text, HEADER)]


def peaks_at_top(multiple: list[str]) -> bool:
    """Whether the multiple's curve reaches its chart's top row (where its y scale's top is)."""
    return bool(BRAILLE.search(multiple[1]))


@run_async
async def test_each_small_multiple_has_its_own_y_scale_and_y_shares_one():
    app, _ = compare_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await started(pilot, app)
        for panel_id in ("activations", "gradients"):
            shown = multiples(app, panel_id)
            assert [m[0].split()[0] for m in shown] == list(LETTERS), shown
            # own scales: every variant's peak is at the top of its plot, and every plot labels its y axis
            assert all(peaks_at_top(m) for m in shown), (panel_id, shown)
            assert all(re.match(r"\s*[-\d.e]+┤", m[1]) for m in shown), (panel_id, shown)
        await pilot.press("y")
        await pilot.pause()
        assert "histograms: one y scale for all variants" in screen_text(app)
        assert [p.border_subtitle for p in app.query(HistogramPanel)] == ["L5 · l: next layer · y: own y scale"] * 2
        shown = multiples(app, "activations")
        assert not all(peaks_at_top(m) for m in shown)  # the fake's gain 3 peaks highest: the others sit lower
        assert not re.match(r"\s*[-\d.e]+┤", shown[1][1])  # b shares a's axis: only the first of a row labels it


LINEAR = [
    (f"gain {name}", SMALL.replace(batchnorm=False, activation="linear", gain=gain))
    for name, gain in [("0.5", 0.5), ("1", 1.0), ("5/3", 5 / 3)]
]


@run_async
async def test_three_linear_variants_keep_their_sigma_in_every_header_at_160x50():
    app, _ = compare_app(LINEAR)
    async with app.run_test(size=(160, 50)) as pilot:
        await started(pilot, app)
        for panel_id in ("activations", "gradients"):
            headers = [m[0].strip() for m in multiples(app, panel_id)]
            assert [h.split()[0] for h in headers] == ["a", "b", "c"], headers
            assert all("σ" in header for header in headers), (panel_id, headers)  # `a 0.5 σ0.03` where room is short
