"""Sizes: readable at 80×24, all panels at 120×40 and 200×60, "too small" below the minimum."""

from __future__ import annotations

import re

import pytest

from makemore_tui.tui.canvas import message_lines
from makemore_tui.tui.widgets.panel import Panel
from tests.app.helpers import GAINS, compare_app, live_app, run_async, screen_text, wait_for_text
from tests.app.test_app_compare import panel_text
from tests.fake_trainer import SMALL, compare_run, recorded_run

PANEL_TITLES = [
    "1 saturation",
    "2 activation histograms",
    "3 gradient histograms",
    "4 weight gradients",
    "5 update:data",
    "6 loss",
    "7 saturation map",
    "8 samples",
    "9 histograms over steps",
    "0 runs",
]


@pytest.mark.parametrize("size", [(20, 8), (30, 10)])
@run_async
async def test_tiny_terminals_say_too_small(size):
    app, _ = live_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "too small" in text and "60×16" in text


@pytest.mark.parametrize("size", [(120, 40), (200, 60)])
@run_async
async def test_big_terminals_show_every_panel(size):
    app, _ = live_app(recorded_run(SMALL))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(app)
        for title in PANEL_TITLES if size == (200, 60) else PANEL_TITLES[:8]:  # 9 and 0 are a key away at 120×40
            assert title in text
        for layer in ("L1", "L2", "L3", "L4", "L5"):
            assert f"{layer} " in text
        assert "mora" in text  # the samples


@run_async
async def test_80x24_shows_one_panel_and_a_page_bar_to_reach_the_rest():
    app, _ = live_app(recorded_run(SMALL))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "1 saturation · tanh layers" in text and "6 loss · log scale" not in text
        assert all(f"{n} " in text.splitlines()[2] for n in range(10))  # the page bar, every panel
        assert "step 1,000/1,000" in text and "q quit" in text
        for number, title in enumerate(PANEL_TITLES, start=1):
            await pilot.press(str(number % 10))
            assert title in screen_text(app)
        await pilot.press("tab")
        assert PANEL_TITLES[0] in screen_text(app)


@pytest.mark.parametrize("width", [60, 61, 70, 80, 100])
@run_async
async def test_the_page_bar_keeps_every_panels_number_and_each_warning_against_its_name(width):
    app, _ = live_app(recorded_run(SMALL.replace(batchnorm=False, gain=3.0)))  # hints: saturation, loss, map
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        bar = screen_text(app).splitlines()[2]
        panels = bar.split("  tab")[0]  # the labels, before the keys' tail
        assert "…" not in panels and {str(n) for n in range(10)} <= {t.rstrip("⚠") for t in panels.split()}, bar
        assert panels.count("⚠") == 3 and all(panels[w.start() - 1] != " " for w in re.finditer("⚠", panels)), bar


@run_async
async def test_resizing_through_every_layout_never_raises():
    app, _ = live_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for size in [(200, 60), (20, 8), (120, 40), (59, 15), (60, 16), (1, 1), (150, 40), (99, 35), (80, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()  # the frame at this size is drawn
        await pilot.press("z", "m", "tab", "question_mark", "escape")
        await pilot.resize_terminal(30, 10)
        await pilot.pause()
        assert "too small" in screen_text(app)


def _saturated_at_init() -> tuple:
    """A no-BN run with a plain randn init at step 0: every layer 82% saturated (the saturation hint fires)."""
    config = SMALL.replace(init="normal", batchnorm=False)
    records = recorded_run(config, upto=0, end=False)
    for layer in records[1]["layers"]:
        layer["saturated_pct"] = 82.0
    return live_app(records, config=config, respond=False)


def _words(text: str) -> str:
    return " ".join(text.replace("⚠", " ").split())


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 50)])
@pytest.mark.parametrize(
    "make", [_saturated_at_init, lambda: compare_app(records=compare_run(GAINS, upto=0, end=False))]
)
@run_async
async def test_no_hint_is_cut_at_a_panels_edge(size, make):
    """Every hint a panel shows is there whole (its sentence or its short form, wrapped), or counted."""
    app, _ = make()
    async with app.run_test(size=size) as pilot:
        await wait_for_text(pilot, app, "step 0")
        await pilot.pause(0.2)
        shown = 0
        for _ in PANEL_TITLES:  # tab: the next panel (at 80×24 one panel a page)
            for panel in app.query(Panel):
                if not panel.display or not panel.size.width:
                    continue
                text = _words(panel_text(app, panel.id))
                for hint in panel.hints():
                    shown += 1
                    assert _words(hint.text) in text or _words(hint.short) in text or "more hint" in text, (
                        f"{panel.id} at {size} cuts {hint.short!r}:\n{panel_text(app, panel.id)}"
                    )
            await pilot.press("tab")
            await pilot.pause()
        assert shown


def test_a_message_wraps_to_its_area():
    lines = message_lines("no map yet · maps are live only (run logs keep none)", 24, 3)
    assert ["".join(segment.text for segment in line).rstrip() for line in lines] == [
        "no map yet · maps are",
        "live only (run logs keep",
        "none)",
    ]
