"""The compare picker in a real terminal (tmux): what is typed shows in the spec box, and before enter the
picker says what would run, with the lr the variant on screen carries into it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.app.test_app_terminal import screen, start_in_tmux, tmux, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def test_the_picker_shows_the_typed_spec_and_what_enter_runs(tmp_path: Path):
    log = tmp_path / "run.jsonl"
    session = start_in_tmux(f"--lr 0.001 --steps 1000000 --hidden 32 --run-log {log}")
    try:
        wait_until(lambda: "L5 " in screen(session), 90, "the first frame")
        tmux("send-keys", "-t", session, "c")
        wait_until(lambda: "BatchNorm on / off" in screen(session), 90, "the picker")
        shown = wait_until(lambda: (s := screen(session)) and "runs a BN on · b BN off" in s and s, 90, "a preview")
        assert "kept from the variant shown (not the lecture's default): lr 0.001" in shown
        tmux("send-keys", "-t", session, "-l", "gain=0.5,3")
        shown = wait_until(lambda: (s := screen(session)) and "runs a gain 0.5 · b gain 3" in s and s, 90, "the spec")
        assert "gain=0.5,3" in shown  # the box shows what was typed
        tmux("send-keys", "-t", session, "Enter")
        status = lambda: (lines := screen(session).splitlines()) and len(lines) > 1 and lines[1]  # noqa: E731
        # what the preview said runs: the compare, at the variant shown's lr
        wait_until(lambda: "compare gain 0.5 · 3" in status() and "lr 0.001" in status(), 90, "the compare")
    finally:
        tmux("kill-session", "-t", session)
