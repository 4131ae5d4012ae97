"""The run log's writer side (issue 9, items 6-7): one process per log, and only run logs appended to."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from makemore_tui.core.runlog import RunLog, RunLogError, read_run_log
from makemore_tui.tui.cli import main
from tests.test_faults import start_headless, wait_for_stats

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--headless", "--steps", "3", "--hidden", "8", "--depth", "1"]


def quick_run(log: Path) -> subprocess.CompletedProcess:
    """A short real `makemore-tui --headless` process writing to `log`."""
    return subprocess.run(
        [sys.executable, "-m", "makemore_tui", *QUICK, "--run-log", str(log)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# ---- item 6: two processes never share a log ----------------------------------------------------


def test_a_second_process_is_refused_naming_the_holder_and_a_killed_holder_blocks_nothing(tmp_path):
    log = tmp_path / "run.jsonl"
    first = start_headless(log)
    try:
        wait_for_stats(log, first)
        second = quick_run(log)
        assert second.returncode == 2, second.stderr
        assert second.stderr.count("\n") == 1 and f"in use by another process (PID {first.pid})" in second.stderr
        assert first.poll() is None  # the holder trains on
    finally:
        first.kill()  # kill -9: no chance to unlock; the kernel drops the flock with the process
        first.wait(timeout=10)
    assert len([r for r in read_run_log(log) if r["event"] == "run_start"]) == 1  # the second wrote nothing
    third = quick_run(log)
    assert third.returncode == 0, third.stderr
    assert len([r for r in read_run_log(log) if r["event"] == "run_start"]) == 2


def test_a_second_open_in_one_process_is_refused_too(tmp_path):
    path = tmp_path / "run.jsonl"
    with RunLog(path):
        with pytest.raises(RunLogError, match=f"PID {os.getpid()}"):
            RunLog(path)
    RunLog(path).close()  # closing released it


def test_dev_null_is_a_stream_without_lock_or_check():
    with RunLog(os.devnull) as a, RunLog(os.devnull) as b:
        a.write({"event": "run_start", "run": 1})
        b.write({"event": "run_start", "run": 1})


def test_a_fifo_nobody_reads_is_refused_at_once(tmp_path):
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(_open_error(fifo)), daemon=True)
    thread.start()
    thread.join(30)  # a hang guard: the refusal is immediate
    assert not thread.is_alive(), "opening a FIFO with no reader hung"
    assert "FIFO that no process reads" in outcome[0]


def _open_error(path: Path) -> str:
    try:
        RunLog(path).close()
    except RunLogError as error:
        return str(error)
    return ""


# ---- item 7: only run logs are appended to ------------------------------------------------------

NOT_RUN_LOGS = {
    "notes": b"my notes\nbuy milk\n",
    "one line, no newline": b"todo",
    "blank line": b"\n",
    "json, not a run start": b'{"event":"stats","run":1}\n',
    "json array": b'[{"event":"run_start"}]\n',
    "torn run start": b'{"event":"run_start","run":1,"con',
    "binary": b"\x00\x01\x02\xff\xfe",
}


@pytest.mark.parametrize("kind", sorted(NOT_RUN_LOGS))
def test_a_file_that_is_not_a_run_log_is_refused_and_left_byte_for_byte(kind, tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_bytes(NOT_RUN_LOGS[kind])
    before = os.stat(path)
    assert main([*QUICK, "--run-log", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a run log" in err and "left untouched" in err
    assert path.read_bytes() == NOT_RUN_LOGS[kind]
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


@pytest.mark.parametrize("content", [None, b""], ids=["new", "empty"])
def test_a_new_or_empty_file_becomes_a_run_log(content, tmp_path):
    path = tmp_path / "fresh.jsonl"
    if content is not None:
        path.write_bytes(content)
    assert main([*QUICK, "--run-log", str(path)]) == 0
    assert read_run_log(path)[0]["event"] == "run_start"


def test_an_existing_run_log_is_appended_to(tmp_path):
    path = tmp_path / "run.jsonl"
    assert main([*QUICK, "--run-log", str(path)]) == 0
    first = path.read_bytes()
    assert main([*QUICK, "--run-log", str(path)]) == 0
    assert path.read_bytes().startswith(first) and len(path.read_bytes()) > len(first)
    assert [r["event"] for r in read_run_log(path)].count("run_start") == 2
