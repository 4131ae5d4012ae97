"""One table of config fields: every label, difference, header line and tag derives from it,
and fields defined at run time (a user model's own knobs) join it."""

from __future__ import annotations

import pytest

from makemore_tui.core import wording
from makemore_tui.core.compare import parse_compare
from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.wording import (
    AXES,
    config_difference,
    config_tag,
    describe,
    difference,
    experiments,
    label,
    register,
)

BASE = TrainConfig().to_dict()


@pytest.fixture
def knobs():
    """Four run-time fields, one per type, dropped again after the test."""
    names = {"dropout": 0.0, "residual": False, "heads": 4, "norm": "layer"}
    fields = {name: register(name, default) for name, default in names.items()}
    yield fields
    for name in names:
        wording.unregister(name)
    assert not set(names) & set(wording.FIELDS)


def test_each_built_in_field_has_one_label_and_one_parser():
    assert [label(name, value) for name, value in [("batchnorm", False), ("gain", 5 / 3), ("lr", 0.05)]] == [
        "BN off",
        "gain 5/3",
        "lr 0.05",
    ]
    assert label("output_scale", 1.0) == "out ×1" and label("init", "normal") == "init normal"
    assert label("block_size", 4) == "block-size 4"  # outside the table: flag and value
    assert list(AXES) == ["batchnorm", "gain", "lr", "activation", "init", "output_scale", "weight_scale", "bias_scale"]
    assert AXES["gain"].parse("5/3") == pytest.approx(5 / 3) and AXES["gain"].flag == "--gain"
    with pytest.raises(ValueError, match="on or off"):
        AXES["batchnorm"].parse("maybe")
    assert config_tag(BASE) == "(BN, g 5/3)" and experiments({**BASE, "activation": "linear"}) == ["linear"]


def test_fields_registered_at_run_time_are_typed_by_their_default(knobs):
    assert [knobs[name].parse(text) for name, text in [("dropout", "0.3"), ("residual", "on"), ("heads", "8")]] == [
        0.3,
        True,
        8,
    ]
    assert knobs["norm"].parse(" rms ") == "rms"
    with pytest.raises(ValueError, match="whole number"):
        knobs["heads"].parse("2.5")
    with pytest.raises(ValueError, match="number"):
        knobs["dropout"].parse("lots")
    assert {"dropout", "residual", "heads", "norm"} <= set(AXES)  # comparable, live
    config = {**BASE, "dropout": 0.25, "residual": True, "heads": 4, "norm": "rms"}
    # the header line names a knob off its default, and leaves one at its default out
    assert describe(config) == (
        "BN on · gain 5/3 · lr 0.1 · dropout 0.25 · residual on · norm rms · 5×100 tanh · batch 32"
    )
    other = {**config, "dropout": 0.0, "heads": 8}
    assert difference(config, other) == "dropout 0.25 · heads 4"
    assert config_difference(other, config) == ["dropout 0", "heads 8"]
    assert describe({**config, "heads": "8\x1b"}).count("heads") == 0  # a wrong type from a log is never shown
    assert register("dropout", 0.5, label=lambda v: f"p {v:g}").label(0.1) == "p 0.1"  # registering again replaces


def test_register_refuses_what_it_cannot_type_or_would_shadow():
    with pytest.raises(ConfigError, match="built-in"):
        register("gain", 1.0)
    with pytest.raises(ConfigError, match="built-in"):
        register("steps", 10)
    with pytest.raises(ConfigError, match="identifier"):
        register("drop out", 0.1)
    with pytest.raises(ConfigError, match="bool, int, float or str"):
        register("sizes", [1, 2])
    assert "sizes" not in wording.FIELDS


def test_init_normal_takes_no_gain_so_no_label_says_one():
    """Plain randn weights ignore the gain (issue 19 item 13): every label leaves it out."""
    normal = {**BASE, "init": "normal"}
    assert describe(normal) == "BN on · lr 0.1 · init normal · 5×100 tanh · batch 32"
    assert config_tag(normal) == "(BN)"
    assert difference(normal, None) == "BN on"
    assert config_difference({**normal, "gain": 3.0}, normal) == []  # a gain change under normal init changes nothing
    assert config_difference({**normal, "gain": 3.0}, BASE) == ["init normal"]
    assert difference({**BASE, "gain": 3.0}, BASE) == "gain 3"


def test_a_compare_of_the_gain_under_normal_init_is_refused_saying_why():
    with pytest.raises(ConfigError, match="init normal takes no gain.*train the same net"):
        parse_compare(["gain=0.5,1"], TrainConfig(init="normal"))
    variants = parse_compare(["init=kaiming,normal"], TrainConfig())
    assert [v.label for v in variants] == ["init kaiming", "init normal"]


def test_a_key_changing_a_field_every_variant_ignores_is_refused_saying_why():
    """Issue 19 item 13: `g` under `--init normal` reran identical nets under new labels."""
    from makemore_tui.core.compare import single, with_changes

    with pytest.raises(ConfigError, match=r"^init normal takes no gain \(plain randn weights\): the rerun would"):
        with_changes(single(TrainConfig(init="normal")), gain=1.0)
    assert with_changes(single(TrainConfig()), gain=1.0)[0].config.gain == 1.0
    mixed = parse_compare(["init=kaiming,normal"], TrainConfig())
    assert [v.config.gain for v in with_changes(mixed, gain=1.0)] == [1.0, 1.0]  # the Kaiming variant takes it


def test_a_model_runs_words_name_only_the_fields_its_build_takes_and_its_knobs():
    from makemore_tui.core.wording import config_tag, difference

    base = TrainConfig(steps=10).to_dict()
    mine = base | {"model": "/home/me/mynet.py", "model_fields": ["hidden"], "knobs": {"dropout": 0.1}}
    assert config_tag(base) == "(BN, g 5/3)" and config_tag(mine) == ""  # the file has no BatchNorm, no gain
    assert difference(base, None) == "BN on · gain 5/3" and difference(mine, None) == "mynet.py"
    other = mine | {"knobs": {"dropout": 0.2}, "gain": 3.0, "batchnorm": False}  # fields its build ignores
    assert difference(other, mine) == "dropout 0.2"
    gained = mine | {"model_fields": ["gain"]}
    assert config_tag(gained) == "(g 5/3)" and difference(gained | {"gain": 3.0}, gained) == "gain 3"


def test_the_runs_tables_difference_of_model_runs_names_the_file_and_the_changed_knobs():
    from makemore_tui.core.wording import config_difference

    base = TrainConfig(steps=10).to_dict()
    mine = base | {"model": "/home/me/mynet.py", "model_fields": ["hidden"], "knobs": {"dropout": 0.1, "n": 2}}
    other = mine | {"knobs": {"dropout": 0.2, "n": 2}, "model_fields": ["gain"]}
    assert config_difference(other, mine) == ["dropout 0.2"]
    assert config_difference(mine, base) == ["model mynet.py", "dropout 0.1", "n 2"]
