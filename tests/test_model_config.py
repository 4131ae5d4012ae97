"""A --model run's config: knobs from flags and --set, keys that fit the file's build, its one-line description."""

from __future__ import annotations

from pathlib import Path

import pytest

from makemore_tui.core.config import LECTURE, ConfigError, TrainConfig
from makemore_tui.core.modelconfig import key_refusal, model_compare, model_config
from makemore_tui.core.usermodel import load
from makemore_tui.core.wording import describe

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def nn_file():
    return load(str(EXAMPLES / "torch_nn.py"))


DEFAULT = TrainConfig()


def _config(model_file, base=DEFAULT, explicit=(), sets=()):
    return model_config(base.replace(model=model_file.path), model_file, explicit, sets)


def test_model_fields_take_the_files_defaults_unless_a_flag_was_given(nn_file):
    config = _config(nn_file, LECTURE)  # the preset's hidden is 100 too, its gain and BN are not the file's
    assert config.model_fields == ("embd", "hidden", "depth", "activation")
    assert (config.activation, config.depth) == ("relu", 4)
    assert dict(config.knobs) == {"dropout": 0.0}
    given = _config(nn_file, LECTURE.replace(model=nn_file.path, activation="gelu"), explicit=["activation"])
    assert given.activation == "gelu"
    with pytest.raises(ConfigError, match="torch_nn.py's build\\(\\) takes no gain"):
        _config(nn_file, LECTURE, explicit=["gain"])
    assert dict(_config(nn_file, sets=["dropout=0.25"]).knobs) == {"dropout": 0.25}


def test_keys_rerun_only_knobs_the_file_takes_and_whose_values_fit_the_key(nn_file):
    config = _config(nn_file)
    assert key_refusal(config, {"gain": 1.0}) == "torch_nn.py's build() takes no gain"
    assert key_refusal(config, {"batchnorm": False}) == "torch_nn.py's build() takes no batchnorm"
    assert "'relu'" in key_refusal(config, {"activation": "tanh"})  # t cycles tanh ↔ linear: not a relu knob
    assert key_refusal(config, {"hidden": 50}) is None
    assert key_refusal(TrainConfig(), {"gain": 1.0}) is None  # the built-in net takes every key
    deep = load(str(EXAMPLES / "deep_net.py"))
    assert key_refusal(_config(deep), {"gain": 5 / 3, "batchnorm": False}) is None


def test_a_knob_compare_labels_its_variants_and_refuses_a_field_the_file_does_not_take(nn_file):
    variants = model_compare(["activation=relu,gelu", "dropout=0,0.1"], _config(nn_file), nn_file)
    assert [v.label for v in variants] == [
        "relu · dropout 0.0",  # a model field's label as the built-in compare writes it
        "relu · dropout 0.1",
        "gelu · dropout 0.0",
        "gelu · dropout 0.1",
    ]
    assert variants[3].config.activation == "gelu" and dict(variants[3].config.knobs) == {"dropout": 0.1}
    with pytest.raises(ConfigError, match="takes no gain"):
        model_compare(["gain=1,2"], _config(nn_file), nn_file)
    assert [v.config.lr for v in model_compare(["lr=0.1,0.2"], _config(nn_file), nn_file)] == [0.1, 0.2]


def test_the_header_names_the_file_and_its_knobs(nn_file):
    text = describe(_config(nn_file, sets=["dropout=0.1"]).to_dict())
    assert text == "torch_nn.py · embd 10 · hidden 100 · depth 4 · activation relu · dropout 0.1 · lr 0.1 · batch 32"
    deep = describe(_config(load(str(EXAMPLES / "deep_net.py"))).to_dict())  # BN and gain as the built-in header
    assert deep == "deep_net.py · BN on · gain 1 · embd 10 · hidden 100 · lr 0.1 · batch 32"


def test_a_build_taking_the_weight_and_bias_scales_gets_their_flags(tmp_path):
    path = tmp_path / "scaled.py"
    path.write_text(
        "import torch\n"
        "def build(vocab_size, block_size, generator, weight_scale=1.0, bias_scale=0.0):\n"
        "    return [torch.nn.Linear(block_size, vocab_size)]\n"
    )
    scaled = load(str(path))
    given = DEFAULT.replace(weight_scale=0.2, bias_scale=0.01)
    config = _config(scaled, given, explicit=["weight_scale", "bias_scale"])
    assert (config.weight_scale, config.bias_scale, dict(config.knobs)) == (0.2, 0.01, {})
    assert config.model_fields == ("weight_scale", "bias_scale")
    assert [v.config.weight_scale for v in model_compare(["weight_scale=0.1,0.2"], config, scaled)] == [0.1, 0.2]


def test_a_compare_of_a_size_knob_sets_the_size_each_variant_builds(nn_file):
    """hidden, embd and depth are config fields, not --set knobs: each variant's config holds its own value (its
    build then takes it: core/usernet.py knob_values), as its single run's would."""
    variants = model_compare(["hidden=16,32"], _config(nn_file), nn_file)
    assert [v.label for v in variants] == ["hidden 16", "hidden 32"]
    assert [v.config.hidden for v in variants] == [16, 32] and dict(variants[0].config.knobs) == {"dropout": 0.0}


def test_a_compare_over_the_run_on_screen_types_its_knobs_by_their_values_now(nn_file):
    """The app's picker has the run's config, not the file: each knob is typed by the value the run holds."""
    config = _config(nn_file, sets=["dropout=0.25"])
    variants = model_compare(["dropout=0,0.5", "activation=relu,gelu"], config)
    assert [dict(v.config.knobs)["dropout"] for v in variants] == [0.0, 0.0, 0.5, 0.5]
    assert [v.config.activation for v in variants] == ["relu", "gelu", "relu", "gelu"]
    with pytest.raises(ConfigError, match="takes no batchnorm"):
        model_compare(["batchnorm=on,off"], config)
    with pytest.raises(ConfigError, match="takes dropout as a number"):
        model_compare(["dropout=a,b"], config)


def test_a_float_knob_takes_the_lectures_fractions_so_the_gains_preset_fits():
    """build(gain=1.0) takes gain=5/3 as the built-in gain axis does: the picker's gains preset fits a file whose
    build takes batchnorm and gain (a second new user's trial saw only BatchNorm on / off offered)."""
    from makemore_tui.core.usermodel import ModelFileError, typed
    from makemore_tui.tui.widgets.picker import PRESET_IDS, fits

    assert typed("5/3", 1.0, "gain", "mynet.py") == pytest.approx(5 / 3)
    with pytest.raises(ModelFileError, match="takes gain as a number"):
        typed("5/0", 1.0, "gain", "mynet.py")
    deep = TrainConfig(model="deep_net.py", model_fields=("batchnorm", "gain", "embd", "hidden"), gain=1.0)
    assert fits(PRESET_IDS["gains"], deep) and fits(PRESET_IDS["batchnorm"], deep)
    assert not fits(PRESET_IDS["activation"], deep)  # its build takes no activation
