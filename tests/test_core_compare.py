"""The compare grid (core/compare.py): specs to variants, bad specs refused in one line, configs in words."""

from __future__ import annotations

import pytest

from makemore_tui.core.compare import MAX_VARIANTS, compared_fields, parse_compare, with_changes
from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.wording import describe, difference

BASE = TrainConfig()


def test_one_axis_gives_one_variant_per_value_in_order():
    variants = parse_compare(["gain=0.5,1,5/3,3"], BASE.replace(batchnorm=False))
    assert [v.label for v in variants] == ["gain 0.5", "gain 1", "gain 5/3", "gain 3"]
    assert [v.config.gain for v in variants] == [0.5, 1.0, 5 / 3, 3.0]
    assert all(v.config.batchnorm is False for v in variants)
    assert compared_fields(variants) == ["gain"]


def test_two_axes_make_the_grid_first_axis_outermost():
    variants = parse_compare(["batchnorm=on,off", "lr=0.1,0.01"], BASE)
    assert [v.label for v in variants] == ["BN on · lr 0.1", "BN on · lr 0.01", "BN off · lr 0.1", "BN off · lr 0.01"]
    assert [(v.config.batchnorm, v.config.lr) for v in variants] == [
        (True, 0.1),
        (True, 0.01),
        (False, 0.1),
        (False, 0.01),
    ]


@pytest.mark.parametrize(
    "specs, says",
    [
        (["depth=2,3"], "cannot compare 'depth'"),
        (["gain=1"], "at least two values"),
        (["gain"], "FIELD=V1,V2"),
        (["gain=1,one"], "'one' is not a number above 0 or a fraction like 5/3"),
        (["lr=0.1,-1"], "'-1' is not a finite number above 0"),
        (["lr=0.1,abc"], "'abc' is not a finite number above 0"),
        (["lr=0.1,inf"], "'inf' is not a finite number above 0"),
        (["output_scale=0.1,x"], "'x' is not a finite number above 0"),
        (["gain=1,1"], "repeats"),
        (["gain=1,2", "gain=3,4"], "given twice"),
        (["gain=1,2,3", "lr=0.1,0.2,0.3"], f"makes 9 variants; at most {MAX_VARIANTS}"),
        (["batchnorm=on,maybe"], "'maybe' is not on or off"),
    ],
)
def test_bad_specs_are_refused_in_one_line(specs, says):
    with pytest.raises(ConfigError) as refused:
        parse_compare(specs, BASE)
    said = str(refused.value)
    assert says in said and "\n" not in said
    assert "could not convert" not in said and "must be" not in said  # no parser's own words inside ours


def test_the_weight_and_bias_scales_of_the_lectures_first_half_can_be_compared():
    base = TrainConfig(init="normal", batchnorm=False)
    variants = parse_compare(["weight_scale=0.1,0.2", "bias_scale=0,0.01"], base)
    assert [v.label for v in variants] == ["W ×0.1 · b 0", "W ×0.1 · b ×0.01", "W ×0.2 · b 0", "W ×0.2 · b ×0.01"]
    assert (variants[3].config.weight_scale, variants[3].config.bias_scale) == (0.2, 0.01)
    assert "W ×0.2 · b ×0.01" in describe(variants[3].config.to_dict())
    assert "W ×" not in describe(TrainConfig(weight_scale=0.2).to_dict())  # Kaiming init takes the gain instead
    for spec, config, why in [
        ("weight_scale=0.1,0.2", TrainConfig(), "init kaiming takes no weight scale"),
        ("bias_scale=0,0.01", TrainConfig(), "a BatchNorm net has no Linear biases"),
        ("weight_scale=0.1,-1", base, "'-1' is not a finite number of at least 0"),
    ]:
        with pytest.raises(ConfigError, match=why):
            parse_compare([spec], config)


def test_a_variant_the_config_refuses_is_named():
    with pytest.raises(ConfigError, match="variant BN on: --batch-size must be at least 2"):
        parse_compare(["batchnorm=off,on"], TrainConfig(batch_size=1, batchnorm=False))


def test_keys_during_a_compare_change_every_variant_but_not_the_compared_field():
    variants = parse_compare(["gain=1,3"], BASE)
    flipped = with_changes(variants, batchnorm=False)
    assert [v.config.batchnorm for v in flipped] == [False, False] and [v.label for v in flipped] == [
        "gain 1",
        "gain 3",
    ]
    with pytest.raises(ConfigError, match="what this compare varies"):
        with_changes(variants, gain=0.5)


def test_describe_and_difference():
    assert describe(BASE.to_dict()) == "BN on · gain 5/3 · lr 0.1 · 5×100 tanh · batch 32"
    assert describe(BASE.to_dict(), lr=0.05) == "BN on · gain 5/3 · lr 0.05 · 5×100 tanh · batch 32"
    assert describe({"batchnorm": "yes", "gain": "\x1b[31m", "depth": 2, "hidden": 8}) == "2×8 tanh"
    linear = BASE.replace(activation="linear").to_dict()
    assert describe(linear) == "BN on · gain 5/3 · lr 0.1 · linear · 5×100 · batch 32"  # linear said once
    other = BASE.replace(lr=0.05, batchnorm=False).to_dict()
    assert difference(other, BASE.to_dict()) == "BN off · lr 0.05"
    assert difference(BASE.to_dict(), None) == "BN on · gain 5/3"
    assert difference(BASE.to_dict(), BASE.to_dict()) == "same config"
