"""Faults from the trainer: a diverged run or an error is shown, and the app stays usable."""

from __future__ import annotations

from core.commands import Rerun
from tests.conftest_app import live_app, run_async, screen_text, wait_for_text
from tests.fake_trainer import SMALL, recorded_run


@run_async
async def test_a_diverged_run_is_shown_and_r_still_reruns():
    records = recorded_run(SMALL, upto=300, end=False)
    records[-2] = dict(records[-2], loss=float("nan"), loss_window=float("nan"))  # the last stats
    records.append(
        {
            "event": "run_end",
            "run": 1,
            "step": 300,
            "reason": "diverged",
            "seconds": 0.4,
            "steps_per_sec": 750.0,
            "message": "loss is nan at step 300: lower lr (-)",
        }
    )
    app, trainer = live_app(records, respond=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        text = await wait_for_text(pilot, app, "loss is nan at step 300")
        assert "✖ diverged" in text and "loss is nan at step 300" in text
        await pilot.press("r")
        assert isinstance(trainer.commands[-1], Rerun)


@run_async
async def test_errors_outside_a_run_are_notified():
    records = recorded_run(SMALL, upto=200, end=False) + [
        {"event": "log_error", "message": "the run log stopped: disk full"}
    ]
    app, _ = live_app(records, respond=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        assert "disk full" in await wait_for_text(pilot, app, "disk full")
        await pilot.press("space")
        assert "pausing" in screen_text(app)
