"""What the app needs of its terminal, and ASCII output elsewhere (issue 19 items 3, 4 and 8): no terminal or
a non-UTF-8 one is refused in one line naming --headless; headless, plot and messages on an ASCII or Latin-1
stdout keep every line; paths holding escape characters never reach the terminal raw."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from makemore_tui.core.runlog import read_run_log
from makemore_tui.tui.terminal import ascii_mark

ROOT = Path(__file__).resolve().parents[1]
SHORT = ["--steps", "30", "--hidden", "8", "--depth", "2", "--stats-every", "10"]
ESC_NAME = "bad\x1b]0;pwned\x07name"


def run(argv: list[str], env: dict | None = None, **streams) -> subprocess.CompletedProcess:
    """`python -m makemore_tui ARGV` with the given stdin/stdout/stderr; bytes out, for the encoding tests."""
    environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "PYTHONIOENCODING")}
    return subprocess.run(
        [sys.executable, "-m", "makemore_tui", *argv],
        cwd=ROOT,
        env=environment | (env or {}),
        timeout=120,
        **({"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE} | streams),
    )


def run_on_a_pty(argv: list[str], env: dict | None = None) -> tuple[int, bytes]:
    """stdin and stderr on a pseudo-terminal, stdout piped; (exit code, what the terminal got)."""
    leader, follower = pty.openpty()
    try:
        result = run(argv, env, stdin=follower, stderr=follower)
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the terminal's other side closed, everything is read
                break
            if not chunk:
                break
            shown += chunk
        return result.returncode, shown + result.stdout
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)


def one_line(text: bytes) -> str:
    lines = text.decode("utf-8", "replace").strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_the_app_without_a_terminal_on_stdin_is_refused(tmp_path):
    result = run([*SHORT, "--run-log", str(tmp_path / "run.jsonl")])
    line = one_line(result.stderr)
    assert result.returncode == 2 and "stdin is not one" in line and "--headless" in line
    assert result.stdout == b"" and not (tmp_path / "run.jsonl").exists()  # no escape codes, no empty log


def test_the_app_with_stderr_not_a_terminal_is_refused(tmp_path):
    leader, follower = pty.openpty()
    try:
        result = run([*SHORT, "--run-log", str(tmp_path / "run.jsonl")], stdin=follower)
    finally:
        os.close(leader)
        os.close(follower)
    line = one_line(result.stderr)
    assert result.returncode == 2 and "the app draws on stderr, and stderr is not a terminal" in line
    assert "--headless" in line and result.stdout == b""


def test_replay_without_a_terminal_is_refused_naming_plot(tmp_path):
    log = tmp_path / "run.jsonl"
    assert run(["--headless", *SHORT, "--run-log", str(log)]).returncode == 0
    result = run(["replay", str(log)])
    line = one_line(result.stderr)
    assert result.returncode == 2 and "stdin is not one" in line and "makemore-tui plot" in line


@pytest.mark.parametrize(
    "env", [{"LC_ALL": "C", "PYTHONUTF8": "0"}, {"PYTHONIOENCODING": "latin-1"}], ids=["C-locale", "latin-1"]
)
def test_the_app_on_a_terminal_that_is_not_utf8_is_refused(env, tmp_path):
    code, shown = run_on_a_pty([*SHORT, "--run-log", str(tmp_path / "run.jsonl")], env)
    line = one_line(shown)
    assert code == 2 and "not UTF-8" in line and "--headless" in line
    assert b"\x1b" not in shown  # Textual never started


@pytest.mark.parametrize(
    "env", [{"LC_ALL": "C", "PYTHONUTF8": "0"}, {"PYTHONIOENCODING": "latin-1"}], ids=["C-locale", "latin-1"]
)
def test_headless_on_an_ascii_or_latin1_stdout_keeps_every_line(env, tmp_path):
    log = tmp_path / "run.jsonl"
    result = run(["--headless", *SHORT, "--run-log", str(log)], env)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in result.stderr and b"Error" not in result.stderr
    out = result.stdout.decode("latin-1")
    assert out.startswith("makemore-tui headless ")
    assert "run 1 finished after 30 steps" in out and "samples at step 30" in out and "runs:" in out
    if env.get("LC_ALL") == "C":
        assert result.stdout.isascii() and "2x8 tanh" in out  # × in ASCII
    assert read_run_log(log)[-1]["event"] == "run_end"


def test_plot_and_messages_on_an_ascii_stdout(tmp_path):
    pytest.importorskip("matplotlib")
    log = tmp_path / "run·log.jsonl"  # a path the C locale cannot encode
    env = {"LC_ALL": "C", "PYTHONUTF8": "0"}
    assert run(["--headless", *SHORT, "--run-log", str(log)]).returncode == 0
    result = run(["plot", str(log)], env)
    assert result.returncode == 0 and result.stdout.isascii() and b"Traceback" not in result.stderr
    assert result.stdout.count(b"\n") >= 5  # one line per figure file
    missing = run(["plot", str(tmp_path / "nope·.jsonl")], env)
    assert missing.returncode == 2 and missing.stderr.isascii() and missing.stderr.count(b"\n") == 1


def test_ascii_marks():
    assert [ascii_mark(ch) for ch in "·✔…×▶⏸█─│╭"] == ["-", "ok", "...", "x", ">", "||", "#", "-", "|", "+"]
    assert ascii_mark("é") == "\\xe9" and ascii_mark("\u2800") == " " and ascii_mark("😀") == "\\U0001f600"


@pytest.mark.parametrize("command", ["replay", "plot"])
def test_escape_characters_in_replay_and_plot_paths_are_escaped(command, tmp_path):
    result = run([command, str(tmp_path / f"{ESC_NAME}.jsonl")])
    assert result.returncode == 2
    assert b"\\x1b]0;pwned\\x07name" in result.stderr and b"\x1b" not in result.stderr + result.stdout
    assert b"\x07" not in result.stderr + result.stdout


def test_escape_characters_in_a_replayed_log_that_holds_nothing_are_escaped(tmp_path):
    log = tmp_path / f"{ESC_NAME}.jsonl"
    log.write_text("not json\n")
    leader, follower = pty.openpty()
    try:  # replay on a terminal: the refusal comes from reading the log
        code, shown = run_on_a_pty(["replay", str(log)])
    finally:
        os.close(leader)
        os.close(follower)
    assert code == 2 and b"\\x1b]0;pwned\\x07name" in shown and b"\x07" not in shown
