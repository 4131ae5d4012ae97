"""The lecture's missing figures against SVG snapshots: weight-gradient histograms, histograms over
steps (live and scrubbed in a replay), the runs table, the 150×40 and 200×60 layouts. Update after
an intended change with --snapshot-update (and look at them: rsvg-convert FRAME.svg -o FRAME.png)."""

from __future__ import annotations

from tests.app.figure_records import weight_hist_run, with_weight_hists
from tests.app.helpers import live_app, replay_app
from tests.fake_trainer import SMALL, recorded_run

NO_BN = SMALL.replace(batchnorm=False, gain=3.0)


def two_runs() -> list[dict]:
    """Run 1 finished with BatchNorm; run 2 without it at gain 3, 600 steps in; weight histograms every 4th record."""
    return weight_hist_run(SMALL) + with_weight_hists(recorded_run(NO_BN, run=2, upto=600, end=False), 4)


def test_nine_panels_at_150x40(snap_compare):
    assert snap_compare(live_app(two_runs(), config=NO_BN, respond=False)[0], terminal_size=(150, 40))


def test_every_panel_and_the_runs_table_at_200x60(snap_compare):
    assert snap_compare(live_app(two_runs(), config=NO_BN, respond=False)[0], terminal_size=(200, 60))


def test_weight_gradient_histograms_zoomed(snap_compare):
    app = live_app(two_runs(), config=NO_BN, respond=False)[0]
    assert snap_compare(app, press=["w", "4"], terminal_size=(120, 40))


def test_gradient_histories_scrubbed_back_in_a_replay(snap_compare):
    app = replay_app(two_runs())
    assert snap_compare(app, press=["9", "h", "left", "left", "left"], terminal_size=(120, 40))


def test_the_runs_table_at_80x24(snap_compare):
    assert snap_compare(live_app(two_runs(), config=NO_BN, respond=False)[0], press=["0"], terminal_size=(80, 24))
