"""Compare frames from a fake 4-gain compare (no training) against SVG snapshots: 120×40 with every panel,
80×24 a page at a time, a light theme, monochrome (NO_COLOR: letters and labels, not colour), the picker.

Update after an intended change with: pytest tests/app/test_app_compare_snapshot.py --snapshot-update
(then look at them: rsvg-convert FRAME.svg -o FRAME.png).
"""

from __future__ import annotations

from tests.app.helpers import compare_app


def gains_app():
    """Four gains without BatchNorm at step 600; gain 3 diverged at step 400."""
    return compare_app(diverge={3: 400}, respond=False)[0]


def test_compare_120x40_every_variant_in_every_panel(snap_compare):
    assert snap_compare(gains_app(), terminal_size=(120, 40))


def test_compare_80x24_saturation_page(snap_compare):
    assert snap_compare(gains_app(), terminal_size=(80, 24))


def test_compare_80x24_loss_page_with_the_eval_table(snap_compare):
    assert snap_compare(gains_app(), press=["6"], terminal_size=(80, 24))


def test_compare_light_theme_every_variant_legible(snap_compare):
    def light(pilot):
        pilot.app.theme = "textual-light"

    assert snap_compare(gains_app(), run_before=light, terminal_size=(120, 40))


def test_compare_monochrome_no_color(snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(gains_app(), terminal_size=(120, 40))


def test_compare_picker(snap_compare):
    assert snap_compare(gains_app(), press=["c"], terminal_size=(80, 24))
