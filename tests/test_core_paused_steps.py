"""Stepping while paused (`n`): the trainer takes every step pressed and says at once how many it has done,
and after each one the panels show the state after that update: a `preview` stats record of the next step
(its forward and backward at the parameters after the updates so far, no update applied), one record per
step, the same numbers that step has when it is taken."""

from __future__ import annotations

import time

import pytest

from makemore_tui.core import commands as cmd
from makemore_tui.core.channel import RecordChannel
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.trainer import Trainer
from tests.conftest import run_to_end

TINY = TrainConfig(steps=1000, hidden=32, depth=2, stats_every=50, device="cpu")
PRESSES = 5


def collect_until(channel, seen: list[dict], stats: int) -> None:
    deadline = time.monotonic() + 20
    while sum(r["event"] == "stats" for r in seen) < stats and time.monotonic() < deadline:
        record = channel.get(timeout=0.1)
        seen.extend([record] if record is not None else [])


def paused_steps(words, config: TrainConfig = TINY, then=None) -> list[dict]:
    """The records of a run started paused (--paused) after PRESSES StepOnce sent at once (then `then`)."""
    channel = RecordChannel(maxsize=10**9)
    trainer = Trainer(config, words, channel=channel, paused=True)
    trainer.start()
    seen: list[dict] = []
    try:
        collect_until(channel, seen, 1)
        assert [r["event"] for r in seen] == ["run_start", "state", "stats"]  # step 0's statistics, paused
        for _ in range(PRESSES):
            trainer.send(cmd.StepOnce())
        collect_until(channel, seen, 1 + PRESSES)
        if then is not None:
            then(trainer, channel, seen)
        time.sleep(0.3)  # a step too many would have come by now
        return seen + channel.drain()
    finally:
        assert trainer.close(timeout=5)


def test_every_step_once_sent_quickly_while_paused_is_one_step(small_words):
    records = paused_steps(small_words)
    stats = [r for r in records if r["event"] == "stats"]
    # the preview of step 0, then after each n the preview of the next step: one record per step, no repeat
    assert [r["step"] for r in stats] == list(range(PRESSES + 1))
    assert all(r.get("preview") is True for r in stats)


def test_the_records_say_every_step_taken_while_paused(small_words):
    records = paused_steps(small_words)
    done = max(r["step"] for r in records if r["event"] in ("stats", "progress", "state"))
    assert done == PRESSES
    last_progress = [r for r in records if r["event"] == "progress"][-1]
    assert last_progress["step"] == PRESSES  # the header's step is the panels' step


def test_a_preview_is_the_step_at_the_parameters_after_its_updates(small_words):
    # the same run unpaused, a record every step: step k's activations come from its forward pass at the
    # parameters after k updates, as the preview of step k does
    short = TINY.replace(steps=PRESSES + 1)
    taken = {r["step"]: r for r in run_to_end(short.replace(stats_every=1), small_words) if r["event"] == "stats"}
    previews = {r["step"]: r for r in paused_steps(small_words, short) if r["event"] == "stats"}
    assert sorted(previews) == list(range(PRESSES + 1))
    for step, preview in previews.items():
        assert preview["loss"] == pytest.approx(taken[step]["loss"], rel=1e-5), step
        for shown, real in zip(preview["layers"], taken[step]["layers"], strict=True):
            assert shown["std"] == pytest.approx(real["std"], rel=1e-4), step
            assert shown["grad_std"] == pytest.approx(real["grad_std"], rel=1e-4), step
    assert previews[1]["layers"][0]["std"] != previews[0]["layers"][0]["std"]  # the update moved them


def test_resuming_after_a_preview_writes_no_second_record_of_that_step(small_words):
    def resume_to_the_next_tick(trainer, channel, seen):
        trainer.send(cmd.Resume())
        collect_until(channel, seen, 2 + PRESSES)  # the next scheduled record, at step 50
        trainer.send(cmd.Pause())

    records = paused_steps(small_words, then=resume_to_the_next_tick)
    stats = [r for r in records if r["event"] == "stats"]
    assert [r["step"] for r in stats][: PRESSES + 2] == [*range(PRESSES + 1), 50]
    assert "preview" not in stats[PRESSES + 1]  # taken unpaused: the lecture's record of step 50
    window = stats[PRESSES + 1]["loss_window"]
    assert window is not None and window > 0
