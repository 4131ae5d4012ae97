"""Compare mode on screen (DESIGN §7): every panel shows every variant, each by its colour, letter and
label; a variant that ended early says so, greyed; v and l choose what the one-variant panels show."""

from __future__ import annotations

import re

from rich.style import Style

from makemore_tui.tui.widgets.histogram import HistogramPanel
from makemore_tui.tui.widgets.panel import Panel
from tests.app.helpers import (
    GAINS,
    compare_app,
    live_app,
    run_async,
    running,
    screen_text,
    wait_for_text,
)
from tests.fake_trainer import SMALL, compare_run

SIZE = (120, 40)
LABELS = ["a gain 0.5", "b gain 1", "c gain 5/3", "d gain 3"]


def panel_lines(app, panel_id: str) -> list[list]:
    """The segments of each line a panel draws (its body, without the border)."""
    panel = app.query_one(f"#{panel_id}", Panel)
    return [list(panel.render_line(y)) for y in range(panel.size.height)]


def panel_text(app, panel_id: str) -> str:
    return "\n".join("".join(segment.text for segment in line) for line in panel_lines(app, panel_id))


def style_of(app, panel_id: str, text: str) -> Style:
    """The style of the first segment of a panel that holds `text`."""
    for line in panel_lines(app, panel_id):
        for segment in line:
            if text in segment.text:
                return segment.style
    raise AssertionError(f"{text!r} is not in panel {panel_id}:\n{panel_text(app, panel_id)}")


async def started(pilot, app) -> None:
    await wait_for_text(pilot, app, "step 600")
    await pilot.pause(0.2)


@run_async
async def test_every_panel_shows_every_variant_by_letter_and_label():
    async with running(compare_app()) as (app, _, pilot):
        await started(pilot, app)
        for panel in ("saturation", "activations", "gradients", "update", "loss"):
            text = panel_text(app, panel)
            for label in LABELS:  # a narrow histogram header drops the shared word before σ: `a 0.5 σ0.62`
                assert label in text or label.replace("gain ", "") in text, f"{label} missing from {panel}:\n{text}"
        saturation = panel_text(app, "saturation").splitlines()
        assert [line.split()[0] for line in saturation[1:6]] == ["L1", "L2", "L3", "L4", "L5"]  # layer rows
        assert all(line.count("%") == 4 for line in saturation[1:6])  # one bar per variant
        loss = panel_text(app, "loss")
        assert "loss train   val" in loss and "eval @500" in loss  # the table of the last evaluations
        assert "a gain 0.5 2." in loss and "2.300 2.350" in loss  # variant a's eval (train 2.3, val 2.35)
        for panel in ("satmap", "samples"):
            assert "a gain 0.5" in panel_text(app, panel) and "b gain 1" not in panel_text(app, panel)


@run_async
async def test_each_variant_has_its_own_colour_and_the_line_ends_name_them():
    lrs = [(f"lr {lr:g}", SMALL.replace(lr=lr)) for lr in (0.025, 0.1, 0.4, 1.6)]
    records = compare_run(lrs, upto=600, end=False)
    for record in records:  # losses apart, so that each line ends on its own
        if record["event"] == "stats":
            record["loss_window"] = 2.0 + 0.5 * record["variant"]
    async with running(compare_app(lrs, records)) as (app, _, pilot):
        await started(pilot, app)
        colours = {style_of(app, "saturation", f"{key} {label}").color for key, (label, _) in zip("abcd", lrs)}
        palette = app.query_one("#saturation", Panel).palette
        assert len(colours) == 4 and palette.layer(3).color not in colours  # the layer palette's red means "bad"
        # NO_COLOR still tells the lines apart: each ends in its letter (not counting legends and the eval table)
        update = [line for line in panel_text(app, "update").splitlines() if "lr " not in line]
        loss = panel_text(app, "loss").splitlines()
        table = loss[0].index("eval @")
        for chart in ("\n".join(update), "\n".join(line[:table] for line in loss)):
            assert all(key in chart for key in "abcd"), chart


@run_async
async def test_a_variant_that_diverged_is_greyed_and_says_at_which_step():
    async with running(compare_app(diverge={3: 400})) as (app, _, pilot):
        await started(pilot, app)
        ghost = app.query_one("#saturation", Panel).palette.ghost
        assert "d ✖ diverged at step 401" in panel_text(app, "saturation")
        assert style_of(app, "saturation", "d gain 3").color == ghost.color
        assert "d gain 3   ✖ @401" in panel_text(app, "loss")  # its row in the eval table
        # greyed; on its own y scale it is drawn whole (y: one shared scale, where it is drawn clipped, off scale)
        assert style_of(app, "activations", "d 3 ✖").color == ghost.color
        assert "✖ @401" in panel_text(app, "update")
        assert style_of(app, "loss", "a gain 0.5").color != ghost.color  # the others go on in colour


@run_async
async def test_v_cycles_the_variant_of_the_map_the_samples_the_weights_and_the_history():
    async with running(compare_app()) as (app, _, pilot):
        await started(pilot, app)
        weights = app.query_one("#weights")
        assert weights.border_subtitle == "a gain 0.5"
        await pilot.press("v")
        assert "weights, map, samples and history: b gain 1" in screen_text(app)
        assert "b gain 1" in panel_text(app, "satmap") and "b gain 1" in panel_text(app, "samples")
        await pilot.pause(0.1)
        assert weights.border_subtitle == "b gain 1"  # (the history panel is off the grid at this size)
        await pilot.press("v", "v", "v")
        assert "a gain 0.5" in panel_text(app, "samples")  # round again


@run_async
async def test_l_chooses_the_layer_of_the_histograms_small_multiples():
    async with running(compare_app()) as (app, _, pilot):
        await started(pilot, app)
        histograms = list(app.query(HistogramPanel))
        assert [panel.border_subtitle for panel in histograms] == ["L5 · l: next layer · y: shared y scale"] * 2
        await pilot.press("l")
        assert "histograms: L1/5" in screen_text(app)
        await pilot.pause()
        assert [panel.border_subtitle for panel in histograms] == ["L1 · l: next layer · y: shared y scale"] * 2


@run_async
async def test_the_histograms_border_shows_the_layer_l_chose_at_once():
    async with running(compare_app()) as (app, _, pilot):
        await started(pilot, app)
        for layer in ("L1", "L2", "L3"):
            await pilot.press("l")
            await pilot.pause()
            text = screen_text(app)
            assert f"histograms: {layer}/5" in text
            assert text.count(f"{layer} · l: next layer") == 2, text  # both borders, not the layer before


@run_async
async def test_v_l_and_y_in_a_single_run_say_they_are_for_a_compare():
    async with running(live_app(respond=False), after="step 600") as (app, _, pilot):
        for key in "vly":
            await pilot.press(key)
            assert f"{key}: for a compare (c starts one)" in screen_text(app)


@run_async
async def test_hints_say_which_variants_they_hold_for():
    async with running(compare_app(), size=(160, 50)) as (app, _, pilot):
        await started(pilot, app)
        hints = [hint.text for hint in app.view.current.hints]
        assert any(text.startswith("every variant: ") for text in hints)  # the fake's initial loss
        # the fake's gradients shrink with depth in every variant: a and b (gain under 5/3) share one fix
        assert any(text.startswith("a, b: at init grad std shrinks") for text in hints)
        assert all(":" in text.split(" ", 3)[-1] for text in hints)
        # g is refused in a gain compare: its hints name no key for the gain, the other keys stay
        assert not [text for text in hints if re.search(r"\(g( ×\d+)?\)", text)]
        assert any("gain 5/3 (compared here)" in text for text in hints)


@run_async
async def test_a_single_run_looks_as_before_with_the_previous_run_as_a_ghost():
    async with running(live_app(), after="step 600") as (app, _, pilot):
        await pilot.press("b")
        text = await wait_for_text(pilot, app, "run 2 (BN off)")
        assert "run 1 (BN on)" in text and "a gain" not in text
        assert "run 1" in panel_text(app, "saturation")  # the A/B column
        assert GAINS  # (the compare's fixture is not used here)
        assert app.view.current.variants[0].label == "" and SMALL.batchnorm


@run_async
async def test_the_status_line_names_the_compare_not_variant_0s_value():
    async with running(compare_app(), size=(120, 40)) as (app, _, pilot):
        await started(pilot, app)
        line = screen_text(app).splitlines()[1]
        assert "compare gain 0.5 · 1 · 5/3 · 3 · BN off · lr 0.1" in line
        assert "gain 0.5 · lr" not in line  # variant 0's gain is not the run's


def _frozen_lr_compare() -> list[dict]:
    """lr 0.1 vs lr 1000 without BN: b blows up (loss 8,660, gradients ±40, update:data 10^+1, every
    layer 99% saturated), then
    turns NaN at step 300 and is frozen (`variant_end`) while a trains on."""
    no_bn = SMALL.replace(batchnorm=False)
    variants = [("lr 0.1", no_bn), ("lr 1000", no_bn.replace(lr=1000.0))]
    records = compare_run(variants, upto=600, end=False, satmap=True, diverge={1: 300})
    for record in records:
        if record.get("event") == "stats" and record["variant"] == 1 and record["step"]:
            record["loss"] = record["loss_window"] = 8660.0 if record["loss"] is not None else None
            record["grad_range"] = 40.0
            for param in record["params"]:
                param["update_to_data_log10"] = 1.0
            for layer in record["layers"]:
                layer["saturated_pct"] = 99.0
    return records


@run_async
async def test_a_frozen_variant_is_left_out_of_the_shared_scales_and_said_off_scale():
    async with running(
        compare_app([("lr 0.1", SMALL), ("lr 1000", SMALL)], records=_frozen_lr_compare()), size=(160, 50)
    ) as (app, _, pilot):
        await started(pilot, app)
        loss = panel_text(app, "loss")
        assert "8.66e+03" not in loss and "off scale" in loss, loss  # a's loss sets the axis
        gradients = panel_text(app, "gradients")
        assert "-1e-2" in gradients and "-40" not in gradients and "off scale" in gradients, gradients
        update = panel_text(app, "update")
        assert "off scale" in update and " 1┤" not in update, update  # a's ratios (~10^-3) set the axis
        saturation = panel_text(app, "saturation")
        assert "b ✖ diverged at step 301 off scale" in saturation and "bars 0–20%" in saturation, saturation
