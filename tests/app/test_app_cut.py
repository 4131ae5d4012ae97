"""Nothing is cut silently at a panel's right edge: a line too long for its panel is reflowed or
shortened, and a line that still does not fit ends in `…`."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from makemore_tui.tui.panels import PANELS
from makemore_tui.tui.widgets.panel import Panel
from makemore_tui.tui.widgets.saturation import footer_lines
from tests.app.helpers import compare_app, live_app, run_async, wait_for_text
from tests.fake_trainer import SMALL, compare_run

SIZES = [(80, 24), (120, 40), (160, 50)]
NO_BN = SMALL.replace(batchnorm=False)


@pytest.fixture
def built(monkeypatch) -> dict[str, tuple[int, list]]:
    """The lines each panel's `build` drew last, before the panel fitted them to its width, by panel id."""
    drawn: dict[str, tuple[int, list]] = {}

    def spy(build):
        def wrapped(self, width, height):
            lines = build(self, width, height)
            drawn[self.id] = (width, lines)
            return lines

        return wrapped

    for widget in {spec.widget for spec in PANELS}:
        monkeypatch.setattr(widget, "build", spy(widget.build))
    return drawn


def text(segments) -> str:
    return "".join(segment.text for segment in segments)


def panel_text(app, panel_id: str) -> str:
    panel = app.query_one(f"#{panel_id}", Panel)
    return "\n".join(text(panel.render_line(y)) for y in range(panel.size.height))


def silent_cuts(app, built) -> list[str]:
    """The lines of the panels on screen drawn wider than their panel whose last cell is not `…`."""
    cuts = []
    for panel in app.query(Panel):
        width, height = panel.size
        if not panel.display or width < 1 or height < 1:
            continue
        shown = [text(panel.render_line(y)) for y in range(height)]  # builds the panel if it changed
        drawn_width, lines = built[panel.id]
        assert drawn_width == width
        for y, line in enumerate(lines[:height]):
            if cell_len(text(line).rstrip()) > width and not shown[y].endswith("…"):
                cuts.append(f"{panel.id} at {width}: {text(line).rstrip()!r} shown as {shown[y]!r}")
    return cuts


def lr_compare() -> list[dict]:
    """`--compare lr=0.1,1000 --no-batchnorm`: b saturates every layer, then diverges at step 101 (frozen)."""
    variants = [("lr 0.1", NO_BN), ("lr 1000", NO_BN.replace(lr=1000.0))]
    records = compare_run(variants, upto=600, end=False, satmap=True, diverge={1: 100})
    for record in records:
        if record.get("event") == "stats" and record["variant"] == 1 and record["step"]:
            for layer in record["layers"]:
                layer["saturated_pct"] = 99.0
    return records


async def every_view(pilot, app, built) -> list[str]:
    """The silent cuts in the grid, with each variant on the one-variant panels (v), and in each panel alone."""
    await wait_for_text(pilot, app, "step 600")
    await pilot.pause(0.2)
    cuts = silent_cuts(app, built)
    for _ in app.view.current.variants:
        await pilot.press("v")
        await pilot.pause(0.1)
        cuts += silent_cuts(app, built)
    for spec in PANELS:
        await pilot.press(spec.key)
        await pilot.pause(0.1)
        cuts += silent_cuts(app, built)
    return cuts


@pytest.mark.parametrize("size", SIZES)
@run_async
async def test_no_line_of_a_gain_compare_is_cut_silently(built, size):
    app, _ = compare_app(diverge={3: 400})
    async with app.run_test(size=size) as pilot:
        cuts = await every_view(pilot, app, built)
    assert not cuts, "\n".join(cuts)


@pytest.mark.parametrize("size", SIZES)
@run_async
async def test_no_line_of_a_diverged_lr_compare_is_cut_silently(built, size):
    app, _ = compare_app([("lr 0.1", NO_BN), ("lr 1000", NO_BN)], records=lr_compare())
    async with app.run_test(size=size) as pilot:
        cuts = await every_view(pilot, app, built)
    assert not cuts, "\n".join(cuts)


@run_async
async def test_the_saturation_footer_of_a_diverged_variant_reads_whole():
    """Over two lines where the panel has room (160×50); said shorter on one line where it has none (the
    footer of a 120×40 grid, 56 cells, when no hint takes its line)."""
    app, _ = compare_app([("lr 0.1", NO_BN), ("lr 1000", NO_BN)], records=lr_compare())
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for_text(pilot, app, "step 600")
        await pilot.pause(0.2)
        saturation = panel_text(app, "saturation")
        assert "b ✖ diverged at step 101 off scale" in saturation, saturation
        assert "bars 0–20% of |t|>0.97" in saturation and "…" not in saturation, saturation
        variants = app.view.current.variants
        values = {v.index: [99.0] * 5 if v.ended else [8.0] * 5 for v in variants}
        assert footer_lines(variants, values, 20, 56, 1) == ["b ✖ diverged @101 off scale · bars 0–20% of |t|>0.97"]
        assert footer_lines(variants, values, 20, 30, 1) == ["b ✖ @101 off scale · bars 0–20%"]


@pytest.mark.parametrize("size", [(120, 40), (160, 50)])
@run_async
async def test_the_saturation_map_header_of_a_gain_compare_reads_whole(size):
    app, _ = compare_app(diverge={3: 400})
    async with app.run_test(size=size) as pilot:
        await wait_for_text(pilot, app, "step 600")
        await pilot.pause(0.2)
        header = panel_text(app, "satmap").splitlines()[0].rstrip()
        assert header.startswith("a gain 0.5 ·") and header.endswith("% white · 0 dead"), header
        assert "v next" in header, header  # the key to the next variant stays
        for _ in range(3):
            await pilot.press("v")
        await pilot.pause(0.1)
        header = panel_text(app, "satmap").splitlines()[0].rstrip()
        assert header.startswith("d gain 3 ✖") and header.endswith("% white · 0 dead"), header  # the frozen one
        samples = panel_text(app, "samples").splitlines()[0].rstrip()
        assert samples.startswith("d gain 3 ✖") and samples.endswith(" · v: next variant"), samples


@run_async
async def test_a_narrow_weights_table_leaves_a_column_out_rather_than_cut_one():
    app, _ = live_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, app, "step 600")
        app.action_keys_panel()  # beside the panels: the weights panel is 37 cells wide
        await pilot.pause(0.2)
        weights = panel_text(app, "weights")
    assert weights.splitlines()[0].rstrip().endswith("grad std grad:data") and "…" not in weights, weights
