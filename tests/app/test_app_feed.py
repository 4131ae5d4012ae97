"""The live feed on its own: what it sends the trainer, what it refuses, the exit code it reports."""

from __future__ import annotations

import pytest

from makemore_tui.core.commands import Pause, Quit, Rerun, Resume, ScaleLr, StepOnce
from makemore_tui.core.compare import Variant
from makemore_tui.core.config import LECTURE, ConfigError
from makemore_tui.core.records import Event, ExitCode
from makemore_tui.tui.feed import LiveFeed, Refused, Seek, TogglePause
from tests.app.helpers import live_app, run_async, running, screen_text, wait_for_text
from tests.fake_trainer import SMALL, FakeTrainer, filled_channel, recorded_run, run_start_record


def live_feed(records: list[dict] | None = None, config=SMALL) -> tuple[LiveFeed, FakeTrainer]:
    channel = filled_channel(recorded_run(SMALL, upto=300, end=False) if records is None else records)
    trainer = FakeTrainer(config, channel, respond=False, step=300)
    return LiveFeed(trainer, channel), trainer


def test_space_pauses_then_resumes_and_n_steps_only_while_paused():
    feed, trainer = live_feed()
    feed.poll()
    with pytest.raises(Refused, match="press space first"):
        feed.send(StepOnce())
    assert feed.send(TogglePause()).startswith("pausing") and trainer.commands == [Pause()]
    assert feed.send(StepOnce()) == "one step…"
    assert feed.send(TogglePause()) == "resuming…" and trainer.commands[-1] == Resume()


def test_a_state_record_says_whether_the_run_is_paused():
    feed, trainer = live_feed()
    feed.poll()
    trainer.channel.put({"event": Event.STATE, "run": 1, "step": 300, "paused": True})
    feed.poll()
    feed.send(TogglePause())
    assert trainer.commands == [Resume()]  # the run said it is paused: space resumes it


def paused_state(run: int, step: int) -> dict:
    return {"event": Event.STATE, "run": run, "step": step, "paused": True, "lr": 0.1}


def old_run_end(step: int = 300) -> dict:
    return {"event": Event.RUN_END, "run": 1, "step": step, "reason": "stopped", "seconds": 1.0, "steps_per_sec": 1.0}


def test_a_paused_rerun_takes_n_and_space_while_the_old_run_hands_over():
    """Between the old run's run_end and the new run's state record the run is still paused, not over."""
    feed, trainer = live_feed()
    feed.poll()
    feed.send(TogglePause())
    trainer.channel.put(paused_state(1, 300))
    feed.poll()
    feed.send(Rerun(feed.config.replace(batchnorm=False), paused=True))  # b while paused: reruns paused
    trainer.channel.put(old_run_end())
    feed.poll()
    assert feed.send(StepOnce()) == "one step…"  # queued for the new run, which starts paused
    trainer.channel.put(run_start_record(SMALL.replace(batchnorm=False), run=2))
    feed.poll()
    assert feed.send(StepOnce()) == "one step…"
    assert feed.send(TogglePause()) == "resuming…"  # not "the run is over"
    assert trainer.commands[-3:] == [StepOnce(), StepOnce(), Resume()]


def test_a_trainer_started_paused_takes_n_before_its_first_record():
    channel = filled_channel([])
    trainer = FakeTrainer(SMALL, channel)
    trainer.start_paused = True  # as core.trainer.Trainer(paused=True) says (--paused)
    feed = LiveFeed(trainer, channel)
    assert feed.send(StepOnce()) == "one step…" and trainer.commands == [StepOnce()]


def test_lr_changes_are_kept_for_reruns_and_a_bad_one_never_reaches_the_trainer():
    feed, trainer = live_feed(config=SMALL.replace(lr=5e-324))
    with pytest.raises(ConfigError):
        feed.send(ScaleLr(0.5))  # 5e-324 / 2 is 0.0
    assert trainer.commands == [] and feed.config.lr == 5e-324
    assert feed.send(ScaleLr(2.0)) == "lr ×2 → 9.88e-324" and trainer.commands == [ScaleLr(2.0)]
    feed.send(Rerun(feed.config.replace(batchnorm=False)))
    assert trainer.commands[-1] == Rerun(SMALL.replace(lr=2 * 5e-324, batchnorm=False))  # the lr kept


def test_after_the_run_ends_space_says_so_and_seeking_is_for_replays():
    feed, _ = live_feed(recorded_run(SMALL))
    feed.poll()
    with pytest.raises(Refused, match="the run is over"):
        feed.send(TogglePause())
    with pytest.raises(Refused, match="replay"):
        feed.send(Seek(1))


@pytest.mark.parametrize(
    ("end", "code"),
    [
        (None, ExitCode.OK),  # quit mid-run
        ({"reason": "finished"}, ExitCode.OK),
        ({"reason": "diverged", "message": "loss is nan"}, ExitCode.DIVERGED),
        ({"reason": "error", "message": "boom"}, ExitCode.FAILURE),
        ({"reason": "error", "kind": "out_of_memory", "message": "CUDA out of memory"}, ExitCode.USAGE),
    ],
)
def test_the_exit_code_follows_the_last_run_end_seen(end, code):
    records = recorded_run(SMALL, upto=300, end=False)
    if end is not None:
        records.append({"event": Event.RUN_END, "run": 1, "step": 300, **end})
    feed, trainer = live_feed(records)
    feed.poll()
    feed.send(Quit())
    feed.close()
    assert feed.exit_code() == code and trainer.closed


@run_async
async def test_the_lecture_preset_on_the_built_in_names_says_so_at_once():
    async with running(live_app(config=LECTURE.replace(steps=1000, device="cpu"), respond=False)) as (app, _, pilot):
        await wait_for_text(pilot, app, "step 600")  # run_start and the stats are drained: the note stays up
        status = screen_text(app).splitlines()[1]
        assert "built-in names: the notebook's numbers need --data names.txt" in status  # whole at 120 columns
    plain, _ = live_app(respond=False)
    async with plain.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        assert "built-in names" not in screen_text(plain)


@run_async
async def test_n_pressed_quickly_while_paused_reaches_the_trainer_every_time_a_rerun_too():
    async with running(live_app(respond=False), after="step 600") as (app, trainer, pilot):
        await pilot.press("space")
        trainer.channel.put(paused_state(1, 600))
        await pilot.pause(0.2)
        await pilot.press(*"nnnnn")
        assert trainer.commands.count(StepOnce()) == 5
        await pilot.press("b")  # a paused run reruns paused
        trainer.channel.put(old_run_end(600))
        await pilot.pause(0.2)  # the old run's end is drained: the new run has not started yet
        await pilot.press(*"nnn")
        assert trainer.commands.count(StepOnce()) == 8, screen_text(app)
        assert trainer.commands[-4] == Rerun(variants=(Variant("", SMALL.replace(batchnorm=False)),), paused=True)
