"""The one registry of actions (tui/registry.py): every entry has its method, every key of the app is an
entry, and each rule answers from the feed's capabilities and the run alone, with the refusal's words."""

from __future__ import annotations

import inspect

import pytest
from textual.app import App

from makemore_tui.core.commands import Rerun
from makemore_tui.core.compare import Variant
from makemore_tui.tui.app import MakemoreApp
from makemore_tui.tui.capabilities import FOLLOW, LIVE, NO_CURSOR, REPLAY
from makemore_tui.tui.keys import BINDINGS, help_tables
from makemore_tui.tui.registry import ACTIONS, BUILT_IN_FIELDS, Refusal, Run, find, model_fields, refusal
from tests.app.helpers import live_app, replay_app, run_async, screen_text, wait_for_text
from tests.fake_trainer import SMALL, recorded_run

# action_* methods no key runs: the palette's Keys and Screenshot call them (tui/actions.py ScreenTools)
PALETTE_CALLBACKS = frozenset({"keys_panel", "save_screenshot"})
TAKES_NO_BN = "mynet.py's build() takes no batchnorm"  # core/modelconfig.py key_refusal
REPLAY_REFUSAL = "a replay: training keys are off · ←/→ move, [/] runs, : a step, space plays"


def ours(method) -> bool:
    """True for a method this project defines (not Textual's)."""
    return method.__module__.startswith("makemore_tui.")


def test_every_registry_action_has_a_method_that_takes_its_arguments():
    for entry in ACTIONS:
        method = getattr(MakemoreApp, f"action_{entry.name}", None)
        assert method is not None, f"{entry.id}: no action_{entry.name}"
        inspect.signature(method).bind(None, *entry.arguments)  # raises TypeError when they do not fit


def test_every_key_and_action_method_of_the_app_is_in_the_registry():
    textuals = {(b.key, b.action) for bs in App._merge_bindings().key_to_bindings.values() for b in bs}
    for bindings in MakemoreApp._merge_bindings().key_to_bindings.values():
        for bound in bindings:
            if (bound.key, bound.action) in textuals:
                continue  # Textual's own (its palette, copy, ctrl+q)
            entry = next((e for e in ACTIONS if e.action == bound.action and bound.key in e.keys.split(",")), None)
            assert entry is not None, f"{bound.key} → {bound.action}: a key the registry does not know"
    methods = {name[len("action_") :] for name, method in inspect.getmembers(MakemoreApp) if name.startswith("action_")}
    unknown = {name for name in methods if ours(getattr(MakemoreApp, f"action_{name}"))} - PALETTE_CALLBACKS
    assert unknown <= {entry.name for entry in ACTIONS}, unknown - {entry.name for entry in ACTIONS}
    assert [binding.id for binding in BINDINGS] == [entry.id for entry in ACTIONS if entry.keys]
    assert len({entry.id for entry in ACTIONS}) == len(ACTIONS)  # ids are unique (keymaps name them)


NO_BN_MODEL = Run(fields=BUILT_IN_FIELDS - {"batchnorm"})  # a user's model without BatchNorm (issue 17)
MODEL = SMALL.replace(model="mynet.py", model_fields=("gain", "activation", "init", "output_scale"))  # --model
GAIN_COMPARE = Run(
    shown_compare=True, compare=True, compared=frozenset({"gain"}), config=SMALL.replace(batchnorm=False, gain=0.5)
)


@pytest.mark.parametrize(
    ("action", "caps", "run", "said"),
    [
        ("toggle_batchnorm", LIVE, Run(), None),
        ("toggle_batchnorm", REPLAY, Run(), Refusal(REPLAY_REFUSAL)),
        ("toggle_batchnorm", FOLLOW, Run(), Refusal(REPLAY_REFUSAL)),  # a followed log: space and n only
        ("step", FOLLOW, Run(), None),
        ("step", REPLAY, Run(), Refusal(REPLAY_REFUSAL)),
        ("toggle_batchnorm", LIVE, NO_BN_MODEL, Refusal("b: this model has no batchnorm")),
        ("toggle_batchnorm", LIVE, Run(config=MODEL, fields=model_fields(MODEL)), Refusal(TAKES_NO_BN)),
        ("cycle_gain", LIVE, Run(config=MODEL, fields=model_fields(MODEL)), None),
        # the compared field: refused with the rerun's words, the key kept on the footer
        ("cycle_gain", LIVE, GAIN_COMPARE, Refusal("gain 3 refused: this compare varies gain · C leaves it", False)),
        ("toggle_batchnorm", LIVE, GAIN_COMPARE, None),  # every variant's
        ("seek", LIVE, Run(), Refusal(NO_CURSOR)),
        ("seek", FOLLOW, Run(), None),  # look back
        ("seek", REPLAY, Run(), None),
        ("next_map_layer", REPLAY, Run(), Refusal("m: maps are live only (run logs keep none)")),
        ("next_map_layer", FOLLOW, Run(), Refusal("m: maps are live only (run logs keep none)")),
        ("next_variant", LIVE, Run(), Refusal("v: for a compare (c starts one)")),
        ("next_variant", REPLAY, GAIN_COMPARE, None),  # a replayed compare
        ("leave_compare", LIVE, Run(), Refusal("C: for a compare (c starts one)")),
        ("leave_compare", REPLAY, GAIN_COMPARE, Refusal(REPLAY_REFUSAL)),
        ("leave_compare", LIVE, GAIN_COMPARE, None),
        ("compare_preset", REPLAY, Run(), Refusal(REPLAY_REFUSAL)),
        ("zoom", FOLLOW, Run(), None),
        ("play_speed", LIVE, Run(), Refusal(NO_CURSOR)),  # not a follow's refusal: the app trains here
        ("play_speed", FOLLOW, Run(), Refusal("<: a followed log shows its records as they are written")),
        ("play_speed", REPLAY, Run(), None),
        ("stop_training", FOLLOW, Run(), None),
        ("stop_training", LIVE, Run(), Refusal("X: for a followed log (replay --follow); q ends this run")),
    ],
)
def test_each_rule_answers_from_the_capabilities_and_the_run(action, caps, run, said):
    assert refusal(find(action), caps, run) == said


def test_the_help_lists_what_the_feed_can_do():
    def keys(caps, run=None):
        run = run or Run()
        return [[key for key, _ in rows] for _, rows in help_tables(caps, run)]

    live, replay, followed = keys(LIVE), keys(REPLAY), keys(FOLLOW)
    assert "b" in live[0] and "v / l" in live[0] and "← / →" not in live[0] and "m" in live[1]
    assert "b" not in replay[0] and "← / →" in replay[0] and "m" not in replay[1]
    assert "b" not in followed[0] and "space" in followed[0] and "n" in followed[0] and "← / →" in followed[0]
    assert "m" not in followed[1]  # no maps in a log
    assert "< / >" in replay[0] and "< / >" not in followed[0]  # following, records come as they are written
    assert "y" in live[0] + live[1]  # a compare's histograms: own or shared y scale
    assert "b" not in keys(LIVE, NO_BN_MODEL)[0] and "g" in keys(LIVE, NO_BN_MODEL)[0]


@run_async
async def test_a_model_without_a_field_hides_its_key_and_says_why():
    app, trainer = live_app(config=MODEL, respond=False)
    async with app.run_test(size=(200, 50)) as pilot:  # the status line holds the file's knobs and why
        footer = (await wait_for_text(pilot, app, "? help q quit")).splitlines()[-1]
        assert "n step g gain t tanh/lin" in footer and " b BN " not in footer
        await pilot.press("b")
        assert "mynet.py's build() takes no batchnorm" in screen_text(app)
        assert not [command for command in trainer.commands if isinstance(command, Rerun)]
        await pilot.press("g")
        assert trainer.commands[-1] == Rerun(variants=(Variant("", MODEL.replace(gain=1.0)),))


@run_async
async def test_m_in_a_replay_says_maps_are_live_only():
    app = replay_app(recorded_run(SMALL, satmap=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("m")
        assert "m: maps are live only (run logs keep none)" in screen_text(app)


@run_async
async def test_the_palette_offers_what_the_rules_allow():
    app, _ = live_app(respond=False)
    async with app.run_test(size=(120, 40)):
        titles = {command.title for command in app.get_system_commands(app.screen)}
    replay = replay_app(recorded_run(SMALL, satmap=False))
    async with replay.run_test(size=(120, 40)):
        replayed = {command.title for command in replay.get_system_commands(replay.screen)}
    assert {"Pause / resume training", "Compare: gains 0.5 · 1 · 5/3 · 3 (no BN)"} <= titles
    assert not {"Play / pause the replay", "Next run", "Leave the compare"} & titles
    assert {"Play / pause the replay", "Next run", "Go to step"} <= replayed
    assert not {"Pause / resume training", "Rerun", "Compare…", "Saturation map: next layer"} & replayed
