"""`n` pressed quickly while paused: the trainer takes every step and says at once how many it has done."""

from __future__ import annotations

import time

from makemore_tui.core import commands as cmd
from makemore_tui.core.channel import RecordChannel
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.trainer import Trainer

TINY = TrainConfig(steps=1000, hidden=32, depth=2, stats_every=50, device="cpu")
PRESSES = 5


def paused_steps(words) -> list[dict]:
    """The records of a run started paused (--paused) after PRESSES StepOnce sent at once."""
    channel = RecordChannel(maxsize=10**9)
    trainer = Trainer(TINY, words, channel=channel, paused=True)
    trainer.start()
    seen: list[dict] = []

    def collect_until(stats: int) -> None:
        deadline = time.monotonic() + 20
        while sum(r["event"] == "stats" for r in seen) < stats and time.monotonic() < deadline:
            record = channel.get(timeout=0.1)
            seen.extend([record] if record is not None else [])

    try:
        collect_until(1)
        assert [r["event"] for r in seen] == ["run_start", "state", "stats"]  # step 0's statistics, paused
        for _ in range(PRESSES):
            trainer.send(cmd.StepOnce())
        collect_until(1 + PRESSES)
        time.sleep(0.3)  # a step too many would have come by now
        return seen + channel.drain()
    finally:
        assert trainer.close(timeout=5)


def test_every_step_once_sent_quickly_while_paused_is_one_step(small_words):
    records = paused_steps(small_words)
    stats = [r["step"] for r in records if r["event"] == "stats"]
    assert stats == [0, *range(PRESSES)]  # the paused preview at step 0, then one record per step, no more


def test_the_records_say_every_step_taken_while_paused(small_words):
    records = paused_steps(small_words)
    done = max(r["step"] for r in records if r["event"] in ("stats", "progress", "state"))
    assert done == PRESSES
