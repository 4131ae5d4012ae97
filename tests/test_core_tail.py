"""core/tail.py: following a run log another process writes (issue 18, `replay --follow`), no Textual."""

from __future__ import annotations

import json
import os

import pytest

from makemore_tui.core.runlog import RunLog
from makemore_tui.core.tail import LogTailer, TailError

START = {"event": "run_start", "run": 1, "config": {}, "device": "cpu"}


def stats(step: int) -> dict:
    return {"event": "stats", "run": 1, "step": step, "loss": 3.0, "layers": [], "params": []}


END = {"event": "run_end", "run": 1, "step": 2, "reason": "finished"}


def line(record: dict) -> bytes:
    return (json.dumps(record) + "\n").encode()


def append(path, data: bytes) -> None:
    with open(path, "ab") as file:
        file.write(data)


def test_reads_what_was_appended_by_offset_and_holds_a_partial_line_until_whole(tmp_path):
    path = tmp_path / "run.jsonl"
    append(path, line(START) + line(stats(0)))
    tailer = LogTailer(path)
    assert [r["event"] for r in tailer.poll().records] == ["run_start", "stats"]
    assert tailer.poll().records == []  # nothing new: nothing read twice
    whole = line(stats(1))
    append(path, whole[:10])  # the writer is mid-write
    assert tailer.poll().records == []
    append(path, whole[10:] + line(stats(2))[:-1])
    tail = tailer.poll()
    assert [r["step"] for r in tail.records] == [1]  # the second line has no newline yet
    append(path, b"\n")
    assert [r["step"] for r in tailer.poll().records] == [2]


def test_lines_that_are_not_records_are_skipped_and_counted(tmp_path):
    path = tmp_path / "run.jsonl"
    bad_type = {"event": "stats", "run": 1, "step": "three"}
    append(path, line(START) + b"{torn\n" + line(bad_type) + b"\n" + line(stats(0)))
    tail = LogTailer(path).poll()
    assert [r["event"] for r in tail.records] == ["run_start", "stats"] and tail.skipped == 2


def test_a_log_that_does_not_exist_yet_is_waited_for_saying_so_once(tmp_path):
    path = tmp_path / "later.jsonl"
    tailer = LogTailer(path)
    first = tailer.poll()
    assert first.records == [] and len(first.notes) == 1 and "waiting for" in first.notes[0]
    assert tailer.poll().notes == []  # said once
    append(path, line(START))
    tail = tailer.poll()
    assert [r["event"] for r in tail.records] == ["run_start"] and "appeared" in tail.notes[0]


def test_a_truncated_log_is_said_and_read_again_from_its_start(tmp_path):
    path = tmp_path / "run.jsonl"
    append(path, line(START) + line(stats(0)) + line(stats(1)))
    tailer = LogTailer(path)
    tailer.poll()
    with open(path, "wb") as file:  # truncated in place: same inode, shorter
        file.write(line(START))
    tail = tailer.poll()
    assert tail.reset and "truncated" in tail.notes[0]
    assert [r["event"] for r in tail.records] == ["run_start"]


def test_a_replaced_log_is_said_and_the_new_file_followed_from_its_start(tmp_path):
    path = tmp_path / "run.jsonl"
    append(path, line(START) + line(stats(0)) + line(stats(1)) + line(stats(2)))
    tailer = LogTailer(path)
    tailer.poll()
    other = tmp_path / "new.jsonl"
    append(other, line(START) + line(stats(0)) + line(stats(1)) + line(stats(2)) + line(stats(3)))  # longer
    os.replace(other, path)  # a new inode at the path (a new run written elsewhere and moved in)
    tail = tailer.poll()
    assert tail.reset and "replaced" in tail.notes[0]
    assert [r.get("step") for r in tail.records] == [None, 0, 1, 2, 3]


def test_a_writer_that_died_with_its_run_open_is_said_once_and_a_finished_one_is_not(tmp_path, monkeypatch):
    monkeypatch.setattr("makemore_tui.core.tail.WRITER_CHECK_SECONDS", 0.0)
    path = tmp_path / "run.jsonl"
    log = RunLog(path)  # holds the flock, as a writer does
    log.write(START)
    log.write(stats(0))
    tailer = LogTailer(path)
    tailer.poll()
    assert tailer.poll().notes == [] and not tailer.writer_gone  # idle, but the writer holds the lock
    log.close()  # the writer is gone (a kill -9 releases the lock the same way) with no run_end
    tail = tailer.poll()
    assert tailer.writer_gone and "without a run_end" in tail.notes[0]
    assert tailer.poll().notes == []  # said once
    finished = tmp_path / "done.jsonl"
    with RunLog(finished) as log:
        for record in (START, stats(0), END):
            log.write(record)
    done = LogTailer(finished)
    done.poll()
    assert done.poll().notes == [] and not done.writer_gone


def test_a_path_that_is_not_a_regular_file_is_refused_in_one_line(tmp_path):
    with pytest.raises(TailError, match="not a regular file"):
        LogTailer(tmp_path).poll()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(TailError, match="not a regular file"):
        LogTailer(fifo).poll()
