"""Memory and start-up bench: resident memory over a long headless run, and launch to first stats.

    python bench/bench_memory.py                  # 60,000 steps
    python bench/bench_memory.py --steps 200000   # the full lecture length (the soak)

Runs `makemore-tui --headless` as a child process, samples its resident memory (VmRSS from
/proc) as the run log grows, and prints the growth after the first 10,000 steps, the seconds
from launch to the first stats record in the run log, and whether the log is complete.
Linux only (it reads /proc). Needs only core/ and data/.
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


def main() -> None:
    """Run the child, sample it, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60_000)
    parser.add_argument("flags", nargs="*", help="extra makemore-tui flags, after --")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "run.jsonl"
        command = [sys.executable, "-m", "tui.cli", "--headless", "--steps", str(args.steps), "--run-log", str(log), *args.flags]
        launched = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
        first_stats = None
        samples: list[tuple[int, float]] = []
        while child.poll() is None:
            if first_stats is None and log.exists() and b'"event":"stats"' in log.read_bytes()[:1_000_000]:
                first_stats = time.perf_counter() - launched
            memory = rss_mb(child.pid)
            if memory is not None:
                samples.append((last_step(log), memory))
            time.sleep(0.05 if first_stats is None else 0.5)
        records = [json.loads(line) for line in log.read_text().splitlines()]
    warm = [m for step, m in samples if step >= WARM_STEPS]
    end = records[-1]
    print(f"memory bench · headless, {args.steps:,} steps · exit code {child.returncode}")
    print(f"  launch to first stats in the run log: {first_stats:.2f} s" if first_stats else "  no stats record seen")
    if warm:
        print(f"  resident memory at step {WARM_STEPS:,}: {warm[0]:.0f} MB, peak after: {max(warm):.0f} MB, last: {warm[-1]:.0f} MB")
        print(f"  growth after the first {WARM_STEPS:,} steps: {max(warm) - warm[0]:+.1f} MB (budget < 50 MB)")
    print(f"  run log: {len(records):,} records, last {end['event']} ({end.get('reason')}), {end.get('steps_per_sec')} steps/s")


if __name__ == "__main__":
    main()
