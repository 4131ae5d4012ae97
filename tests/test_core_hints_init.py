"""Init hints in real training: each fires in its regime, and the fix it names moves the step-0 statistic.

The init sets the step-0 statistics; BatchNorm pins them whatever the gain. Tiny nets (4×32 tanh,
the lecture's seed, the built-in names' first 400), 30 steps each.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from makemore_tui.core import health
from makemore_tui.core.health import HealthJudge
from makemore_tui.core.layers import Linear
from makemore_tui.core.model import MLP
from makemore_tui.data import make_splits
from tests.hints_regimes import grad_spread, judged, median_saturation, small, std_collapse

INIT = {"steps": 30}  # init rules read step 0; a few more steps show they hold for the run


def no_bn(gain: float):
    return small(batchnorm=False, gain=gain, **INIT)


def test_saturation_at_init_without_batchnorm_fires_at_gain_3_and_the_named_fixes_clear_it(small_words):
    hot = judged(no_bn(3.0), small_words)
    hint = hot.hint("saturation-init")
    assert hot.first["saturation-init"][0] == 0 and median_saturation(hot.init) > health.INIT_SATURATION_LIMIT_PCT
    assert "gain 5/3 (g)" in hint.text and "BatchNorm on (b)" in hint.text
    for fixed in (no_bn(5 / 3), small(batchnorm=True, gain=3.0, **INIT)):  # the two fixes it names
        run = judged(fixed, small_words)
        assert median_saturation(run.init) < median_saturation(hot.init) / 3
        assert median_saturation(run.init) < health.INIT_SATURATION_LIMIT_PCT and "saturation-init" not in run.rules


def test_batchnorm_pins_step_0_saturation_whatever_the_gain_so_no_init_hint_names_the_gain(small_words):
    runs = [judged(small(batchnorm=True, gain=gain, **INIT), small_words) for gain in (0.5, 1.0, 5 / 3, 3.0)]
    saturations = [median_saturation(run.init) for run in runs]
    assert max(saturations) - min(saturations) < 0.5, saturations  # the gain does not move it
    for run in runs:
        assert not {"saturation-init", "activations-init", "gradients-init"} & run.rules
        assert all("(g" not in hint.text for _, hint in run.first.values())


def test_activations_collapsing_at_gain_0_5_and_the_named_fixes_level_them(small_words):
    low = judged(no_bn(0.5), small_words)
    hint = low.hint("activations-init")
    assert std_collapse(low.init) > health.DEPTH_SPREAD_LIMIT
    assert "gain 5/3 (g ×2)" in hint.text and "BatchNorm on (b)" in hint.text
    for fixed in (no_bn(5 / 3), small(batchnorm=True, gain=0.5, **INIT)):
        run = judged(fixed, small_words)
        assert std_collapse(run.init) < health.DEPTH_SPREAD_LIMIT and "activations-init" not in run.rules


@pytest.mark.parametrize(
    ("gain", "direction", "fix"),
    [(0.5, "shrinks toward the input", "gain 5/3 (g ×2)"), (4.0, "grows toward the input", "gain 5/3 (g)")],
)
def test_gradient_spread_at_init_names_the_gain_by_direction_and_the_fixes_level_it(small_words, gain, direction, fix):
    off = judged(no_bn(gain), small_words)
    hint = off.hint("gradients-init")
    assert direction in hint.text and fix in hint.text and "BatchNorm on (b)" in hint.text
    assert grad_spread(off.init) > health.DEPTH_SPREAD_LIMIT
    for fixed in (no_bn(5 / 3), small(batchnorm=True, gain=gain, **INIT)):
        run = judged(fixed, small_words)
        assert grad_spread(run.init) < health.DEPTH_SPREAD_LIMIT and "gradients-init" not in run.rules


def init_loss(words: list[str], *, normal: bool, output_scale: float) -> tuple[float, int]:
    """Step-0 loss (and vocabulary size) of the no-BN tiny net built as `init` normal / `output_scale` would.

    Until those config fields land, the build is undone by hand: MLP.build draws Kaiming weights
    (randn/sqrt(fan_in)·gain) and shrinks the output layer ×0.1; plain randn multiplies each
    Linear back by sqrt(fan_in)/gain, output scale 1 undoes the shrink.
    """
    config = small(batchnorm=False)
    splits = make_splits(words, config.block_size)
    model = MLP.build(config, splits.vocab.size, torch.Generator().manual_seed(config.seed))
    linears = [layer for layer in model.layers if isinstance(layer, Linear)]
    with torch.no_grad():
        for i, linear in enumerate(linears):
            last = i == len(linears) - 1
            if normal:
                linear.weight *= linear.weight.shape[0] ** 0.5 / (1.0 if last else config.gain)
            if last:
                linear.weight *= output_scale / 0.1
        X, Y = splits.train
        return F.cross_entropy(model.forward(X[:512]), Y[:512]).item(), splits.vocab.size


def loss_hints(words: list[str], *, normal: bool, output_scale: float) -> tuple[float, float, list]:
    """The step-0 loss, the uniform guess's, and what a judge of that regime says about them."""
    loss, vocab = init_loss(words, normal=normal, output_scale=output_scale)
    config = {"batchnorm": False, "init": "normal" if normal else "kaiming", "output_scale": output_scale}
    hints = HealthJudge(config, vocab).observe({"step": 0, "loss": loss, "layers": [], "params": []})
    return loss, health.expected_initial_loss(vocab), hints


def test_a_confidently_wrong_initial_loss_names_o_and_i_and_either_brings_it_near_a_uniform_guess(small_words):
    loss, uniform, (hint,) = loss_hints(small_words, normal=True, output_scale=1.0)
    assert loss > uniform + 3 and hint.rule == "loss-init"
    assert "output scale 0.1 (o)" in hint.text and "Kaiming init (i)" in hint.text
    for fixed in ({"normal": True, "output_scale": 0.1}, {"normal": False, "output_scale": 1.0}):
        fixed_loss, _, hints = loss_hints(small_words, **fixed)
        assert fixed_loss < uniform + health.INITIAL_LOSS_MARGIN and hints == []
    assert loss_hints(small_words, normal=False, output_scale=0.1)[0] < uniform + 0.1  # the default build


def test_the_initial_loss_hint_in_real_training(small_words):
    wrong = judged(small(batchnorm=False, init="normal", output_scale=1.0, **INIT), small_words)
    assert "output scale 0.1 (o)" in wrong.hint("loss-init").text
    for fixed in ({"init": "normal", "output_scale": 0.1}, {"init": "kaiming", "output_scale": 1.0}):
        run = judged(small(batchnorm=False, **fixed, **INIT), small_words)
        assert run.init["loss"] < wrong.init["loss"] and "loss-init" not in run.rules
