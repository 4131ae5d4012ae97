"""Shared fixtures: word lists and a helper that runs the trainer to its end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from makemore_tui.core.channel import RecordChannel
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.trainer import Trainer
from makemore_tui.data import load_words

# One intra-op thread, as the trainer uses: two OpenMP threads on a busy 2-core machine
# spin against each other and made one test take 110 s instead of 6.
torch.set_num_threads(1)

LECTURE_NAMES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "names.txt"


@pytest.fixture(scope="session")
def builtin_words() -> list[str]:
    """The project's own built-in names."""
    return load_words(None)


@pytest.fixture(scope="session")
def small_words(builtin_words) -> list[str]:
    """A few hundred names: enough for every split, quick to build."""
    return builtin_words[:400]


@pytest.fixture(scope="session")
def lecture_words() -> list[str]:
    """The lecture's original names.txt from ../shared (never copied into the project)."""
    if not LECTURE_NAMES.is_file():
        pytest.skip(f"the lecture's names.txt is not at {LECTURE_NAMES}")
    return load_words(LECTURE_NAMES)


OLD_TOP_LEVEL_NAMES = ("core", "data", "tui", "plot")  # before makemore_tui (DESIGN §10): never imported again


def pytest_sessionfinish(session, exitstatus):
    """Fail the session if anything imported the old top-level names (pytest's pythonpath would let it)."""
    stray = sorted(name for name in sys.modules if name.split(".")[0] in OLD_TOP_LEVEL_NAMES)
    if stray:
        print(f"\nimported under an old top-level name, not makemore_tui: {', '.join(stray)}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def run_to_end(config: TrainConfig, words: list[str], run_log=None, timeout: float = 120.0) -> list[dict]:
    """Train one run headless-style and return every record, in order (nothing dropped)."""
    channel = RecordChannel(maxsize=10**9)
    trainer = Trainer(config, words, channel=channel, run_log=run_log, exit_when_done=True)
    trainer.start()
    assert trainer.join(timeout), "the trainer did not finish in time"
    return channel.drain()


def events(records: list[dict], name: str) -> list[dict]:
    """The records of one event type."""
    return [r for r in records if r["event"] == name]
