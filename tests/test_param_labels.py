"""Names on screen for any net: a record's own parameter names and layer kinds win over the built-in net's."""

from __future__ import annotations

from makemore_tui.core.health import param_labels
from makemore_tui.plot.series import layer_label, param_label


def test_the_built_in_net_keeps_c_and_w_and_a_named_record_shows_its_own_escaped():
    assert param_labels([{"shape": [27, 10]}, {"shape": [30, 100]}, {"shape": [100, 27]}]) == ["C", "W1", "W2"]
    named = [{"name": "0.weight"}, {"name": "blocks.0.fc.weight"}, {"name": "evil\x1b]0;x\x07"}]
    labels = param_labels(named)
    assert labels[:2] == ["0.weight", "blocks.0.fc.weight"]
    assert "\x1b" not in labels[2] and "\x07" not in labels[2]


def test_plot_labels_name_a_layers_own_kind_and_a_parameters_own_name():
    assert layer_label({"index": 3, "depth": 2, "kind": "relu"}, 1).rest == "(ReLU) · L2"
    assert layer_label({"index": 2, "depth": 1}, 0).rest == "(Tanh) · L1"  # the built-in net's records: no kind
    params = [{"index": 0, "name": "0.weight", "shape": [32, 10]}]
    assert param_label(params[0], 0, param_labels(params)).key == "0.weight"


def test_the_saturation_columns_heading_says_what_its_percent_counts_for_the_layers_kinds():
    from makemore_tui.core.kinds import column_word

    assert column_word([]) == ">0.97"  # the built-in tanh net's records name no kind
    assert column_word(["relu"]) == "≤0" and column_word(["sigmoid"]) == "sat"
    assert column_word(["tanh", "relu"]) == "sat"  # families mixed: no one threshold
