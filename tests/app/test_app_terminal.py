"""The real app in a real terminal (tmux): it draws the layers, in monochrome too, and q, ctrl+c and
SIGHUP end it cleanly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from makemore_tui.core.runlog import read_run_log
from tests.fake_trainer import SMALL, recorded_run

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def tmux(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["tmux", *args], capture_output=True, text=True)


_last_screen: list[str] = [""]  # the pane as screen() last captured it, for a timeout's message


def wait_until(predicate, timeout: float, what: str):
    """`predicate()`'s first truthy value within `timeout` seconds; else AssertionError with the pane last seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; the pane last showed:\n{_last_screen[0]}")


def python_pid(pattern: str) -> int | None:
    """The Python process whose command line holds `pattern` (not tmux's or the shell's)."""
    found = subprocess.run(["pgrep", "-f", "--", pattern], capture_output=True, text=True).stdout.split()
    for pid in found:
        try:
            if Path(f"/proc/{pid}/comm").read_text().startswith("python"):
                return int(pid)
        except FileNotFoundError:
            continue
    return None


def has_exited(pid: int) -> bool:
    """True once `pid` is gone or a zombie (tmux reaps its panes' processes when it gets to it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def start_in_tmux(arguments: str, environment: str = "") -> str:
    """`python -m makemore_tui ARGUMENTS` in a new detached 120×40 tmux pane; returns the session name."""
    session = f"mmt-test-{uuid.uuid4().hex[:8]}"
    # env -u: pytest's COLUMNS/LINES would otherwise pin the app to their size, not the pane's
    command = f"env -u COLUMNS -u LINES {environment} {sys.executable} -m makemore_tui {arguments}"
    # A new session can race a tmux server that is exiting after the previous test's last
    # session was killed ("server exited unexpectedly"): try again until it exists.
    for _ in range(10):
        tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-c", str(ROOT), command)
        if tmux("has-session", "-t", session).returncode == 0:
            break
        time.sleep(0.2)
    return session


@pytest.fixture
def app_in_tmux(tmp_path):
    """The app training in a detached 120×40 tmux pane; yields (session, app pid, run log)."""
    log = tmp_path / "run.jsonl"
    session = start_in_tmux(f"--steps 1000000 --hidden 32 --run-log {log}")
    try:
        pid = wait_until(lambda: python_pid(f"--run-log {log}"), 20, "the app to start")
        yield session, pid, log
    finally:
        tmux("kill-session", "-t", session)


def screen(session: str) -> str:
    _last_screen[0] = tmux("capture-pane", "-p", "-t", session).stdout
    return _last_screen[0]


def test_the_app_shows_five_tanh_layers_and_drawn_histograms(app_in_tmux):
    session, _, _ = app_in_tmux
    full_frame = lambda shown: shown if "L5 " in shown and "activation histograms" in shown else None  # noqa: E731
    text = wait_until(lambda: full_frame(screen(session)), 30, "a full 120×40 frame")
    for layer in ("L1", "L2", "L3", "L4", "L5"):
        assert layer in text
    assert "%" in text and "activation histograms" in text
    assert any("\u2800" < ch <= "\u28ff" for ch in text)  # braille dots: the histograms are drawn


@pytest.mark.parametrize("how", ["q", "ctrl+c", "SIGHUP"])
def test_quitting_ends_the_app_within_3_s_and_the_log_with_run_end(app_in_tmux, how):
    session, pid, log = app_in_tmux
    wait_until(lambda: log.exists() and '"event":"stats"' in log.read_text(), 30, "statistics in the run log")
    wait_until(lambda: "L5 " in screen(session), 30, "the first frame")
    asked = time.monotonic()
    if how == "SIGHUP":
        os.kill(pid, signal.SIGHUP)  # what an SSH link dropping sends
    else:
        tmux("send-keys", "-t", session, {"q": "q", "ctrl+c": "C-c"}[how])
    try:
        wait_until(lambda: has_exited(pid), 3.0, "the app to exit")
    except AssertionError:
        stack = (
            subprocess.run(["py-spy", "dump", "-p", str(pid)], capture_output=True, text=True).stdout
            if shutil.which("py-spy")
            else ""
        )
        raise AssertionError(
            f"the app did not exit within 3 s of {how}; its screen:\n{screen(session)}\n{stack}"
        ) from None
    assert time.monotonic() - asked < 3.0
    records = read_run_log(log)
    assert records[-1]["event"] == "run_end" and records[-1]["reason"] == "stopped"


def braille(text: str) -> bool:
    """True when `text` holds braille dots: a chart is drawn."""
    return any("\u2800" < ch <= "\u28ff" for ch in text)


def test_monochrome_terminals_draw_every_layer_and_quit_cleanly(tmp_path):
    # NO_COLOR (set on many servers) once failed the first paint; TERM=dumb has no colours at all.
    log = tmp_path / "run.jsonl"
    log.write_text("\n".join(json.dumps(record) for record in recorded_run(SMALL, satmap=False)) + "\n")
    terms = ["linux", "vt100", "dumb"]
    done = {term: tmp_path / f"exit-{term}" for term in terms}
    sessions = {
        term: start_in_tmux(f"replay {log}; echo $? > {done[term]}", f"NO_COLOR=1 TERM={term}") for term in terms
    }
    try:
        for term, session in sessions.items():
            frame = lambda shown: shown if "L5 " in shown and braille(shown) else None  # noqa: E731
            text = wait_until(lambda: frame(screen(session)), 30, f"a full frame under TERM={term}")  # noqa: B023
            assert "✔ finished" in text and "record 11/11" in text
            tmux("send-keys", "-t", session, "q")
        for term, path in done.items():
            exited = wait_until(lambda: path.exists() and path.read_text().strip(), 10, f"TERM={term} to exit")  # noqa: B023
            assert exited == "0", term
    finally:
        for session in sessions.values():
            tmux("kill-session", "-t", session)
