"""The command line: flags reach the config, bad input gets one line and exit 2, headless works."""

from __future__ import annotations

import subprocess
import sys

import pytest

from makemore_tui.core.config import LECTURE, TrainConfig
from makemore_tui.core.runlog import read_run_log
from makemore_tui.tui.cli import build_parser, config_from_args, main


def parse(*argv: str) -> TrainConfig:
    return config_from_args(build_parser().parse_args(list(argv)))


def test_flags_override_the_preset():
    config = parse("--preset", "lecture", "--steps", "1001", "--no-batchnorm", "--gain", "5/3", "--block-size", "4")
    assert config.steps == 1001 and config.batchnorm is False and config.gain == pytest.approx(5 / 3)
    assert config.block_size == 4 and config.lr_decay_step == LECTURE.lr_decay_step and config.preset == "lecture"
    assert parse().batchnorm is True and parse().gain == pytest.approx(5 / 3)
    experiment = parse("--activation", "linear", "--init", "normal", "--output-scale", "1")
    assert (experiment.activation, experiment.init, experiment.output_scale) == ("linear", "normal", 1.0)
    assert (parse().activation, parse().init, parse().output_scale) == ("tanh", "kaiming", 0.1)


# Each flag that sets one config field, with a value no preset has (a flag left out of the CLI's field list
# would be parsed and then silently dropped).
ONE_FIELD_FLAGS = [
    ("--eval-every", "7", "eval_every", 7),
    ("--engine", "fused", "engine", "fused"),
    ("--engine", "auto", "engine", "auto"),  # the lecture preset's is "lecture"
    ("--stats-every", "3", "stats_every", 3),
    ("--seed", "99", "seed", 99),
    ("--embd", "5", "embd", 5),
    ("--hidden", "33", "hidden", 33),
    ("--depth", "2", "depth", 2),
    ("--batch-size", "17", "batch_size", 17),
    ("--lr", "0.05", "lr", 0.05),
    ("--device", "cpu", "device", "cpu"),
    ("--weight-scale", "0.2", "weight_scale", 0.2),
    ("--bias-scale", "0.01", "bias_scale", 0.01),
]


@pytest.mark.parametrize(("flag", "value", "field", "expected"), ONE_FIELD_FLAGS, ids=lambda v: str(v))
def test_each_flag_reaches_the_config(flag, value, field, expected):
    presets = [preset for preset in ("default", "lecture") if getattr(parse("--preset", preset), field) != expected]
    assert presets  # some preset differs: the flag, not the preset, sets the field
    for preset in presets:
        assert getattr(parse("--preset", preset, flag, value), field) == expected


BAD_FLAGS = [
    ["--steps", "0"],
    ["--steps", "-3"],
    ["--steps", "many"],
    ["--lr", "0"],
    ["--lr", "-1"],
    ["--lr", "nan"],
    ["--gain", "zero"],
    ["--gain", "1/0"],
    ["--gain", "-2"],
    ["--batch-size", "0"],
    ["--block-size", "0"],
    ["--hidden", "0"],
    ["--depth", "0"],
    ["--embd", "-1"],
    ["--stats-every", "0"],
    ["--device", "tpu"],
    ["--preset", "nope"],
    ["--no-such-flag"],
    ["--activation", "relu"],
    ["--init", "xavier"],
    ["--output-scale", "-1"],
    ["--weight-scale", "-1"],
    ["--bias-scale", "nan"],
    ["--compare", "weight_scale=0.1,0.2"],  # init kaiming takes no weight scale: the variants would be one net
    ["--compare", "bias_scale=0,0.01"],  # BatchNorm nets have no Linear biases
    ["--compare", "gain=1"],
    ["--compare", "depth=2,3"],
    ["--compare", "gain=1,2,3", "--compare", "lr=0.1,0.2,0.3"],
    ["--compare", "lr=0.1,oops"],
    ["--paused"],  # headless has no keys to resume it
]


@pytest.mark.parametrize("argv", BAD_FLAGS, ids=" ".join)
def test_bad_flags_give_one_line_and_exit_2(argv, capsys, tmp_path):
    log = tmp_path / "run.jsonl"
    with pytest.raises(SystemExit) as exit_info:
        sys.exit(main(["--headless", "--run-log", str(log), *argv]))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("makemore-tui: ") and "Traceback" not in err
    assert not log.exists()  # nothing started, nothing half-written


BAD_FILES = {
    "missing": None,
    "empty": b"",
    "blank": b"\n\n  \n",
    "binary": b"\x00\x01\x02abc\n" * 10,
    "latin1": "café\n".encode("latin-1") * 20,
    "escape": b"ann\x1b]0;title\x07\n" * 20,
    "bidi": "abc\u202edef\n".encode() * 20,
    "few": b"ann\nbob\n",
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_words_files_give_one_line_and_exit_2(kind, capsys, tmp_path):
    path = tmp_path / f"{kind}.txt"
    if BAD_FILES[kind] is not None:
        path.write_bytes(BAD_FILES[kind])
    assert main(["--headless", "--data", str(path), "--run-log", str(tmp_path / "log.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err


def test_unwritable_run_log_fails_at_start(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["--headless", "--steps", "5", "--run-log", str(blocker / "sub" / "run.jsonl")]) == 2
    assert "cannot write the run log" in capsys.readouterr().err


def test_cuda_without_cuda_is_a_usage_error(capsys, tmp_path, monkeypatch):
    from makemore_tui.core import devices

    monkeypatch.setattr(devices, "cuda_available", lambda: False)
    assert main(["--headless", "--device", "cuda", "--run-log", str(tmp_path / "r.jsonl")]) == 2
    assert "no CUDA device" in capsys.readouterr().err


def test_headless_run_prints_tables_and_leaves_a_complete_log(capsys, tmp_path, small_words):
    words = tmp_path / "words.txt"
    words.write_text("\r\n".join(small_words) + "\r\n", encoding="utf-8")
    log = tmp_path / "run.jsonl"
    code = main(
        [
            "--headless",
            "--data",
            str(words),
            "--steps",
            "60",
            "--stats-every",
            "25",
            "--hidden",
            "16",
            "--run-log",
            str(log),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "saturated:" in out and "grad:data ratio" in out and "eval at step 60" in out and "samples at step" in out
    records = read_run_log(log)
    assert records[0]["event"] == "run_start" and records[-1]["event"] == "run_end"
    assert [r["step"] for r in records if r["event"] == "stats"] == [0, 25, 50, 59]
    assert {"eval", "samples"} <= {r["event"] for r in records}


def test_a_headless_compare_trains_every_variant_to_the_end(capsys, tmp_path, small_words):
    log = tmp_path / "run.jsonl"
    code = main(
        ["--headless", "--data", _write(tmp_path, small_words), "--steps", "40", "--hidden", "16", "--no-batchnorm"]
        + ["--compare", "gain=0.5,3", "--run-log", str(log)]
    )
    assert code == 0
    records = read_run_log(log)
    assert [v["label"] for v in records[0]["variants"]] == ["gain 0.5", "gain 3"]
    assert {r["variant"] for r in records if r["event"] == "eval"} == {0, 1}
    assert "gain 0.5" in capsys.readouterr().out


def test_torn_last_line_and_unknown_events_are_skipped(tmp_path):
    log = tmp_path / "run.jsonl"
    log.write_text('{"event":"run_start","run":1}\n{"event":"future_thing","x":1}\nnot json\n{"event":"stats","ru')
    assert [r["event"] for r in read_run_log(log)] == ["run_start", "future_thing"]


def test_core_and_data_never_import_the_ui():
    names = ("core.trainer", "core.health", "core.records", "core.compare", "core.config", "data")
    modules = ", ".join(f"makemore_tui.{name}" for name in names)
    code = (
        f"import sys, {modules}\n"
        "bad = sorted(m for m in sys.modules\n"
        "  if m.split('.')[0] in ('textual', 'plotext', 'textual_plotext') or m.startswith('makemore_tui.tui'))\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_command_line_and_headless_run_without_textual():
    # GPU boxes often have torch and no textual: headless must not need it.
    code = (
        "import sys; sys.modules['textual'] = None\n"  # any import of textual now fails
        "import makemore_tui.tui.cli, makemore_tui.tui.headless\n"
        "assert 'textual' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_help_teaches_the_keys_and_the_exit_codes():
    result = subprocess.run(
        [sys.executable, "-m", "makemore_tui", "--help"], capture_output=True, text=True, check=True
    )
    for text in ("--headless", "--preset", "replay", "exit codes", "BatchNorm", "5/3"):
        assert text in result.stdout


def _write(tmp_path, words) -> str:
    path = tmp_path / "w.txt"
    path.write_text("\n".join(words), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--compare", "batchnorm=on,off", "--no-batchnorm"], "--no-batchnorm"),
        (["--compare", "batchnorm=on,off", "--batchnorm"], "--batchnorm"),
        (["--compare", "gain=0.5,1", "--gain", "5/3"], "--gain"),
        (["--compare", "output-scale=1,0.1", "--output-scale", "1"], "--output-scale"),
    ],
)
def test_a_flag_contradicting_the_compared_field_is_refused(argv, flag, capsys, tmp_path):
    assert main(["--headless", *argv, "--steps", "3", "--run-log", str(tmp_path / "run.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{flag} contradicts --compare" in err and f"leave out {flag}" in err
    assert not (tmp_path / "run.jsonl").exists()
