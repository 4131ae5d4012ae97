"""The view state: records folded in, bounded series, versions per screen part, A/B runs."""

from __future__ import annotations

import numpy as np

from makemore_tui.core.wording import describe
from makemore_tui.tui.state import LOSS, MAX_POINTS, SAMPLES, SATMAP, STATS, STATUS, Series, ViewState
from tests.fake_trainer import SMALL, compare_run, recorded_run, stats_record


def test_series_stay_bounded_and_keep_the_mean():
    series = Series(max_points=16)
    for step in range(10_000):
        series.add(step, 1.0 if step % 2 else 3.0)
    xs, ys = series.points()
    assert len(series) <= 17
    assert np.allclose(ys, 2.0)  # merged pairs average the alternation away
    assert xs[0] < 1_000 and xs[-1] > 9_000  # still spans the whole run
    series.add(10_000, float("nan"))  # a diverged loss is skipped, not plotted
    assert np.isfinite(series.points()[1]).all()


def test_series_value_at_a_step():
    series = Series()
    for step, value in [(0, 1.0), (100, 2.0), (200, 3.0)]:
        series.add(step, value)
    assert series.value_at(150) == 2.0 and series.value_at(-5) == 1.0 and series.value_at(999) == 3.0


def test_apply_reports_which_parts_changed():
    view = ViewState()
    records = recorded_run(SMALL, upto=0, end=False)
    assert view.apply(records[:1]) == {STATUS, STATS, LOSS, SAMPLES, SATMAP}
    assert view.apply([records[1]]) == {STATUS, STATS, LOSS, SATMAP}
    assert view.apply([{"event": "progress", "run": 1, "step": 50, "steps_per_sec": 900.0, "loss": 2.5}]) == {STATUS}
    assert view.apply([{"event": "samples", "run": 1, "step": 50, "names": ["ava"]}]) == {SAMPLES}
    assert view.apply([{"event": "something_new", "run": 1}, {"no": "event"}, "not a dict"]) == set()
    run = view.current
    assert run.step == 50 and run.steps_per_sec == 900.0 and run.vocab_size == 27
    assert view.variant_shown().samples == ["ava"]


def test_a_rerun_keeps_the_previous_run_for_a_b():
    view = ViewState()
    view.apply(recorded_run(SMALL))
    view.apply(recorded_run(SMALL.replace(batchnorm=False), run=2, upto=300, end=False))
    assert view.previous.run == 1 and view.current.run == 2
    assert view.previous.end["reason"] == "finished"
    assert view.previous_shown().saturation_series[0].value_at(300) is not None


def test_state_records_pause_and_eta():
    view = ViewState()
    view.apply(recorded_run(SMALL, upto=500, end=False))
    assert view.current.eta_seconds() == (1000 - 500) / 812.5
    view.apply([{"event": "state", "run": 1, "step": 500, "paused": True, "lr": 0.05}])
    assert view.current.paused and view.current.eta_seconds() is None
    assert "lr 0.05" in describe(view.current.config, view.current.lr)


def test_a_long_run_stays_small():
    view = ViewState()
    config = SMALL.replace(steps=100_000, stats_every=10)
    view.apply([recorded_run(config, upto=0, end=False)[0]])
    record = stats_record(1, 0, config, satmap=False)
    for step in range(0, 20_000, 10):
        view.apply([{**record, "step": step}])
    assert all(len(series) <= MAX_POINTS + 1 for series in view.variant_shown().update_series)
    assert len(view.variant_shown().loss_series) <= MAX_POINTS + 1


def test_panels_read_one_variant_view():
    """One-variant panels read `variant_shown()` (a compare's: the one v chose) and the A/B ghost
    `previous_shown()`; a RunView has no variant-0 copies of a variant's fields beside them."""
    view = ViewState()
    assert view.variant_shown() is None and view.previous_shown() is None
    view.apply(recorded_run(SMALL, upto=300))
    view.apply(compare_run([("gain 1", SMALL.replace(gain=1.0)), ("gain 3", SMALL.replace(gain=3.0))], run=2))
    assert view.previous_shown() is view.previous.variants[0] and view.previous_shown().stats_count > 0
    view.shown_variant = 1
    assert view.variant_shown() is view.current.variants[1] and view.variant_shown().label == "gain 3"
    view.shown_variant = 2  # past the last: wraps
    assert view.variant_shown() is view.current.variants[0]
    for alias in ("main", "stats", "satmap", "samples", "samples_step", "evals", "loss", "loss_series"):
        assert not hasattr(view.current, alias), alias
    assert view.current.stats_count == sum(variant.stats_count for variant in view.current.variants) > 0
