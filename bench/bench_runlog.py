"""Run-log size: bytes per stats record of the default net, measured on a real headless run.

    python bench/bench_runlog.py                 # 20,000 steps of the default config
    python bench/bench_runlog.py --steps 200000  # a whole default run

Prints the average and largest stats record, the share taken by histograms, and the whole
log's size with its projection to a full 200,000-step run. Needs only core/ and data/.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from makemore_tui.core.channel import RecordChannel  # noqa: E402
from makemore_tui.core.config import TrainConfig  # noqa: E402
from makemore_tui.core.records import Event  # noqa: E402
from makemore_tui.core.runlog import RunLog  # noqa: E402
from makemore_tui.core.trainer import Trainer  # noqa: E402
from makemore_tui.data import load_words  # noqa: E402

FULL_RUN = 200_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    args = parser.parse_args()
    config = TrainConfig(steps=args.steps)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.jsonl"
        started = time.perf_counter()
        with RunLog(path) as log:
            trainer = Trainer(config, load_words(None), channel=RecordChannel(), run_log=log, exit_when_done=True)
            trainer.start()
            trainer.join()
        seconds = time.perf_counter() - started
        lines = path.read_bytes().splitlines()
    stats = [line for line in lines if json.loads(line)["event"] == Event.STATS]
    sizes = [len(line) + 1 for line in stats]
    hist_bytes = sum(_histogram_bytes(json.loads(line)) for line in stats)
    total = sum(len(line) + 1 for line in lines)
    print(f"bench_runlog: default config, {args.steps:,} steps in {seconds:.0f} s, stats every {config.stats_every}")
    print(f"  stats records: {len(stats):,}, average {sum(sizes) / len(sizes):,.0f} B, largest {max(sizes):,} B")
    print(f"  histograms: {hist_bytes / sum(sizes):.0%} of the stats bytes")
    projected = total * FULL_RUN / args.steps / 1e6
    print(f"  whole log: {total / 1e6:.2f} MB; projected for {FULL_RUN:,} steps: {projected:.1f} MB")
    return 0


def _histogram_bytes(record: dict) -> int:
    entries = [*record["layers"], *record["params"]]
    return sum(
        len(json.dumps(e.get(k), separators=(",", ":"))) for e in entries for k in ("hist", "grad_hist") if k in e
    )


if __name__ == "__main__":
    sys.exit(main())
