"""The default configuration raises no hint (DESIGN §9): its first 15,000 steps here, the whole run in bench/.

The old saturation rule (any layer over 5%) fired on the default run from step 11,500 (L1 and L2
at 5%) and by 15,000 on three layers, telling users to lower a gain that BatchNorm makes
irrelevant. 15,000 steps of the default net take ~15 s on a 2-core CPU; the whole 200,000-step
run is `python bench/bench_hints.py default` (it prints the hints a headless run printed: none).
"""

from __future__ import annotations

from makemore_tui.core.config import TrainConfig
from tests.hints_regimes import judged

STEPS = 15_000


def test_the_first_15000_steps_of_the_default_run_raise_no_hint(builtin_words):
    # the default run's own schedule (lr 0.1 until step 150,000), only shorter; no periodic eval
    config = TrainConfig(steps=STEPS, lr_decay_step=TrainConfig().decay_step, eval_every=10**6)
    run = judged(config, builtin_words)
    assert len(run.stats) == STEPS // config.stats_every + 1 and run.stats[-1]["step"] == STEPS - 1
    assert run.first == {}, {rule: (step, hint.text) for rule, (step, hint) in run.first.items()}
    # the statistic the old rule misread: saturation past 5% with BatchNorm on, in healthy training
    assert max(layer["saturated_pct"] for layer in run.stats[-1]["layers"]) > 5.0
