"""The real app in tmux when its streams are unusual (issue 19 item 3): with only stdout piped it draws at the
terminal's real size (Textual takes the size from stdout), and the quit line still goes to the pipe."""

from __future__ import annotations

import shutil

import pytest

from tests.app.test_app_terminal import python_pid, screen, start_in_tmux, tmux, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def full_frame(text: str) -> str | None:
    return text if "L5 " in text and "activation histograms" in text else None


def test_with_stdout_piped_the_app_draws_at_the_terminal_s_size_and_pipes_the_quit_line(tmp_path):
    log, piped = tmp_path / "run.jsonl", tmp_path / "stdout.txt"
    session = start_in_tmux(f"--steps 1000000 --hidden 16 --run-log {log} | cat > {piped}")
    try:
        wait_until(lambda: python_pid(f"--run-log {log}"), 20, "the app to start")
        frame = wait_until(lambda: full_frame(screen(session)), 30, "the first frame")
        widths = sorted({len(line.rstrip()) for line in frame.splitlines()})
        assert widths[-1] == 120, frame  # the pane is 120 wide: not Textual's 80×24 fallback
        assert len(frame.rstrip("\n").splitlines()) >= 39  # … and 40 high
        tmux("send-keys", "-t", session, "q")
        wait_until(lambda: piped.exists() and "replay:" in piped.read_text(), 10, "the quit line in the pipe")
        assert f"run log: {log}" in piped.read_text()
        assert "\x1b" not in piped.read_text()  # nothing of the app's drawing went into the pipe
    finally:
        tmux("kill-session", "-t", session)
