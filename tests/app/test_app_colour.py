"""Colours: the theme's reach every plot and stay legible on light and dark; monochrome (NO_COLOR) works."""

from __future__ import annotations

from textual.color import Color

from makemore_tui.tui.panels import PANELS
from makemore_tui.tui.widgets.palette import contrast
from tests.app.helpers import live_app, run_async, screen_text, wait_for_text
from tests.fake_trainer import SMALL, recorded_run

NO_BN = SMALL.replace(batchnorm=False, gain=3.0)
AB_RECORDS = recorded_run(SMALL) + recorded_run(NO_BN, run=2, upto=600, end=False)
THEMES = ["textual-dark", "textual-light", "solarized-light", "nord", "catppuccin-latte"]


def drawn(app) -> list:
    """Every widget that draws lines itself and is on screen: the status line and the shown panels."""
    return [app.status_bar, *[panel for panel in app.panels if panel.display]]


def segments(widget):
    """Every segment of every line the widget hands Textual."""
    for y in range(widget.size.height):
        yield from widget.render_line(y)


def ink(widget) -> dict[str, float]:
    """The contrast of each coloured run of text with its background, by text (the lowest)."""
    track = widget.palette.track.color
    lowest: dict[str, float] = {}
    for segment in segments(widget):
        style = segment.style
        if not segment.text.strip() or style.color is None or style.color == track:
            continue  # blank, or a bar's empty track: decoration, not information
        background = Color.from_rich_color(style.bgcolor) if style.bgcolor else widget.background_colors[1]
        ratio = contrast(Color.from_rich_color(style.color), background)
        lowest[segment.text.strip()] = min(ratio, lowest.get(segment.text.strip(), ratio))
    return lowest


@run_async
async def test_every_segment_carries_a_style_waiting_and_drawing():
    # Textual's monochrome filter (NO_COLOR) reads every segment's style: None fails it.
    for records in ([], AB_RECORDS):
        app, _ = live_app(records, config=NO_BN, respond=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for widget in drawn(app):
                assert all(segment.style is not None for segment in segments(widget)), widget.id


@run_async
async def test_no_color_runs_and_draws_every_panel_one_at_a_time(monkeypatch):
    # All panels at once in monochrome: tests/app/test_app_snapshot.py::test_monochrome_no_color
    monkeypatch.setenv("NO_COLOR", "1")
    app, _ = live_app(AB_RECORDS, config=NO_BN, respond=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, app, "L5 ")
        await pilot.press("question_mark")
        assert "Training keys" in screen_text(app)  # each frame goes through the monochrome filter
        await pilot.press("escape")
        for spec in PANELS:
            await pilot.press(spec.key)
            assert spec.heading in screen_text(app)
    assert app.return_code is None


@run_async
async def test_a_theme_change_reaches_every_plot_and_every_text_stays_legible():
    app, _ = live_app(AB_RECORDS, config=NO_BN, respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        colours = {}
        for theme in THEMES:
            app.theme = theme
            await pilot.pause()
            for widget in drawn(app):
                shown = {segment.style.color for segment in segments(widget) if segment.text.strip()}
                assert shown != colours.get(widget.id), f"{theme}: {widget.id} kept the previous theme's colours"
                colours[widget.id] = shown
                poor = {text: round(ratio, 2) for text, ratio in ink(widget).items() if ratio < 2.9}
                assert not poor, f"{theme}: {widget.id} illegible: {poor}"


def plotted(app, panel_id: str) -> set[str]:
    """The characters drawn inside a panel's chart (right of its y axis), braille and blanks left out."""
    panel = app.query_one(f"#{panel_id}")
    marks = set()
    for y in range(panel.size.height):
        text = "".join(segment.text for segment in panel.render_line(y))
        axis = min((text.find(c) for c in "┤│" if c in text), default=-1)
        if axis >= 0:
            marks |= {c for c in text[axis + 1 :] if not c.isspace() and not 0x2800 <= ord(c) <= 0x28FF}
    return marks


@run_async
async def test_no_color_marks_each_line_of_a_single_runs_overlaid_plots(monkeypatch):
    # In a compare each variant's letter sits on its line; a single run's layers and weights need the same.
    monkeypatch.setenv("NO_COLOR", "1")
    records = recorded_run(SMALL, upto=600, end=False)
    for k, param in enumerate(records[-2]["params"]):  # weight-gradient histograms on the last stats
        param["grad_hist"] = {"lo": -0.01, "hi": 0.01, "counts": [1, 4 + k, 9 + 2 * k, 4 + k, 1]}
    app, _ = live_app(records, respond=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for_text(pilot, app, "step 600")
        await pilot.pause(0.2)
        layers = {"1", "2", "3", "4", "5"}
        assert layers <= plotted(app, "activations"), plotted(app, "activations")
        assert layers <= plotted(app, "gradients"), plotted(app, "gradients")
        assert {"C", "1", "2", "3", "4", "5", "6"} <= plotted(app, "update"), plotted(app, "update")
        await pilot.press("w")  # the weight gradients' histograms
        await pilot.pause(0.2)
        assert {"C", "1", "2", "3", "4", "5", "6"} <= plotted(app, "weights"), plotted(app, "weights")
