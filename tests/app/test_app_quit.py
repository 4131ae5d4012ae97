"""Quitting: SIGHUP/SIGTERM are the process's own until the log is closed, the watchdog ends a process that
lingers, a signal quits the app as q does, and q leaves the run log's path and the replay command on screen."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sys
import time

import pytest

from makemore_tui.core.commands import Quit
from makemore_tui.core.runlog import read_run_log
from makemore_tui.tui.lifecycle import Lifecycle
from tests.app.helpers import live_app, run_async
from tests.app.test_app_terminal import has_exited, python_pid, screen, start_in_tmux, tmux, wait_until
from tests.fake_trainer import SMALL, recorded_run
from tests.test_core_quit import open_run

SIZE = (120, 40)
FLAGS = "--steps 1000000 --hidden 16"


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(predicate())


def test_sighup_and_sigterm_while_installed_are_noted_and_routed_never_fatal():
    previous = signal.getsignal(signal.SIGTERM)
    routed = []
    with Lifecycle() as life:
        life.route(lambda: routed.append(life.signalled))
        os.kill(os.getpid(), signal.SIGHUP)
        assert wait_for(lambda: routed)
        life.route(None)  # the wind-down: a signal is only noted
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
    assert routed == ["SIGHUP"] and life.signalled == "SIGHUP" and life.hung_up and life.quit_at is not None
    assert signal.getsignal(signal.SIGTERM) is previous


def test_a_hang_up_ignored_as_under_nohup_stays_ignored():
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with Lifecycle():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) != signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_the_watchdog_seals_the_log_and_ends_the_process_at_the_deadline(tmp_path):
    ended = []
    with Lifecycle(end_process=ended.append, exit_seconds=0.3) as life:
        life.log = open_run(tmp_path / "run.jsonl")
        os.kill(os.getpid(), signal.SIGTERM)
        assert wait_for(lambda: ended)
    assert ended == [130]  # after a signal
    end = read_run_log(tmp_path / "run.jsonl")[-1]
    assert end["event"] == "run_end" and end["skipped"] == ["eval", "samples"]


def test_after_a_hang_up_the_app_ends_as_soon_as_its_log_has_run_end(tmp_path):
    ended = []
    with Lifecycle(end_process=ended.append, exit_seconds=30.0) as life:
        life.log = open_run(tmp_path / "run.jsonl")
        life.app_ran = True
        os.kill(os.getpid(), signal.SIGHUP)  # the terminal has gone
        time.sleep(0.3)
        assert ended == []  # the trainer is still writing the run's end
        life.log.write({"event": "run_end", "run": 1, "step": 50, "reason": "stopped"})
        assert wait_for(lambda: ended, timeout=2.0)  # long before the 30 s deadline
    assert ended == [130]
    assert [r["event"] for r in read_run_log(tmp_path / "run.jsonl")][-1] == "run_end"


class Flushes(io.StringIO):
    """stdout that counts its flushes."""

    flushed = 0

    def flush(self) -> None:
        self.flushed += 1


@pytest.mark.parametrize("quit_first", [False, True], ids=["finished", "quit"])
def test_end_flushes_stdout_then_ends_the_process(monkeypatch, quit_first):
    out, ended = Flushes(), []
    monkeypatch.setattr(sys, "stdout", out)
    life = Lifecycle(end_process=ended.append)
    if quit_first:
        life.quitting()  # the flush is then bounded by the watchdog's deadline
    life.end(3)
    life.restore()
    assert out.flushed >= 1 and ended == [3]


@run_async
async def test_sigterm_quits_the_app_as_q_does_with_the_quit_deadline():
    app, trainer = live_app(respond=False)
    with Lifecycle() as life:
        app.lifecycle = life
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            os.kill(os.getpid(), signal.SIGTERM)
            await pilot.pause(0.3)
    assert life.signalled == "SIGTERM" and app.return_code == 0
    assert [c for c in trainer.commands if isinstance(c, Quit)][0] == Quit(deadline=life.eval_deadline)


@run_async
async def test_a_signal_before_the_app_is_up_quits_it_as_soon_as_it_is():
    app, trainer = live_app(respond=False)
    with Lifecycle() as life:
        os.kill(os.getpid(), signal.SIGHUP)
        assert wait_for(lambda: life.signalled)
        app.lifecycle = life
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.3)
    assert [c for c in trainer.commands if isinstance(c, Quit)][:1] == [Quit(deadline=life.eval_deadline)]


needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def pane(session: str) -> str:
    """The pane's text, wrapped lines joined."""
    return tmux("capture-pane", "-p", "-J", "-t", session).stdout


def app_then_exit_code(tmp_path) -> tuple[str, int, str]:
    """The app in tmux, then its exit code on the pane; (session, pid, log path) once it has drawn."""
    log = tmp_path / "run.jsonl"
    session = start_in_tmux(f"{FLAGS} --run-log {log}; echo exit=$?; sleep 60")
    pid = wait_until(lambda: python_pid(f"--run-log {log}"), 30, "the app to start")
    wait_until(
        lambda: log.exists() and '"event":"stats"' in log.read_text() and "L5 " in screen(session), 30, "a frame"
    )
    return session, pid, str(log)


@needs_tmux
def test_q_leaves_the_run_log_and_the_replay_command_on_the_terminal(tmp_path):
    session, pid, log = app_then_exit_code(tmp_path)
    try:
        tmux("send-keys", "-t", session, "q")
        text = wait_until(lambda: "exit=" in pane(session) and pane(session), 10, "the app to exit")
        assert f"run log: {log} · replay: makemore-tui replay {log}" in text
        assert "exit=0" in text
        assert read_run_log(log)[-1]["event"] == "run_end"
    finally:
        tmux("kill-session", "-t", session)


@needs_tmux
def test_sigterm_ends_the_app_with_130_and_the_log_with_run_end(tmp_path):
    session, pid, log = app_then_exit_code(tmp_path)
    try:
        os.kill(pid, signal.SIGTERM)
        text = wait_until(lambda: "exit=" in pane(session) and pane(session), 10, "the app to exit")
        assert "exit=130" in text and has_exited(pid)
        assert read_run_log(log)[-1]["event"] == "run_end"
    finally:
        tmux("kill-session", "-t", session)


@needs_tmux
def test_sigterm_ends_a_replay_too(tmp_path):
    log = tmp_path / "run.jsonl"
    log.write_text("\n".join(json.dumps(record) for record in recorded_run(SMALL, satmap=False)) + "\n")
    session = start_in_tmux(f"replay {log}; echo exit=$?; sleep 60")
    try:
        pid = wait_until(lambda: python_pid(f"replay {log}"), 30, "the replay to start")
        wait_until(lambda: "L5 " in screen(session), 30, "a frame")
        os.kill(pid, signal.SIGTERM)
        text = wait_until(lambda: "exit=" in pane(session) and pane(session), 10, "the replay to exit")
        assert "exit=130" in text and "run log:" not in text
        assert "L5 " not in text  # the app left the screen itself (not the watchdog, long after)
    finally:
        tmux("kill-session", "-t", session)
