"""Stepping from a paused start in a real terminal (tmux): after each `n` the header's step and the panels
agree, both the state after that update (the preview of the next step), never step 0 twice."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from makemore_tui.core.runlog import read_run_log
from tests.app.test_app_terminal import screen, start_in_tmux, tmux, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
STATUS = re.compile(r"step (\d+)/[\d,]+.*\n.* loss (\d\.\d{3})", re.S)


def step_and_loss(session: str) -> tuple[int, str] | None:
    """(the header's step, the loss the status line shows) on screen, once both are drawn."""
    found = STATUS.search(screen(session))
    return (int(found.group(1)), found.group(2)) if found else None


def test_n_from_a_paused_start_shows_each_update_once(tmp_path: Path):
    log = tmp_path / "run.jsonl"
    session = start_in_tmux(f"--paused --no-batchnorm --steps 1000 --run-log {log}")
    try:
        seen = [wait_until(lambda: step_and_loss(session), 90, "the paused start's step 0")]
        assert seen[0][0] == 0
        for step in (1, 2, 3):
            tmux("send-keys", "-t", session, "n")
            seen.append(wait_until(lambda step=step: (s := step_and_loss(session)) and s[0] == step and s, 90, "n"))
        losses = [loss for _, loss in seen]
        assert len(set(losses)) == len(losses), seen  # each n shows the loss at its new parameters
        records = wait_until(
            lambda: [r for r in read_run_log(log) if r["event"] == "stats"][3:] and read_run_log(log), 90, "the log"
        )
        stats = [r for r in records if r["event"] == "stats"]
        assert [r["step"] for r in stats] == [0, 1, 2, 3] and all(r["preview"] for r in stats)
        assert [f"{r['loss']:.3f}" for r in stats] == losses  # the screen shows the records of those steps
    finally:
        tmux("kill-session", "-t", session)
