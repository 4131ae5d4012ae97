"""A `--model` run in the app, through Pilot: the footer shows only the keys its build takes (each model-field
key: b, g, t, i, o), a rerun of a file broken since says to fix the file and press r, not b/g, and the compare
picker (c) offers the build's own knobs and refuses fields it does not take, saying why."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, Static

from makemore_tui.core.commands import Rerun
from makemore_tui.tui.registry import ACTIONS
from makemore_tui.tui.widgets.picker import ComparePicker
from tests.app.helpers import live_app, run_async, running, screen_text, wait_for_text
from tests.fake_trainer import SMALL, recorded_run

FIELD_KEYS = {entry.field: f" {entry.key} {entry.label} " for entry in ACTIONS if entry.field}  # "b": " b BN "


def _model(**fields):
    """A --model run's config whose build takes `fields` (name -> the value its knob holds)."""
    return SMALL.replace(model="mynet.py", model_fields=tuple(fields), **fields)


async def _footer(pilot, app) -> str:
    return " " + (await wait_for_text(pilot, app, "? help q quit")).splitlines()[-1] + " "


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({}, set()),  # build takes none of them: no b, g, t, i, o
        ({"batchnorm": True, "gain": 1.0}, {"batchnorm", "gain"}),
        ({"activation": "tanh", "init": "kaiming", "output_scale": 0.1}, {"activation", "init", "output_scale"}),
        ({"activation": "relu"}, set()),  # t cycles tanh ↔ linear: it does not fit a ReLU file's knob
        ({"init": "xavier", "gain": 2}, set()),  # i cycles kaiming ↔ normal; g's 5/3 does not fit an int knob
        ({"output_scale": "small"}, set()),  # o turns a number: not a word
    ],
    ids=["none", "bn-gain", "experiments", "relu", "other-words", "word-scale"],
)
@run_async
async def test_the_footer_shows_a_field_key_only_where_build_takes_the_value_it_turns_to(fields, shown):
    app, trainer = live_app(recorded_run(_model(**fields), upto=600, end=False), config=_model(**fields), respond=False)
    async with app.run_test(size=(200, 50)) as pilot:
        footer = await _footer(pilot, app)
        assert {field for field, key in FIELD_KEYS.items() if key in footer} == shown, footer
        for field in set(FIELD_KEYS) - shown:  # each key left out says why when pressed, and reruns nothing
            key = next(entry.key for entry in ACTIONS if entry.field == field)
            await pilot.press(key)
            await pilot.pause()
            said = app.status_bar.message
            assert said.startswith(("mynet.py's", "the key cycles")) and "mynet.py" in said, said
            assert said in screen_text(app)
        assert not [command for command in trainer.commands if isinstance(command, Rerun)]


@run_async
async def test_a_rerun_of_a_file_broken_since_says_fix_it_and_press_r():
    config = _model(gain=1.0)
    app, trainer = live_app(recorded_run(config, upto=600), config=config, respond=False)
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await wait_for_text(pilot, app, "r reruns")
        await pilot.press("r")  # the file was edited and broke: the rerun's setup fails (core/trainer.py)
        assert isinstance(trainer.commands[-1], Rerun)
        start = {"event": "run_start", "run": 2, "config": config.to_dict(), "device": "cpu"}
        message = "mynet.py:7: build() raised NameError: name 'Linaer' is not defined"
        end = {"event": "run_end", "run": 2, "step": 0, "reason": "error", "message": message, "kind": "model_file"}
        end |= {"seconds": 0.0, "steps_per_sec": 0.0}
        trainer.channel.put(start)
        trainer.channel.put(end)
        shown = await wait_for_text(pilot, app, "fix mynet.py and press r (r loads it again)")
        assert "Linaer" in shown and "change the setup" not in shown


KNOBBED = _model(gain=1.0).replace(knobs=(("dropout", 0.0),))  # build(..., gain=1.0, dropout=0.0)


@run_async
async def test_the_compare_picker_offers_the_builds_knobs_and_refuses_a_field_it_does_not_take():
    app, trainer = live_app(recorded_run(KNOBBED, upto=600, end=False), config=KNOBBED, respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, app, "step 600")
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ComparePicker)
        preview = lambda: str(app.screen.query_one("#picker-preview", Static).render())  # noqa: E731
        fields = str(app.screen.query_one("#picker-fields", Static).render())
        assert fields.endswith("· mynet.py's knobs: gain, dropout · lr") and "mynet.py's knobs" in screen_text(app)
        # every preset sets batchnorm (the gains' and tanh/linear's: off), which this build does not take
        assert app.screen.query_one(OptionList).option_count == 0 and "BatchNorm on / off" not in screen_text(app)
        refused = "enter would refuse: --compare: mynet.py's build() takes no batchnorm"
        await pilot.press(*"batchnorm=on,off")
        await pilot.pause()
        assert preview() == refused
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ComparePicker) and not [c for c in trainer.commands if isinstance(c, Rerun)]
        assert screen_text(app).count("takes no batchnorm") == 1  # said once: the refusal replaces the preview
        await pilot.press(*["backspace"] * len("batchnorm=on,off"), *"dropout=0,0.5")
        await pilot.pause()
        assert preview().startswith("runs a dropout 0.0 · b dropout 0.5\neach: mynet.py · gain 1")
        await pilot.press("enter")
        await pilot.pause()
        rerun = trainer.commands[-1]
        assert [dict(v.config.knobs)["dropout"] for v in rerun.variants] == [0.0, 0.5]
        palette = {command.title for command in app.get_system_commands(app.screen)}
        assert "Compare…" in palette and not {t for t in palette if t.startswith("Compare: ")}  # BN in each


@run_async
async def test_the_weights_table_gives_a_model_nets_parameter_names_room_at_160x50():
    """A --model net's parameters are named `layers.12.weight`: at 160×50 (three panels a row) the table shows
    `layers.12` whole, taking the room of a bar too narrow to draw (it showed `…s.12`)."""
    records = recorded_run(SMALL, upto=600, end=False)
    for record in records:
        for i, param in enumerate(record.get("params") or []):
            param["name"] = "C" if i == 0 else f"layers.{3 * i}.weight"
    async with running(live_app(records, respond=False), size=(160, 50), after="step 600") as (app, _, pilot):
        text = screen_text(app)
        assert "layers.12 " in text and "layers.18 " in text and "…s.12" not in text, text


@run_async
async def test_a_note_about_the_model_shows_as_a_toast_and_what_the_file_printed_does_not():
    """The trainer's notes (no activation layer found, …) reach the screen as a toast; a line the file printed
    stays in the run log (a new user's trial: a net whose TanH class was not found said nothing in the app)."""
    records = recorded_run(SMALL, upto=600, end=False)
    note = "mynet.py: no activation layer found: layers are found by class name"
    records.insert(1, {"event": "warning", "run": 1, "message": note})
    records.insert(1, {"event": "warning", "run": 1, "message": "mynet.py: hello from my file", "printed": True})
    app, _ = live_app(records, respond=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:  # run_test hides toasts unless asked
        text = await wait_for_text(pilot, app, "no activation layer")
        assert "hello from my file" not in text and [n.message for n in app._notifications] == [note]
