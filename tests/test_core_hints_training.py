"""Training hints in real training: the lr's rules fire in their regime, and the lr they name moves the statistic.

Tiny nets (4×32 tanh, the lecture's seed, the built-in names' first 400), 300 steps, stats every
10. "lower lr (-)" names a press of -: one press is lr/2, n presses lr/2^n (reruns keep it).
"""

from __future__ import annotations

from makemore_tui.core import health
from makemore_tui.core.health import HealthJudge
from tests.hints_regimes import dead, judged, max_saturation, median_update, small

FLAT = {"lr_decay_step": 10_000}  # no lr decay inside these 300 steps: the lr stays the one under test


def steady(run) -> float:
    """Median hidden-weight update:data over the second half of the run."""
    return median_update([r for r in run.stats if r["step"] >= 150])


def test_update_to_data_too_high_names_minus_and_presses_move_it_toward_minus_3(small_words):
    runs = [judged(small(lr=lr, **FLAT), small_words) for lr in (3.2, 0.8, 0.2)]  # two presses of - apart
    assert "lower lr (-)" in runs[0].hint("update-high").text and steady(runs[0]) > -3 + 1
    # BatchNorm's weights grow faster at a high lr, so a press moves it 0.1-0.3 decade, not log10(2)
    assert steady(runs[0]) - 0.1 > steady(runs[1]) > steady(runs[2]) + 0.3 > -3 + 0.3
    assert "update-high" in runs[1].rules and "update-high" not in runs[2].rules


def test_update_to_data_too_low_names_plus_and_presses_move_it_toward_minus_3(small_words):
    runs = [judged(small(lr=lr, **FLAT), small_words) for lr in (0.001, 0.004, 0.016)]  # two presses of + apart
    assert "raise lr (+)" in runs[0].hint("update-low").text and steady(runs[0]) < -3 - 1
    assert steady(runs[0]) + 0.4 < steady(runs[1]) < steady(runs[2]) - 0.4 < -3 - 0.4
    assert "update-low" in runs[1].rules and "update-low" not in runs[2].rules


def test_the_schedules_planned_lr_drop_is_not_a_reason_to_raise_lr(small_words):
    run = judged(small(gain=3.0), small_words)  # BN, lr 0.1 then 0.01 from step 225
    after = [r for r in run.stats if r["step"] >= run.config.decay_step]
    assert median_update(after) < -3 - 1  # a decade lower after the drop: what the old rule called "too slow"
    assert "update-low" not in run.rules
    unplanned = HealthJudge({**run.config.to_dict(), "lr_decay_step": None, "steps": 10**6}, 27)
    fired = {hint.rule for record in run.stats for hint in unplanned.observe(record)}
    assert "update-low" in fired  # the same records, judged as if nothing had planned the drop


def test_a_far_too_high_lr_without_batchnorm_kills_neurons_and_one_press_and_rerun_avoids_it(small_words):
    wild = judged(small(batchnorm=False, lr=3.2), small_words)
    for rule in ("dead-neurons", "saturation-lr"):
        assert "lower lr (-) and rerun (r)" in wild.hint(rule).text
    assert max(dead(r) for r in wild.stats) > 20 and max(max_saturation(r) for r in wild.stats) > 95
    calmer = judged(small(batchnorm=False, lr=1.6), small_words)  # - then r
    assert max(dead(r) for r in calmer.stats) == 0
    assert max(max_saturation(r) for r in calmer.stats) < health.TRAINING_SATURATION_LIMIT_PCT
    assert not {"dead-neurons", "saturation-lr"} & calmer.rules


def test_with_batchnorm_a_far_too_high_lr_saturates_every_layer_and_the_hint_names_lr_not_the_gain(small_words):
    wild = judged(small(lr=51.2), small_words)
    assert "BatchNorm holds the pre-activations" in wild.hint("saturation-lr").text
    assert "lower lr (-) and rerun (r)" in wild.hint("dead-neurons").text
    assert all("(g" not in hint.text for _, hint in wild.first.values())
    # the dead layers pass no gradient, so update:data sinks; raising lr would be the wrong advice
    assert min(median_update(wild.stats[i : i + 5]) for i in range(len(wild.stats) - 5)) < -3 - 1
    assert "update-low" not in wild.rules
    calmer = judged(small(lr=3.2), small_words)  # four presses of -, then r
    assert max(dead(r) for r in calmer.stats) == 0
    assert max(max_saturation(r) for r in calmer.stats) < health.TRAINING_SATURATION_LIMIT_PCT
    assert not {"dead-neurons", "saturation-lr"} & calmer.rules
