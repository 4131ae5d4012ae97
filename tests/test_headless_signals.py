"""Headless under the process's lifecycle: a signal stops the run (130) and reaches the lifecycle too, whose
watchdog then times the way out; the stopped run's end keeps to the quit's time box."""

from __future__ import annotations

import io
import os
import signal
import threading
import time

from makemore_tui.core.runlog import RunLog, read_run_log
from makemore_tui.core.sealing import SealableLog
from makemore_tui.tui.headless import run_headless
from makemore_tui.tui.lifecycle import Lifecycle
from tests.test_core_trainer import TINY


def signal_after_stats(log_path, sig: signal.Signals) -> threading.Thread:
    """A thread that sends `sig` to this process once the run log holds statistics."""

    def send() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if log_path.exists() and '"event":"stats"' in log_path.read_text():
                os.kill(os.getpid(), sig)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_a_signal_stops_headless_and_reaches_the_process_lifecycle(tmp_path, small_words):
    path = tmp_path / "run.jsonl"
    with Lifecycle() as life, SealableLog(RunLog(path)) as run_log:
        signal_after_stats(path, signal.SIGTERM)
        code = run_headless(TINY.replace(steps=1_000_000), small_words, run_log, io.StringIO())
    assert code == 130
    assert life.signalled == "SIGTERM" and life.quit_at is not None  # the watchdog was armed
    end = read_run_log(path)[-1]
    assert end["event"] == "run_end" and end["reason"] == "stopped"
