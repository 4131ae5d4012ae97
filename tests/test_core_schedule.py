"""The lecture's lr schedule: lr until 3/4 of the steps (or --lr-decay-step), then lr/10; a short run's
first step always trains at lr (`--steps 1` once showed lr 0.01 at step 0)."""

from __future__ import annotations

from makemore_tui.core.config import TrainConfig
from tests.conftest import run_to_end


def test_the_default_decay_is_at_three_quarters_of_the_steps():
    config = TrainConfig(steps=200, lr=0.1)
    assert config.decay_step == 150 and config.lr_at(149) == 0.1 and config.lr_at(150) == 0.1 / 10


def test_one_or_few_steps_start_at_the_full_lr():
    for steps in (1, 2, 3):
        assert TrainConfig(steps=steps, lr=0.1).lr_at(0) == 0.1, steps
    assert TrainConfig(steps=1, lr_decay_step=0).lr_at(0) == 0.01  # asked for: decayed from step 0


def test_a_one_step_run_records_lr_0_1_at_step_0(small_words):
    config = TrainConfig(steps=1, hidden=16, depth=2, device="cpu")
    stats = [r for r in run_to_end(config, small_words) if r["event"] == "stats"]
    assert [(r["step"], r["lr"]) for r in stats] == [(0, 0.1)]
