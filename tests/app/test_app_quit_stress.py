"""Quits at random moments, many at once, in real terminals (tmux): every process is gone within 3 s and
every run log ends whole with run_end.

A scenario is a moment (just after the log is opened, before the first frame; mid-run; paused; during a
rerun), a way to quit (q, SIGHUP, SIGTERM) and, for some, the terminal closing 0–300 ms after it
(`tmux kill-session`, as closing an SSH window does). The moments and delays come from a seeded generator;
SESSIONS_AT_ONCE apps run side by side (a tiny net: --hidden 16) so the whole set takes well under a minute
on two cores. The failure message counts both checks over every scenario.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.app.test_app_terminal import has_exited, python_pid, screen, start_in_tmux, tmux, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

SEED = 20261126
SESSIONS_AT_ONCE = 4  # apps quitting side by side
EXIT_LIMIT = 3.0  # seconds from the quit to the process gone
MOMENTS = ("start", "running", "paused", "rerun")
FLAGS = "--steps 1000000 --hidden 16"


@dataclass(frozen=True)
class Scenario:
    """One quit: when, how, and when (if at all) the terminal closes after it."""

    moment: str  # one of MOMENTS
    how: str  # "q", "SIGHUP" or "SIGTERM"
    close_after: float | None  # seconds from the quit to `tmux kill-session`; None: the terminal stays
    rerun_wait: float = 0.0  # "rerun": seconds from pressing r to the quit

    def __str__(self) -> str:
        close = f", terminal closed {self.close_after * 1000:.0f} ms after" if self.close_after is not None else ""
        rerun = f" {self.rerun_wait * 1000:.0f} ms into" if self.moment == "rerun" else ""
        return f"{self.how}{rerun} {self.moment}{close}"


def scenarios(seed: int = SEED) -> list[Scenario]:
    """q followed by the terminal closing at random delays (the reported fault), q alone, and each signal
    at each moment."""
    rng = random.Random(seed)
    delay = lambda: round(rng.uniform(0.0, 0.3), 3)  # noqa: E731
    found = [Scenario("running", "q", delay()) for _ in range(6)]
    found += [
        Scenario("running", "q", None),
        Scenario("paused", "q", delay()),
        Scenario("rerun", "q", delay(), delay()),
    ]
    for how in ("SIGHUP", "SIGTERM"):
        found += [Scenario(moment, how, None, delay()) for moment in MOMENTS]
    found += [Scenario("running", "SIGTERM", delay()), Scenario("paused", "SIGHUP", delay())]
    return found


def log_problem(log: Path) -> str | None:
    """Why a run log is not whole and closed by run_end, or None."""
    if not log.exists():
        return "no run log"
    data = log.read_bytes()
    if not data:
        return "an empty run log"
    if not data.endswith(b"\n"):
        return "a torn last line"
    lines = data.split(b"\n")[:-1]
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except ValueError:
            return f"line {number} is not JSON"
    return None if record.get("event") == "run_end" else f"it ends with {record.get('event')}, not run_end"


def has_record(log: Path, text: str) -> bool:
    return log.exists() and text in log.read_text()


def reach(moment: str, scenario: Scenario, session: str, log: Path) -> None:
    """Wait for `moment` (and make it happen: space pauses, r reruns)."""
    if moment == "start":
        wait_until(log.exists, 30, "the run log")
        return
    wait_until(lambda: has_record(log, '"event":"stats"') and "L5 " in screen(session), 30, "the first frame")
    if moment == "paused":
        tmux("send-keys", "-t", session, "space")
        wait_until(lambda: has_record(log, '"paused":true'), 10, "the pause")
    elif moment == "rerun":
        tmux("send-keys", "-t", session, "r")
        time.sleep(scenario.rerun_wait)


def quit_app(how: str, session: str, pid: int) -> None:
    if how == "q":
        tmux("send-keys", "-t", session, "q")
    else:
        os.kill(pid, getattr(signal, how))


def seconds_to_exit(pid: int, asked: float, limit: float) -> float | None:
    """Seconds from `asked` to the process gone, or None when it is still there after `limit`."""
    while time.monotonic() - asked < limit:
        if has_exited(pid):
            return time.monotonic() - asked
        time.sleep(0.02)
    return None


def drive(scenario: Scenario, folder: Path) -> tuple[float | None, str | None]:
    """Run one scenario: (seconds from the quit to the process gone or None, what is wrong with its log)."""
    log = folder / f"run-{uuid.uuid4().hex[:8]}.jsonl"
    session = start_in_tmux(f"{FLAGS} --run-log {log}")
    pid = None
    try:
        pid = wait_until(lambda: python_pid(f"--run-log {log}"), 30, "the app to start")
        reach(scenario.moment, scenario, session, log)
        asked = time.monotonic()
        quit_app(scenario.how, session, pid)
        if scenario.close_after is not None:
            time.sleep(scenario.close_after)
            tmux("kill-session", "-t", session)
        seconds = seconds_to_exit(pid, asked, EXIT_LIMIT + 2.0)
        return seconds, log_problem(log)
    finally:
        tmux("kill-session", "-t", session)
        if pid is not None and not has_exited(pid):
            os.kill(pid, signal.SIGKILL)  # a process that hung (the old fault) must not outlive the test


def test_quits_at_random_moments_end_within_3_s_with_a_whole_log(tmp_path):
    cases = scenarios()
    with ThreadPoolExecutor(SESSIONS_AT_ONCE) as pool:
        outcomes = list(pool.map(lambda scenario: drive(scenario, tmp_path), cases))
    slow = [(case, seconds) for case, (seconds, _) in zip(cases, outcomes) if seconds is None or seconds >= EXIT_LIMIT]
    broken = [(case, problem) for case, (_, problem) in zip(cases, outcomes) if problem is not None]
    times = sorted(seconds for seconds, _ in outcomes if seconds is not None)
    summary = (
        f"{len(cases) - len(slow)}/{len(cases)} processes gone within {EXIT_LIMIT:g} s "
        f"(slowest {times[-1] if times else float('nan'):.2f} s), "
        f"{len(cases) - len(broken)}/{len(cases)} run logs whole and ending with run_end"
    )
    details = [f"  still running {'after ' + format(s, '.2f') + ' s' if s else 'at 5 s'}: {c}" for c, s in slow]
    details += [f"  log: {problem}: {case}" for case, problem in broken]
    assert not slow and not broken, "\n".join([summary, *details])
    print(summary, *(f"  {seconds:.2f} s: {case}" for case, (seconds, _) in zip(cases, outcomes)), sep="\n")
