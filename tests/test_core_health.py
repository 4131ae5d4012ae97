"""The health hints on hand-made records: each rule fires on the right numbers, in its regime, naming its fix.

Real training in each regime is in test_core_hints_*.py; these pin the thresholds and the wording.
"""

from __future__ import annotations

import math

from makemore_tui.core import health
from makemore_tui.core.health import Regime

NO_BN = Regime(batchnorm=False)
BN = Regime(batchnorm=True)


def layer(depth, saturated=1.0, grad_std=1e-3, dead=0, std=0.6):
    """An activation layer's stats as the run log holds them (without BatchNorm: list index 2·depth − 1)."""
    return {
        "index": 2 * depth - 1,
        "depth": depth,
        "saturated_pct": saturated,
        "grad_std": grad_std,
        "dead": dead,
        "std": std,
    }


def test_regime_reads_the_config_with_defaults():
    regime = Regime.of({"batchnorm": False, "gain": 3.0, "lr": 0.2, "steps": 1000})
    assert (regime.batchnorm, regime.gain, regime.decay_step) == (False, 3.0, 750)
    assert (regime.activation, regime.init, regime.output_scale) == ("tanh", "kaiming", 0.1)  # not on main yet
    assert Regime.of({"lr_decay_step": 10, "steps": 1000}).decay_step == 10
    odd = Regime.of({"batchnorm": 1, "gain": "5/3", "activation": "relu", "init": None})
    assert odd == Regime()  # wrong types fall back to the defaults
    assert Regime.of({"activation": "linear"}).ideal_gain == 1.0 and Regime().ideal_gain == 5 / 3


def test_gain_fix_counts_presses_of_g_along_the_cycle():
    from makemore_tui.core.hints import KEYS, gain_fix

    assert [gain_fix(*gains).presses for gains in [(3.0, 5 / 3), (0.5, 5 / 3), (5 / 3, 1.0), (2.5, 5 / 3)]] == [
        1,
        2,  # 0.5 → 3 → 5/3
        1,
        1,  # a gain off the cycle: g starts it at 5/3
    ]
    assert KEYS.write(gain_fix(0.5, 5 / 3)) == "gain 5/3 (g ×2)" and KEYS.write(gain_fix(5 / 3, 1.0)) == "gain 1 (g)"
    assert gain_fix(0.5, 5 / 3).target == 5 / 3 and gain_fix(0.5, 5 / 3).field == "gain"
    assert KEYS.write(gain_fix(1.0, 0.7)) == "gain 0.7 (--gain)"  # no press reaches it: the flag


def test_init_saturation_judges_the_median_layer_without_batchnorm():
    layers = [layer(1, 46.0), layer(2, 44.0), layer(3, 12.0)]
    (hint,) = health.init_saturation_hints(layers, Regime(batchnorm=False, gain=3.0))
    assert hint.topic == "saturation" and hint.rule == "saturation-init"
    assert "44%" in hint.text and "L1 46%, L2 44%" in hint.text and "L3" not in hint.text
    assert "gain 5/3 (g)" in hint.text and "BatchNorm on (b)" in hint.text
    lecture_no_bn = [layer(1, 22.0), layer(2, 9.0), layer(3, 7.0), layer(4, 5.0), layer(5, 5.0)]  # gain 5/3, step 0
    assert health.init_saturation_hints(lecture_no_bn, Regime(batchnorm=False)) == []
    # BatchNorm pins the pre-activations: the gain is no lever there
    assert health.init_saturation_hints(layers, Regime(batchnorm=True, gain=3.0)) == []
    assert health.init_saturation_hints(layers, Regime(batchnorm=False, activation="linear")) == []
    (normal,) = health.init_saturation_hints(layers, Regime(batchnorm=False, init="normal"))
    assert "Kaiming init (i)" in normal.text and "(g" not in normal.text


def test_the_lectures_kaiming_init_is_not_told_its_gradients_vanish_however_its_first_layer_saturates():
    """Issue 19 item 14: `--depth 1 --hidden 200 --no-batchnorm` at gain 5/3 saturates its one layer 20–21% at
    init (the embedding's std-1 inputs, as the lecture's first layer at 22%, which it calls healthy); the init is
    already the lecture's fix, so no hint may send it to BatchNorm. A gain off 5/3 is still told."""
    one_wide = [layer(1, 21.0)]
    assert health.init_saturation_hints(one_wide, Regime(batchnorm=False, gain=5 / 3)) == []
    assert health.init_saturation_hints([layer(1, 24.0), layer(2, 23.0)], Regime(batchnorm=False)) == []
    (hot,) = health.init_saturation_hints([layer(1, 41.0)], Regime(batchnorm=False, gain=3.0))
    assert "gain 5/3 (g) or BatchNorm on (b)" in hot.text
    (linear_gain,) = health.init_saturation_hints(one_wide, Regime(batchnorm=False, gain=2.5))
    assert linear_gain.rule == "saturation-init"


def test_gradient_std_spread_across_depth_names_the_gain_by_direction():
    shrinking = [layer(1, grad_std=1e-4), layer(2, grad_std=5e-4), layer(3, grad_std=1e-3)]
    (hint,) = health.gradient_depth_hints(shrinking, Regime(batchnorm=False, gain=0.5))
    assert "shrinks toward the input" in hint.text and "10.0×" in hint.text and "gain 5/3 (g ×2)" in hint.text
    growing = list(reversed(shrinking))
    (hint,) = health.gradient_depth_hints(growing, Regime(batchnorm=False, gain=4.0))
    assert "grows toward the input" in hint.text and "gain 5/3 (g)" in hint.text
    # the gain on the other side of 5/3 is not this symptom's fix: BatchNorm still is
    (other,) = health.gradient_depth_hints(growing, Regime(batchnorm=False, gain=0.5))
    assert "(g" not in other.text and "BatchNorm on (b)" in other.text
    assert health.gradient_depth_hints(growing, Regime(batchnorm=True, gain=4.0)) == []
    even = [layer(1, grad_std=1e-3), layer(2, grad_std=2.5e-3)]
    assert health.gradient_depth_hints(even, Regime(batchnorm=False, gain=0.5)) == []


def test_activations_collapsing_with_depth():
    shrinking = [{"index": 1, "std": 0.42}, {"index": 3, "std": 0.1}, {"index": 5, "std": 0.02}]  # an old log: no depth
    (hint,) = health.activation_depth_hints(shrinking, Regime(batchnorm=False, gain=0.5))
    assert hint.topic == "activations" and "L1 0.42 → L3 0.02" in hint.text and "gain 5/3 (g ×2)" in hint.text
    assert health.activation_depth_hints(shrinking, Regime(batchnorm=True, gain=0.5)) == []
    level = [{"index": 1, "std": 0.63}, {"index": 3, "std": 0.5}]
    assert health.activation_depth_hints(level, NO_BN) == []
    growing = [{"index": 1, "std": 0.5}, {"index": 3, "std": 4.0}]  # the linear sandwich at gain 3
    (linear,) = health.activation_depth_hints(growing, Regime(batchnorm=False, gain=3.0, activation="linear"))
    assert "blow up" in linear.text and "gain 1 (g ×2)" in linear.text
    assert health.activation_depth_hints(growing, Regime(batchnorm=False, gain=3.0)) == []  # tanh cannot blow up


def test_update_to_data_judges_the_median_weight_against_the_schedule():
    assert health.update_ratio_hints({"C": -4.5}) == []  # the sparse embedding is not judged
    (high,) = health.update_ratio_hints({"C": -3.2, "W1": -1.5, "W2": -1.8, "W3": -3.0})
    assert high.rule == "update-high" and "10^-1.8" in high.text and "W1 -1.5, W2 -1.8" in high.text
    assert "lower lr (-)" in high.text
    (low,) = health.update_ratio_hints({"W1": -4.6, "W2": -5.1, "W3": -2.9})
    assert low.rule == "update-low" and "W2 -5.1, W1 -4.6" in low.text and "raise lr (+)" in low.text
    assert health.update_ratio_hints({"W1": -1.0, "W2": -3.9, "W3": -3.5}) == []  # one outlier is not the lr
    assert health.update_ratio_hints({"C": -2.1, "W1": -3.9, "W2": math.nan}) == []
    # after the schedule's lr/10 a decade lower is the plan, not a fault
    decayed = Regime(decay_step=150)
    assert health.update_ratio_hints({"W1": -4.4, "W2": -4.3}, decayed, step=200) == []
    assert health.update_ratio_hints({"W1": -4.4, "W2": -4.3}, decayed, step=100)[0].rule == "update-low"
    assert "expected after the schedule" in health.update_ratio_hints({"W1": -5.4}, decayed, step=200)[0].text
    # … and the lecture's ~10^-3 is never "too big", before the lr/10 or after it (the panel's -3 line)
    assert health.update_ratio_hints({"W1": -2.95, "W2": -2.9}, decayed, step=200) == []
    (high,) = health.update_ratio_hints({"W1": -1.9, "W2": -1.8}, decayed, step=200)
    assert high.rule == "update-high" and "the lecture aims at ~10^-3" in high.text
    # a dying net (dead or fully saturated layers) passes no gradient: raising lr is not the fix
    assert health.update_ratio_hints({"W1": -8.0, "W2": -6.0}, dying=True) == []


def test_update_to_data_says_how_far_off_it_is_not_one_press():
    """Issue 19 item 14: at 10^-5.9 the hint said "lr ×2", when the ratio is three decades low."""
    (low,) = health.update_ratio_hints({"W1": -5.9, "W2": -5.9, "W3": -6.0})
    assert low.short == "update:data 10^-5.9, 3 decades low → raise lr (+)"
    assert "learning too slowly, 2.9 decades below ~10^-3" in low.text and "×2" not in low.text
    (high,) = health.update_ratio_hints({"W1": -1.9, "W2": -1.8})
    assert high.short == "update:data 10^-1.9, 1 decade high → lower lr (-)" and "1.1 decades above" in high.text


def test_dead_neurons_need_several_ticks_in_a_row_and_name_the_lr():
    streaks = {}
    for _ in range(health.DEAD_TICKS - 1):
        streaks = health.next_dead_streaks(streaks, [layer(2, dead=3), layer(5)])
        assert health.dead_neuron_hints(streaks, [layer(2, dead=3), layer(5)], BN) == []
    streaks = health.next_dead_streaks(streaks, [layer(2, dead=3), layer(5)])
    (hint,) = health.dead_neuron_hints(streaks, [layer(2, dead=3), layer(5)], BN)
    assert hint.topic == "map" and "L2 3" in hint.text and "lower lr (-) and rerun (r)" in hint.text
    assert "(g" not in hint.text
    assert "(|t|>0.99 for the whole batch" in hint.text  # the built-in net's layers name no kind: tanh
    streaks = health.next_dead_streaks(streaks, [layer(2, dead=0), layer(5)])
    assert streaks[3] == 0  # one healthy tick resets the count (keyed by list index)


def test_dead_neurons_are_said_by_the_rule_of_their_layers_kind():
    """A ReLU neuron is dead when inactive (t≤0) for the whole batch, not at |t|>0.99 (a Monitor's Tanh+ReLU net)."""
    relu = {**layer(2, dead=39), "kind": "relu"}
    streaks = {relu["index"]: health.DEAD_TICKS}
    (hint,) = health.dead_neuron_hints(streaks, [relu], BN)
    assert "dead neurons (t≤0 for the whole batch" in hint.text and "|t|" not in hint.text
    both = [{**layer(1, dead=2), "kind": "tanh"}, relu]
    (hint,) = health.dead_neuron_hints({1: health.DEAD_TICKS, 3: health.DEAD_TICKS}, both, BN)
    assert "dead neurons (saturated, or for ReLU t≤0, for the whole batch" in hint.text


def test_training_saturation_past_ninety_percent_names_the_lr():
    (hint,) = health.training_saturation_hints([layer(1, 99.0), layer(2, 60.0)], BN)
    assert hint.rule == "saturation-lr" and "L1 99%" in hint.text and "L2" not in hint.text
    assert "the gain cannot" in hint.text and "lower lr (-) and rerun (r)" in hint.text
    assert "the gain cannot" not in health.training_saturation_hints([layer(1, 99.0)], NO_BN)[0].text
    assert health.training_saturation_hints([layer(1, 65.0)], NO_BN) == []  # a long healthy run gets there


def test_initial_loss_far_above_a_uniform_guess_names_the_init_key():
    (hint,) = health.initial_loss_hints(27.0, 27, Regime(output_scale=1.0, init="normal"))
    assert "−log(1/27) = 3.30" in hint.text and "output scale 0.1 (o)" in hint.text and "Kaiming init (i)" in hint.text
    assert "no key fixes it" in health.initial_loss_hints(27.0, 27)[0].text
    assert health.initial_loss_hints(3.4, 27) == []
    assert health.initial_loss_hints(None, 27) == [] and health.initial_loss_hints(5.0, None) == []


def stats(step, layers, lr=0.1, updates=(-3.0, -3.0, -3.0)):
    params = [{"update_to_data_log10": u} for u in (-3.0, *updates)]  # C first
    return {"step": step, "lr": lr, "loss": 3.3, "layers": layers, "params": params}


def test_judge_keeps_init_hints_for_the_run_and_restarts_update_windows_on_an_lr_change():
    judge = health.HealthJudge({"batchnorm": False, "gain": 3.0}, 27)
    hot = [layer(1, 45.0), layer(2, 44.0)]
    assert [h.rule for h in judge.observe(stats(0, hot))] == ["saturation-init"]
    assert [h.rule for h in judge.observe(stats(10, [layer(1, 2.0), layer(2, 2.0)]))] == ["saturation-init"]
    judge = health.HealthJudge({"batchnorm": True}, 27)
    for step in range(health.UPDATE_HINT_POINTS):
        rules = [h.rule for h in judge.observe(stats(step, [layer(1)], updates=(-1.5, -1.5, -1.5)))]
    assert rules == ["update-high"]
    assert judge.observe(stats(5, [layer(1)], lr=0.05, updates=(-1.5, -1.5, -1.5))) == []  # a new lr: a new window


def test_a_net_saturated_since_init_is_not_told_to_raise_the_lr_when_its_updates_are_small():
    """The lecture's first draft (plain randn weights): the init saturates every layer, so little gradient
    passes and update:data is tiny; the fix is the init (i), and raising the lr (+) would teach the wrong one."""
    saturated = [layer(1, 97.0, dead=40), layer(2, 99.0, dead=80), layer(3, 98.0, dead=60)]
    healthy = [layer(1), layer(2), layer(3)]
    for start, verdict in ((saturated, []), (healthy, ["update-low"])):
        judge = health.HealthJudge({"batchnorm": False, "init": "normal"}, 27)
        judge.observe(stats(0, start))
        for step in range(1, health.UPDATE_HINT_POINTS + 1):  # later ticks look calm, the updates stay tiny
            hints = judge.observe(stats(step * 10, healthy, updates=(-6.0, -6.0, -6.0)))
        assert [h.rule for h in hints if h.rule.startswith("update")] == verdict
        assert all("(last 5 stats: " in h.text for h in hints if h.rule.startswith("update"))


def test_judge_leaves_out_the_output_layer_shrunk_without_batchnorm():
    no_bn = health.HealthJudge({"batchnorm": False}, 27)
    with_bn = health.HealthJudge({"batchnorm": True}, 27)
    for step in range(health.UPDATE_HINT_POINTS):
        record = stats(step, [layer(1)], updates=(-1.5, -3.0, -1.5))  # W1, W2 (a hidden layer), W3 the output
        no_bn.observe(record)
        with_bn.observe(record)
    assert set(no_bn.recent_updates) == {"W1", "W2"} and set(with_bn.recent_updates) == {"W1", "W2", "W3"}
    assert with_bn.hints[0].rule == "update-high" and no_bn.hints == []


def test_a_hint_carries_its_fixes_as_data_and_each_edge_writes_them():
    """The app writes a fix as its key, headless and replay as its flag, a compare of its field as
    "compared here"; the hint's own words never change."""
    from makemore_tui.core.hints import FLAGS, KEYS, LOWER_LR, RERUN, Hint, Topic

    layers = [layer(1, 46.0), layer(2, 44.0), layer(3, 12.0)]
    (hint,) = health.init_saturation_hints(layers, Regime(batchnorm=False, gain=3.0))
    assert [(fix.field, fix.target) for fix in hint.fixes] == [("gain", 5 / 3), ("batchnorm", True)]
    assert hint.text.endswith("(the lecture aims at ~5%): gain 5/3 (g) or BatchNorm on (b)")
    assert hint.written(KEYS) == hint and hint.written(FLAGS).short == (
        "init 44% saturated → gain 5/3 (--gain) or BatchNorm on (--batchnorm)"
    )
    compared = hint.written(FLAGS.comparing(["gain"]))
    assert compared.text.endswith(": gain 5/3 (compared here) or BatchNorm on (--batchnorm)")
    assert (
        hint.written(KEYS.comparing(["gain"])).short
        == "init 44% saturated → gain 5/3 (compared here) or BatchNorm on (b)"
    )
    assert compared.rule == hint.rule and compared == hint  # the same hint, written for another edge
    both = Hint(Topic.MAP, "dead: ", "dead → ", "dead-neurons", (LOWER_LR, RERUN), join=" and ")
    assert (
        both.text == "dead: lower lr (-) and rerun (r)"
        and both.written(FLAGS).text == "dead: lower lr (--lr) and rerun"
    )
    assert both.held_by("a gain 0.5").written(FLAGS.comparing(["lr"])).short == (
        "a gain 0.5: dead → lower lr (compared here) and rerun"
    )
    (normal,) = health.initial_loss_hints(27.0, 27, Regime(output_scale=1.0, init="normal"))
    assert normal.written(FLAGS).short.endswith(
        "→ output scale 0.1 (--output-scale 0.1) or Kaiming init (--init kaiming)"
    )
    assert FLAGS.for_configs([{"gain": 0.5, "lr": 0.1}, {"gain": 1.0, "lr": 0.1}]).compared == {"gain"}
    assert FLAGS.for_configs([{"gain": 0.5}]).compared == frozenset()
