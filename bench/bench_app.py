"""Training speed with the app on screen vs headless, measured in one run (DESIGN §5: ≥ 0.9×).

Each round trains the same config for the same steps twice, as separate processes:
`makemore-tui --headless`, then `makemore-tui` in a real terminal (a detached tmux pane,
120×40 by default), and reads both speeds from the run_end records of their run logs (the
trainer's own steps/s: setup, pauses and the final evaluation excluded). Rounds alternate
to spread machine noise over both. It also reports how busy the UI (main) thread was, read
from /proc, since every millisecond it holds the GIL is taken from the trainer thread.

  python bench/bench_app.py                        # 20000 steps, 2 rounds, 120×40
  python bench/bench_app.py --steps 50000 --rounds 3 --size 200x60 -- --no-batchnorm
  python bench/bench_app.py --ui pilot             # no tmux: the app under Textual's Pilot

In tmux it also presses `m` five times while training and times each press until its
message is on the pane (tmux's capture adds a few ms).

`--ui pilot` runs the app in this process with Textual's headless driver (nothing is
written to a terminal, so it slightly flatters the app) and also prints per-panel build
costs.

  python bench/bench_app.py --ui-cost              # the UI thread alone, no training
  python bench/bench_app.py --ui-cost -- --compare gain=0.5,1,5/3,3 --no-batchnorm   # four variants a tick

`--ui-cost` measures the UI side on its own, free of the noise of a shared machine: the
app runs in tmux on records replayed from a short real run at the trainer's rate (stats
10/s, progress 2/s, with saturation maps), and the main thread's CPU share is reported
per terminal size: the most the UI can take from the trainer.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from makemore_tui.core.runlog import read_run_log  # noqa: E402

BUDGET = 0.9


def run_end(log: Path) -> dict | None:
    """The run_end record of a one-run log, or None while the run goes on.

    Only the file's tail is read: parsing the whole growing log on every poll cost the
    polling thread up to half a core on long runs and skewed the very speeds measured.
    """
    try:
        with open(log, "rb") as file:
            file.seek(max(0, file.seek(0, 2) - 65536))
            tail = file.read()
    except FileNotFoundError:
        return None
    for line in reversed(tail.split(b"\n")):
        if b'"event":"run_end"' in line:
            return json.loads(line)
    return None


def thread_cpu_seconds(pid: int, tid: int) -> float | None:
    """CPU seconds (user + system) one thread of a process has used, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cli(*flags: str) -> list[str]:
    """The command line of makemore-tui run from this checkout."""
    return [sys.executable, "-m", "makemore_tui", *flags]


def headless(steps: int, extra: list[str], log: Path) -> float:
    """Train headless; return its steps/s."""
    subprocess.run(
        cli("--headless", "--steps", str(steps), "--run-log", str(log), *extra),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return run_end(log)["steps_per_sec"]


def app_in_tmux(steps: int, extra: list[str], log: Path, size: tuple[int, int], timeout: float) -> tuple[float, float]:
    """Train in the app on a tmux pane; return (steps/s, UI thread CPU share during training)."""
    session = f"bench-app-{os.getpid()}-{time.monotonic_ns()}"
    command = " ".join(["exec", *cli("--steps", str(steps), "--run-log", str(log), *extra)])
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]), "-c", str(ROOT), command],
        check=True,
    )
    try:
        pid = int(
            subprocess.check_output(["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"], text=True).split()[0]
        )
        started = cpu_start = None
        latencies: list[float] = []
        deadline = time.monotonic() + timeout
        end = None
        while end is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the app did not finish {steps} steps in {timeout:.0f} s")
            time.sleep(0.2)
            if started is None and log.exists() and any(r.get("event") == "stats" for r in read_run_log(log)):
                started, cpu_start = time.monotonic(), thread_cpu_seconds(pid, pid)
            end = run_end(log)
            if started is not None and not latencies and time.monotonic() - started > 3.0:
                latencies = key_latencies(session)
        wall = time.monotonic() - (started or time.monotonic())
        cpu_end = thread_cpu_seconds(pid, pid)
        share = (cpu_end - cpu_start) / wall if None not in (cpu_start, cpu_end) and wall > 0 else float("nan")
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=False)
        for _ in range(50):  # q must end the app within a second or two
            if subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode:
                break
            time.sleep(0.1)
        if latencies:
            print(
                f"    key → screen while training: median {statistics.median(latencies) * 1000:.0f} ms, max "
                f"{max(latencies) * 1000:.0f} ms ({len(latencies)} presses of m)"
            )
        return end["steps_per_sec"], share
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def key_latencies(session: str, presses: int = 5) -> list[float]:
    """Seconds from sending `m` (next map layer) to its new message on the pane, per press."""
    import re

    latencies, shown = [], None
    for _ in range(presses):
        subprocess.run(["tmux", "send-keys", "-t", session, "m"], check=True)
        sent = time.monotonic()
        while time.monotonic() - sent < 2.0:
            pane = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
            match = re.search(r"map: tanh layer \d+/\d+", pane)
            if match and match.group() != shown:
                shown = match.group()
                latencies.append(time.monotonic() - sent)
                break
        time.sleep(0.3)
    return latencies


def app_in_pilot(steps: int, extra: list[str], log: Path, size: tuple[int, int], timeout: float) -> tuple[float, float]:
    """Train in the app under Textual's Pilot in this process; print per-panel build costs."""
    import asyncio

    from makemore_tui.core.channel import RecordChannel
    from makemore_tui.core.runlog import RunLog
    from makemore_tui.core.trainer import Trainer
    from makemore_tui.data import load_words
    from makemore_tui.tui.app import MakemoreApp
    from makemore_tui.tui.cli import build_parser, config_from_args
    from makemore_tui.tui.feed import LiveFeed

    config = config_from_args(build_parser().parse_args(["--steps", str(steps), *extra]))
    words = load_words(config.data if config.data != "built-in" else None)

    async def drive() -> tuple[float, float, MakemoreApp]:
        with RunLog(log) as run_log:
            channel = RecordChannel()
            trainer = Trainer(config, words, channel=channel, run_log=run_log)
            app = MakemoreApp(LiveFeed(trainer, channel))
            async with app.run_test(size=size) as pilot:
                trainer.start()
                started, cpu_start = time.monotonic(), time.thread_time()
                while run_end(log) is None:
                    if time.monotonic() - started > timeout:
                        raise TimeoutError(f"the app did not finish {steps} steps in {timeout:.0f} s")
                    await pilot.pause(0.2)
                share = (time.thread_time() - cpu_start) / (time.monotonic() - started)
                await pilot.press("q")
            trainer.close(timeout=2.0)
        return run_end(log)["steps_per_sec"], share, app

    speed, share, app = asyncio.run(drive())
    for panel in app.panels:
        if panel.builds:
            print(
                f"    {panel.id:<12} {panel.builds:4d} builds · "
                f"{panel.build_seconds / panel.builds * 1000:6.2f} ms each"
            )
    print(f"    {app.ticks} ticks of the drain timer")
    return speed, share


class FeedTrainer:
    """Stands in for the trainer: replays recorded stats into the channel at a fixed rate."""

    def __init__(self, records: list[dict], channel, stats_per_sec: float):
        import threading

        from makemore_tui.core.config import TrainConfig

        start = next(r for r in records if r.get("event") == "run_start")
        self.config = TrainConfig(**{k: v for k, v in start["config"].items() if k in TrainConfig.__dataclass_fields__})
        self.records = records
        self.channel = channel
        self.interval = 1 / stats_per_sec
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)

    def _feed(self) -> None:
        import numpy as np

        rng = np.random.default_rng(0)
        ticks: list[list[dict]] = []  # a compare's tick holds one stats record per variant
        for record in (r for r in self.records if r.get("event") == "stats"):
            if ticks and ticks[-1][0]["step"] == record["step"]:
                ticks[-1].append(record)
            else:
                ticks.append([record])
        self.channel.put(next(r for r in self.records if r.get("event") == "run_start"))
        step, last_progress = 0, 0.0
        while not self._stop.wait(self.interval):
            for recorded in ticks[step % len(ticks)]:
                record = dict(recorded, step=step * 100)
                # The run log keeps no saturation maps; make ones of the recorded saturation.
                record["_satmap"] = [
                    rng.random((32, self.config.hidden)) < (layer["saturated_pct"] or 0) / 100
                    for layer in record["layers"]
                ]
                self.channel.put(record)
            if time.monotonic() - last_progress >= 0.5:
                last_progress = time.monotonic()
                losses = [r["loss"] for r in ticks[step % len(ticks)]]
                self.channel.put(
                    {"event": "progress", "run": 1, "step": step * 100, "steps_per_sec": 1000.0}
                    | {"loss": losses[0], "losses": losses}
                )
            step += 1

    def start(self) -> None:
        self._thread.start()

    def send(self, command) -> None:
        if type(command).__name__ == "Quit":
            self._stop.set()

    def close(self, timeout: float = 1.0) -> None:
        self._stop.set()


def serve_feed(log: Path, stats_per_sec: float) -> int:
    """Inside the tmux pane of --ui-cost: the app over a FeedTrainer."""
    from makemore_tui.core.channel import RecordChannel
    from makemore_tui.tui.app import run_live

    channel = RecordChannel()
    trainer = FeedTrainer(read_run_log(log), channel, stats_per_sec)
    trainer.start()
    return run_live(trainer, channel)


def ui_cost(sizes: list[tuple[int, int]], seconds: float, stats_per_sec: float, extra: list[str] = ()) -> None:
    """Main-thread CPU share of the app fed at the trainer's rate, per terminal size; `extra` flags make
    the recorded source run (`-- --compare gain=0.5,1,5/3,3 --no-batchnorm`: every tick four variants)."""
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        log = Path(tmp) / "source.jsonl"
        subprocess.run(
            cli("--headless", "--steps", "2000", "--run-log", str(log), *extra),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        for width, height in sizes:
            session = f"bench-ui-{os.getpid()}-{width}x{height}"
            command = " ".join(
                [
                    "exec",
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--serve-feed",
                    str(log),
                    "--rate",
                    str(stats_per_sec),
                ]
            )
            subprocess.run(
                [
                    "tmux",
                    "new-session",
                    "-d",
                    "-s",
                    session,
                    "-x",
                    str(width),
                    "-y",
                    str(height),
                    "-c",
                    str(ROOT),
                    command,
                ],
                check=True,
            )
            try:
                pid = int(
                    subprocess.check_output(
                        ["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"], text=True
                    ).split()[0]
                )
                time.sleep(3.0)  # imports and the first frames
                cpu_start, started = thread_cpu_seconds(pid, pid), time.monotonic()
                time.sleep(seconds)
                share = (thread_cpu_seconds(pid, pid) - cpu_start) / (time.monotonic() - started)
                print(f"  {width}×{height}: UI thread {share * 100:4.1f}% of a core at {stats_per_sec:g} stats/s")
                subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=False)
                time.sleep(1.0)
            finally:
                subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def main() -> int:
    """Measure and print the app/headless ratio; exit 0 (the budget is reported, not asserted)."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=20_000, help="steps per run (default 20000)")
    parser.add_argument("--rounds", type=int, default=2, help="headless+app pairs (default 2)")
    parser.add_argument("--size", default="120x40", help="terminal size WxH for the app (default 120x40)")
    parser.add_argument("--ui", choices=("tmux", "pilot"), default="tmux" if shutil.which("tmux") else "pilot")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one run may take")
    parser.add_argument(
        "--ui-cost", action="store_true", help="measure the UI thread alone, fed recorded stats (needs tmux)"
    )
    parser.add_argument("--rate", type=float, default=10.0, help="--ui-cost: stats records per second (default 10)")
    parser.add_argument("--seconds", type=float, default=15.0, help="--ui-cost: seconds measured per size (default 15)")
    parser.add_argument("--serve-feed", metavar="LOG", help=argparse.SUPPRESS)  # inside the --ui-cost pane
    parser.add_argument("extra", nargs="*", help="makemore-tui flags for both runs, after --")
    args = parser.parse_args()
    if args.serve_feed:
        return serve_feed(Path(args.serve_feed), args.rate)
    if args.ui_cost:
        print(f"bench_app --ui-cost: app fed {args.rate:g} stats/s for {args.seconds:g} s per size, flags {args.extra}")
        ui_cost([(80, 24), (120, 40), (200, 60)], args.seconds, args.rate, args.extra)
        return 0
    size = tuple(int(n) for n in args.size.lower().split("x"))
    measure_app = app_in_tmux if args.ui == "tmux" else app_in_pilot

    print(
        f"bench_app: {args.steps} steps, {args.rounds} round(s), app in {args.ui} at {size[0]}×{size[1]}, "
        f"flags {args.extra or 'none'}, {os.cpu_count()} CPUs"
    )
    ratios, rows = [], []
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        for round_ in range(1, args.rounds + 1):
            head = headless(args.steps, args.extra, Path(tmp) / f"headless-{round_}.jsonl")
            app, share = measure_app(args.steps, args.extra, Path(tmp) / f"app-{round_}.jsonl", size, args.timeout)
            ratios.append(app / head)
            rows.append(
                {
                    "round": round_,
                    "headless_steps_per_sec": head,
                    "app_steps_per_sec": app,
                    "ui_thread_cpu_share": share,
                }
            )
            print(
                f"  round {round_}: headless {head:7.1f} steps/s · app {app:7.1f} steps/s · ratio "
                f"{app / head:.3f} · UI thread {share * 100:4.1f}% of a core"
            )
    ratio = statistics.median(ratios)
    verdict = "meets" if ratio >= BUDGET else "MISSES"
    print(f"app / headless steps/s: {ratio:.3f} (median of {len(ratios)}) — {verdict} the ≥ {BUDGET} budget")
    print(json.dumps({"ratio": ratio, "rounds": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
