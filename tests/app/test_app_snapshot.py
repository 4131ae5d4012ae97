"""Fixed frames from recorded statistics (a filled channel or an in-memory log, no training) against SVG snapshots.

Update after an intended change with: pytest tests/app/test_app_snapshot.py --snapshot-update
(then look at them: rsvg-convert FRAME.svg -o FRAME.png).
"""

from __future__ import annotations

from tests.app.helpers import live_app, replay_app
from tests.fake_trainer import SMALL, recorded_run

NO_BN = SMALL.replace(batchnorm=False, gain=3.0)


def ab_records(satmap: bool = True) -> list[dict]:
    """Run 1 finished with BatchNorm; run 2 without it, at gain 3, two thirds through."""
    return recorded_run(SMALL, satmap=satmap) + recorded_run(NO_BN, run=2, upto=600, end=False, satmap=satmap)


def ab_app():
    return live_app(ab_records(), config=NO_BN, respond=False)[0]


def test_live_frame_120x40_after_a_rerun(snap_compare):
    assert snap_compare(ab_app(), terminal_size=(120, 40))


def test_live_frame_80x24_one_panel_at_a_time(snap_compare):
    assert snap_compare(ab_app(), terminal_size=(80, 24))


def test_a_hint_beside_its_panel_and_marked_in_the_page_bar(snap_compare):
    assert snap_compare(ab_app(), press=["7"], terminal_size=(80, 24))


def test_zoomed_loss_with_the_previous_run(snap_compare):
    assert snap_compare(ab_app(), press=["6"], terminal_size=(120, 40))


def test_help(snap_compare):
    assert snap_compare(ab_app(), press=["question_mark"], terminal_size=(80, 24))


def test_terminal_too_small(snap_compare):
    assert snap_compare(ab_app(), terminal_size=(50, 14))


def test_replay_part_way_with_skipped_records(snap_compare):
    app = replay_app(ab_records(satmap=False), skipped=3)
    assert snap_compare(app, press=["end", "left", "left"], terminal_size=(120, 40))


def test_light_theme_every_plot_and_the_previous_run_legible(snap_compare):
    def light(pilot):
        pilot.app.theme = "textual-light"

    assert snap_compare(ab_app(), run_before=light, terminal_size=(120, 40))


def test_monochrome_no_color(snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(ab_app(), terminal_size=(120, 40))
