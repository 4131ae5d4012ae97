"""The record contract (core/records.py): a real run log follows it, readers refuse what breaks it."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from makemore_tui.core import commands as cmd
from makemore_tui.core.channel import RecordChannel
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.records import (
    RECORD_TYPES,
    WEIGHT_HIST_EVERY,
    EndReason,
    ErrorKind,
    Event,
    ExitCode,
    LayerStats,
    ParamStats,
    exit_code_for,
    problem,
    variant_of,
    variants_of,
)
from makemore_tui.core.runlog import RunLog, for_log, read_run_log
from makemore_tui.core.trainer import Trainer
from makemore_tui.core.values import forward_gains, histogram_edges, layer_histogram, rounded
from tests.conftest import run_to_end

TINY = TrainConfig(steps=30, stats_every=10, hidden=16, depth=3, batch_size=8, device="cpu", eval_every=20)


@pytest.fixture(scope="module")
def run_log_records(tmp_path_factory, small_words) -> list[dict]:
    """A real run log: a run with every kind of record, then a rerun stopped by quit."""
    path = tmp_path_factory.mktemp("log") / "run.jsonl"
    channel = RecordChannel(maxsize=10**6)
    with RunLog(path) as log:
        trainer = Trainer(TINY, small_words, channel=channel, run_log=log, paused=True)
        trainer.start()
        for command in (cmd.StepOnce(), cmd.ScaleLr(0.5), cmd.Sample(3), cmd.Evaluate(), cmd.Resume()):
            trainer.send(command)
        _wait_for(channel, lambda r: r["event"] == Event.RUN_END)
        trainer.send(cmd.Rerun(TINY.replace(batchnorm=False, steps=10**6)))  # long: quit stops it
        _wait_for(channel, lambda r: r["event"] == Event.STATS and r["run"] == 2)
        assert trainer.close(timeout=10)
    return [json.loads(line) for line in path.read_text().splitlines()]


def _wait_for(channel: RecordChannel, predicate, timeout: float = 60.0) -> dict:
    while (record := channel.get(timeout=timeout)) is not None:
        if predicate(record):
            return record
    raise AssertionError("the trainer did not produce the record in time")


def test_every_record_of_a_real_run_log_follows_the_contract(run_log_records):
    events = [record["event"] for record in run_log_records]
    assert set(events) >= {"run_start", "stats", "state", "eval", "samples", "run_end"}
    for record in run_log_records:
        assert problem(record) is None, record
        declared = RECORD_TYPES[record["event"]].__annotations__
        assert set(record) <= set(declared), f"{record['event']} has undeclared fields {set(record) - set(declared)}"
    all_stats = [record for record in run_log_records if record["event"] == Event.STATS]
    for stats in all_stats:
        assert stats["variant"] == 0
        for layer in stats["layers"]:
            # kind and name come with --model nets (tests/test_model_runs.py checks those records whole)
            assert set(layer) | {"hpreact_hist"} == set(LayerStats.__annotations__) - {"edges", "kind", "name"}
            assert ("hpreact_hist" in layer) == ("grad_hist" in stats["params"][0])  # every 20th, as the weights'
            if "hpreact_hist" in layer:
                assert sum(layer["hpreact_hist"]["counts"]) == TINY.batch_size * TINY.hidden
            assert sum(layer["hist"]["counts"]) == TINY.batch_size * TINY.hidden
            assert all(isinstance(count, int) for count in layer["hist"]["counts"])
        for param in stats["params"]:
            assert set(param) | {"grad_hist", "name"} == set(ParamStats.__annotations__)
    # weight-gradient histograms: at step 0, the last step and paused steps, not on every record
    with_weight_hists = {(s["run"], s["step"]) for s in all_stats if "grad_hist" in s["params"][0]}
    assert (1, 0) in with_weight_hists and (1, TINY.steps - 1) in with_weight_hists
    assert len(with_weight_hists) < len({(s["run"], s["step"]) for s in all_stats})
    start = run_log_records[0]
    assert variants_of(start)[0]["config"] == start["config"] and variants_of(start)[0]["label"] == ""
    assert [r["reason"] for r in run_log_records if r["event"] == Event.RUN_END] == ["finished", "stopped"]


def test_a_paused_start_records_step_0_then_steps_on_request(run_log_records):
    first_run = [r for r in run_log_records if r["run"] == 1]
    stats = [r for r in first_run if r["event"] == Event.STATS]
    # the preview of step 0 (resume came before `n` was taken), then the lecture's records: no step twice
    steps = [r["step"] for r in stats]
    assert steps[0] == 0 and stats[0]["preview"] is True and steps == sorted(set(steps))
    assert all("preview" not in r for r in stats[1:])
    assert first_run[1]["event"] == Event.STATE and first_run[1]["paused"] is True


def test_the_log_keeps_five_significant_digits_and_losses_bit_for_bit():
    stats = {"event": "stats", "run": 1, "step": 0, "loss": float(np.float32(3.2870297)), "loss_window": None}
    stats |= {"input_std": 0.123456789, "layers": [{"std": 0.987654321, "hist": {"counts": [3, 4]}}], "_satmap": [1]}
    logged = for_log(stats)
    assert logged["layers"][0]["std"] == 0.98765 and logged["input_std"] == 0.12346
    assert logged["layers"][0]["hist"]["counts"] == [3, 4] and "_satmap" not in logged
    assert np.float32(logged["loss"]) == np.float32(3.2870297)
    start = {"event": "run_start", "run": 1, "config": {"gain": 5 / 3, "lr": float("nan")}}
    assert for_log(start)["config"] == {"gain": 5 / 3, "lr": None}  # configs stay exact


@pytest.mark.parametrize(
    "record, why",
    [
        ({"event": "stats", "run": "one", "step": 1}, "wrong run"),
        ({"event": "stats", "run": 1, "step": "x"}, "wrong step"),
        ({"event": "stats", "run": 1, "step": 1, "layers": [1, 2]}, "layers entry"),
        ({"event": "eval", "run": 1, "step": 3, "train": "low"}, "wrong train"),
        ({"event": "run_end", "run": 1}, "without reason"),
        ({"event": "samples", "run": 1, "names": "ava"}, "wrong names"),
        ({"event": "state", "run": 1, "paused": "yes"}, "wrong paused"),
        (["stats"], "not a JSON object"),
        ({"run": 1}, "no event"),
    ],
)
def test_records_with_wrong_types_are_refused(record, why):
    assert why in problem(record)


def test_unknown_events_and_fields_pass_and_old_logs_read_as_variant_0():
    assert problem({"event": "from_the_future", "x": [1]}) is None
    assert problem({"event": "eval", "run": 1, "step": 3, "train": 2.1, "val": None, "new_field": 1}) is None
    old_stats = {"event": "stats", "run": 1, "step": 0, "layers": [], "params": []}
    assert problem(old_stats) is None and variant_of(old_stats) == 0
    assert variant_of({"variant": 3}) == 3 and variant_of({"variant": "3"}) == 0
    old_start = {"event": "run_start", "run": 1, "config": {"gain": 1.0}}
    assert variants_of(old_start) == [{"label": "", "config": {"gain": 1.0}}]


def test_histogram_edges_new_and_old():
    assert histogram_edges({"lo": -1, "hi": 1, "counts": [1, 2, 3, 4]}).tolist() == [-1, -0.5, 0, 0.5, 1]
    assert histogram_edges({"counts": [1, 2, 3, 4]}).tolist() == [-1, -0.5, 0, 0.5, 1]  # ±1 left implicit
    assert histogram_edges({"edges": [0, 1, 2], "counts": [5, 6]}).tolist() == [0, 1, 2]
    assert histogram_edges({"edges": [0, 1], "counts": [5, 6]}) is None
    assert histogram_edges({"lo": 1, "hi": 1, "counts": [5]}) is None


def test_layer_histograms_and_forward_gains_from_a_record():
    stats = {
        "grad_range": 0.5,
        "input_std": 2.0,
        "layers": [
            {"std": 1.0, "hist": {"counts": [1, 3]}, "grad_hist": {"counts": [2, 2]}},
            {"std": 0.5, "hist": {"counts": [1, 3]}, "grad_hist": {"counts": [2, "x"]}},
        ],
    }
    edges, counts = layer_histogram(stats, stats["layers"][0], "grad_hist")
    assert edges.tolist() == [-0.5, 0.0, 0.5] and counts.tolist() == [2, 2]
    assert layer_histogram(stats, stats["layers"][0], "hist")[0].tolist() == [-1.0, 0.0, 1.0]
    assert layer_histogram(stats, stats["layers"][1], "grad_hist") is None  # a count that is not an integer
    assert forward_gains(stats) == [0.5, 0.5]
    assert forward_gains({"layers": [{"std": 1.0}, {"std": 0.0}, {"std": 1.0}]}) == [None, 0.0, None]


def test_undefined_numbers_are_none_not_nan():
    assert rounded(math.nan) is None and rounded(math.inf) is None and rounded(None) is None
    assert rounded(1.23456789) == 1.2346 and rounded(1.23456789, 6) == 1.23457


def test_exit_codes_follow_the_end():
    assert exit_code_for({"reason": EndReason.FINISHED}) == ExitCode.OK == 0
    assert exit_code_for({"reason": "stopped"}) == 0
    assert exit_code_for({"reason": "diverged"}) == ExitCode.DIVERGED == 3
    assert exit_code_for({"reason": "error"}) == ExitCode.FAILURE == 1
    assert exit_code_for({"reason": "error", "kind": ErrorKind.OUT_OF_MEMORY}) == ExitCode.USAGE == 2
    assert exit_code_for(None) == ExitCode.FAILURE


def test_a_run_log_reads_back_what_was_written(tmp_path, run_log_records):
    path = tmp_path / "copy.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in run_log_records))
    assert read_run_log(path) == run_log_records


def test_default_stats_records_stay_under_3_kb_the_sparse_histograms_ride_on_every_20th(small_words, tmp_path):
    config = TrainConfig(steps=WEIGHT_HIST_EVERY + 2, stats_every=1, device="cpu")  # the default net: 5 × 100
    path = tmp_path / "run.jsonl"
    with RunLog(path) as log:
        run_to_end(config, small_words, run_log=log)
    stats = [(line, json.loads(line)) for line in path.read_text().splitlines() if '"event":"stats"' in line]
    sparse = [record["step"] for _, record in stats if "hpreact_hist" in record["layers"][0]]
    assert sparse == [0, WEIGHT_HIST_EVERY, config.steps - 1]  # step 0, every 20th, the last
    for line, record in stats:
        assert ("grad_hist" in record["params"][0]) == (record["step"] in sparse)
        if record["step"] not in sparse:
            assert len(line.encode()) + 1 < 3000
