"""Headless output of compare runs: the lecture's tables as layer rows × variant columns, a final runs table."""

from __future__ import annotations

import io

from makemore_tui.core.channel import RecordChannel
from makemore_tui.core.compare import parse_compare
from makemore_tui.core.trainer import Trainer
from makemore_tui.tui.headless import HeadlessPrinter
from makemore_tui.tui.tables import compare_tables
from tests.fake_trainer import SMALL, compare_run


def variants(*specs: str, base=SMALL) -> list[tuple[str, object]]:
    return [(v.label, v.config) for v in parse_compare(list(specs), base)]


def printed(records: list[dict], width: int = 120, **options) -> str:
    out = io.StringIO()
    printer = HeadlessPrinter(out, width=width, **options)
    for record in records:
        printer.handle(record)
    printer.finish()
    return out.getvalue()


def table_at(text: str, heading: str) -> list[str]:
    """The lines of the table under `heading`, up to the next line that is not part of a table."""
    lines = text.splitlines()
    start = lines.index(heading) + 1
    end = start
    while end < len(lines) and not lines[end].startswith(("hint:", "samples", "eval at", "step ", "run ", "variant ")):
        end += 1
    return lines[start:end]


def row(table: list[str], label: str, after: str | None = None) -> list[str]:
    """The cells of the row whose label is `label` (the first after the section head `after`)."""
    start = table.index(after) if after else 0
    line = next(line for line in table[start:] if line[:16].strip() == label)
    return line[16:].split()


GAINS = variants("gain=0.5,1,5/3,3", base=SMALL.replace(batchnorm=False))


def test_layer_rows_and_variant_columns_at_step_0_each_eval_and_the_end():
    records = compare_run(GAINS)
    text = printed(records)
    headings = [line for line in text.splitlines() if line.startswith(("step 0/", "eval at"))]
    assert headings == [
        "step 0/1000:",
        "eval at step 500 · statistics of step 500:",
        "eval at step 1000 · statistics of step 1000:",
    ]
    table = table_at(text, "step 0/1000:")
    assert table[0].split() == " ".join(label for label, _ in GAINS).split()  # the labels head the columns
    stats0 = [r for r in records if r["event"] == "stats" and r["step"] == 0]
    assert row(table, "L3 (layer 5)", "saturated %") == [f"{s['layers'][2]['saturated_pct']:.1f}" for s in stats0]
    assert row(table, "L5 (layer 9)", "std") == [f"{s['layers'][4]['std']:.2f}" for s in stats0]
    assert row(table, "L1 (layer 1)", "grad std") == [f"{s['layers'][0]['grad_std']:.2e}" for s in stats0]
    assert row(table, "W2", "update:data log10") == [f"{s['params'][2]['update_to_data_log10']:+.2f}" for s in stats0]
    final = table_at(text, "eval at step 1000 · statistics of step 1000:")
    assert row(final, "train loss") == ["2.3000", "2.2900", "2.2800", "2.2700"]
    assert all(len(line) <= 120 for line in text.splitlines() if not line.startswith("hint:"))


def test_eight_variants_get_numbered_columns_and_a_legend_and_split_when_narrow():
    eight = variants("gain=0.5,1,5/3,3", "batchnorm=on,off")
    text = printed(compare_run(eight))
    table = table_at(text, "step 0/1000:")
    assert table[0].startswith(f"variants:  #1 {eight[0][0]}  #2 {eight[1][0]}  #3")
    heads = next(line for line in table if line.split()[:1] == ["#1"])
    assert heads.split() == [f"#{k}" for k in range(1, 9)]
    assert "L1" in [line[:16].strip() for line in table]  # BN on and off differ in the lecture's index: depth only
    assert all(len(line) <= 120 for line in table)
    narrow = table_at(printed(compare_run(eight), width=60), "step 0/1000:")
    assert all(len(line) <= 60 for line in narrow)
    assert [line.split() for line in narrow if line.split() and all(word.startswith("#") for word in line.split())] == [
        ["#1", "#2", "#3", "#4"],
        ["#5", "#6", "#7", "#8"],
    ]


def test_a_diverged_variant_says_so_shows_dashes_and_ends_the_runs_table_with_its_step():
    text = printed(compare_run(GAINS, diverge={3: 300}))
    assert "variant 4 (gain 3) diverged at step 301: the loss became nan at step 300" in text
    eval_table = table_at(text, "eval at step 500 · statistics of step 500:")
    assert row(eval_table, "val loss")[3] == "–" and row(eval_table, "L1 (layer 1)", "std")[3] == "–"
    assert row(eval_table, "L1 (layer 1)", "std")[0] != "–"
    lines = text.splitlines()
    runs = lines[lines.index("runs:") + 2 :]
    assert [line.split()[-1] for line in runs] == ["finished", "finished", "finished", "301"]
    assert runs[3].split()[:7] == ["1", "d", "gain", "3", "301", "–", "–"] and runs[3].endswith("diverged at 301")


def test_no_tables_still_shows_every_variants_losses_at_each_eval():
    text = printed(compare_run(GAINS), tables="none")
    assert "saturated %" not in text
    table = table_at(text, "eval at step 500:")
    assert [line[:16].strip() for line in table] == ["", "loss", "train loss", "val loss"]


def test_lines_about_one_variant_name_it():
    text = printed(compare_run(GAINS))
    assert 'samples at step 1000 · gain 5/3: "mora" "v2"' in text
    hints = [line for line in text.splitlines() if line.startswith("hint:")]
    assert hints and all(line.split(": ")[1].split(" · ")[1].startswith("gain ") for line in hints)
    # a gain compare: its hints name no --gain (it would undo the compare), the other fixes their flag
    assert "(--gain)" not in text and "gain 5/3 (compared here)" in text and "BatchNorm on (--batchnorm)" in text


def test_compare_tables_with_a_variant_that_has_no_record_yet():
    lines = compare_tables([None, None], ["a", "b"], 120)
    assert lines[1].split() == ["loss", "–", "–"]


def test_a_real_compare_run_prints_its_variants_side_by_side(small_words):
    base = SMALL.replace(steps=120, stats_every=40, eval_every=80, hidden=16, depth=3)
    compare = parse_compare(["gain=0.5,3"], base)
    channel = RecordChannel(maxsize=10**6)
    trainer = Trainer(base, small_words, channel=channel, variants=compare, exit_when_done=True)
    trainer.start()
    assert trainer.join(120)
    text = printed(channel.drain())
    assert [line for line in text.splitlines() if line.startswith(("step 0/", "eval at"))] == [
        "step 0/120:",
        "eval at step 80 · statistics of step 80:",
        "eval at step 120 · statistics of step 119:",
    ]
    final = table_at(text, "eval at step 120 · statistics of step 119:")
    assert final[0].split() == " ".join(v.label for v in compare).split()
    assert all(cell != "–" for cell in row(final, "val loss") + row(final, "L3 (layer 8)", "saturated %"))
    assert [line.split()[-1] for line in text.splitlines()[-2:]] == ["finished", "finished"]
