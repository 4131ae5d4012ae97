"""The compare's histograms in a real terminal (tmux), the lecture's four gains paused at init at 160×50:
each small multiple on its own y scale (y: one shared), and no curve past its x axis or the panel's border."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.app.helpers import small_multiples
from tests.app.test_app_compare_terminal import box, session_cleanup, start  # noqa: F401 (a fixture)
from tests.app.test_app_terminal import screen, tmux, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
BRAILLE = re.compile("[\u2801-\u28ff]")
HEADER = re.compile(r"(?:^| )([a-d]) gain \S+")


def multiples(inside: str) -> list[tuple[str, list[str]]]:
    """(letter, chart rows and x-axis row) of each small multiple in a panel's inside, cut at its header's columns."""
    return [(letter, rows) for letter, _, rows in small_multiples(inside.splitlines(), HEADER)]


def inside_its_plot(rows: list[str]) -> bool:
    """Every dot of a multiple lies right of its y axis and no further right than its x axis's last label."""
    *chart, axis = rows
    last = len(axis.rstrip()) - 1
    for row in chart:
        bar = max(row.find("┤"), row.find("│"))
        dots = [m.start() for m in BRAILLE.finditer(row)]
        if dots and (min(dots) <= bar or max(dots) > last):
            return False
    return True


def borders_intact(text: str, title: str) -> bool:
    """Whether the panel titled `title` has its left and right border on every line (nothing drawn over them)."""
    lines = text.splitlines()
    top = next((row for row, line in enumerate(lines) if f"╭─ {title}" in line), None)
    if top is None:
        return False
    left = lines[top].index(f"╭─ {title}")
    right = lines[top].index("╮", left)
    for line in lines[top + 1 :]:
        if line[left] == "╰":
            return line[right] == "╯"
        if line[left] != "│" or line[right] != "│":
            return False
    return False


def test_gain_small_multiples_have_their_own_y_scales_and_stay_inside_their_plots(
    tmp_path: Path,
    session_cleanup,  # noqa: F811 (the fixture imported above)
):
    log = tmp_path / "run.jsonl"
    session = start(f"--compare gain=0.5,1,5/3,3 --no-batchnorm --paused --run-log {log}", (160, 50))
    session_cleanup.append(session)
    title = "2 activation"

    def drawn() -> list[tuple[str, list[str]]]:
        shown = screen(session)
        found = multiples(box(shown, title)) if f"╭─ {title}" in shown else []
        return found if [letter for letter, _ in found] == list("abcd") else []

    found = wait_until(drawn, 90, "panel 2's four small multiples")
    for letter, rows in found:
        assert BRAILLE.search(rows[0]), (letter, rows)  # its own scale: its peak at its plot's top
        assert re.match(r"\s*[\d.e-]+┤", rows[0]), (letter, rows)  # and its own y labels
        assert inside_its_plot(rows), (letter, rows)
    wait_until(lambda: borders_intact(screen(session), title), 90, "panel 2's borders whole")
    tmux("send-keys", "-t", session, "y")

    def shared() -> list[tuple[str, list[str]]]:
        found = drawn()
        return found if found and not all(BRAILLE.search(rows[0]) for _, rows in found) else []

    found = wait_until(shared, 90, "one shared y scale after y")
    # gain 0.5's last layer is a spike: the others' peaks sit far below the shared top
    assert BRAILLE.search(found[0][1][0]) and not BRAILLE.search(found[1][1][0]), found
    assert all(inside_its_plot(rows) for _, rows in found)
