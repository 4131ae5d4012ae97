"""A real compare in a real terminal (tmux): four gains trained in lockstep, every label in every panel;
an lr that diverges freezes its variant (variant_end) while the other finishes."""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path

import pytest

from makemore_tui.core.runlog import read_run_log
from tests.app.test_app_terminal import ROOT, screen, tmux, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
GAIN_LABELS = ("a gain 0.5", "b gain 1", "c gain 5/3", "d gain 3")


def start(arguments: str, size: tuple[int, int]) -> str:
    """`python -m makemore_tui ARGUMENTS` in a detached tmux pane of `size`; returns the session name."""
    session = f"mmt-compare-{uuid.uuid4().hex[:8]}"
    command = f"env -u COLUMNS -u LINES {sys.executable} -m makemore_tui {arguments}"
    for _ in range(10):  # a new session can race a tmux server that is exiting
        tmux("new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]), "-c", str(ROOT), command)
        if tmux("has-session", "-t", session).returncode == 0:
            break
    return session


def shows(inside: str, label: str) -> bool:
    """`a gain 0.5` is in a panel, or `a 0.5` where a narrow panel says the words every label shares once."""
    return label in inside or label.replace("gain ", "") in inside


def box(text: str, title: str) -> str:
    """The inside of the panel whose border title starts with `title`, from a captured screen."""
    lines = text.splitlines()
    for top, line in enumerate(lines):
        at = line.find(f"╭─ {title}")
        if at < 0:
            continue
        right = line.index("╮", at)
        inside = []
        for below in lines[top + 1 :]:
            if below[at : at + 1] == "╰":
                break
            inside.append(below[at + 1 : right])
        return "\n".join(inside)
    raise AssertionError(f"no panel {title!r} on screen:\n{text}")


@pytest.fixture
def session_cleanup():
    sessions: list[str] = []
    yield sessions
    for session in sessions:
        tmux("kill-session", "-t", session)


def test_four_gains_in_lockstep_show_every_label_in_every_panel(tmp_path: Path, session_cleanup):
    log = tmp_path / "run.jsonl"
    arguments = f"--compare gain=0.5,1,5/3,3 --no-batchnorm --hidden 32 --steps 1000000 --run-log {log}"
    session = start(arguments, (160, 50))
    session_cleanup.append(session)
    titles = ("1 saturation", "2 activation", "3 gradient", "5 update", "6 loss")

    def missing(shown: str) -> list[str]:
        """(panel, label) pairs not on screen yet: panels repaint on the redraw budget, not all at once."""
        absent = []
        for title in titles:
            inside = box(shown, title) if f"╭─ {title}" in shown else ""
            absent += [f"{title}: {label}" for label in GAIN_LABELS if not shows(inside, label)]
        return absent

    wait_until(lambda: not missing(screen(session)), 60, "the four labels in every compare panel")
    for label in GAIN_LABELS:  # the map and the samples show one variant; v moves to the next

        def showing(label=label):
            shown = screen(session)
            return shown if "╭─ 8 samples" in shown and label in box(shown, "7 saturation map") else None

        assert label in box(wait_until(showing, 5, label), "8 samples")
        tmux("send-keys", "-t", session, "v")
    starts = [r for r in read_run_log(log) if r["event"] == "run_start"]
    assert [v["label"] for v in starts[0]["variants"]] == ["gain 0.5", "gain 1", "gain 5/3", "gain 3"]
    tmux("send-keys", "-t", session, "q")


def test_an_lr_that_diverges_freezes_its_variant_while_the_other_finishes(tmp_path: Path, session_cleanup):
    log = tmp_path / "run.jsonl"
    session = start(f"--compare lr=0.1,1000 --no-batchnorm --hidden 32 --steps 3000 --run-log {log}", (120, 40))
    session_cleanup.append(session)
    text = wait_until(lambda: (lambda s: s if "✔ finished" in s else None)(screen(session)), 90, "the run to finish")
    records = read_run_log(log)
    frozen = [r for r in records if r["event"] == "variant_end"]
    assert len(frozen) == 1 and frozen[0]["variant"] == 1 and frozen[0]["reason"] == "diverged"
    step = frozen[0]["step"]
    assert records[-1]["event"] == "run_end" and records[-1]["reason"] == "finished" and records[-1]["step"] == 3000
    after = [r for r in records if r["event"] == "stats" and r["step"] >= step]
    assert after and {r["variant"] for r in after} == {0}  # the first trains on, the second is frozen
    assert f"b lr 1000 ✖ @{step:,}" in box(text, "1 saturation")  # greyed, frozen where it diverged
    assert f"✖ @{step:,}" in box(text, "6 loss")
    tmux("send-keys", "-t", session, "q")
