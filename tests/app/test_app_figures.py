"""The lecture's figures the screen lacked: weight-gradient histograms, each layer's histogram over steps
(bounded, scrubbable in a replay), the runs table; and where they sit at each terminal size."""

from __future__ import annotations

import numpy as np

from makemore_tui.core.records import Event
from makemore_tui.core.values import histogram
from makemore_tui.tui.history import History, LayerHistory, merge, rebin
from makemore_tui.tui.state import ViewState
from makemore_tui.tui.widgets.history import heat_rows
from tests.app.figure_records import weight_hist_run, with_hpreacts
from tests.app.helpers import live_app, replay_app, run_async, running, screen_text, wait_for_text
from tests.app.test_app_colour import THEMES, ink
from tests.fake_trainer import SMALL, compare_run, recorded_run, stats_record

NO_BN = SMALL.replace(batchnorm=False, gain=3.0)


def drifting(step: int, total: int, layers: int = 2, bins: int = 8) -> dict:
    """A stats record whose tanh histograms move from the centre (step 0) to the ±1 edges (the last step)."""
    edge = step / total
    counts = [round(100 * ((1 - edge) * (k in (3, 4)) + edge * (k in (0, bins - 1)))) for k in range(bins)]
    return {
        "event": Event.STATS,
        "run": 1,
        "step": step,
        "layers": [{"depth": j + 1, "hist": histogram(-1, 1, counts)} for j in range(layers)],
    }


def panel_body(text: str, title: str) -> list[str]:
    """The lines under a panel's title, each cut to that panel's columns."""
    lines = text.splitlines()
    top = next(i for i, line in enumerate(lines) if f"─ {title}" in line)
    left = lines[top].rindex("╭", 0, lines[top].index(title))
    right = lines[top].index("╮", left)
    body = []
    for line in lines[top + 1 :]:
        if line[left] == "╰":
            break
        body.append(line[left + 1 : right])
    return body


# ---- the history fold ----------------------------------------------------------------------------------


def test_rebin_keeps_every_count_and_moves_it_by_bin_centre():
    counts = np.array([[1.0, 2, 3, 4]])  # bins of [-1, 1]: centres -0.75, -0.25, 0.25, 0.75
    assert rebin(counts, [-1.0], [1.0], -1.0, 1.0, 2).tolist() == [[3, 7]]
    wide = rebin(counts, [-1.0], [1.0], -2.0, 2.0, 4)  # onto [-2, 2]: all in the middle two bins
    assert wide.tolist() == [[0, 3, 7, 0]]
    finer = rebin(np.array([[5.0, 6]]), [0.0], [1.0], 0.0, 1.0, 4)  # centres 0.25, 0.75: bins 1 and 3
    assert finer.tolist() == [[0, 5, 0, 6]]


def test_merging_columns_of_different_ranges_keeps_both_on_the_range_of_both():
    a = np.array([[0.0, 10, 10, 0]])  # on [-1, 1]
    b = np.array([[0.0, 5, 5, 0]])  # on [-0.5, 0.5]
    counts, lo, hi = merge(a, np.array([-1.0]), np.array([1.0]), b, np.array([-0.5]), np.array([0.5]))
    assert counts.sum() == 30 and lo.tolist() == [-1.0] and hi.tolist() == [1.0]
    assert counts.tolist() == [[0, 15, 15, 0]]


def test_a_long_run_keeps_a_bounded_number_of_evenly_spaced_columns_and_every_count():
    history = LayerHistory("hist", max_columns=32)
    for step in range(0, 100_000, 10):
        history.add(drifting(step, 100_000))
    steps, counts, lo, hi = history.columns()
    assert len(history) <= 33 and counts.shape[1:] == (2, 8)
    assert steps[0] < 5_000 and steps[-1] > 95_000 and np.all(np.diff(steps) > 0)
    assert counts.sum() == 10_000 * 2 * 200  # nothing lost in the merges
    assert np.allclose(lo, -1) and np.allclose(hi, 1)


def test_a_record_without_every_layer_histogram_or_of_another_shape_is_skipped():
    history = LayerHistory("hist")
    history.add(drifting(0, 10))
    history.add(drifting(1, 10, layers=3))  # another shape
    history.add({"event": Event.STATS, "step": 2, "layers": [{"depth": 1}]})  # no histogram
    assert len(history) == 1


def test_the_view_folds_each_variants_history_and_keeps_it_bounded():
    config = SMALL.replace(steps=6_000, stats_every=10)  # 601 stats records a variant: columns merge
    view = ViewState()
    view.apply(compare_run([("BN", config), ("no BN", config.replace(batchnorm=False))]))
    for variant in view.current.variants:
        assert 128 <= len(variant.history.gradients) <= 256 and variant.history.activations.bucket == 4
        assert variant.history.activations.shape == (5, config.hist_bins)
    assert [row.differs for row in view.runs.rows] == ["BN", "no BN"]


def test_the_heatmap_shows_the_centre_early_and_the_edges_late():
    history = LayerHistory("hist")
    for step in range(0, 1001, 100):
        history.add(drifting(step, 1000))
    levels, lo, hi = heat_rows(history, 0, rows=8, cols=11, x_end=1000)
    assert (lo, hi) == (-1.0, 1.0) and levels.shape == (8, 11)
    assert levels[3:5, 0].min() == 4 and levels[[0, 7], 0].max() == 0  # step 0: the middle
    assert levels[[0, 7], -1].min() == 4 and levels[3:5, -1].max() == 0  # the end: both edges
    half = heat_rows(history, 0, rows=8, cols=21, x_end=2000)[0]  # a run twice as long: data ends midway
    assert half[:, 10].max() > 0 and half[:, 11:].max() == 0
    rising = LayerHistory("hist")  # every output near +1: the top row (bins up)
    rising.add({"event": Event.STATS, "step": 0, "layers": [{"depth": 1, "hist": histogram(-1, 1, [0, 0, 0, 9])}]})
    top = heat_rows(rising, 0, rows=4, cols=3, x_end=10)[0]
    assert top[0, 0] == 4 and top[1:, 0].max() == 0


def test_the_latest_weight_histograms_stay_until_a_newer_record_has_them():
    history = History()
    records = [r for r in weight_hist_run(SMALL, every=4) if r.get("event") == Event.STATS]
    for record in records[:10]:  # steps 0 … 900: histograms at 0, 400, 800
        history.add(record)
    assert history.weights["step"] == 800 and "grad_hist" in history.weights["params"][0]


# ---- the panels ----------------------------------------------------------------------------------------


@run_async
async def test_w_switches_the_weights_panel_to_the_gradient_histograms_of_the_latest_record_that_has_them():
    async with running(live_app(weight_hist_run(NO_BN, upto=1000, end=False), config=NO_BN, respond=False)) as (
        app,
        _,
        pilot,
    ):
        await pilot.pause()
        await pilot.press("w")
        body = panel_body(screen_text(app), "4 weight gradients")
        assert body[0].strip() == "weight gradients at step 800 · w: table"  # step 1000's record has none
        assert body[1].split() == ["━", "C", "━", "W1", "━", "W2", "━", "W3", "━", "W4", "━", "W5", "━", "W6"]
        assert body[-1].split() == ["-0.0194", "0.0194"]  # the outer bins' centres on the x axis
        await pilot.press("4")  # zoomed: room for the legend's shapes and grad:data
        legend = " ".join(panel_body(screen_text(app), "4 weight gradients")[1:3])
        for name in ("C 27×10 g:d 5.93e-03", "W1 30×100", "W5 100×100", "W6 100×27 g:d"):
            assert name in legend
        await pilot.press("w")
        assert panel_body(screen_text(app), "4 weight gradients")[1].lstrip().startswith("C ")


HPREACT = "2 activation histograms · tanh input hpreact"


@run_async
async def test_p_turns_the_activations_panel_to_hpreact_of_the_latest_record_that_has_it():
    records = with_hpreacts(weight_hist_run(NO_BN, upto=1000, end=False))
    async with running(live_app(records, config=NO_BN, respond=False), after="step 1,000") as (app, _, pilot):
        await pilot.press("p")
        body = panel_body(screen_text(app), HPREACT)
        assert body[0].split() == ["hpreact", "@800", "━", "L1", "━", "L2", "━", "L3", "━", "L4", "━", "L5"]
        assert body[-1].split() == ["-3", "3"]  # the record's range, wider than tanh's [-1, 1]
        assert "panel 2 shows hpreact, the tanh input" in screen_text(app)
        await pilot.press("p")
        body = panel_body(screen_text(app), "2 activation histograms · tanh output t")
        assert body[0].split()[:3] == ["σ", "━", "L1"] and body[-1].split() == ["-1", "1"]


@run_async
async def test_a_replay_shows_the_hpreact_histograms_its_log_holds_at_the_cursor():
    app = replay_app(with_hpreacts(weight_hist_run(NO_BN, upto=1000)))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, app, "record")
        await pilot.press("p")
        await pilot.press("end")
        assert panel_body(screen_text(app), HPREACT)[0].split()[:2] == ["hpreact", "@800"]  # every 4th record has them
        await pilot.press("home")
        assert panel_body(screen_text(app), HPREACT)[0].split()[:2] == ["hpreact", "@0"]


@run_async
async def test_the_history_panel_follows_the_replay_cursor():
    app = replay_app(recorded_run(NO_BN, satmap=False))
    async with app.run_test(size=(150, 40)) as pilot:
        await wait_for_text(pilot, app, "record 11/11")
        await pilot.press("home")
        start = panel_body(screen_text(app), "9 histograms over steps")
        await pilot.press("end")
        end = panel_body(screen_text(app), "9 histograms over steps")
        start_axis, end_axis = (next(line for line in body if "▲" in line) for body in (start, end))
        assert start_axis.rstrip().endswith(" 1k")  # the x axis spans the run's steps from the first record on
        assert start_axis.index("▲") < 12 and end_axis.rstrip().endswith("1k▲")  # the label moves off the marker
        band_start = [line.split("│", 2)[-1] for line in start[1:5]]  # L1's rows, right of the labels
        band_end = [line.split("│", 2)[-1] for line in end[1:5]]
        filled_start = max(len(row.rstrip()) for row in band_start)
        filled_end = max(len(row.rstrip()) for row in band_end)
        assert filled_start <= 2 and filled_end > 35  # the columns end at the cursor
        await pilot.press("h")
        header = panel_body(screen_text(app), "9 histograms over steps")[0].strip()
        assert header == "gradients · h: activations · +3 more: z"  # short: the layers left out are said


@run_async
async def test_the_runs_table_has_a_row_per_run_with_what_differs_and_a_replay_folds_it_to_the_cursor():
    async with running(live_app(recorded_run(SMALL, upto=600, end=False))) as (app, _, pilot):
        await pilot.pause()
        await pilot.press("b")
        await wait_for_text(pilot, app, "run 2 started")
        await pilot.press("0")
        rows = [line.strip() for line in panel_body(screen_text(app), "0 runs") if line.strip()]
        assert rows[0].split()[:3] == ["run", "what", "differs"]
        assert rows[1].startswith("1") and rows[1].endswith("stopped at 600")
        assert rows[2].startswith("▶2") and "BN off" in rows[2] and rows[2].endswith("training")
    replay = replay_app(recorded_run(SMALL, satmap=False) + recorded_run(NO_BN, run=2, satmap=False))
    async with replay.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, replay, "record 22/22")
        await pilot.press("0")
        assert len([line for line in panel_body(screen_text(replay), "0 runs") if line.strip()]) == 3
        await pilot.press("home")
        rows = [line.strip() for line in panel_body(screen_text(replay), "0 runs") if line.strip()]
        assert len(rows) == 2 and rows[1].startswith("▶1")


@run_async
async def test_the_runs_table_on_screen_takes_the_last_eval_and_the_end_without_a_key():
    app, trainer = live_app(recorded_run(SMALL, upto=1000, end=False), respond=False)
    async with app.run_test(size=(200, 60)) as pilot:  # every panel on screen, the runs table among them
        await wait_for_text(pilot, app, "step 1,000")
        await pilot.pause(0.3)
        row = [line.strip() for line in panel_body(screen_text(app), "0 runs") if line.strip()][1]
        assert row.endswith("training")
        trainer.channel.put({"event": Event.EVAL, "run": 1, "variant": 0, "step": 1000, "train": 2.05, "val": 2.08})
        trainer.channel.put({"event": Event.RUN_END, "run": 1, "step": 1000, "reason": "finished", "seconds": 1.2})
        await wait_for_text(pilot, app, "finished")
        await pilot.pause(0.5)  # no key pressed: the table must follow the records by itself
        row = [line.strip() for line in panel_body(screen_text(app), "0 runs") if line.strip()][1]
        assert "2.0500" in row and "2.0800" in row and row.endswith("finished"), row


# ---- where the figures sit -----------------------------------------------------------------------------


@run_async
async def test_each_layout_grids_what_fits_and_the_rest_is_a_key_away():
    app, _ = live_app(recorded_run(SMALL))
    async with app.run_test(size=(150, 40)) as pilot:  # 200×60, every panel: test_app_layout.py
        await pilot.pause()
        assert "9 histograms over steps" in screen_text(app) and "0 runs" not in screen_text(app)
        await pilot.press("9", "escape", "tab")  # in the grid tab skips the runs table: 9 → 1
        assert app.panel == 0
        await pilot.press("0")
        text = screen_text(app)
        assert "0 runs · every run" in text and "1 saturation ·" not in text and "esc: all" in text
        await pilot.press("escape")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        text = screen_text(app)
        assert "8 samples" in text and "9 histograms" not in text and "0 runs" not in text


@run_async
async def test_the_new_figures_take_the_theme_and_stay_legible():
    async with running(live_app(weight_hist_run(NO_BN), config=NO_BN, respond=False), size=(200, 60)) as (
        app,
        _,
        pilot,
    ):
        await pilot.press("w")
        for theme in THEMES:
            app.theme = theme
            await pilot.pause()
            for panel in app.panels:
                if panel.id in ("weights", "history", "runs"):
                    poor = {text: round(ratio, 2) for text, ratio in ink(panel).items() if ratio < 2.9}
                    assert not poor, f"{theme}: {panel.id} illegible: {poor}"


def test_a_broad_histogram_keeps_its_shape_in_a_four_row_band():
    # BatchNorm's tanh outputs are broad: scaled to the column's peak, 4 rows of them were all █
    history = LayerHistory("hist")
    history.add(stats_record(1, 0, SMALL))
    column = heat_rows(history, 0, rows=4, cols=1, x_end=1)[0][:, 0]
    assert len(set(column.tolist())) > 1, column
    saturated = LayerHistory("hist")  # half the outputs in the ±1 bins: the edges darker than the middle
    saturated.add(
        {
            "event": Event.STATS,
            "step": 0,
            "layers": [{"depth": 1, "hist": histogram(-1, 1, [25, 6, 6, 6, 6, 6, 6, 25])}],
        }
    )
    column = heat_rows(saturated, 0, rows=4, cols=1, x_end=1)[0][:, 0]
    assert column[0] == column[-1] > column[1] == column[2] > 0, column


@run_async
async def test_the_history_panel_reaches_every_layer_at_80x24():
    async with running(live_app(respond=False), size=(80, 24), after="step 600") as (app, _, pilot):
        await pilot.press("9")
        body = panel_body(screen_text(app), "9 histograms over steps")
        labels = [line.split("│")[0].strip() for line in body[1:]]
        assert all(f"L{k}" in labels for k in range(1, 6)), body
        assert "more: z" not in body[0]  # z zooms nothing when one panel is the page


@run_async
async def test_the_loss_panel_shows_the_calibrated_eval_of_a_finished_batchnorm_run():
    records = recorded_run(SMALL)
    end = next(r for r in reversed(records) if r["event"] == Event.EVAL)
    end |= {"calibrated_train": 2.0651, "calibrated_val": 2.0993}
    app = replay_app(records)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("end", "6")  # zoomed: the legend's second line has room for it
        legend = " ".join(panel_body(await wait_for_text(pilot, app, "BN calibrated"), "6 loss")[:2])
        assert "● train 2.070" in legend and "◆ val 2.100" in legend and "BN calibrated 2.065/2.099" in legend
        await pilot.press("home")  # before the end's eval: not yet
        assert "BN calibrated" not in " ".join(panel_body(screen_text(app), "6 loss")[:2])
