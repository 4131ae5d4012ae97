"""The MLP is built as the lecture builds it, and the lecture's init experiments do what it shows."""

from __future__ import annotations

import math

import pytest
import torch

from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.engines.factory import make_engine
from makemore_tui.core.layers import Identity, Linear, Tanh
from makemore_tui.core.model import MLP
from makemore_tui.data import make_splits
from tests.lecture_reference import build_network

VOCAB = 27


def _build(config: TrainConfig) -> tuple[MLP, torch.Generator]:
    generator = torch.Generator().manual_seed(config.seed)
    return MLP.build(config, VOCAB, generator), generator


@pytest.mark.parametrize("batchnorm, gain", [(True, 1.0), (True, 5 / 3), (False, 5 / 3), (False, 0.5)])
def test_default_init_is_the_lecture_notebooks(batchnorm, gain):
    model, generator = _build(TrainConfig(batchnorm=batchnorm, gain=gain))
    reference_generator = torch.Generator().manual_seed(TrainConfig().seed)
    C, layers, parameters = build_network(VOCAB, reference_generator, batchnorm=batchnorm, gain=gain)
    for mine, theirs in zip(model.parameters(), parameters, strict=True):
        assert torch.equal(mine, theirs)
    assert torch.equal(generator.get_state(), reference_generator.get_state())


def test_normal_init_is_plain_randn_without_gain_or_fan_in():
    config = TrainConfig(init="normal", gain=3.0, batchnorm=False, output_scale=1.0, hidden=16, depth=2)
    model, _ = _build(config)
    g = torch.Generator().manual_seed(config.seed)
    C = torch.randn((VOCAB, 10), generator=g)
    weights = [torch.randn(shape, generator=g) for shape in ((30, 16), (16, 16), (16, VOCAB))]
    assert torch.equal(model.C, C)
    assert all(torch.equal(layer.weight, w) for layer, w in zip(model.layers[::2], weights, strict=True))


def test_normal_init_times_weight_scale_is_the_lectures_W1_fix():
    config = TrainConfig(init="normal", weight_scale=0.2, batchnorm=False, output_scale=0.01, hidden=16, depth=1)
    model, generator = _build(config)
    g = torch.Generator().manual_seed(config.seed)
    C, W1, W2 = (torch.randn(shape, generator=g) for shape in ((VOCAB, 10), (30, 16), (16, VOCAB)))
    assert torch.equal(model.C, C)
    assert torch.equal(model.layers[0].weight, W1 * 0.2)  # W1 · 0.2: the hidden tanh no longer saturates
    assert torch.equal(model.layers[2].weight, W2 * 0.01)  # the output layer keeps its own shrink
    assert torch.equal(generator.get_state(), g.get_state())  # the same draws: a compare shares its stream
    kaiming = dict(batchnorm=False, hidden=16, depth=1)  # Kaiming init scales by the gain: weight_scale is not used
    scaled, _ = _build(TrainConfig(weight_scale=0.2, **kaiming))
    plain, _ = _build(TrainConfig(**kaiming))
    assert all(torch.equal(a, b) for a, b in zip(scaled.parameters(), plain.parameters(), strict=True))


def test_bias_scale_draws_each_bias_after_its_weight_as_the_lecture_does():
    config = TrainConfig(init="normal", weight_scale=0.2, bias_scale=0.01, batchnorm=False, hidden=16, depth=2)
    model, generator = _build(config)
    g = torch.Generator().manual_seed(config.seed)
    C = torch.randn((VOCAB, 10), generator=g)
    shapes = ((30, 16), (16, 16), (16, VOCAB))
    drawn = [(torch.randn(shape, generator=g), torch.randn(shape[1], generator=g)) for shape in shapes]
    assert torch.equal(model.C, C)
    linears = model.layers[::2]
    for layer, (W, b) in zip(linears[:-1], drawn[:-1], strict=True):
        assert torch.equal(layer.weight, W * 0.2) and torch.equal(layer.bias, b * 0.01)
    W, b = drawn[-1]  # the output layer's shrink takes its weight and its bias (the lecture's W2·0.01, b2·0)
    assert torch.equal(linears[-1].weight, W * 0.1) and torch.equal(linears[-1].bias, b * 0.01 * 0.1)
    assert torch.equal(generator.get_state(), g.get_state())
    zeros, plain_generator = _build(config.replace(bias_scale=0.0))  # the default: zeros, nothing drawn
    assert all(torch.equal(layer.bias, torch.zeros_like(layer.bias)) for layer in zeros.layers[::2])
    assert not torch.equal(plain_generator.get_state(), generator.get_state())


@pytest.mark.parametrize("batchnorm", [True, False])
def test_output_scale_shrinks_the_last_layer(batchnorm):
    shrunk, _ = _build(TrainConfig(batchnorm=batchnorm, output_scale=0.25))
    plain, _ = _build(TrainConfig(batchnorm=batchnorm, output_scale=1.0))
    if batchnorm:
        assert torch.equal(shrunk.layers[-1].gamma, torch.full((VOCAB,), 0.25))
        assert torch.equal(plain.layers[-1].gamma, torch.ones(VOCAB))
    else:
        torch.testing.assert_close(shrunk.layers[-1].weight, plain.layers[-1].weight * 0.25)


def test_every_experiment_draws_the_same_numbers_in_the_same_order():
    states = []
    for changes in (
        {},
        {"batchnorm": False},
        {"gain": 3.0},
        {"activation": "linear"},
        {"init": "normal"},
        {"output_scale": 1.0},
        {"init": "normal", "activation": "linear", "batchnorm": False, "output_scale": 2.0},
        {"init": "normal", "weight_scale": 0.2},
        {"bias_scale": 0.01},  # with BatchNorm the Linears have no bias: nothing drawn
    ):
        _, generator = _build(TrainConfig(**changes))
        states.append(generator.get_state())
    assert all(torch.equal(state, states[0]) for state in states)


def test_linear_activation_keeps_identity_layers_where_tanh_was():
    tanh, _ = _build(TrainConfig(depth=3))
    linear, _ = _build(TrainConfig(depth=3, activation="linear"))
    assert [type(layer) for layer in linear.layers] == [
        Identity if isinstance(layer, Tanh) else type(layer) for layer in tanh.layers
    ]
    assert [i for i, _ in linear.activation_layers()] == [i for i, _ in tanh.activation_layers()] == [2, 5, 8]
    x = torch.randn(4, 5)
    assert Identity()(x) is x


def test_bind_points_the_model_at_given_tensors_and_checks_shapes():
    model, _ = _build(TrainConfig(depth=2, hidden=8))
    params = [torch.zeros_like(p) for p in model.parameters()]
    buffers = [torch.full_like(b, 2.0) for b in model.buffers()]
    model.bind(params, buffers)
    assert all(mine is given for mine, given in zip(model.parameters(), params))
    assert all(mine is given for mine, given in zip(model.buffers(), buffers))
    with pytest.raises(ValueError):
        model.bind(params[:-1], buffers)
    with pytest.raises(ValueError):
        model.bind([p.view(-1) for p in params], buffers)
    assert isinstance(model.layers[0], Linear)


@pytest.fixture(scope="module")
def builtin_splits(builtin_words):
    return make_splits(builtin_words, 3)


def _step0(splits, kind="fused", **changes) -> tuple[float, list[float]]:
    """Step 0 on the built-in names with the `kind` engine: its loss and each activation layer's output std."""
    config = TrainConfig(device="cpu", engine=kind, **changes)
    engine = make_engine([config], splits.vocab.size, *splits.train, torch.device("cpu"))
    loss = float(engine.step([config.lr], keep_stats=True)[0])
    return loss, [float(act.std()) for act in engine.statistics_tensors()[0].acts]


def test_normal_init_without_output_shrink_is_confidently_wrong(builtin_splits):
    uniform = math.log(VOCAB)  # -log(1/27) ≈ 3.3
    assert _step0(builtin_splits, batchnorm=False)[0] == pytest.approx(uniform, abs=0.3)
    wrong, _ = _step0(builtin_splits, init="normal", output_scale=1.0, batchnorm=False)
    assert wrong > 4 * uniform  # the lecture's first draft starts near 27


@pytest.mark.parametrize("kind", ["lecture", "fused"])
def test_linear_sandwich_gain_1_keeps_activation_std_steady_and_5_3_grows_it(builtin_splits, kind):
    _, steady = _step0(builtin_splits, kind, activation="linear", gain=1.0, batchnorm=False)
    _, growing = _step0(builtin_splits, kind, activation="linear", gain=5 / 3, batchnorm=False)
    assert len(steady) == len(growing) == 5
    assert max(steady) / min(steady) < 2
    assert growing[-1] / growing[0] > 5 and growing == sorted(growing)


@pytest.mark.parametrize(
    "changes, flag",
    [
        ({"activation": "relu"}, "--activation"),
        ({"init": "xavier"}, "--init"),
        ({"output_scale": -0.5}, "--output-scale"),
        ({"output_scale": float("nan")}, "--output-scale"),
        ({"output_scale": True}, "--output-scale"),
        ({"weight_scale": -0.2}, "--weight-scale"),
        ({"bias_scale": float("nan")}, "--bias-scale"),
        ({"bias_scale": float("inf")}, "--bias-scale"),
    ],
)
def test_experiment_fields_are_validated_with_one_line(changes, flag):
    with pytest.raises(ConfigError) as error:
        TrainConfig(**changes).validate()
    assert str(error.value).startswith(flag) and "\n" not in str(error.value)
    assert TrainConfig(output_scale=0).validate().output_scale == 0
