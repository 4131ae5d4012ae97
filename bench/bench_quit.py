"""`q` to the process gone, in a real terminal (tmux): two checkouts side by side in one run.

Each round starts the app of every checkout in turn (the order alternates), waits for its first
frame and a second of training, presses `q` and times until the process is gone (polling /proc
every 10 ms). With --close-after the terminal also closes that many seconds after `q` (`tmux
kill-session`, as closing an SSH window does); a process still there after --limit seconds counts
as hung and is killed. It also reports whether each run log ended with run_end.

  python bench/bench_quit.py --compare /tmp/old-checkout            # this checkout vs an old one
  python bench/bench_quit.py --rounds 8 --close-after 0.1 -- --hidden 100
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from makemore_tui.core.runlog import read_run_log  # noqa: E402
from tests.app.test_app_quit_stress import log_problem  # noqa: E402
from tests.app.test_app_terminal import has_exited, python_pid, screen, tmux, wait_until  # noqa: E402


def quit_once(root: Path, flags: list[str], log: Path, close_after: float | None, limit: float) -> float | None:
    """Seconds from `q` to the app's process gone (None: still there after `limit`, then killed)."""
    session = f"bench-quit-{uuid.uuid4().hex[:8]}"
    command = (
        f"env -u COLUMNS -u LINES PYTHONPATH={root} {sys.executable} -m makemore_tui {' '.join(flags)} --run-log {log}"
    )
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-c", str(root), command)
    pid = None
    try:
        pid = wait_until(lambda: python_pid(f"--run-log {log}"), 60, "the app to start")
        wait_until(lambda: "L5 " in screen(session) and log.exists() and '"stats"' in log.read_text(), 60, "a frame")
        time.sleep(1.0)
        asked = time.monotonic()
        tmux("send-keys", "-t", session, "q")
        if close_after is not None:
            time.sleep(close_after)
            tmux("kill-session", "-t", session)
        while time.monotonic() - asked < limit:
            if has_exited(pid):
                return time.monotonic() - asked
            time.sleep(0.01)
        return None
    finally:
        tmux("kill-session", "-t", session)
        if pid is not None and not has_exited(pid):
            os.kill(pid, signal.SIGKILL)


def skipped(log: Path) -> bool:
    """True when the log's last run_end says its final eval or samples were skipped (the quit's time box)."""
    records = read_run_log(log) if log.exists() else []
    return bool(records and records[-1].get("skipped"))


def describe(name: str, times: list[float | None], problems: list[str | None], skips: list[bool]) -> str:
    done = sorted(t for t in times if t is not None)
    hung = len(times) - len(done)
    spread = f"median {statistics.median(done) * 1000:.0f} ms, max {done[-1] * 1000:.0f} ms" if done else "none"
    whole = sum(p is None for p in problems)
    return (
        f"  {name}: {spread}; {hung}/{len(times)} hung; {whole}/{len(times)} logs ending with run_end; "
        f"{sum(skips)} final evals skipped"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", metavar="CHECKOUT", help="another checkout to time beside this one")
    parser.add_argument("--rounds", type=int, default=5, help="quits per checkout (default 5)")
    parser.add_argument("--close-after", type=float, help="close the terminal this many seconds after q")
    parser.add_argument("--limit", type=float, default=10.0, help="seconds after which a process counts as hung")
    parser.add_argument("extra", nargs="*", help="makemore-tui flags, after -- (default --hidden 16)")
    args = parser.parse_args()
    flags = ["--steps", "1000000", *(args.extra or ["--hidden", "16"])]
    roots = {"this": ROOT, **({"compared": Path(args.compare).resolve()} if args.compare else {})}
    times: dict[str, list] = {name: [] for name in roots}
    problems: dict[str, list] = {name: [] for name in roots}
    skips: dict[str, list] = {name: [] for name in roots}
    close = f", terminal closed {args.close_after * 1000:.0f} ms after q" if args.close_after is not None else ""
    print(f"bench_quit: {args.rounds} rounds, flags {' '.join(flags)}{close}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-quit-") as tmp:
        for round_ in range(args.rounds):
            order = list(roots) if round_ % 2 == 0 else list(reversed(roots))
            for name in order:
                log = Path(tmp) / f"{name}-{round_}.jsonl"
                times[name].append(quit_once(roots[name], flags, log, args.close_after, args.limit))
                problems[name].append(log_problem(log))
                skips[name].append(skipped(log))
    for name, root in roots.items():
        print(describe(f"{name} ({root})", times[name], problems[name], skips[name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
