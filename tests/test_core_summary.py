"""The runs table (core/summary.py): folded from records, one row per run and variant, printable in 120 columns."""

from __future__ import annotations

import subprocess
import sys

import pytest

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.summary import RunsTable, format_runs_table, printable
from makemore_tui.core.wording import config_difference
from tests.fake_trainer import SMALL, compare_run, recorded_run

GAINS = [
    ("gain 0.5", SMALL.replace(gain=0.5)),
    ("gain 1", SMALL.replace(gain=1.0)),
    ("gain 3", SMALL.replace(gain=3.0)),
]


def folded(records: list[dict]) -> RunsTable:
    table = RunsTable()
    for record in records:
        table.apply(record)
    return table


def test_a_single_run_row_holds_its_steps_losses_peak_saturation_and_mean_update():
    records = recorded_run(SMALL)
    (row,) = folded(records).rows
    stats = [r for r in records if r["event"] == "stats"]
    assert (row.run, row.variant, row.differs) == (1, 0, "steps 1000")  # SMALL differs from the default so
    assert row.steps == 1000 and row.status == "finished"
    assert (row.train, row.val) == (2.07, 2.10)  # the last eval
    assert row.peak_saturation == max(layer["saturated_pct"] for r in stats for layer in r["layers"])
    weights = [p["update_to_data_log10"] for r in stats for p in r["params"][1:]]  # C (index 0) left out
    assert row.mean_update_log10 == pytest.approx(sum(weights) / len(weights))


def test_a_rerun_names_what_changed_since_the_previous_run():
    second = SMALL.replace(batchnorm=False, gain=3.0)
    table = folded(recorded_run(SMALL) + recorded_run(second, run=2) + recorded_run(second, run=3, upto=300, end=False))
    assert [row.differs for row in table.rows] == ["steps 1000", "BN off · gain 3", "as before"]
    assert [row.status for row in table.rows] == ["finished", "finished", "training"]
    assert table.rows[2].steps == 301  # stats of step 300: 301 steps done
    assert table.rows[2].train is None


def test_a_first_run_differs_from_its_preset_not_from_the_default():
    lecture = TrainConfig(gain=1.0, lr_decay_step=150_000, engine="lecture", preset="lecture", steps=1001)
    (row,) = folded(recorded_run(lecture.replace(stats_every=500), upto=0, end=False)).rows
    assert row.differs == "steps 1001 · stats-every 500"


def test_compare_rows_are_the_variants_and_a_diverged_one_says_where():
    table = folded(compare_run(GAINS, diverge={2: 300}))
    assert [(row.variant, row.differs) for row in table.rows] == [(0, "gain 0.5"), (1, "gain 1"), (2, "gain 3")]
    assert [row.status for row in table.rows] == ["finished", "finished", "diverged at 301"]
    assert table.rows[2].steps == 301 and table.rows[2].train is None  # no eval before it diverged
    assert (table.rows[1].train, table.rows[1].val) == (2.29, 2.35)


def test_the_table_prints_within_its_width_with_undefined_numbers_as_a_dash():
    long_label = [("gain 0.5 · BN off · lr 0.05 · init normal · out ×1 · with a long tail", SMALL), ("b", SMALL)]
    table = folded(compare_run(long_label, diverge={1: 0}))
    lines = format_runs_table(table.rows, width=80)
    assert lines[0].split() == [
        "run",
        "what",
        "differs",
        "steps",
        "train",
        "val",
        "peak",
        "sat",
        "%",
        "update:data",
        "end",
    ]
    assert all(len(line) <= 80 for line in lines)
    assert "…" in lines[1]  # the long label is cut, the numbers stay
    assert lines[2].split()[4:6] == ["–", "–"] and lines[2].endswith("diverged at 1")


def test_an_8_variant_tables_cut_rows_keep_their_variant_letter():
    grid = [
        (f"gain {g} · BN {bn} · lr 0.1 · a long tail", SMALL) for g in ("0.5", "1", "5/3", "3") for bn in ("on", "off")
    ]
    lines = format_runs_table(folded(compare_run(grid)).rows, width=80)
    whats = [line.split(None, 1)[1].split("  ")[0] for line in lines[1:]]
    assert [what.split()[0] for what in whats] == list("abcdefgh")
    assert len(set(whats)) == 8, whats  # no two rows read the same
    single = format_runs_table(folded(recorded_run(SMALL)).rows, width=80)
    assert single[1].split()[1] != "a"  # a single run has no letter


def test_config_difference_reads_like_the_compare_labels():
    config = TrainConfig(batchnorm=False, gain=5 / 3, lr=0.05, block_size=4).to_dict()
    assert config_difference(config, TrainConfig().to_dict()) == ["BN off", "lr 0.05", "block-size 4"]
    assert config_difference(config, config) == []


def test_untrusted_text_is_escaped():
    assert printable("ok ünïcode 名前") == "ok ünïcode 名前"
    assert printable("a\x1b]0;owned\x07b\u202ec\n") == "a\\x1b]0;owned\\x07b\\u202ec\\n"
    table = folded(compare_run([("evil\x1b[2J", SMALL), ("x", SMALL)]))
    assert "\x1b" not in "\n".join(format_runs_table(table.rows))


def test_records_it_cannot_place_are_ignored():
    table = folded([{"event": "stats", "run": 7, "step": 3}, {"event": "from_the_future"}, *recorded_run(SMALL)])
    assert len(table.rows) == 1


def test_summary_needs_neither_torch_nor_textual():
    code = (
        "import sys, makemore_tui.core.summary\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in ('torch', 'textual', 'rich') or m.startswith('makemore_tui.tui'))\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_paused_run_says_paused_until_it_resumes():
    records = recorded_run(SMALL, upto=300, end=False)
    table = folded([*records, {"event": "state", "run": 1, "step": 300, "paused": True}])
    assert [row.status for row in table.rows] == ["paused"]
    table.apply({"event": "state", "run": 1, "step": 300, "paused": False, "lr": 0.2})
    assert [row.status for row in table.rows] == ["training"]
    table.apply({"event": "state", "run": 1, "step": 300, "lr": 0.4})  # an lr change alone keeps the state
    assert [row.status for row in table.rows] == ["training"]


def test_a_rerun_of_an_edited_model_file_says_so_not_as_before():
    """A learner edits mynet.py and presses r: the runs table says the file was edited (it said "as before")."""
    model = SMALL.replace(model="mynet.py")
    runs = [recorded_run(model, run=k) for k in (1, 2, 3, 4, 5)]
    for run, sha in zip(runs, ("aaa", "bbb", "bbb", None, "ccc")):
        if sha is not None:  # run 4's build failed: its run_start names no file (run 5 is compared with run 3)
            run[0]["model"] = {"path": "/home/me/mynet.py", "sha256": sha}
    table = folded([record for run in runs for record in run])
    assert [row.differs for row in table.rows][1:] == ["mynet.py edited", "as before", "as before", "mynet.py edited"]
