"""`replay --follow` in a real terminal (tmux) on a real headless run (issue 18): live, space/n/space
pause it, take exactly one step and resume it, and q leaves it training."""

from __future__ import annotations

import time

import pytest

from makemore_tui.core.runlog import read_run_log
from tests.app.test_app_terminal import has_exited, python_pid, screen, start_in_tmux, tmux, wait_until
from tests.test_faults import start_headless, wait_for_stats

pytestmark = pytest.mark.skipif(tmux("-V").returncode != 0, reason="needs tmux")


def records(log, event: str) -> list[dict]:
    return [record for record in read_run_log(log) if record["event"] == event]


def test_space_n_space_pause_step_once_and_resume_a_headless_run_and_q_leaves_it_training(tmp_path):
    log = tmp_path / "run.jsonl"
    writer = start_headless(log)
    session = None
    try:
        wait_for_stats(log, writer)
        assert isinstance(records(log, "run_start")[0].get("control"), str)
        session = start_in_tmux(f"replay {log} --follow")
        viewer = wait_until(lambda: python_pid(f"replay {log} --follow"), 20, "the viewer to start")
        wait_until(lambda: "● live" in screen(session) and "control" in screen(session), 30, "the live screen")
        tmux("send-keys", "-t", session, "space")
        wait_until(lambda: [r for r in records(log, "state") if r["paused"]], 20, "the run to pause")
        wait_until(lambda: "⏸ paused" in screen(session), 10, "the viewer to show it paused")
        paused = records(log, "state")[-1]["step"]
        before = len(records(log, "stats"))
        time.sleep(0.5)  # paused: no step is taken
        assert len(records(log, "stats")) == before
        tmux("send-keys", "-t", session, "n")
        wait_until(lambda: len(records(log, "stats")) > before, 20, "the single step's statistics")
        time.sleep(0.5)
        assert len(records(log, "stats")) == before + 1  # one step's statistics (the trainer previews the next)
        assert records(log, "progress")[-1]["step"] == paused + 1  # exactly one step taken
        tmux("send-keys", "-t", session, "space")
        wait_until(lambda: records(log, "state")[-1]["paused"] is False, 20, "the run to resume")
        wait_until(lambda: len(records(log, "stats")) > before + 1, 30, "training to go on")
        tmux("send-keys", "-t", session, "q")
        wait_until(lambda: has_exited(viewer), 10, "the viewer to exit")
        steps = len(records(log, "stats"))
        wait_until(lambda: len(records(log, "stats")) > steps, 30, "training after the viewer left")
        assert writer.poll() is None and not records(log, "run_end")
    finally:
        if session:
            tmux("kill-session", "-t", session)
        writer.terminate()
        writer.wait(timeout=30)
    assert records(log, "run_end")[-1]["reason"] == "stopped"
    assert not (tmp_path / ".run.jsonl.control").exists()  # the socket went with the run
