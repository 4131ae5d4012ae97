"""The run log after a fault (issue 19 items 1, 5 and 8): a torn last line, runs appended by later
processes, a full disk at start, a path that cannot be a log, and paths holding escape characters."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from makemore_tui.core import runlog
from makemore_tui.core.runlog import RunLog, RunLogError, load_run_log
from makemore_tui.plot.series import split_runs
from makemore_tui.tui.cli import main
from makemore_tui.tui.replay import ReplayFeed
from tests.test_runlog import QUICK

ESC_NAME = "bad\x1b]0;pwned\x07name"  # an xterm title sequence: raw, it would retitle the terminal


def test_a_torn_last_line_does_not_swallow_the_next_run(tmp_path):
    path = tmp_path / "run.jsonl"
    assert main([*QUICK, "--run-log", str(path)]) == 0
    whole = path.read_bytes()
    path.write_bytes(whole[:-40])  # the run_end cut mid-line, as a kill -9 or a full disk leaves it
    assert main([*QUICK, "--run-log", str(path)]) == 0
    records, skipped = load_run_log(path)
    assert skipped == 1  # only the torn line; the next run's run_start starts a line of its own
    starts = [r for r in records if r["event"] == "run_start"]
    assert [r["run"] for r in starts] == [1, 2]  # the second process numbers its run after the log's last
    runs = split_runs(records)
    assert [run.number for run in runs] == [1, 2]
    assert not [r for r in runs[0].records if r["event"] == "run_end"]  # the killed run shows no end
    assert [r["reason"] for r in runs[1].records if r["event"] == "run_end"] == ["finished"]
    assert ReplayFeed(records).run_count == 2


def test_later_processes_number_their_runs_after_the_log_s_last(tmp_path):
    path = tmp_path / "run.jsonl"
    for _ in range(3):
        assert main([*QUICK, "--run-log", str(path)]) == 0
    records = load_run_log(path)[0]
    assert [r["run"] for r in records if r["event"] == "run_start"] == [1, 2, 3]
    assert {r["run"] for r in records if r["event"] == "stats"} == {1, 2, 3}


@pytest.mark.parametrize("chunk", [3, 17, 1 << 16])
def test_the_last_run_is_found_reading_back_from_the_end(chunk, tmp_path, monkeypatch):
    monkeypatch.setattr(runlog, "TAIL_CHUNK", chunk)
    path = tmp_path / "run.jsonl"
    path.write_bytes(
        b'{"event":"run_start","run":4}\n{"event":"stats","run":7,"step":0}\n'
        b'{"event":"stats","run":7,"step":10}\n{"event":"stats","run":7,"st'  # torn: passed over
    )
    with RunLog(path) as log:
        assert log.last_run == 7
    assert path.read_bytes().endswith(b'"st\n')  # the torn line was ended before anything else is written
    with RunLog(path) as log:
        assert log.last_run == 7  # nothing written: the same answer


def test_a_full_device_is_refused_at_start(capsys):
    assert main([*QUICK, "--run-log", "/dev/full"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the disk is full" in err and "/dev/full" in err


def test_a_full_disk_is_refused_at_start_and_the_log_left_empty(tmp_path, monkeypatch, capsys):
    full = SimpleNamespace(f_bavail=0, f_bfree=0, f_frsize=4096)
    monkeypatch.setattr(runlog.os, "fstatvfs", lambda fd: full)
    path = tmp_path / "run.jsonl"
    assert main([*QUICK, "--run-log", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the disk is full (0 bytes free)" in err
    assert path.read_bytes() == b""


def test_a_run_log_under_a_file_says_the_file_is_not_a_folder(tmp_path, capsys):
    (tmp_path / "notes").write_text("not a folder\n")
    assert main([*QUICK, "--run-log", str(tmp_path / "notes" / "deeper" / "run.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path / 'notes'} is a file, not a folder" in err
    assert "File exists" not in err and "Not a directory" not in err


@pytest.mark.parametrize("where", ["parent", "log"])
def test_escape_characters_in_a_run_log_path_never_reach_the_terminal(where, tmp_path, capsys):
    if where == "parent":  # refused: the message names the path
        (tmp_path / ESC_NAME).write_text("a file\n")
        path = tmp_path / ESC_NAME / "run.jsonl"
    else:  # trained: the banner names it
        path = tmp_path / f"{ESC_NAME}.jsonl"
    assert main([*QUICK, "--run-log", str(path)]) == (2 if where == "parent" else 0)
    out, err = capsys.readouterr()
    assert "\\x1b]0;pwned\\x07name" in out + err
    assert "\x1b" not in out + err and "\x07" not in out + err


def test_a_short_write_ends_in_the_full_disk_s_error(tmp_path, monkeypatch):
    path = tmp_path / "run.jsonl"
    with RunLog(path) as log:
        writes = iter([5, 0])
        monkeypatch.setattr(runlog.os, "write", lambda fd, data: next(writes))
        with pytest.raises(OSError) as info:
            log.write({"event": "stats", "run": 1, "step": 0})
    assert info.value.errno == errno.ENOSPC and not isinstance(info.value, RunLogError)
    assert os.path.getsize(path) == 0  # the fake wrote nothing


def _fill_disk_after(monkeypatch, records: int) -> None:
    """The disk fills up after `records` records: the next write is cut short, and every later one fails."""
    real = runlog._write_all
    count = iter(range(10**9))

    def write_all(fd, data):
        n = next(count)
        if n == records:
            real(fd, data[: len(data) // 2])  # half a line reaches the disk
        if n >= records:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd, data)

    monkeypatch.setattr(runlog, "_write_all", write_all)


MID_RUN = ["--headless", "--steps", "300", "--hidden", "8", "--depth", "1", "--stats-every", "10"]


def test_a_disk_filling_up_mid_run_keeps_training_and_exits_4(tmp_path, monkeypatch, capsys):
    _fill_disk_after(monkeypatch, 12)
    path = tmp_path / "run.jsonl"
    assert main([*MID_RUN, "--run-log", str(path)]) == 4  # ExitCode.LOG_INCOMPLETE
    out, err = capsys.readouterr()
    assert "run 1 finished after 300 steps" in out  # training went on to the end
    assert "run log stopped" not in out  # the warning is on stderr, not among the tables
    warning, end = err.splitlines()[-2:]
    records, skipped = load_run_log(path)
    assert len(records) == 12 and skipped == 1  # every whole record before the full disk, then the torn one
    lost = records[-1]["step"]
    assert warning.startswith("makemore-tui: warning: the run log stopped at step ") and "training goes on" in warning
    assert end.startswith(f"makemore-tui: the run log {path} is incomplete: it stopped at step ")
    assert end.endswith("of run 1 (No space left on device)")
    assert int(end.split("at step ")[1].split()[0].replace(",", "")) >= lost


def test_an_incomplete_log_wins_over_a_diverged_run(tmp_path, monkeypatch, capsys):
    _fill_disk_after(monkeypatch, 2)  # run_start and step 0's stats are written; step 10's is lost
    path = tmp_path / "run.jsonl"
    assert main([*MID_RUN, "--lr", "1e6", "--run-log", str(path)]) == 4
    out, err = capsys.readouterr()
    assert "run 1 diverged" in out and "is incomplete" in err


def test_every_exit_code_is_listed_in_help_and_readme():
    from makemore_tui.core.records import ExitCode
    from makemore_tui.tui.args import build_parser

    epilog = build_parser().epilog.split("exit codes:")[1]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text().split("exit codes are")[1][:400]
    for code in ExitCode:
        assert f"{code.value} " in epilog and f"{code.value} " in readme, code
    assert "4 finished (or diverged), but the run log is incomplete" in epilog


def test_the_app_s_quit_line_says_the_log_is_incomplete(tmp_path, monkeypatch, capsys):
    from makemore_tui.core.sealing import SealableLog
    from makemore_tui.tui import cli

    _fill_disk_after(monkeypatch, 1)
    with SealableLog(RunLog(tmp_path / "run.jsonl")) as log:
        log.write({"event": "run_start", "run": 1, "config": {}})
        with pytest.raises(OSError):
            log.write({"event": "stats", "run": 1, "step": 700})
    cli._say_where(log)
    assert cli._log_verdict(log, 0) == 4 and cli._log_verdict(log, 130) == 130
    out, err = capsys.readouterr()
    assert "run log: " in out and "(incomplete: it stopped at step 700 of run 1" in out
    assert err.count("is incomplete: it stopped at step 700 of run 1") == 2
