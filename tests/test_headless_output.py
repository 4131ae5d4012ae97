"""Where headless output goes: a terminal (progress in place: Rich or a plain \\r), a pipe, a closed pipe; flags."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from makemore_tui.core.records import ExitCode
from makemore_tui.core.runlog import RunLog, read_run_log
from makemore_tui.tui.cli import main
from makemore_tui.tui.headless import HeadlessPrinter, run_headless
from makemore_tui.tui.progress import CarriageReturnDisplay, PipedDisplay, RichDisplay, make_display
from tests.fake_trainer import SMALL, recorded_run

ROOT = Path(__file__).resolve().parents[1]
PROGRESS = re.compile(r"^step \d+/\d+ \(\d+%\)")


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class ClosingPipe(io.StringIO):
    """A stream whose reader leaves after `writes` writes: later writes raise BrokenPipeError."""

    def __init__(self, writes: int):
        super().__init__()
        self.writes = writes

    def write(self, text: str) -> int:
        if self.writes <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.writes -= 1
        return super().write(text)


def screen(text: str) -> list[str]:
    """The lines a terminal shows for `text`: \\r returns to column 0 and later characters overwrite."""
    lines, line, column = [], [], 0
    for ch in text:
        if ch == "\n":
            lines.append("".join(line).rstrip())
            line, column = [], 0
        elif ch == "\r":
            column = 0
        else:
            line[column : column + 1] = [ch]
            column += 1
    rest = "".join(line).rstrip()
    return lines + ([rest] if rest else [])


def print_run(out, records: list[dict], **options) -> str:
    printer = HeadlessPrinter(out, **options)
    for record in records:
        printer.handle(record)
    printer.finish()
    return out.getvalue()


def test_a_pipe_gets_lines_and_a_terminal_a_progress_line():
    assert isinstance(make_display(io.StringIO()), PipedDisplay)
    assert isinstance(make_display(FakeTerminal()), RichDisplay)  # Rich is installed here
    assert isinstance(make_display(FakeTerminal(), rich=False), CarriageReturnDisplay)


def test_the_plain_progress_line_is_redrawn_in_place_and_leaves_the_lines_whole():
    records = recorded_run(SMALL)
    piped = print_run(io.StringIO(), records)  # the fixed clock never reaches a piped progress line
    out = FakeTerminal()
    shown = print_run(out, records, display=CarriageReturnDisplay(out, width=60))
    assert shown.count("\r[") == sum(r["event"] == "progress" for r in records)  # one redraw per progress record
    assert "\r[#####################...] 900/1000 (90%) · 812 steps/s · E\r" in shown  # cut to 59 columns
    bars = [part.split("\n")[0] for part in shown.split("\r") if part.startswith("[")]
    assert bars and all(len(bar) < 60 for bar in bars)  # never wraps, or \r would return to its second half
    assert screen(shown) == piped.splitlines()  # once drawn over, the screen holds exactly the lines


def test_rich_progress_prints_the_lines_verbatim_above_its_bar():
    records = recorded_run(SMALL)
    records[-2]["names"] = ["[bold]x[/bold]", ":smile:"]  # no markup, no emoji codes
    out = FakeTerminal()
    shown = print_run(out, records, display=RichDisplay(out))
    piped = print_run(io.StringIO(), records)
    for line in piped.splitlines():
        assert line in shown
    assert '"[bold]x[/bold]" ":smile:"' in shown
    assert "900/1000 (90%) · 812 steps/s · ETA 0:00:00 · loss 2.4000" in shown  # the bar's text


def test_without_rich_a_terminal_gets_the_plain_line():
    code = (
        "import sys; sys.modules['rich'] = None; sys.modules['textual'] = None\n"
        "import io\n"
        "from tests.fake_trainer import SMALL, recorded_run\n"
        "from makemore_tui.tui.headless import HeadlessPrinter\n"
        "from makemore_tui.tui.progress import CarriageReturnDisplay\n"
        "class Terminal(io.StringIO):\n"
        "    def isatty(self): return True\n"
        "out = Terminal()\n"
        "printer = HeadlessPrinter(out)\n"
        "assert isinstance(printer.display, CarriageReturnDisplay), printer.display\n"
        "for record in recorded_run(SMALL): printer.handle(record)\n"
        "printer.finish()\n"
        "assert '\\r[' in out.getvalue() and 'runs:' in out.getvalue()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_a_closed_output_silences_the_printer_without_an_error():
    out = ClosingPipe(writes=3)
    printer = HeadlessPrinter(out)
    for record in recorded_run(SMALL):
        printer.handle(record)
    printer.finish()
    assert printer.closed
    full = print_run(io.StringIO(), recorded_run(SMALL))
    assert 0 < len(out.getvalue()) < len(full) and full.startswith(out.getvalue())  # what got through, no more


def test_run_headless_stops_the_run_when_its_output_closes(tmp_path, small_words):
    log_path = tmp_path / "run.jsonl"
    config = SMALL.replace(steps=10**6, hidden=16)
    with RunLog(log_path) as log:
        code = run_headless(config, small_words, log, out=ClosingPipe(writes=2))
    assert code == ExitCode.OUTPUT_CLOSED == 141
    records = read_run_log(log_path)
    assert records[-1]["event"] == "run_end" and records[-1]["reason"] == "stopped"
    assert records[-1]["step"] < 10**6


def headless_command(log: Path, *flags: str) -> list[str]:
    return [sys.executable, "-m", "makemore_tui", "--headless", "--hidden", "16", "--run-log", str(log), *flags]


def test_piped_into_head_the_run_ends_quietly_with_its_log_closed(tmp_path):
    log = tmp_path / "run.jsonl"
    writer = subprocess.Popen(
        headless_command(log, "--steps", "1000000"), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    head = subprocess.Popen(["head", "-1"], stdin=writer.stdout, stdout=subprocess.PIPE)
    writer.stdout.close()  # head holds the only read end: when it exits, the pipe breaks
    first, _ = head.communicate(timeout=120)
    code = writer.wait(timeout=120)
    stderr = writer.stderr.read().decode()
    assert first.decode().startswith("makemore-tui headless · run log")
    assert code == 141 and stderr == "", stderr
    records = read_run_log(log)
    assert records[-1]["event"] == "run_end" and records[-1]["reason"] == "stopped"


def test_a_short_real_run_piped_prints_tables_at_step_0_and_the_end_only(tmp_path):
    result = subprocess.run(
        headless_command(tmp_path / "run.jsonl", "--steps", "300"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) <= 120
    assert [line.split(" · ")[0] for line in lines if line.startswith("step ") and not PROGRESS.match(line)] == [
        "step 0/300",
        "step 299/300",
    ]
    assert lines[-3] == "runs:" and lines[-1].split()[:3] == ["1", "steps", "300"]


@pytest.fixture(scope="module")
def words_file(tmp_path_factory, small_words) -> str:
    path = tmp_path_factory.mktemp("words") / "words.txt"
    path.write_text("\n".join(small_words), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("choice", "tables"), [("none", 0), ("every", 4), ("evals", 2)])
def test_the_tables_flag(choice, tables, words_file, tmp_path, capsys):
    argv = ["--headless", "--data", words_file, "--steps", "60", "--stats-every", "25", "--hidden", "16"]
    assert main([*argv, "--tables", choice, "--run-log", str(tmp_path / "run.jsonl")]) == 0
    out = capsys.readouterr().out
    assert out.count("activations:") == tables  # stats at steps 0, 25, 50, 59; evals: 0 and the end
    assert "eval at step 60: train" in out and "samples at step 60:" in out


def test_a_bad_tables_choice_is_one_line_and_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--headless", "--tables", "sometimes", "--run-log", str(tmp_path / "run.jsonl")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--tables" in err and "Traceback" not in err


def test_a_one_unit_net_prints_no_library_warning_and_shows_undefined_as_a_dash(tmp_path):
    """--hidden 1: a (1, 1) weight has no std; torch would warn and the ratio would read -inf."""
    log = tmp_path / "run.jsonl"
    command = headless_command(log, "--steps", "60", "--stats-every", "25", "--tables", "every")
    result = subprocess.run([*command, "--hidden", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "W2     (1, 1) | mean" in result.stdout
    assert "| std – | grad:data ratio – | update:data log10 –" in result.stdout
    assert "inf" not in result.stdout and "nan" not in result.stdout.lower()
    records = read_run_log(log)
    assert not [r for r in records if r["event"] == "warning"]
    one_by_one = [p for r in records if r["event"] == "stats" for p in r["params"] if p["shape"] == [1, 1]]
    assert len(one_by_one) == 4 * 4  # W2..W5 at steps 0, 25, 50, 59
    assert all(p["update_to_data_log10"] is None and p["grad_to_data"] is None for p in one_by_one)


def test_speed_and_eta_hold_through_an_evaluation():
    """Issue 19 item 14: the trainer's rate covers the last ~0.5 s, and the interval that held an evaluation read
    "148 steps/s · ETA 0:04:30" at 2,400 steps/s. The speed shown is the median of the recent records."""
    out = io.StringIO()
    display = PipedDisplay(out, every=0.0, clock=lambda: 0.0)  # a line for every record
    total, step = 1_000_000, 0
    for tick in range(30):
        step += 1200
        rate = 148.0 if tick % 10 == 9 else 2400.0  # every tenth interval held an evaluation
        display.progress({"event": "progress", "step": step, "steps_per_sec": rate, "loss": 2.5}, total)
    lines = out.getvalue().splitlines()
    assert len(lines) == 30 and all("· 2,400 steps/s ·" in line for line in lines[1:]), lines
    assert lines[-1].startswith("step 36000/1000000 (4%)") and "ETA 0:06:42" in lines[-1]  # 964,000 steps at 2,400/s
    display.progress({"event": "progress", "step": 500, "steps_per_sec": 90.0}, total)  # a new run: measured anew
    assert "· 90 steps/s ·" in out.getvalue().splitlines()[-1]
    plain = io.StringIO()
    line = CarriageReturnDisplay(plain, width=200)
    for tick in range(10):
        line.progress({"step": 1200 * (tick + 1), "steps_per_sec": 148.0 if tick == 9 else 2400.0}, total)
    assert "2,400 steps/s" in plain.getvalue().rsplit("\r", 1)[-1]
