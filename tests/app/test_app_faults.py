"""Faults: a diverged run or an error is shown, a key that cannot be done is refused, and the app goes on."""

from __future__ import annotations

import pytest

from makemore_tui.core.commands import Evaluate, Rerun, ScaleLr
from makemore_tui.tui.app import MakemoreApp
from makemore_tui.tui.feed import LiveFeed
from tests.app.helpers import FAST_HZ, live_app, run_async, screen_text, wait_for_text
from tests.fake_trainer import SMALL, FakeTrainer, filled_channel, recorded_run


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
        await wait_for_text(pilot, app, "disk full")
        await pilot.press("space")
        assert "pausing" in screen_text(app)


@pytest.mark.parametrize(
    ("config", "key", "why"),
    [
        # The app's own hint says "turn BatchNorm on (b)"; with one example a batch has no variance.
        (SMALL.replace(batchnorm=False, batch_size=1), "b", "--batch-size must be at least 2 with BatchNorm"),
        (SMALL.replace(lr=5e-324), "minus", "--lr must be a finite number above 0"),  # halves to 0.0
    ],
)
@run_async
async def test_a_key_that_would_make_a_bad_config_is_refused_and_the_run_goes_on(config, key, why):
    app, trainer = live_app(recorded_run(config.replace(lr=0.1), upto=300, end=False), config, respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(key)
        assert f"refused: {why}" in screen_text(app)
        assert not [c for c in trainer.commands if isinstance(c, (Rerun, ScaleLr))]  # nothing reached the trainer
        await pilot.press("plus", "e")  # the app still takes keys
        assert trainer.commands[-1] == Evaluate()
    assert app.return_code is None  # it did not exit


class BrokenTrainer(FakeTrainer):
    """A trainer whose command queue fails."""

    def send(self, command) -> None:
        raise RuntimeError("the command queue is closed")


@run_async
async def test_an_action_that_fails_is_said_not_raised_and_q_still_quits():
    channel = filled_channel(recorded_run(SMALL, upto=300, end=False))
    app = MakemoreApp(LiveFeed(BrokenTrainer(SMALL, channel), channel), refresh_hz=FAST_HZ)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("e")
        assert "evaluate failed: the command queue is closed" in await wait_for_text(pilot, app, "evaluate failed")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
