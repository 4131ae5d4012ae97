"""The panel registry (tui/panels.py): specs built by keyword, layouts as one enum."""

from __future__ import annotations

import pytest

from makemore_tui.core.hints import Topic
from makemore_tui.tui.app import MIN_SIZE, layout_for
from makemore_tui.tui.panels import GRIDS, PANELS, Layout, PanelSpec
from makemore_tui.tui.widgets.runs import RunsPanel


def test_a_panel_spec_is_built_by_keyword_only():
    with pytest.raises(TypeError):
        PanelSpec(11, "extra", "extra", "ex", "an extra panel", "what it shows", RunsPanel)  # six strings in a row
    spec = PanelSpec(number=11, id="extra", label="extra", short="ex", title="t", help="h", widget=RunsPanel)
    assert (spec.key, spec.topic, spec.grids) == ("1", None, GRIDS)


@pytest.mark.parametrize(
    ("size", "layout"),
    [
        ((MIN_SIZE[0] - 1, 40), Layout.TOO_SMALL),
        ((80, 24), Layout.PAGES),
        ((100, 36), Layout.COLS2),
        ((150, 40), Layout.COLS3),
        ((150, 54), Layout.TALL),
    ],
)
def test_every_terminal_size_has_one_layout(size, layout):
    assert layout_for(*size) is layout


def test_the_panels_grids_are_grid_layouts():
    assert GRIDS == {Layout.COLS2, Layout.COLS3, Layout.TALL}
    for spec in PANELS:
        assert spec.grids <= GRIDS and all(isinstance(layout, Layout) for layout in spec.grids), spec.id
    assert [spec.number for spec in PANELS] == list(range(1, len(PANELS) + 1))


def test_every_hint_topic_has_one_panel():
    """A hint sits under the panel of its topic: each Topic names exactly one panel, and panels name only topics."""
    topics = [spec.topic for spec in PANELS if spec.topic is not None]
    assert all(isinstance(topic, Topic) for topic in topics)
    assert sorted(topics) == sorted(Topic)
