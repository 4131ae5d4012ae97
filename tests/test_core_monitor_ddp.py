"""Monitor under torchrun (issue 18 item 5): 2 CPU processes on gloo leave one whole log, written by rank 0;
stop from rank 0's viewer reaches every rank at the next stats step; pause is refused there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from makemore_tui.core.records import problem
from makemore_tui.core.runlog import load_run_log

ROOT = Path(__file__).resolve().parents[1]
dist = pytest.importorskip("torch.distributed")
pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs gloo")


def test_two_ranks_leave_one_whole_log_and_stop_reaches_both(tmp_path):
    log = tmp_path / "ddp.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            str(ROOT / "tests" / "monitor_ddp_script.py"),
            str(log),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # the script is run by path: this checkout's package
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    records, skipped = load_run_log(log)
    assert skipped == 0 and all(problem(r) is None for r in records)
    assert [r["event"] for r in records].count("run_start") == 1 and records[-1]["event"] == "run_end"
    assert records[0]["source"]["world_size"] == 2 and records[-1]["reason"] == "stopped"
    assert [r["step"] for r in records if r["event"] == "stats"] == [0, 5, 10]
    # stop asked at step 7 on rank 0 reached both at the next stats step (10)
    assert (tmp_path / "ddp.jsonl.rank0").read_text() == "10" == (tmp_path / "ddp.jsonl.rank1").read_text()
