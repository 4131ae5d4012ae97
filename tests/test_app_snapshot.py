"""Fixed frames from recorded statistics (a filled channel, no training) against SVG snapshots.

Update after an intended change with: pytest tests/test_app_snapshot.py --snapshot-update
"""

from __future__ import annotations

from tests.conftest_app import live_app
from tests.fake_trainer import SMALL, recorded_run

NO_BN = SMALL.replace(batchnorm=False, gain=3.0)


def ab_records() -> list[dict]:
    """Run 1 finished with BatchNorm; run 2 without it, at gain 3, two thirds through."""
    return recorded_run(SMALL) + recorded_run(NO_BN, run=2, upto=600, end=False)


def test_live_frame_120x40_after_a_rerun(snap_compare):
    app, _ = live_app(ab_records(), config=NO_BN, respond=False)
    assert snap_compare(app, terminal_size=(120, 40))


def test_live_frame_80x24_one_panel_at_a_time(snap_compare):
    app, _ = live_app(ab_records(), config=NO_BN, respond=False)
    assert snap_compare(app, terminal_size=(80, 24))
