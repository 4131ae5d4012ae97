"""The compare's keys: c (picker and presets), r, b/g on every variant (refused on the compared field),
C back to a single run, R and --paused at step 0 with n, and + / - on every variant."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from makemore_tui.core.commands import Rerun, ScaleLr, StepOnce
from makemore_tui.core.compare import Variant, parse_compare, single
from makemore_tui.tui.app import MakemoreApp
from makemore_tui.tui.feed import LiveFeed
from makemore_tui.tui.widgets.picker import ComparePicker
from tests.app.helpers import (
    GAINS,
    compare_app,
    filled_channel,
    live_app,
    palette_titles,
    run_async,
    run_from_palette,
    running,
    screen_text,
    wait_for_text,
)
from tests.fake_trainer import SMALL, FakeTrainer, compare_run

SIZE = (120, 40)
NO_BN = SMALL.replace(batchnorm=False)
GAIN_VARIANTS = tuple(Variant(label, config) for label, config in GAINS)


def reruns(trainer) -> list[Rerun]:
    return [command for command in trainer.commands if isinstance(command, Rerun)]


@run_async
async def test_c_opens_the_picker_and_a_preset_starts_the_lectures_comparison():
    async with running(live_app(respond=False), after="step 600") as (app, trainer, pilot):
        await pilot.press("c")
        assert isinstance(app.screen, ComparePicker)
        text = screen_text(app)
        assert "BatchNorm on / off" in text and "gains 0.5 · 1 · 5/3 · 3 (no BN)" in text and "tanh / linear" in text
        await pilot.press("down", "enter")  # the gains
        await pilot.pause()
        assert not isinstance(app.screen, ComparePicker)
        expected = parse_compare(["gain=0.5,1,5/3,3"], SMALL.replace(batchnorm=False))
        assert reruns(trainer) == [Rerun(variants=tuple(expected), paused=False)]
        assert "comparing 4…" in screen_text(app)


@run_async
async def test_the_picker_takes_any_field_and_says_what_it_refuses_without_closing():
    async with running(live_app(respond=False)) as (app, trainer, pilot):
        await pilot.press("c", "tab")
        await pilot.press(*"gain=zero,1")
        await pilot.press("enter")
        assert isinstance(app.screen, ComparePicker) and reruns(trainer) == []
        assert "--compare gain: 'zero' is not" in screen_text(app)
        for _ in range(len("gain=zero,1")):
            await pilot.press("backspace")
        await pilot.press(*"lr=0.05,0.2")
        await pilot.press("tab", "space")  # start paused at step 0
        await pilot.press("shift+tab", "enter")
        await pilot.pause()
        assert reruns(trainer) == [Rerun(variants=tuple(parse_compare(["lr=0.05,0.2"], SMALL)), paused=True)]
        assert "comparing 2 paused at step 0…" in screen_text(app)


@run_async
async def test_typing_right_after_c_goes_to_the_spec_box_and_enter_starts_what_was_typed():
    async with running(live_app(respond=False), after="step 600") as (app, trainer, pilot):
        await pilot.press("c", *"lr=0.1,1000")  # typed straight into the spec box
        assert app.screen.query_one("#picker-spec", Input).value == "lr=0.1,1000"
        await pilot.press("enter")
        await pilot.pause()
        assert reruns(trainer) == [Rerun(variants=tuple(parse_compare(["lr=0.1,1000"], SMALL)), paused=False)]


@run_async
async def test_the_presets_stay_reachable_by_keys_after_typing():
    async with running(live_app(respond=False)) as (app, trainer, pilot):
        await pilot.press("c", "x", "backspace", "shift+tab", "down", "down", "enter")  # typed, undone, back up
        await pilot.pause()
        expected = parse_compare(["activation=tanh,linear"], SMALL.replace(batchnorm=False))
        assert reruns(trainer) == [Rerun(variants=tuple(expected), paused=False)]


@run_async
async def test_escape_leaves_the_picker_and_nothing_reruns():
    async with running(live_app(respond=False)) as (app, trainer, pilot):
        await pilot.press("c", "escape")
        assert not isinstance(app.screen, ComparePicker) and reruns(trainer) == []


@run_async
async def test_the_palette_starts_a_preset_and_has_nothing_to_leave_in_a_single_run():
    async with running(live_app(respond=False)) as (app, trainer, pilot):
        titles = palette_titles(app)  # the presets are listed: test_app_keys' palette test
        assert "Leave the compare" not in titles and "Next variant" not in titles  # a single run: nothing to leave
        await run_from_palette(pilot, "tanh / linear")
        expected = parse_compare(["activation=tanh,linear"], SMALL.replace(batchnorm=False))
        assert reruns(trainer) == [Rerun(variants=tuple(expected), paused=False)]


@run_async
async def test_r_reruns_the_compare_and_b_changes_every_variant():
    async with running(compare_app(respond=False), after="step 600") as (app, trainer, pilot):
        await pilot.press("r")
        assert reruns(trainer)[-1] == Rerun(variants=GAIN_VARIANTS, paused=False)
        await pilot.press("b")
        on = reruns(trainer)[-1].variants
        assert [v.label for v in on] == ["gain 0.5", "gain 1", "gain 5/3", "gain 3"]
        assert all(v.config.batchnorm for v in on) and [v.config.gain for v in on] == [0.5, 1.0, 5 / 3, 3.0]


@pytest.mark.parametrize(
    ("variants", "key", "refusal"),
    [
        (GAINS, "g", "gain 3 refused: this compare varies gain · C leaves it"),
        ([("BN on", SMALL), ("BN off", NO_BN)], "b", "BN off refused: this compare varies batchnorm · C leaves it"),
    ],
)
@run_async
async def test_b_and_g_are_refused_on_the_field_the_compare_varies(variants, key, refusal):
    async with running(compare_app(variants, respond=False), after="step 600") as (app, trainer, pilot):
        await pilot.press(key)
        assert refusal in screen_text(app)
        assert reruns(trainer) == []


@run_async
async def test_C_leaves_the_compare_for_the_variant_shown():
    async with running(compare_app(), after="step 600") as (app, trainer, pilot):
        await pilot.press("v", "v", "C")  # c gain 5/3
        assert reruns(trainer)[-1] == Rerun(variants=tuple(single(GAINS[2][1])), paused=False)
        text = await wait_for_text(pilot, app, "run 2 started")
        assert "run 2 started (no BN, g 5/3)" in text
        await pilot.pause(0.2)
        assert not app.view.current.compare and app.view.previous.compare
        await pilot.press("C")
        assert "C: for a compare (c starts one)" in screen_text(app) and len(reruns(trainer)) == 1


@run_async
async def test_R_reruns_paused_at_step_0_and_b_g_r_keep_a_paused_run_paused():
    async with running(live_app(), after="step 600") as (app, trainer, pilot):
        await pilot.press("R")
        assert reruns(trainer)[-1] == Rerun(variants=tuple(single(SMALL)), paused=True)
        await wait_for_text(pilot, app, "⏸ paused")
        assert "step 0/1,000" in screen_text(app)
        no_bn_gain_1 = {"batchnorm": False, "gain": 1.0}
        for key, change in [("b", {"batchnorm": False}), ("g", no_bn_gain_1), ("r", no_bn_gain_1)]:
            await pilot.press(key)
            command = reruns(trainer)[-1]
            assert command.paused and command.variants == tuple(single(SMALL.replace(**change)))
            await wait_for_text(pilot, app, "⏸ paused")
        await pilot.press("space")  # running: a rerun runs too
        await wait_for_text(pilot, app, "▶ training")
        await pilot.press("g")
        assert reruns(trainer)[-1].paused is False


@run_async
async def test_a_compare_started_paused_shows_step_0_of_every_variant_and_n_steps_them_all():
    records = compare_run(GAINS, upto=0, end=False, satmap=True)
    records.append({"event": "state", "run": 1, "step": 0, "paused": True, "lr": 0.1})  # as --paused starts
    channel = filled_channel(records)
    trainer = FakeTrainer(channel=channel, respond=True, variants=list(GAIN_VARIANTS))
    app = MakemoreApp(LiveFeed(trainer, channel), refresh_hz=20.0)
    async with app.run_test(size=SIZE) as pilot:
        text = await wait_for_text(pilot, app, "⏸ paused")
        assert "step 0/1,000" in text
        for label in ("a gain 0.5", "b gain 1", "c gain 5/3", "d gain 3"):
            assert label in text
        await pilot.press("n")
        assert [c for c in trainer.commands if isinstance(c, StepOnce)] == [StepOnce()]
        await wait_for_text(pilot, app, "step 1/1,000")
        assert all(variant.stats["step"] == 1 for variant in app.view.current.variants)


def test_lr_keys_scale_every_variant_and_keep_an_lr_compare_labelled():
    variants = parse_compare(["lr=0.1,0.2"], SMALL)
    trainer = FakeTrainer(variants=variants)
    feed = LiveFeed(trainer, filled_channel([]))
    assert feed.send(ScaleLr(2.0)) == "lr ×2 → 0.2 · 0.4"
    assert [(v.label, v.config.lr) for v in feed.variants] == [("lr 0.2", 0.2), ("lr 0.4", 0.4)]
    feed.send(Rerun())
    assert trainer.commands[-1] == Rerun()  # the trainer reruns what it trains; the feed knows it
    assert [v.config.lr for v in feed.variants] == [0.2, 0.4]
