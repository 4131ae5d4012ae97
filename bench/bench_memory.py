"""Memory and start-up bench (and soak): resident memory over a long run, launch to first stats.

    python bench/bench_memory.py                          # headless, 60,000 steps
    python bench/bench_memory.py --steps 200000           # the full lecture length (the soak)
    python bench/bench_memory.py --app --steps 20000      # the app in a 120×40 tmux pane

Runs makemore-tui as a child process (headless, or the app inside tmux), samples its
resident memory (VmRSS from /proc) as the run log grows, and prints the growth after the
first 10,000 steps (the first quarter of a shorter run), the seconds from launch to the
first stats record in the run log, and whether the log ends whole with run_end.
Linux only (it reads /proc). Headless needs only core/ and data/; --app needs tmux.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARM_STEPS = 10_000  # growth is measured from here: allocator and caches settle first
APP_SESSION = "makemore-memory-bench"


def rss_mb(pid: int) -> float | None:
    """Resident memory of `pid` in MB, or None once it has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def last_step(log: Path) -> int:
    """The step of the newest progress or stats record in the log (0 if none yet)."""
    try:
        with open(log, "rb") as file:
            file.seek(max(0, log.stat().st_size - 65536))
            tail = file.read().split(b"\n")[1:]
    except FileNotFoundError:
        return 0
    for raw in reversed(tail):
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if record.get("event") in ("progress", "stats"):
            return int(record["step"])
    return 0


def launch(args, log: Path) -> tuple[subprocess.Popen | None, int]:
    """Start the child; return (process handle for headless, pid to sample)."""
    flags = ["--steps", str(args.steps), "--run-log", str(log), *args.flags]
    if not args.app:
        child = subprocess.Popen(
            [sys.executable, "-m", "makemore_tui", "--headless", *flags], cwd=ROOT, stdout=subprocess.DEVNULL
        )
        return child, child.pid
    command = " ".join([sys.executable, "-m", "makemore_tui", *flags])
    subprocess.run(["tmux", "kill-session", "-t", APP_SESSION], capture_output=True)
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", APP_SESSION, "-x", "120", "-y", "40", "-c", str(ROOT), command], check=True
    )
    for _ in range(200):
        for pid in subprocess.run(
            ["pgrep", "-f", "--", f"--run-log {log}"], capture_output=True, text=True
        ).stdout.split():
            if Path(f"/proc/{pid}/comm").read_text().startswith("python"):  # not tmux or its shell
                return None, int(pid)
        time.sleep(0.05)
    raise SystemExit("the app did not start in tmux")


def run_over(child: subprocess.Popen | None, pid: int, log: Path) -> bool:
    """True once the run is over: the headless child exited, or the app's log has run_end."""
    if child is not None:
        return child.poll() is not None
    if rss_mb(pid) is None:
        return True
    try:
        with open(log, "rb") as file:
            file.seek(max(0, file.seek(0, 2) - 4096))
            return b'"event":"run_end"' in file.read()
    except FileNotFoundError:
        return False


def main() -> None:
    """Run the child, sample it, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60_000)
    parser.add_argument("--app", action="store_true", help="measure the app in tmux instead of headless")
    parser.add_argument("flags", nargs="*", help="extra makemore-tui flags, after --")
    args = parser.parse_args()
    warm_steps = min(WARM_STEPS, args.steps // 4)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "run.jsonl"
        launched = time.perf_counter()
        child, pid = launch(args, log)
        first_stats = None
        samples: list[tuple[int, float]] = []
        while not run_over(child, pid, log):
            if first_stats is None and log.exists() and b'"event":"stats"' in log.read_bytes()[:1_000_000]:
                first_stats = time.perf_counter() - launched
            memory = rss_mb(pid)
            if memory is not None:
                samples.append((last_step(log), memory))
            time.sleep(0.05 if first_stats is None else 0.5)
        if args.app:  # quit as a user would, then wait for the pane to close
            subprocess.run(["tmux", "send-keys", "-t", APP_SESSION, "q"], capture_output=True)
            while rss_mb(pid) is not None:
                time.sleep(0.1)
        records = [json.loads(line) for line in log.read_text().splitlines()]
    warm = [m for step, m in samples if step >= warm_steps]
    end = records[-1]
    mode = "app in tmux 120×40" if args.app else "headless"
    code = f" · exit code {child.returncode}" if child is not None else ""
    print(f"memory bench · {mode}, {args.steps:,} steps{code}")
    print(f"  launch to first stats in the run log: {first_stats:.2f} s" if first_stats else "  no stats record seen")
    if warm:
        print(
            f"  resident memory at step {warm_steps:,}: {warm[0]:.0f} MB, peak after: {max(warm):.0f} MB, "
            f"last: {warm[-1]:.0f} MB"
        )
        print(f"  growth after the first {warm_steps:,} steps: {max(warm) - warm[0]:+.1f} MB (budget < 50 MB)")
        marks = [samples[0]] + [
            s
            for i, s in enumerate(samples[1:], 1)
            if s[0] // (args.steps // 8) != samples[i - 1][0] // (args.steps // 8)
        ]
        print("  resident MB by step: " + ", ".join(f"{step:,}: {mb:.0f}" for step, mb in marks))
    print(
        f"  run log: {len(records):,} records, every line whole, last {end['event']} ({end.get('reason')}), "
        f"{end.get('steps_per_sec')} steps/s"
    )


if __name__ == "__main__":
    main()
