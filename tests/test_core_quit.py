"""A quit's way out in core: the final eval cut to the quit's deadline, run_end saying what it skipped, and a
run log sealed from another thread still ending whole with run_end."""

from __future__ import annotations

import threading
import time

import pytest

from makemore_tui.core import commands as cmd
from makemore_tui.core import trainer as trainer_module
from makemore_tui.core.evaluate import EVAL_CHUNK, PACE_AFTER, EvalBudget, EvalTimeout
from makemore_tui.core.records import problem
from makemore_tui.core.runlog import RunLog, read_run_log
from makemore_tui.core.sealing import SealableLog
from tests.test_core_trainer import TINY, start, wait_for

LONG = TINY.replace(steps=1_000_000)


def quit_after_first_stats(words, quit_command: cmd.Quit, run_log=None) -> list[dict]:
    """Start a long run, quit it once it has statistics, return every record it emitted."""
    trainer, channel, seen = start(LONG, words, run_log=run_log)
    wait_for(channel, seen, lambda r: r["event"] == "stats")
    trainer.send(quit_command)
    assert trainer.join(30), "the trainer did not end after Quit"
    return seen + channel.drain()


def after_last_stats(records: list[dict]) -> list[str]:
    last = max(i for i, r in enumerate(records) if r["event"] == "stats")
    return [r["event"] for r in records[last + 1 :] if r["event"] != "progress"]


def test_a_quit_whose_deadline_has_passed_ends_with_run_end_naming_the_skipped_eval_and_samples(small_words):
    records = quit_after_first_stats(small_words, cmd.Quit(deadline=time.monotonic()))
    end = records[-1]
    assert end["event"] == "run_end" and end["reason"] == "stopped"
    assert end["skipped"] == ["eval", "samples"] and problem(end) is None
    assert after_last_stats(records) == ["run_end"]


def test_a_quit_with_time_left_keeps_its_final_eval_and_samples(small_words):
    records = quit_after_first_stats(small_words, cmd.Quit(deadline=time.monotonic() + 60))
    assert after_last_stats(records) == ["eval", "samples", "run_end"]
    assert "skipped" not in records[-1]


def test_a_quit_without_a_deadline_gets_quit_seconds_from_its_arrival(small_words, monkeypatch):
    monkeypatch.setattr(trainer_module, "QUIT_SECONDS", 0.0)
    records = quit_after_first_stats(small_words, cmd.Quit())
    assert records[-1]["skipped"] == ["eval", "samples"]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_eval_budget_gives_up_as_soon_as_the_pace_says_the_rest_cannot_fit():
    clock = Clock()
    budget = EvalBudget(deadline=10.0, examples=100 * EVAL_CHUNK, clock=clock)
    clock.now = 2.0
    budget.spend(PACE_AFTER - EVAL_CHUNK)
    budget.check()  # 3 chunks in 2 s would not fit, but three are too few to judge the pace by (warm-up)
    budget.spend(EVAL_CHUNK)
    clock.now = 2.1
    with pytest.raises(EvalTimeout):
        budget.check()  # 4 chunks in 2.1 s: the other 96 would end near 50 s, past 10 s, so stop now


def test_an_eval_budget_that_fits_runs_to_its_deadline_and_no_further():
    clock = Clock()
    budget = EvalBudget(deadline=10.0, examples=100 * EVAL_CHUNK, clock=clock)
    for chunk in range(99):
        clock.now = 0.05 * (chunk + 1)  # 5 s in all: it fits
        budget.check()
        budget.spend(EVAL_CHUNK)
    clock.now = 10.0
    with pytest.raises(EvalTimeout):
        budget.check()


def open_run(path) -> SealableLog:
    log = SealableLog(RunLog(path))
    log.write({"event": "run_start", "run": 1, "config": {}, "variants": [], "device": "cpu"})
    log.write({"event": "stats", "run": 1, "variant": 0, "step": 41, "layers": [], "params": []})
    log.write({"event": "progress", "run": 1, "step": 50})
    return log


def test_sealing_ends_the_open_run_with_run_end_and_refuses_every_later_write(tmp_path):
    log = open_run(tmp_path / "run.jsonl")
    assert log.run_open and log.seal()
    end = read_run_log(tmp_path / "run.jsonl")[-1]
    assert (end["event"], end["run"], end["step"], end["reason"]) == ("run_end", 1, 50, "stopped")
    assert end["skipped"] == ["eval", "samples"] and "message" in end and problem(end) is None
    with pytest.raises(ValueError):
        log.write({"event": "eval", "run": 1, "step": 50, "train": 2.0, "val": 2.1})
    assert read_run_log(tmp_path / "run.jsonl")[-1] == end


def test_sealing_a_log_whose_runs_all_ended_adds_nothing(tmp_path):
    log = open_run(tmp_path / "run.jsonl")
    log.write({"event": "run_end", "run": 1, "step": 60, "reason": "stopped"})
    assert not log.run_open
    log.close()
    assert [r["event"] for r in read_run_log(tmp_path / "run.jsonl")][-2:] == ["progress", "run_end"]


class BlockedLog:
    """A run log whose write never returns until released (a FIFO nobody reads)."""

    path = "blocked.jsonl"
    last_run = 0  # a new log (RunLog.last_run)

    def __init__(self):
        self.release = threading.Event()
        self.written: list[dict] = []

    def write(self, record: dict) -> None:
        self.release.wait()
        self.written.append(record)

    def close(self) -> None:
        pass


def test_seal_gives_up_in_time_when_a_write_holds_the_log():
    blocked = BlockedLog()
    log = SealableLog(blocked)
    writer = threading.Thread(target=log.write, args=({"event": "run_start", "run": 1},), daemon=True)
    writer.start()
    time.sleep(0.05)
    assert log.seal(timeout=0.1) is False and not log.sealed
    blocked.release.set()
    writer.join(5)
    assert log.seal() and log.sealed and blocked.written[-1]["event"] == "run_end"
    with pytest.raises(ValueError):  # refused by the seal itself, whatever the log underneath would take
        log.write({"event": "progress", "run": 1, "step": 1})
    assert blocked.written[-1]["event"] == "run_end"


def test_a_trainer_whose_log_was_sealed_goes_on_and_its_later_records_stay_out(tmp_path, small_words):
    log = SealableLog(RunLog(tmp_path / "run.jsonl"))
    trainer, channel, seen = start(LONG, small_words, run_log=log)
    wait_for(channel, seen, lambda r: r["event"] == "stats")
    assert log.seal()
    trainer.send(cmd.Quit(deadline=time.monotonic() + 60))
    assert trainer.join(30)
    records = seen + channel.drain()
    assert [r["event"] for r in records if r["event"] == "log_error"] == ["log_error"]  # said once, on screen
    assert [r["event"] for r in records][-3:] == ["eval", "samples", "run_end"]  # the viewer still gets them
    logged = read_run_log(tmp_path / "run.jsonl")
    assert logged[-1]["event"] == "run_end" and logged[-1]["skipped"] == ["eval", "samples"]  # the seal's
