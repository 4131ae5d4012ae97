"""Nothing lost, nothing hangs: signals, kill -9, odd alphabets, huge files, random configs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from makemore_tui.core.config import ConfigError, TrainConfig, parse_gain
from makemore_tui.core.runlog import read_run_log
from makemore_tui.data import load_words, make_splits
from makemore_tui.tui.cli import main
from tests.conftest import events, run_to_end

ROOT = Path(__file__).resolve().parents[1]


def start_headless(log: Path, *flags: str) -> subprocess.Popen:
    """A real `makemore-tui --headless` process with a long run."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "makemore_tui",
            "--headless",
            "--steps",
            "1000000",
            "--hidden",
            "32",
            "--run-log",
            str(log),
            *flags,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_stats(log: Path, process: subprocess.Popen, count: int = 2, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        if log.exists() and log.read_text().count('"event":"stats"') >= count:
            return
        time.sleep(0.1)
    raise AssertionError("no statistics were written in time")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_headless_stops_on_signals_and_closes_the_log(tmp_path, sig):
    log = tmp_path / "run.jsonl"
    process = start_headless(log)
    wait_for_stats(log, process)
    process.send_signal(sig)
    code = process.wait(timeout=10)
    assert code == 130, process.stderr.read()
    assert "Traceback" not in process.stderr.read()
    records = read_run_log(log)
    assert records[-1]["event"] == "run_end" and records[-1]["reason"] == "stopped"
    assert {"eval", "samples"} <= {r["event"] for r in records[-3:]}


def test_kill_9_leaves_every_line_but_the_last_whole(tmp_path):
    log = tmp_path / "run.jsonl"
    process = start_headless(log, "--stats-every", "1")
    wait_for_stats(log, process, count=50)
    process.kill()
    process.wait(timeout=10)
    lines = log.read_bytes().split(b"\n")
    whole = [line for line in lines[:-1]]  # the text after the last newline may be torn
    assert all(json.loads(line) for line in whole)
    assert len(read_run_log(log)) == len(whole)


def test_error_inside_the_trainer_ends_headless_with_exit_1(tmp_path, small_words, monkeypatch, capsys):
    from makemore_tui.core.engines import lockstep

    def broken(self, *args, **kwargs):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(lockstep.LockstepEngine, "step", broken)
    words = tmp_path / "w.txt"
    words.write_text("\n".join(small_words))
    log = tmp_path / "run.jsonl"
    assert main(["--headless", "--data", str(words), "--steps", "50", "--run-log", str(log)]) == 1
    assert "injected fault" in capsys.readouterr().out
    end = read_run_log(log)[-1]
    assert end["event"] == "run_end" and end["reason"] == "error" and "injected fault" in end["message"]


def test_diverging_headless_run_exits_3_without_a_traceback(tmp_path, small_words, capsys):
    words = tmp_path / "w.txt"
    words.write_text("\n".join(small_words))
    code = main(
        [
            "--headless",
            "--data",
            str(words),
            "--lr",
            "1000",
            "--steps",
            "3000",
            "--hidden",
            "32",
            "--run-log",
            str(tmp_path / "r.jsonl"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 3 and "diverged" in captured.out and "Traceback" not in captured.out + captured.err


ALPHABETS = {
    "accents": [
        "élodie",
        "josé",
        "zoë",
        "françois",
        "anaïs",
        "mélanie",
        "noël",
        "chloé",
        "inès",
        "léa",
        "renée",
        "andré",
    ],
    "greek": [
        "αλέξανδρος",
        "ελένη",
        "γιώργος",
        "μαρία",
        "νίκος",
        "σοφία",
        "δημήτρης",
        "κατερίνα",
        "ιωάννης",
        "άννα",
        "πέτρος",
        "χριστίνα",
    ],
    "cyrillic": [
        "александр",
        "мария",
        "дмитрий",
        "анна",
        "сергей",
        "елена",
        "иван",
        "ольга",
        "никита",
        "татьяна",
        "павел",
        "юлия",
    ],
}


@pytest.mark.parametrize("alphabet", sorted(ALPHABETS))
def test_unicode_crlf_words_train_and_samples_stay_in_their_alphabet(tmp_path, alphabet):
    path = tmp_path / f"{alphabet}.txt"
    path.write_bytes(("\r\n".join(ALPHABETS[alphabet] * 5) + "\r\n").encode("utf-8"))
    words = load_words(path)
    records = run_to_end(TrainConfig(steps=200, hidden=16, depth=2, stats_every=100, device="cpu"), words)
    assert records[-1]["reason"] == "finished"
    letters = set("".join(ALPHABETS[alphabet]))
    names = [n for s in events(records, "samples") for n in s["names"]]
    assert names and all(set(name) <= letters for name in names)
    assert set(records[0]["vocab"]) == letters | {"."}


def test_a_300_character_word_and_a_million_lines(tmp_path):
    long_word = "abcdefghij" * 30
    path = tmp_path / "big.txt"
    path.write_text("\n".join(["anna", "bob", "carla", long_word] * 250_000) + "\n")
    words = load_words(path)
    assert len(words) == 1_000_000 and long_word in words
    splits = make_splits(words, 3)
    assert splits.train[0].shape[0] > 0 and splits.train[0].shape[1] == 3
    assert splits.train[0].shape[0] + splits.val[0].shape[0] + splits.test[0].shape[0] == sum(len(w) + 1 for w in words)


config_values = st.one_of(
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
)


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(
        [
            "steps",
            "embd",
            "hidden",
            "depth",
            "block_size",
            "batch_size",
            "stats_every",
            "eval_every",
            "lr",
            "gain",
            "seed",
            "lr_decay_step",
            "device",
            "engine",
            "hist_bins",
        ]
    ),
    value=config_values,
)
@example(field="steps", value=-5)
@example(field="steps", value=0)
@example(field="device", value="tpu")
@example(field="engine", value="turbo")
@example(field="lr", value=0.0)
@example(field="gain", value=float("inf"))
@example(field="batch_size", value=1)
@example(field="hist_bins", value=1001)
@example(field="embd", value=True)
@example(field="eval_every", value=None)
def test_config_validation_accepts_or_says_why(field, value):
    valid = _valid_by_the_rules(field, value)
    try:
        config = TrainConfig(**{field: value}).validate()
    except ConfigError as error:
        assert not valid, f"{field}={value!r} is valid but was refused: {error}"
        assert "\n" not in str(error) and str(error)
    else:
        assert valid, f"{field}={value!r} was accepted"
        assert getattr(config, field) == value


def _valid_by_the_rules(field: str, value) -> bool:
    """The config rules of DESIGN §6 written out independently of TrainConfig.validate."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    if field in ("eval_every", "lr_decay_step") and value is None:
        return True
    minimum = {"steps": 1, "embd": 1, "hidden": 1, "depth": 1, "block_size": 1, "stats_every": 1, "eval_every": 1}
    minimum |= {"lr_decay_step": 0, "seed": 0, "hist_bins": 2, "batch_size": 2}  # batch 2: BatchNorm is on
    if field in minimum:
        return whole and value >= minimum[field] and (field != "hist_bins" or value <= 1000)
    if field in ("lr", "gain"):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and 0 < value < float("inf")
    return value in {"device": ("auto", "cpu", "cuda"), "engine": ("auto", "lecture", "fused")}[field]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_gain_parsing_accepts_positive_numbers_and_fractions_only(text):
    try:
        gain = parse_gain(text)
    except ConfigError as error:
        assert "\n" not in str(error)
    else:
        assert gain > 0 and gain != float("inf")


def test_out_of_gpu_memory_is_one_line_and_exit_2(tmp_path, small_words, monkeypatch, capsys):
    import torch

    from makemore_tui.core import trainer

    def no_memory(self, state):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 80.00 GiB\nmore details")

    monkeypatch.setattr(trainer.Trainer, "_setup", no_memory)
    words = tmp_path / "w.txt"
    words.write_text("\n".join(small_words))
    assert main(["--headless", "--data", str(words), "--steps", "5", "--run-log", str(tmp_path / "r.jsonl")]) == 2
    out = capsys.readouterr().out
    assert "out of GPU memory (CUDA out of memory. Tried to allocate 80.00 GiB)" in out and "--batch-size" in out
