"""Frames of the truthful screen against SVG snapshots: paused, a long message, the keys panel, the
step prompt, a replay's help. Update after an intended change with --snapshot-update (and look at them)."""

from __future__ import annotations

from makemore_tui.core.records import Event
from tests.app.helpers import live_app, replay_app
from tests.fake_trainer import SMALL, recorded_run

LONG = SMALL.replace(steps=200_000, stats_every=20_000, batchnorm=False, activation="linear", gain=1.0)


def test_paused_with_its_eta_and_a_long_message_cut(snap_compare):
    records = recorded_run(LONG, upto=100_000, end=False)
    records.append({"event": Event.STATE, "run": 1, "step": 100_000, "paused": True, "lr": 0.1})
    records.append({"event": Event.PROGRESS, "run": 1, "step": 100_001, "steps_per_sec": 1.0, "loss": 2.4})
    app = live_app(records, config=LONG, respond=False)[0]

    async def message(pilot):
        await pilot.pause(0.2)  # after the records' own messages
        pilot.app.say("a key's feedback far longer than the room the status line has left beside the config")

    assert snap_compare(app, run_before=message, terminal_size=(100, 36))


def test_the_keys_panel_beside_a_fitted_footer(snap_compare):
    app = live_app(respond=False)[0]

    async def keys(pilot):
        pilot.app.action_keys_panel()
        await pilot.pause(0.2)

    assert snap_compare(app, run_before=keys, terminal_size=(120, 40))


def test_the_replay_step_prompt(snap_compare):
    records = recorded_run(SMALL, satmap=False) + recorded_run(SMALL.replace(batchnorm=False), run=2, satmap=False)
    app = replay_app(records, name="two-runs.jsonl")
    assert snap_compare(app, press=["left_square_bracket", "colon", *"2:5"], terminal_size=(120, 40))


def test_a_replays_help(snap_compare):
    app = replay_app(recorded_run(SMALL, satmap=False), name="old.jsonl")
    assert snap_compare(app, press=["question_mark"], terminal_size=(80, 24))
