"""The health hints: each lecture rule fires on the right numbers and names its fix."""

from __future__ import annotations

import math

from core import health


def layer(depth, saturated=1.0, grad_std=1e-3, dead=0):
    """An activation layer's stats as the run log holds them (without BatchNorm: list index 2·depth − 1)."""
    return {"index": 2 * depth - 1, "depth": depth, "saturated_pct": saturated, "grad_std": grad_std, "dead": dead}


def test_saturation_over_five_percent_names_the_layers_and_the_fix():
    layers = [layer(1, 2.0), layer(2, 12.0), layer(3, 7.5)]
    (hint,) = health.saturation_hints(layers, batchnorm=False)
    assert hint.topic == "saturation"
    assert "L2 12%" in hint.text and "L3 8%" in hint.text and "L1" not in hint.text
    assert "BatchNorm on (b)" in hint.text and "gain (g)" in hint.text
    (with_bn,) = health.saturation_hints(layers, batchnorm=True)
    assert "BatchNorm" not in with_bn.text and "(g)" in with_bn.short
    assert health.saturation_hints([layer(1, 5.0)], batchnorm=False) == []


def test_gradient_std_spread_across_depth():
    shrinking = [layer(1, grad_std=1e-4), layer(2, grad_std=5e-4), layer(3, grad_std=1e-3)]
    (hint,) = health.gradient_depth_hints(shrinking, batchnorm=False)
    assert "shrinks toward the input" in hint.text and "10.0×" in hint.text and "5/3 (g)" in hint.text
    growing = list(reversed(shrinking))
    assert "grows toward the input" in health.gradient_depth_hints(growing, batchnorm=True)[0].text
    even = [layer(1, grad_std=1e-3), layer(2, grad_std=2.5e-3)]
    assert health.gradient_depth_hints(even, batchnorm=True) == []


def test_activations_collapsing_with_depth():
    shrinking = [{"index": 1, "std": 0.42}, {"index": 3, "std": 0.1}, {"index": 5, "std": 0.02}]  # an old log: no depth
    (hint,) = health.activation_depth_hints(shrinking, batchnorm=False)
    assert hint.topic == "activations" and "L1 0.42 → L3 0.02" in hint.text and "gain" in hint.text
    assert health.activation_depth_hints([{"index": 1, "std": 0.63}, {"index": 3, "std": 0.5}], batchnorm=False) == []


def test_update_to_data_more_than_a_decade_off_minus_three():
    assert health.update_ratio_hints({"C": -4.5}) == []  # the sparse embedding is not judged
    hints = health.update_ratio_hints({"C": -3.2, "W1": -1.5, "W2": -4.6})
    high, low = hints
    assert "W1 -1.5" in high.text and "lower lr (-)" in high.text
    assert "W2 -4.6" in low.text and "raise lr (+)" in low.text
    assert health.update_ratio_hints({"C": -2.1, "W1": -3.9, "W2": math.nan}) == []


def test_dead_neurons_need_several_ticks_in_a_row():
    streaks = {}
    for _ in range(health.DEAD_TICKS - 1):
        streaks = health.next_dead_streaks(streaks, [layer(2, dead=3), layer(5)])
        assert health.dead_neuron_hints(streaks, [layer(2, dead=3), layer(5)], batchnorm=True) == []
    streaks = health.next_dead_streaks(streaks, [layer(2, dead=3), layer(5)])
    (hint,) = health.dead_neuron_hints(streaks, [layer(2, dead=3), layer(5)], batchnorm=True)
    assert hint.topic == "map" and "L2 3" in hint.text and "gain (g)" in hint.text
    streaks = health.next_dead_streaks(streaks, [layer(2, dead=0), layer(5)])
    assert streaks[3] == 0  # one healthy tick resets the count (keyed by list index)


def test_initial_loss_far_above_a_uniform_guess():
    (hint,) = health.initial_loss_hints(27.0, 27)
    assert "−log(1/27) = 3.30" in hint.text and "last layer" in hint.text
    assert health.initial_loss_hints(3.4, 27) == []
    assert health.initial_loss_hints(None, 27) == [] and health.initial_loss_hints(5.0, None) == []
