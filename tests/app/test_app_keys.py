"""Every key of DESIGN §4: the command the trainer receives, and what the screen shows."""

from __future__ import annotations

import pytest

from makemore_tui.core.commands import Evaluate, Pause, Quit, Rerun, Resume, Sample, ScaleLr, StepOnce
from makemore_tui.core.compare import Variant
from makemore_tui.tui.widgets.help import HelpScreen
from makemore_tui.tui.widgets.satmap import SatMapPanel
from tests.app.helpers import live_app, palette_titles, run_async, run_from_palette, running, screen_text, wait_for_text
from tests.fake_trainer import SMALL

SIZE = (120, 40)


def sent(trainer, kind) -> list:
    return [command for command in trainer.commands if isinstance(command, kind)]


def rerun_configs(trainer) -> list:
    """The config of each single run the trainer was asked to rerun."""
    return [variant.config for command in sent(trainer, Rerun) for variant in command.variants]


@run_async
async def test_space_pauses_and_resumes_and_the_screen_says_so():
    async with running(live_app()) as (app, trainer, pilot):
        await pilot.pause()
        assert "▶ training" in screen_text(app)
        await pilot.press("space")
        assert sent(trainer, Pause) == [Pause()]
        # this fake answers at once: its state record replaces "pausing…" with what to do next
        await wait_for_text(pilot, app, "⏸ paused")
        assert "paused · n steps once, space resumes" in screen_text(app)
        await pilot.press("space")
        assert sent(trainer, Resume) == [Resume()]
        await wait_for_text(pilot, app, "▶ training")


@run_async
async def test_n_steps_once_only_while_paused():
    async with running(live_app()) as (app, trainer, pilot):
        await pilot.pause()
        await pilot.press("n")
        assert sent(trainer, StepOnce) == []
        assert "press space first" in screen_text(app)
        await pilot.press("left")  # a replay key: it says where it works
        assert "move through a recorded run: makemore-tui replay RUN.jsonl" in screen_text(app)
        await pilot.press("space", "n")
        assert sent(trainer, StepOnce) == [StepOnce()]
        await wait_for_text(pilot, app, "step 601/1,000")


@pytest.mark.parametrize(
    ("key", "change", "shown"),
    [
        ("b", {"batchnorm": False}, "BN off · rerunning…"),
        ("g", {"gain": 1.0}, "gain 1 · rerunning…"),
        ("r", {}, "same settings · rerunning…"),
    ],
)
@run_async
async def test_rerun_keys_send_the_new_config_and_say_so_at_once(key, change, shown):
    async with running(live_app(respond=False)) as (app, trainer, pilot):
        await pilot.pause()
        await pilot.press(key)
        assert sent(trainer, Rerun) == [Rerun(variants=(Variant("", SMALL.replace(**change)),))]
        assert shown in screen_text(app)


@run_async
async def test_after_a_rerun_the_previous_run_stays_faint_in_loss_and_saturation():
    async with running(live_app()) as (app, trainer, pilot):
        await pilot.pause()
        await pilot.press("b")
        text = await wait_for_text(pilot, app, "run 2 started")
        assert "run 2 started (no BN, g 5/3)" in text
        assert "run 2 (BN off)" in text and "run 1 (BN on)" in text  # loss legend: what differs
        assert "run 1" in text.split("1 saturation", 1)[1].split("\n", 2)[1]  # saturation's A/B column
        assert app.view.previous.run == 1 and app.view.current.run == 2


@run_async
async def test_b_twice_flips_batchnorm_back():
    async with running(live_app(respond=False)) as (app, trainer, pilot):
        await pilot.press("b", "b")
        assert [config.batchnorm for config in rerun_configs(trainer)] == [False, True]


@run_async
async def test_g_cycles_through_the_lecture_gains():
    async with running(live_app(respond=False)) as (app, trainer, pilot):
        await pilot.press("g", "g", "g", "g")
        assert [config.gain for config in rerun_configs(trainer)] == [1.0, 0.5, 3.0, 5 / 3]


@run_async
async def test_plus_minus_e_and_s_say_what_they_do_and_send_it():
    """+ and - scale the lr live and for reruns; e and s ask for an evaluation and samples."""
    async with running(live_app(respond=False)) as (app, trainer, pilot):
        await pilot.pause()
        said = {"plus": "lr ×2 → 0.2", "minus": "lr ÷2 → 0.1", "e": "evaluating", "s": "sampling"}
        for key in ("plus", "minus", "e", "s"):
            await pilot.press(key)
            assert said[key] in screen_text(app)
        await pilot.press("minus")
        assert "lr ÷2 → 0.05" in screen_text(app)
        assert sent(trainer, ScaleLr) == [ScaleLr(2.0), ScaleLr(0.5), ScaleLr(0.5)]
        assert sent(trainer, Evaluate) == [Evaluate()] and sent(trainer, Sample) == [Sample()]
        await pilot.press("r")
        assert rerun_configs(trainer)[-1].lr == pytest.approx(0.05)


@run_async
async def test_q_sends_quit_and_exits():
    async with running(live_app(respond=False)) as (app, trainer, pilot):
        await pilot.press("q")
        await pilot.pause()
    assert sent(trainer, Quit) == [Quit()]
    assert app.return_code == 0


@run_async
async def test_question_mark_opens_help_and_escape_closes_it():
    async with running(live_app(respond=False)) as (app, _, pilot):
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "toggle BatchNorm and rerun" in screen_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@run_async
async def test_m_cycles_the_saturation_map_layer():
    async with running(live_app(respond=False)) as (app, _, pilot):
        await pilot.pause()
        assert "L1 1/5" in screen_text(app)
        await pilot.press("m", "m")
        assert app.query_one(SatMapPanel).shown_layer == 2
        assert "L3 3/5" in screen_text(app)


@run_async
async def test_number_keys_zoom_a_panel_and_escape_comes_back():
    async with running(live_app(respond=False)) as (app, _, pilot):
        await pilot.pause()
        await pilot.press("6")
        text = screen_text(app)
        assert "6 loss" in text and "1 saturation" not in text.split("\n", 3)[3]
        await pilot.press("tab")
        assert "7 saturation map" in screen_text(app)
        await pilot.press("escape")
        assert "1 saturation · tanh layers" in screen_text(app)


@run_async
async def test_every_action_is_in_the_command_palette():
    async with running(live_app(respond=False)) as (app, trainer, pilot):
        expected = {"Pause / resume training", "Toggle BatchNorm and rerun", "Cycle gain and rerun", "Rerun"}
        expected |= {"Step once", "Learning rate ×2", "Learning rate ÷2", "Evaluate now", "Sample names", "Help"}
        expected |= {"Compare…", "Compare: BatchNorm on / off", "Compare: gains 0.5 · 1 · 5/3 · 3 (no BN)"}
        expected |= {"Compare: tanh / linear (no BN)", "Rerun paused at step 0"}
        assert expected <= palette_titles(app), expected - palette_titles(app)
        await run_from_palette(pilot, "batchnorm")
        assert rerun_configs(trainer) == [SMALL.replace(batchnorm=False)]
