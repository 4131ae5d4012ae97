"""Lockstep compare runs: every variant equals the single run of its config, step for step."""

from __future__ import annotations

import warnings

import pytest
import torch

from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.engines.base import ModelNote
from makemore_tui.core.engines.factory import make_engine
from makemore_tui.core.engines.lockstep import LockstepEngine
from makemore_tui.core.engines.variants import build_variants
from makemore_tui.core.evaluate import split_loss
from makemore_tui.data import make_splits

CPU = torch.device("cpu")
BASE = TrainConfig(hidden=24, depth=3, device="cpu")
STEPS = 30
# float32 rounding: stacked kernels may round differently from a single run's, never more
CLOSE = dict(rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def splits(small_words):
    return make_splits(small_words, 3)


def _engine(configs, splits):
    return make_engine(configs, splits.vocab.size, *splits.train, CPU)


def _assert_same_model(mine, theirs, **close) -> None:
    for a, b in zip(mine.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a.detach(), b.detach(), equal_nan=True, **close)
    for a, b in zip(mine.buffers(), theirs.buffers(), strict=True):
        torch.testing.assert_close(a.view(-1), b.view(-1), equal_nan=True, **close)


def _follow(configs, splits, steps=STEPS, lrs_at=None, on_step=None, only=None):
    """Step a compare and each config's single run side by side; every step's losses and the final
    models of the variants in `only` (default all) must agree. `lrs_at(step)` gives every variant's
    lr; `on_step(step, compare, losses)` may tamper with or freeze variants outside `only`."""
    compare = _engine(configs, splits)
    singles = [_engine([config], splits) for config in configs]
    only = range(len(configs)) if only is None else only
    for step in range(steps):
        lrs = lrs_at(step) if lrs_at else [c.lr for c in configs]
        losses = compare.step(lrs, keep_stats=True)
        for v in only:
            torch.testing.assert_close(losses[v : v + 1], singles[v].step([lrs[v]], True), **CLOSE)
        if on_step:
            on_step(step, compare, losses)
    for v in only:
        _assert_same_model(compare.variant_model(v), singles[v].variant_model(0), **CLOSE)
    return compare, singles


def test_gain_variants_without_batchnorm_follow_their_single_runs(splits):
    configs = [BASE.replace(batchnorm=False, gain=gain) for gain in (0.5, 1.0, 5 / 3, 3.0)]
    compare, _ = _follow(configs, splits)
    assert compare.name == "fused" and len(compare.nets) == 1 and compare.nets[0].V == 4


def test_batchnorm_on_and_off_in_one_compare_follow_their_single_runs(splits):
    # BN, no BN, BN: two stacked groups, the losses put back in the order given
    configs = [BASE, BASE.replace(batchnorm=False), BASE.replace(gain=1.0)]
    compare, singles = _follow(configs, splits)
    groups = compare.statistics_tensors()
    assert [g.variants for g in groups] == [(0, 2), (1,)]
    assert [g.layer_index for g in groups] == [(2, 5, 8), (1, 3, 5)]
    # each group's statistics tensors: variant k along dim 0 equals the single run's own tensors
    for group in groups:
        for k, v in enumerate(group.variants):
            single = singles[v].statistics_tensors()[0]
            assert group.embcat.shape == (len(group.variants), 32, 30)
            for mine, theirs in zip(group.select(k)[1:], single.select(0)[1:], strict=True):
                for a, b in zip(mine, theirs, strict=True):
                    torch.testing.assert_close(a, b, **CLOSE)


def test_linear_sandwich_variants_follow_their_single_runs(splits):
    configs = [BASE.replace(activation="linear", gain=g) for g in (1.0, 5 / 3)] + [BASE.replace(activation="linear")]
    configs.append(BASE.replace(activation="linear", batchnorm=False, gain=1.0))
    _follow(configs, splits)


def test_per_variant_learning_rates_change_mid_run(splits):
    configs = [BASE.replace(batchnorm=False, gain=g) for g in (1.0, 5 / 3)]
    _follow(configs, splits, lrs_at=lambda step: [0.1, 0.1 if step < 12 else 0.02])


def test_a_diverged_variant_freezes_and_the_other_still_follows_its_single_run(splits):
    configs = [BASE.replace(batchnorm=False), BASE.replace(batchnorm=False, lr=1000.0)]
    seen = {}

    def on_step(step, compare, losses):
        diverged = compare.variant_model(1)
        if step == 6:  # blow it up as a diverging run ends: NaN and inf in its weights, still training
            with torch.no_grad():
                diverged.layers[0].weight[0, :2] = torch.tensor([float("nan"), float("inf")])
        if step == 9:
            assert losses[1] > 10 * 3.3 or not torch.isfinite(losses[1])  # it did diverge
            compare.freeze(1)
            seen["frozen"] = [p.clone() for p in diverged.parameters()]
        if step > 9:
            assert torch.isnan(losses[1])
            assert any(not torch.isfinite(p).all() for p in diverged.parameters())

    compare, _ = _follow(configs, splits, on_step=on_step, only=[0])
    for now, then in zip(compare.variant_model(1).parameters(), seen["frozen"]):
        torch.testing.assert_close(now, then, rtol=0, atol=0, equal_nan=True)  # untouched since the freeze


def test_a_frozen_batchnorm_variant_keeps_its_running_buffers(splits):
    configs = [BASE, BASE.replace(gain=3.0)]
    seen = {}

    def on_step(step, compare, losses):
        if step == 10:
            compare.freeze(1)
            model = compare.variant_model(1)
            seen["then"] = [t.clone() for t in model.parameters() + model.buffers()]

    compare, _ = _follow(configs, splits, on_step=on_step, only=[0])
    model = compare.variant_model(1)
    for now, then in zip(model.parameters() + model.buffers(), seen["then"], strict=True):
        assert torch.equal(now, then)


def test_lecture_engine_with_variants_equals_single_lecture_runs_exactly(splits):
    lecture = BASE.replace(engine="lecture")
    configs = [lecture.replace(gain=1.0), lecture.replace(batchnorm=False), lecture.replace(gain=3.0, lr=0.05)]
    compare = _engine(configs, splits)
    singles = [_engine([c], splits) for c in configs]
    assert compare.name == "lecture"
    for step in range(20):
        if step == 12:
            compare.freeze(2)
            frozen = [t.clone() for t in compare.variant_model(2).parameters() + compare.variant_model(2).buffers()]
        keep_stats = step != 11  # the frozen variant's last step kept no layer gradients
        losses = compare.step([c.lr for c in configs], keep_stats)
        single_losses = torch.cat([s.step([c.lr], keep_stats) for s, c in zip(singles, configs)])
        assert torch.equal(losses[:2], single_losses[:2])
        assert torch.equal(losses[2], single_losses[2]) if step < 12 else torch.isnan(losses[2])
    for v in (0, 1):
        _assert_same_model(compare.variant_model(v), singles[v].variant_model(0), rtol=0, atol=0)
    model = compare.variant_model(2)
    assert all(torch.equal(now, then) for now, then in zip(model.parameters() + model.buffers(), frozen, strict=True))
    stats = compare.statistics_tensors()
    assert [g.variants for g in stats] == [(0, 2), (1,)]
    assert stats[0].acts[0].shape == (2, 32, 24)


def test_variant_model_evaluates_like_the_single_runs_model(splits):
    configs = [BASE, BASE.replace(batchnorm=False, gain=1.0)]
    compare, _ = _follow(configs, splits, steps=25)
    for v, config in enumerate(configs):
        # the independent reference: the lecture engine's own model, trained on the same minibatches
        lecture = _engine([config.replace(engine="lecture")], splits)
        for _ in range(25):
            lecture.step([config.lr], False)
        for X, Y in (splits.train, splits.val):
            assert split_loss(compare.variant_model(v), X, Y) == pytest.approx(
                split_loss(lecture.variant_model(0), X, Y), rel=1e-4
            )
    # the model is a view of what the engine trains: its tensors are the stacked slices
    group = compare.statistics_tensors()[0]
    for mine, stacked in zip(compare.variant_model(0).parameters(), group.params, strict=True):
        assert mine.data_ptr() == stacked[0].data_ptr()


def test_the_graph_safe_step_equals_the_eager_step_on_the_cpu(splits):
    """The body core/engines/graphed.py captures (device draw, lr tensor, masks always on) computes the eager step."""
    configs = [BASE, BASE.replace(batchnorm=False), BASE.replace(gain=0.5)]
    engines = []
    for static in (False, True):
        models, generator = build_variants(configs, splits.vocab.size)
        engines.append(LockstepEngine(models, configs, *splits.train, 32, generator, static=static))
    for step in range(20):
        lrs = [0.1, 0.1 if step < 5 else 0.05, 0.2]
        if step == 8:
            for engine in engines:
                engine.freeze(2)
        eager, static = (engine.step(lrs, True) for engine in engines)
        torch.testing.assert_close(eager, static, rtol=0, atol=0, equal_nan=True)
        assert torch.isnan(static[2]) == (step >= 8)
    for v in range(3):
        _assert_same_model(engines[0].variant_model(v), engines[1].variant_model(v), rtol=0, atol=0)


@pytest.mark.parametrize("engine", ["fused", "lecture"])
def test_a_preview_shows_the_next_step_and_takes_nothing(splits, engine):
    configs = [BASE.replace(engine=engine), BASE.replace(engine=engine, batchnorm=False)]
    previewed, plain = _engine(configs, splits), _engine(configs, splits)
    for _ in range(3):
        torch.testing.assert_close(previewed.step([0.1, 0.1], True), plain.step([0.1, 0.1], True), rtol=0, atol=0)
    preview = previewed.preview([0.1, 0.1])
    stats = [[t.clone() for t in group.acts + group.grads] for group in previewed.statistics_tensors()]
    for v in range(2):  # nothing moved: parameters, buffers
        _assert_same_model(previewed.variant_model(v), plain.variant_model(v), rtol=0, atol=0)
    # the next step draws the batch the preview drew (the generator went back) and computes what it showed
    step = previewed.step([0.1, 0.1], True)
    torch.testing.assert_close(step, preview, rtol=0, atol=0)
    torch.testing.assert_close(step, plain.step([0.1, 0.1], True), rtol=0, atol=0)
    for shown, group in zip(stats, previewed.statistics_tensors(), strict=True):
        for a, b in zip(shown, group.acts + group.grads, strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize(
    "changes, flag",
    [({"seed": 7}, "--seed"), ({"hidden": 16}, "--hidden"), ({"batch_size": 16}, "--batch-size")],
)
def test_variants_that_cannot_share_a_minibatch_stream_are_refused(splits, changes, flag):
    with pytest.raises(ConfigError) as error:
        _engine([BASE, BASE.replace(**changes)], splits)
    assert flag in str(error.value) and "\n" not in str(error.value)


def test_a_compare_of_drawn_biases_says_its_variants_do_not_share_init_draws(splits):
    configs = [BASE.replace(batchnorm=False, bias_scale=scale) for scale in (0.0, 0.01)]
    with pytest.warns(ModelNote, match="variant 2 \\(b ×0.01\\) does not share variant 1's init draws"):
        compare, _ = _follow(configs, splits, only=[0])  # variant 1 (zeros) is its single run all the same
    assert not torch.equal(compare.variant_model(1).layers[0].bias, torch.zeros(24))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same draws: nothing to say
        _engine([BASE.replace(batchnorm=False, gain=g) for g in (1.0, 2.0)], splits)
