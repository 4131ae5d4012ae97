"""Honest plots in the compare's panels (single runs too): scales never cut, colours by the regime,
legends that say what they hide, the −3 line over dense data, legends by what differs, samples
that say when they come, stay up when asked for and keep their columns in any script."""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.style import Style

from makemore_tui.core.evaluate import CUT_MARK
from makemore_tui.core.health import Regime
from makemore_tui.core.values import forward_gains
from makemore_tui.tui.canvas import RefLine, Trace, line_chart
from makemore_tui.tui.state import ASKED_HOLD_SECONDS
from makemore_tui.tui.widgets.panel import legend_lines
from makemore_tui.tui.widgets.saturation import saturation_level, scale_label
from tests.app.helpers import live_app, run_async, screen_text, wait_for_text
from tests.app.test_app_compare import panel_lines, panel_text, style_of
from tests.fake_trainer import SMALL, recorded_run, stats_record

SIZE = (120, 40)
RED, BLUE = Style(color="red"), Style(color="blue")
DEVANAGARI = ["किरण", "प्रिया", "लक्ष्मी", "श्रीनिवास", "अंजलि", "आर्या"]  # vowel signs (Mc, Mn) and conjuncts


def with_saturation(record: dict, *values: float) -> dict:
    for layer, value in zip(record["layers"], values):
        layer["saturated_pct"] = value
    return record


# ---- saturation -----------------------------------------------------------------------------------


def test_the_scale_label_says_its_whole_range_at_any_bar_width():
    assert scale_label(100, 12) == "0       100%"
    assert scale_label(100, 5) == "≤100%"
    assert scale_label(20, 3) == "   "  # too narrow for any label: none rather than a wrong one


@run_async
async def test_a_saturated_run_shows_its_full_scale():
    records = recorded_run(SMALL, upto=100, end=False)
    with_saturation(records[-2], 95.0, 3.0, 3.0, 3.0, 3.0)
    app, _ = live_app(records, respond=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "step 100")
        header = panel_text(app, "saturation").splitlines()[0]
        assert "100%" in header and header.split()[0] == "0"


def test_saturation_colours_follow_the_regime_as_the_hints_judge_it():
    bn, no_bn, linear = Regime(batchnorm=True), Regime(batchnorm=False), Regime(activation="linear")
    assert saturation_level(26.0, 150_000, bn, init_alarm=False) == "ok"  # a healthy BN run late on
    assert saturation_level(60.0, 150_000, no_bn, init_alarm=False) == "ok"  # the no-BN lecture net
    assert saturation_level(70.0, 4_000, no_bn, init_alarm=False) == "warn"  # past any healthy run
    assert saturation_level(95.0, 400, bn, init_alarm=False) == "bad"  # the training rule's level
    assert saturation_level(22.0, 0, no_bn, init_alarm=False) == "warn"  # L1 of gain 5/3 at init
    assert saturation_level(45.0, 0, no_bn, init_alarm=True) == "bad"  # gain 3 at init
    assert saturation_level(2.5, 0, bn, init_alarm=False) == "ok"
    assert saturation_level(99.0, 100, linear, init_alarm=False) == "ok"  # |t| > 0.97 is no saturation there


@run_async
async def test_a_healthy_batchnorm_run_late_in_training_is_not_painted_red():
    config = SMALL.replace(steps=200_000)
    records = recorded_run(config, upto=0, end=False)
    records.append(with_saturation(stats_record(1, 150_000, config), 26.0, 24.0, 20.0, 18.0, 16.0))
    app, _ = live_app(records, config=config, respond=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "step 150,000")
        palette = app.query_one("#saturation").palette
        assert style_of(app, "saturation", "26%").color == palette.ok.color


@run_async
async def test_each_layer_shows_its_forward_gain_beside_its_saturation():
    app, _ = live_app(respond=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "step 600")
        gains = forward_gains(app.view.variant_shown().stats)
        rows = panel_text(app, "saturation").splitlines()
        assert "gain" in rows[0]
        for row, gain in zip([row for row in rows if row.startswith("L")], gains):
            assert f"×{gain:.2f}" in row


# ---- legends and the update:data chart --------------------------------------------------------------


def test_a_legend_reflows_and_counts_what_it_cannot_show():
    entries = [("━", f"layer {k}", RED) for k in range(8)]
    one = legend_lines(entries, 40, 1)
    two = legend_lines(entries, 40, 2)
    text = ["".join(segment.text for segment in line) for line in one + two]
    assert len(one) == 1 and text[0].rstrip().endswith("+5 more")
    assert len(two) == 2 and text[1].startswith("━ layer 0") and text[2].rstrip().endswith("+2 more")
    assert all(cell_len(line) <= 40 for line in text)
    assert "more" not in "".join(segment.text for segment in legend_lines(entries[:3], 40, 1)[0])


@run_async
async def test_the_histogram_legends_name_every_layer_at_120x40():
    app, _ = live_app(respond=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "step 600")
        for panel in ("activations", "gradients"):
            legend = panel_text(app, panel).splitlines()[0]
            assert all(f"L{k}" in legend for k in range(1, 6)), legend
        assert panel_text(app, "gradients").startswith("σ×1e-3")  # one unit, said once


def test_the_reference_line_shows_through_dense_data_with_its_value_on_the_axis():
    xs = np.arange(400)
    dense = [Trace(xs, -3 + 0.02 * np.sin(xs / (k + 1)), BLUE) for k in range(6)]
    lines = line_chart(dense, 60, 10, y_range=(-3.5, -2.5), refs=[RefLine(-3.0, RED, "-3")])
    row = next(line for line in lines if "".join(s.text for s in line[:1]).strip() == "-3")
    assert row[0].style == RED  # the axis names it, in its colour
    assert sum(segment.cell_length for segment in row[2:] if segment.style == RED) >= 20  # every other cell


@run_async
async def test_update_data_starts_at_step_0_however_long_the_run():
    config = SMALL.replace(steps=100_000, stats_every=10)
    records = recorded_run(config, upto=0, end=False)[:1]
    records += [stats_record(1, step, config, satmap=False) for step in range(0, 20_000, 10)]
    app, _ = live_app(records, config=config, respond=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "step 19,990")
        assert app.view.variant_shown().update_series[0].points()[0][0] > 0  # merged points: the first is not step 0
        axis = panel_text(app, "update").splitlines()[-1]
        assert axis.split()[0] == "0" and axis.split()[-1] == "20k"


@run_async
async def test_the_loss_legend_says_the_lr_differs_after_minus_and_r():
    app, _ = live_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "step 600")
        await pilot.press("minus", "r")
        await wait_for_text(pilot, app, "run 2 started")
        await pilot.pause(0.2)
        legend = panel_text(app, "loss").splitlines()[0]
        assert "run 2 (lr 0.05)" in legend and "run 1 (lr 0.1)" in legend


# ---- samples --------------------------------------------------------------------------------------------


@run_async
async def test_the_samples_placeholder_says_when_the_first_names_come():
    config = SMALL.replace(steps=200_000)
    app, _ = live_app(recorded_run(config, upto=600, end=False), config=config, respond=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "step 600")
        text = " ".join(panel_text(app, "samples").split())
        assert "the first come at step 5,000 (then every 5,000)" in text and "s samples now" in text


def samples(step: int, names: list[str], asked: bool = False, cut: list[bool] | None = None) -> dict:
    record = {"event": "samples", "run": 1, "variant": 0, "step": step, "names": names}
    return record | ({"asked": True} if asked else {}) | ({"cut": cut} if cut else {})


@run_async
async def test_names_asked_for_stay_up_beside_the_scheduled_ones_that_follow():
    now = [1000.0]
    app, trainer = live_app(respond=False)
    app.view.clock = lambda: now[0]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "step 600")
        trainer.channel.put(samples(600, ["asked", "for"], asked=True))
        await wait_for_text(pilot, app, "asked")
        now[0] += 1.0
        trainer.channel.put(samples(700, ["scheduled"]))
        await wait_for_text(pilot, app, "scheduled")
        text = panel_text(app, "samples")
        assert "asked for (s) at step 600:" in text and "asked" in text and "since, at step 700:" in text
        now[0] += ASKED_HOLD_SECONDS
        await pilot.pause(0.3)
        text = panel_text(app, "samples")
        assert "scheduled" in text and "asked" not in text and "run 1, step 700:" in text


@run_async
async def test_devanagari_names_keep_their_columns_and_the_panels_border():
    app, trainer = live_app(respond=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "step 600")
        trainer.channel.put(samples(600, [*DEVANAGARI, "mora", "eve", "ava"]))
        await wait_for_text(pilot, app, "mora")
        width = app.query_one("#samples").size.width
        rows = ["".join(segment.text for segment in line) for line in panel_lines(app, "samples")][1:]
        rows = [row for row in rows if row.strip()]
        column = max(cell_len(name) for name in DEVANAGARI) + 2  # laid out by display width, not len()
        assert len(rows) == 2  # 9 names, 8 columns of 7 cells in 56 (by len(): 11, five columns)
        for row in rows:
            assert cell_len(row) == width
            starts = [cell_len(row[:i]) for i in range(len(row)) if row[i] != " " and (i == 0 or row[i - 1] == " ")]
            assert starts == [k * column for k in range(len(starts))], (row, starts, column)
        # On screen (Textual lays cells out by Rich's widths) the panel's right border keeps its column.
        screen = [line.rstrip() for line in screen_text(app).splitlines() if "किरण" in line or "ava" in line]
        assert len(screen) == 2 and len({cell_len(line) for line in screen}) == 1
        assert all(line.endswith("│") for line in screen)


@run_async
async def test_names_are_escaped_and_cut_ones_marked():
    app, trainer = live_app(respond=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "step 600")
        trainer.channel.put(samples(600, ["\x1b]0;pwned\x07eve", "averyveryverylongname", "mora"], cut=[False, True]))
        await wait_for_text(pilot, app, "mora")
        text = panel_text(app, "samples")
        assert "\\x1b]0;pwned\\x07eve" in text and "\x1b" not in text  # through core.text.printable
        assert f"averyveryverylongname{CUT_MARK}" in text and f"mora{CUT_MARK}" not in text
