"""The real app in tmux when its streams are unusual (issue 19 item 3): with only stdout piped it draws at the
terminal's real size (Textual takes the size from stdout), and the quit line still goes to the pipe."""

from __future__ import annotations

import shutil
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.app.test_app_terminal import ROOT, python_pid, screen, start_in_tmux, tmux, wait_until

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


def process_state(pid: int) -> str:
    """The kernel's one-letter state of `pid` (T: stopped, as after ctrl+z)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def test_ctrl_z_suspends_the_app_and_fg_brings_every_part_back(tmp_path):
    """ctrl+z stops the process (a shell prompt comes back); `fg` redraws the whole frame: borders, panel titles
    and the footer too, not only the parts that change."""
    log = tmp_path / "run.jsonl"
    session = f"mmt-suspend-{uuid.uuid4().hex[:8]}"
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-c", str(ROOT), "bash --norc --noprofile -i")
    try:
        command = f"env -u COLUMNS -u LINES PS1='$ ' {sys.executable} -m makemore_tui --steps 1000000 --hidden 16"
        tmux("send-keys", "-t", session, f"{command} --paused --run-log {log}", "Enter")
        pid = wait_until(lambda: python_pid(f"--run-log {log}"), 20, "the app to start")
        before = wait_until(lambda: settled_frame(session), 60, "the first frame, settled")
        tmux("send-keys", "-t", session, "C-z")
        wait_until(lambda: process_state(pid) == "T", 10, "ctrl+z to stop the process")
        wait_until(lambda: "Stopped" in screen(session) or "stopped" in screen(session), 10, "the shell's job line")
        tmux("send-keys", "-t", session, "fg", "Enter")
        wait_until(lambda: process_state(pid) not in ("T", "gone"), 10, "fg to continue the process")
        wait_until(lambda: full_frame(screen(session)), 30, "the frame after fg")
        # every line that does not change while paused is back as it was: borders, titles, the footer
        after = f"the whole frame after fg, as before:\n{before}"
        wait_until(lambda: same_static_lines(before, screen(session)), 30, after)
        tmux("send-keys", "-t", session, "q")
        wait_until(lambda: process_state(pid) == "gone" or process_state(pid) == "Z", 10, "q after fg")
    finally:
        tmux("kill-session", "-t", session)


def settled_frame(session: str) -> str | None:
    """The full frame once its static lines hold still for a second (the first records, hints and the footer's
    keys arrive over the first moments); None until then."""
    first = full_frame(screen(session))
    if first is None:
        return None
    time.sleep(1.0)
    second = screen(session)
    return second if same_static_lines(first, second) else None


def same_static_lines(before: str, now: str) -> bool:
    """True when the frame's first line, last line (the footer) and every border line match `before`."""
    old, new = before.splitlines(), now.splitlines()
    if len(old) != len(new):
        return False
    borders = [i for i, line in enumerate(old) if line.strip().startswith(("╭", "╰", "┌", "└"))]
    return bool(borders) and all(old[i] == new[i] for i in [0, len(old) - 1, *borders])
