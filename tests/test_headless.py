"""Headless output a person reads: the printer on synthesized record streams of single runs."""

from __future__ import annotations

import io
import re

import pytest

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.records import Event
from makemore_tui.tui.headless import HeadlessPrinter
from tests.fake_trainer import SMALL, recorded_run, run_start_record, stats_record

TABLE_HEAD = re.compile(r"^step (\d+)/\d+ · loss ")  # a single run's tables start so (progress: "step N/T (…%)")
PROGRESS = re.compile(r"^step \d+/\d+ \(\d+%\)")


class Clock:
    """A settable monotonic clock."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def printed(records: list[dict], clock: Clock | None = None, times: list[float] | None = None, **options) -> str:
    """What the printer writes to a pipe for `records` (each handled at times[i] on `clock`)."""
    out = io.StringIO()
    clock = clock or Clock()
    printer = HeadlessPrinter(out, clock=clock, **options)
    for i, record in enumerate(records):
        clock.now = times[i] if times else clock.now
        printer.handle(record)
    printer.finish()
    return out.getvalue()


def table_steps(text: str) -> list[int]:
    return [int(m.group(1)) for line in text.splitlines() if (m := TABLE_HEAD.match(line))]


def scheduled_run(config: TrainConfig, steps_per_sec: float = 500.0) -> tuple[list[dict], list[float]]:
    """Records in the trainer's cadence and the second each arrives at `steps_per_sec`.

    Stats at step 0, every stats_every and the last step; progress twice a second; evals every
    eval_interval and samples every sample_interval (core.trainer.Trainer._train); then the final
    eval, samples and run_end.
    """
    records, times = [run_start_record(config)], [0.0]
    every_half_second = max(int(steps_per_sec / 2), 1)

    def add(seconds: float, record: dict) -> None:
        records.append(record)
        times.append(seconds)

    for i in range(config.steps):
        done, seconds = i + 1, (i + 1) / steps_per_sec
        if i % config.stats_every == 0 or i == config.steps - 1:
            add(seconds, stats_record(1, i, config, satmap=False))
        if done % every_half_second == 0:
            add(seconds, {"event": Event.PROGRESS, "run": 1, "step": done, "steps_per_sec": steps_per_sec, "loss": 2.4})
        if done < config.steps and done % config.eval_interval == 0:
            add(seconds, {"event": Event.EVAL, "run": 1, "variant": 0, "step": done, "train": 2.3, "val": 2.4})
        if done < config.steps and done % config.sample_interval == 0:
            add(seconds, {"event": Event.SAMPLES, "run": 1, "variant": 0, "step": done, "names": ["ann", "bo"]})
    end = config.steps / steps_per_sec
    add(end, {"event": Event.EVAL, "run": 1, "variant": 0, "step": config.steps, "train": 2.2, "val": 2.3})
    add(end, {"event": Event.SAMPLES, "run": 1, "variant": 0, "step": config.steps, "names": ["cy"]})
    add(end, {"event": Event.RUN_END, "run": 1, "step": config.steps, "reason": "finished", "seconds": end})
    return records, times


def test_tables_come_at_step_0_each_eval_and_the_end():
    records, times = scheduled_run(SMALL.replace(eval_every=500))  # stats every 100 steps of 1000
    text = printed(records, times=times)
    # the eval after 500 steps is followed by the stats of step 500 (the model it measured); the end's are step 999
    assert table_steps(text) == [0, 500, 999]
    assert text.count("activations:") == text.count("gradients:") == text.count("weights:") == 3
    assert text.index("eval at step 500: train 2.3000 · val 2.4000") < text.index("step 500/1000 · loss")


def test_tables_every_stats_record_or_none():
    records = recorded_run(SMALL)
    every = printed(records, tables="every")
    assert table_steps(every) == list(range(0, 1001, 100))  # each once: the evals do not repeat them
    none = printed(records, tables="none")
    assert table_steps(none) == [] and "activations:" not in none
    assert "eval at step 1000: train 2.0700 · val 2.1000" in none and "samples at step 1000" in none


def test_a_3000_step_run_piped_prints_at_most_120_lines():
    # `makemore-tui --headless --steps 3000 | cat`: the default net and cadence at 500 steps/s
    config = TrainConfig(steps=3000)
    records, times = scheduled_run(config)
    text = printed(records, times=times)
    lines = text.splitlines()
    assert len(lines) <= 120, len(lines)
    assert table_steps(text) == [0, 2999]  # no eval inside 3000 steps: step 0 and the end
    assert sum(bool(PROGRESS.match(line)) for line in lines) == 1  # 6 s at a line every 5 s
    assert len(printed(records, times=times, tables="every").splitlines()) > 600  # what it was


def test_a_default_200k_run_prints_tables_at_its_ten_evals_only():
    config = TrainConfig(hidden=8, depth=2)  # small records; the cadence is the default run's
    records, times = scheduled_run(config, steps_per_sec=4000.0)
    text = printed(records, times=times)
    # each periodic eval's tables are the next stats record's: the model the eval measured
    assert table_steps(text) == [0, *range(20_000, 200_000, 20_000), 199_999]
    assert len(text.splitlines()) < 400


def test_progress_lines_come_every_few_seconds_when_piped():
    config = TrainConfig(steps=20_000, hidden=8, depth=2, stats_every=1000)
    records, times = scheduled_run(config, steps_per_sec=1000.0)  # 20 s
    progress = [line for line in printed(records, times=times).splitlines() if PROGRESS.match(line)]
    assert [line.split()[1] for line in progress] == ["5000/20000", "10000/20000", "15000/20000", "20000/20000"]
    assert progress[0] == "step 5000/20000 (25%) · 1,000 steps/s · ETA 0:00:15 · loss 2.4000"


def test_sample_names_are_quoted_escaped_and_marked_when_cut():
    names = ["ann", "", "mary jo", 'say "hi"', "back\\slash", "\x1b]0;pwned\x07", "rtl\u202eevil", "zoë", "longname"]
    record = {"event": "samples", "run": 1, "variant": 0, "step": 40, "names": names, "cut": [False] * 8 + [True]}
    text = printed([run_start_record(SMALL), record])
    line = next(line for line in text.splitlines() if line.startswith("samples"))
    assert line == (
        'samples at step 40: "ann" "" "mary jo" "say \\"hi\\"" "back\\\\slash" "\\x1b]0;pwned\\x07" '
        '"rtl\\u202eevil" "zoë" "longname"…'
    )
    assert "\x1b" not in text and "\u202e" not in text


def test_a_name_starting_with_a_combining_mark_is_shown_on_a_dotted_circle():
    record = {"event": "samples", "run": 1, "variant": 0, "step": 40, "names": ["\u0301ab", "ann"]}
    line = next(line for line in printed([run_start_record(SMALL), record]).splitlines() if line.startswith("samples"))
    assert line == 'samples at step 40: "\u25cc\u0301ab" "ann"'  # the accent on ◌, not on the opening quote


def test_undefined_numbers_show_as_a_dash():
    stats = stats_record(1, 0, SMALL, satmap=False) | {"loss": None, "lr": None}
    stats["layers"][0] |= {"std": None, "saturated_pct": None, "grad_std": None}
    stats["params"][1] |= {"grad_to_data": None, "update_to_data_log10": None}
    end = {"event": "run_end", "run": 1, "step": 1, "reason": "diverged", "seconds": None, "steps_per_sec": None}
    evaluation = {"event": "eval", "run": 1, "variant": 0, "step": 1, "train": None, "val": None}
    text = printed([run_start_record(SMALL), stats, evaluation, end])
    assert "step 0/1000 · loss – · lr –" in text
    assert "L1 (layer 2): mean " in text and "std –, saturated: –%" in text
    assert "grad:data ratio – | update:data log10 –" in text
    assert "eval at step 1: train – · val –" in text and "in – s (– steps/s)" in text
    assert "None" not in text and "nan" not in text


def test_a_diverged_run_prints_its_last_tables_at_the_end():
    records = recorded_run(SMALL, upto=300, end=False) + [
        {"event": "run_end", "run": 1, "step": 301, "reason": "diverged", "seconds": 1.0, "steps_per_sec": 300.0}
    ]
    text = printed(records)
    assert table_steps(text) == [0, 300]
    assert text.index("activations:", text.index("step 300/")) < text.index("run 1 diverged after 301 steps")


def test_each_hint_once_and_the_runs_table_last():
    records = recorded_run(SMALL.replace(batchnorm=False, gain=3.0))
    lines = printed(records).splitlines()
    hints = [line.split(": ", 2)[2] for line in lines if line.startswith("hint:")]
    assert hints and len({hint.split(":")[0] for hint in hints}) == len(hints)  # no rule twice
    assert any("BatchNorm on (--batchnorm)" in hint for hint in hints)  # no keys in headless: the flag that fixes it
    assert not [hint for hint in hints if re.search(r"\((g|b|i|o|r|-|\+)( ×\d+)?\)", hint)]
    runs = lines.index("runs:")
    assert lines[runs + 1].split()[:3] == ["run", "what", "differs"]
    assert "steps 1000 · BN off · gain 3" in lines[runs + 2] and lines[-1].endswith("finished")


def test_errors_and_warnings_are_warning_lines_escaped():
    records = [
        {"event": "log_error", "message": "the run log stopped at step 7 (No space left on device)\x1b[31m"},
        {"event": "warning", "run": 1, "message": "UserWarning: odd\x1b[31m"},
        {"event": "run_start", "run": 2, "config": SMALL.to_dict(), "device": "cuda"},  # setup failed: no data
        {"event": "run_end", "run": 2, "step": 0, "reason": "error", "message": "no CUDA device\r\nfake line"},
    ]
    err = io.StringIO()
    lines = printed(records, err=err).splitlines()
    assert lines[0] == "warning: UserWarning: odd\\x1b[31m"
    assert lines[1].startswith("run 2 · cuda · ? engine · BN on") and lines[2].startswith("run 2 error after 0 steps")
    assert lines[2].endswith(": no CUDA device\\r\\nfake line")
    # the run log stopping is a warning on stderr, not a line among the tables (a redirected stdout may be the
    # file on the disk that filled up)
    assert err.getvalue() == (
        "makemore-tui: warning: the run log stopped at step 7 (No space left on device)\\x1b[31m\n"
    )


def test_the_printer_refuses_an_unknown_tables_choice():
    with pytest.raises(ValueError, match="evals, every, none"):
        HeadlessPrinter(io.StringIO(), tables="sometimes")


def test_the_banner_names_every_experiment_and_no_gain_under_normal_init():
    """Issue 19 item 13: `--init normal --output-scale 1` trained under a banner that said neither (and a gain)."""
    config = SMALL.replace(init="normal", output_scale=1.0, activation="linear")
    banner = printed([run_start_record(config)]).splitlines()[0]
    assert banner == "run 1 · cpu · lecture engine · BN on · lr 0.1 · linear · init normal · out ×1 · 5×100 · batch 32"


def test_the_end_of_a_batchnorm_run_prints_the_calibrated_eval_beside_the_running_buffers_one():
    records = recorded_run(SMALL)
    end = next(r for r in reversed(records) if r["event"] == Event.EVAL)
    end |= {"calibrated_train": 2.0651, "calibrated_val": 2.0993}
    text = printed(records, tables="none")
    line = "BatchNorm calibrated on the whole training split: train 2.0651 · val 2.0993 (running buffers: train 2.0700"
    assert line in text and text.count("calibrated") == 1  # the end's eval only
    assert text.index("eval at step 1000: train 2.0700") < text.index(line)
