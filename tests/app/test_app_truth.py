"""A screen that tells the truth: the status line while paused and under long messages, key feedback
that its answer replaces, every weight in the table, replay showing replay keys, help describing the
rules that are, the palette's screenshot and keys panel, and the lecture's other experiments (t, i, o)."""

from __future__ import annotations

import pytest
from textual.widgets import Footer, HelpPanel

from makemore_tui.core.commands import Rerun
from makemore_tui.core.compare import Variant
from makemore_tui.core.health import DEAD_TICKS, INIT_SATURATION_LIMIT_PCT, TRAINING_SATURATION_LIMIT_PCT
from makemore_tui.core.records import Event
from makemore_tui.tui.widgets.help import HelpScreen
from tests.app.figure_records import weight_hist_run
from tests.app.helpers import live_app, replay_app, run_async, screen_text, wait_for_text
from tests.fake_trainer import SMALL, recorded_run

LONG = SMALL.replace(steps=200_000, stats_every=20_000)
NO_BN = SMALL.replace(batchnorm=False, gain=3.0)


def status_lines(app) -> list[str]:
    return screen_text(app).splitlines()[:2]


def help_text(app) -> str:
    """The help box's text, its lines joined (the panels around it cropped away)."""
    lines = screen_text(app).splitlines()
    top = next(i for i, line in enumerate(lines) if "makemore-tui · the deep" in line) - 1
    left, right = lines[top].index("╭"), lines[top].index("╮")
    body = [line[left + 1 : right] for line in lines[top + 1 :] if len(line) > right and line[left] == "│"]
    return " ".join(" ".join(body).split())


def command(app, title: str):
    """The palette entry titled `title` (the app's own, not Textual's it replaced)."""
    found = [c for c in app.get_system_commands(app.screen) if c.title == title]
    assert len(found) == 1, [c.title for c in app.get_system_commands(app.screen)]
    return found[0].callback


# ---- status line ------------------------------------------------------------------------------------


@run_async
async def test_paused_says_paused_not_the_single_steps_speed_and_its_eta_at_the_training_speed():
    app, trainer = live_app(recorded_run(LONG, upto=100_000, end=False), config=LONG)
    async with app.run_test(size=(120, 40)) as pilot:
        assert "812 steps/s · ETA 2:03" in await wait_for_text(pilot, app, "812 steps/s")
        await pilot.press("space")
        await wait_for_text(pilot, app, "⏸ paused")
        # n while paused: the trainer's progress records measure a step a second
        trainer.channel.put({"event": Event.PROGRESS, "run": 1, "step": 100_001, "steps_per_sec": 1.0, "loss": 2.4})
        first = (await wait_for_text(pilot, app, "100,001")).splitlines()[0]
        assert "steps/s" not in first and "paused · ETA 2:03 once resumed" in first
        await pilot.press("space")
        assert "1 steps/s" in (await wait_for_text(pilot, app, "▶ training")).splitlines()[0]  # training again


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@run_async
async def test_a_long_message_is_cut_with_an_ellipsis_and_never_hides_the_config(size):
    app, _ = live_app(recorded_run(NO_BN, upto=600, end=False), config=NO_BN, respond=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.say("a message far longer than any status line has room for, " * 3)
        await pilot.pause()
        second = status_lines(app)[1]
        assert second.startswith(" cpu · BN off · gain 3 · lr 0.1")  # the essential config, whole
        assert second.rstrip().endswith("…") and "a message far longer" in second
        assert "⚠ 3 hints" in second


async def answered(pilot, app, trainer, key: str, saying: str, answer: dict, shown: str) -> str:
    """Press `key`, see its "…ing" feedback at once, send the trainer's `answer`, wait for `shown`."""
    await pilot.press(key)
    assert saying in status_lines(app)[1]
    trainer.channel.put(answer)
    text = await wait_for_text(pilot, app, shown)
    assert shown in text
    await pilot.pause(0.2)
    return status_lines(app)[1]


@run_async
async def test_e_says_evaluating_until_the_eval_answers_then_its_losses():
    app, trainer = live_app(respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        evaluated = {"event": Event.EVAL, "run": 1, "variant": 0, "step": 600, "train": 2.25, "val": 2.3}
        status = await answered(pilot, app, trainer, "e", "evaluating", evaluated, "eval at step 600")
        assert "eval at step 600: train 2.2500 · val 2.3000" in status and "evaluating" not in status
        sampled = {"event": Event.SAMPLES, "run": 1, "step": 600, "names": ["ava"], "asked": True}
        assert "sampling" not in await answered(pilot, app, trainer, "s", "sampling", sampled, "ava")


@run_async
async def test_pause_resume_and_step_feedback_goes_when_the_trainer_answers():
    app, trainer = live_app(respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        paused = {"event": Event.STATE, "run": 1, "step": 600, "paused": True, "lr": 0.1}
        status = await answered(pilot, app, trainer, "space", "pausing", paused, "space resumes")
        assert "paused · n steps once, space resumes" in status
        stats = [r for r in recorded_run(SMALL, upto=600, end=False) if r["event"] == Event.STATS][-1]
        stepped = stats | {"step": 601}  # the step's statistics answer n
        assert "one step" not in await answered(pilot, app, trainer, "n", "one step…", stepped, "601")
        resumed = {"event": Event.STATE, "run": 1, "step": 601, "paused": False, "lr": 0.1}
        assert "resuming" not in await answered(pilot, app, trainer, "space", "resuming…", resumed, "▶ training")


# ---- the weights table ------------------------------------------------------------------------------


@run_async
async def test_every_weight_is_in_the_table_at_120x40_and_its_bar_has_a_header():
    app, _ = live_app(recorded_run(NO_BN, upto=600, end=False), config=NO_BN, respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = screen_text(app).split("4 weight gradients", 1)[1]
        rows = [line.split("││")[-1] for line in table.splitlines()[1:10]]
        assert "log g:d" in rows[0]  # the bar column's header
        for name in ("C ", "W1 ", "W2 ", "W3 ", "W4 ", "W5 ", "W6 "):
            assert any(row.lstrip("│ ").startswith(name) for row in rows), name


@run_async
async def test_a_short_weights_panel_names_the_rows_it_leaves_out():
    app, _ = live_app(weight_hist_run(NO_BN, upto=600, end=False), config=NO_BN, respond=False)
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.pause()
        rows = [
            line.split("││")[-1].strip("│ ") for line in screen_text(app).split("4 weight gradients")[1].splitlines()
        ]
        more = next(row for row in rows if row.startswith("+"))  # +3 more: W4, W5, W6 · z zooms
        hidden = more.split(": ", 1)[1].split(" · ")[0].split(", ")
        shown = [row.split()[0] for row in rows[2 : rows.index(more)]]
        assert more.startswith(f"+{len(hidden)} more") and shown + hidden == ["C", "W1", "W2", "W3", "W4", "W5", "W6"]
        await pilot.press("4")  # zoomed: every row, and the histograms under the table
        text = screen_text(app)
        assert "W6    100×27" in text and "more:" not in text and "weight gradients at step 400" in text


# ---- replay shows replay keys; help tells the rules -------------------------------------------------


@run_async
async def test_a_replay_offers_replay_keys_only_and_help_says_it_is_a_replay():
    app = replay_app(recorded_run(SMALL, satmap=False), name="old.jsonl")
    async with app.run_test(size=(150, 40)) as pilot:
        await wait_for_text(pilot, app, "record 11/11")
        await pilot.pause()
        text = screen_text(app)
        footer = text.splitlines()[-1]
        assert "s sample" not in footer and "m map" not in footer and "[] run" in footer and "<> speed" in footer
        assert "space play" in footer and "space pause" not in footer
        assert "8 samples ─" in text and "s: sample now" not in text and "m: next layer" not in text
        await pilot.press("question_mark")
        text = screen_text(app)
        assert "replayed from old.jsonl" in text and ", live" not in text
        assert "Replay keys" in text and "go to a step" in text and "saturation map: next" not in text
        assert "quit the replay (the log is only read)" in text and "run log ends with run_end" not in text


@run_async
async def test_help_in_a_live_run_tells_the_regime_aware_rules():
    app, _ = live_app(respond=False)
    async with app.run_test(size=(120, 80)) as pilot:
        await pilot.pause()
        assert "s: sample now" in screen_text(app) and "m: next layer" in screen_text(app)
        await pilot.press("question_mark")
        await pilot.pause()
        text = help_text(app)
        assert isinstance(app.screen, HelpScreen) and "part 3, live" in text
        assert "saturation map: next tanh layer" in text and "quit (the run log ends with run_end)" in text
        assert "Init rules judge step 0 alone" in text and "Training rules judge the run as it trains" in text
        assert f"more than {INIT_SATURATION_LIMIT_PCT:g}% saturated" in text
        assert f"dead neurons for {DEAD_TICKS}+ stats ticks" in text
        assert f"more than {TRAINING_SATURATION_LIMIT_PCT:g}% saturated: the lr is far too high" in text
        assert "a layer > 5% saturated" not in text  # the rule before the rules became regime-aware
        assert "tanh ↔ linear (the lecture's linear sandwich" in text  # t, among the training keys


# ---- the palette's screenshot and keys panel --------------------------------------------------------


@run_async
async def test_screenshot_is_saved_beside_the_run_log_and_the_status_line_says_where(tmp_path):
    log = tmp_path / "logs" / "run-1.jsonl"
    log.parent.mkdir()
    log.write_text("")
    app, _ = live_app(respond=False)
    app.feed.log_path = log
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        command(app, "Screenshot")()
        text = await wait_for_text(pilot, app, "screenshot saved")
        saved = list(log.parent.glob("run-1-screen-*.svg"))
        assert len(saved) == 1 and "<svg" in saved[0].read_text()
        assert f"screenshot saved: {saved[0]}"[:60] in " ".join(text.split())
        app.feed.log_path = tmp_path / "gone" / "run.jsonl"  # a folder that is not there
        app.action_save_screenshot()
        await pilot.pause()
        assert "screenshot not saved" in status_lines(app)[1]


@run_async
async def test_a_replay_saves_its_screenshot_beside_the_log_replayed(tmp_path):
    log = tmp_path / "replayed.jsonl"
    app = replay_app(recorded_run(SMALL, satmap=False))
    app.feed.log_path = log
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.action_save_screenshot()
        await pilot.pause()
        assert [path.name.split("-screen-")[0] for path in tmp_path.glob("*.svg")] == ["replayed"]


@run_async
async def test_the_keys_panel_leaves_the_footer_whole_and_escape_closes_it():
    app, _ = live_app(respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = app.query_one(Footer)
        assert footer.show_command_palette
        command(app, "Keys")()
        await pilot.pause(0.3)
        assert app.screen.query(HelpPanel) and not footer.show_command_palette
        last = screen_text(app).splitlines()[-1]
        assert "^p palette" not in last and last.startswith("? help q quit")
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert not app.screen.query(HelpPanel) and footer.show_command_palette
        assert "^p palette" in screen_text(app).splitlines()[-1]


# ---- the lecture's other experiments ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "change", "said"),
    [
        ("t", {"activation": "linear"}, "linear"),
        ("i", {"init": "normal"}, "init normal"),
        ("o", {"output_scale": 1.0}, "out ×1"),
    ],
)
@run_async
async def test_t_i_o_rerun_the_lecture_experiments_and_the_status_line_names_them(key, change, said):
    app, trainer = live_app(respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert f"· {said} ·" not in status_lines(app)[1]  # at the default: not named
        await pilot.press(key)
        config = SMALL.replace(**change)
        assert trainer.commands == [Rerun(variants=(Variant("", config),))]
        assert f"{said} · rerunning…" in status_lines(app)[1]
        for record in recorded_run(config, run=2, upto=0, end=False):  # the trainer's answer
            trainer.channel.put(record)
        second = (await wait_for_text(pilot, app, "run 2 started")).splitlines()[1]
        gain = "" if change.get("init") == "normal" else "gain 5/3 · "  # plain randn takes no gain: none is shown
        assert second.startswith(f" cpu · BN on · {gain}lr 0.1 · {said} ·")
        tag = "(BN)" if change.get("init") == "normal" else "(BN, g 5/3)"
        assert second.rstrip().endswith(f"run 2 started {tag} · {said}")
        await pilot.press(key)
        assert trainer.commands[-1] == Rerun(variants=(Variant("", SMALL),))  # pressed again: back to the default


@run_async
async def test_g_under_init_normal_is_refused_saying_why():
    """Issue 19 item 13: plain randn takes no gain, so g reran identical nets under new labels."""
    app, trainer = live_app(config=SMALL.replace(init="normal"), respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "gain" not in status_lines(app)[1]  # no label shows a gain the net does not take
        await pilot.press("g")
        said = await wait_for_text(pilot, app, "init normal takes no gain")
        assert "refused: init normal takes no gain (plain randn weights)" in said and trainer.commands == []


@run_async
async def test_the_experiments_are_palette_commands_and_a_replay_refuses_them():
    app, _ = live_app(respond=False)
    async with app.run_test(size=(120, 40)):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Toggle tanh ↔ linear and rerun", "Toggle init Kaiming ↔ normal and rerun"} <= titles
        assert "Toggle output scale 0.1 ↔ 1 and rerun" in titles
    replay = replay_app(recorded_run(SMALL, satmap=False))
    async with replay.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "Toggle tanh ↔ linear and rerun" not in {c.title for c in replay.get_system_commands(replay.screen)}
        await pilot.press("t")
        assert "training keys are off" in status_lines(replay)[1]


@run_async
async def test_a_linear_run_names_its_layers_linear_and_says_linear_once():
    config = SMALL.replace(activation="linear", batchnorm=False, gain=1.0)
    app, _ = live_app(recorded_run(config, upto=600, end=False), config=config, respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        text = await wait_for_text(pilot, app, "step 600")
        assert "1 |x|>0.97 (no saturation) · linear layers" in text, text  # an identity layer never saturates
        assert "2 activation histograms · linear output t" in text
        assert "tanh" not in "\n".join(text.splitlines()[:-1]), text  # (the footer's key t says tanh/lin)
        assert "· linear · 5×100 · batch 32" in status_lines(app)[1], status_lines(app)[1]  # not `5×100 linear` again


@run_async
async def test_a_linear_nets_wide_activations_keep_mean_and_std_apart():
    config = SMALL.replace(activation="linear", batchnorm=False)
    records = recorded_run(config, upto=600, end=False)
    for record in records:
        if record["event"] == Event.STATS:
            for layer in record["layers"]:
                layer["mean"], layer["std"] = -0.7612, 12.17  # gain 5/3 grows a linear net's std layer by layer
    app, _ = live_app(records, config=config, respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        text = await wait_for_text(pilot, app, "step 600")
        rows = [line for line in text.splitlines() if "% ×" in line]  # the saturation panel's layer rows
        assert len(rows) == 5 and all("-0.76 12.2 " in row and "…" not in row.split("││")[0] for row in rows), rows
