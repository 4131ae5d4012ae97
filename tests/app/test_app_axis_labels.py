"""An axis never says one number twice: a loss over a range narrower than its labels' precision (four
variants a few steps apart: 3.3141 … 3.3145) leaves the repeats blank, and the loss
axis takes the digits its range needs (3.3141, 3.3143, 3.3145)."""

from __future__ import annotations

import math

from rich.style import Style

from makemore_tui.tui.canvas import Trace, fitted_range, line_chart
from makemore_tui.tui.widgets.loss import _loss_label, loss_labels


def y_labels(lines) -> list[str]:
    """The y axis's labels, top to bottom (the text left of each row's tick)."""
    texts = ["".join(segment.text for segment in line) for line in lines[:-1]]
    return [text.split("┤")[0].strip() for text in texts if "┤" in text]


def test_a_tiny_loss_range_repeats_no_tick_label():
    losses = [3.3141, 3.3143, 3.3145, 3.3142]
    trace = Trace(list(range(4)), [math.log10(loss) for loss in losses], Style())
    labels = [label for label in y_labels(line_chart([trace], 40, 10, y_format=_loss_label)) if label]
    assert labels and len(labels) == len(set(labels)), labels
    # the loss panel's own labels take the digits the range needs: three distinct ticks
    y_range = fitted_range([trace])
    labels = y_labels(line_chart([trace], 40, 10, y_range=y_range, y_format=loss_labels(y_range)))
    assert len(set(labels)) == 3 and all(label.startswith("3.314") for label in labels), labels
    assert loss_labels((0.0, 1.0))(0.5) == "3.16"  # a wide range keeps 3 digits


def test_a_wide_range_keeps_all_three_labels():
    trace = Trace([0, 1, 2], [0.0, 0.5, 1.0], Style())
    chart = line_chart([trace], 40, 10, y_range=(0.0, 1.0), y_format=lambda y: f"{y:.2f}")
    assert y_labels(chart) == ["1.00", "0.50", "0.00"]
