"""`makemore-tui plot`: the lecture's five figures from real run logs, their files, and bad input.

The single-run log comes from the real trainer (tiny net). The compare log is made of two real
single runs of different gains, merged as a compare run records them (a variant of a compare
equals the single run of its config, DESIGN §7), because the engine does not train variants yet.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.records import Event
from makemore_tui.core.runlog import RunLog, read_run_log
from makemore_tui.core.values import layer_histogram
from makemore_tui.plot.cli import run_plot
from makemore_tui.plot.series import density, has_weight_histograms, nearest_stats, pick_run, split_runs
from makemore_tui.plot.specs import figure_specs
from makemore_tui.tui.cli import parse_command_line
from tests.conftest import run_to_end

TINY = TrainConfig(
    steps=60, hidden=16, depth=3, stats_every=10, eval_every=20, hist_bins=21, device="cpu", engine="lecture"
)
FIGURES = ("activations", "gradients", "weight-gradients", "update-data", "loss")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def single_log(tmp_path_factory, small_words):
    """A real run log: the tiny BatchNorm net trained 60 steps, stats every 10, evals every 20."""
    path = tmp_path_factory.mktemp("single") / "run.jsonl"
    with RunLog(path) as log:
        run_to_end(TINY, small_words, run_log=log)
    return path


def write_log(path, records):
    with RunLog(path) as log:
        for record in records:
            log.write(record)
    return path


@pytest.fixture(scope="module")
def compare_log(tmp_path_factory, small_words):
    """A compare log of two variants (gain 0.5 and 3, no BatchNorm), each a real single run."""
    configs = {"gain 0.5": TINY.replace(batchnorm=False, gain=0.5), "gain 3": TINY.replace(batchnorm=False, gain=3.0)}
    runs = [run_to_end(config, small_words) for config in configs.values()]
    start = dict(runs[0][0], variants=[{"label": k, "config": c.to_dict()} for k, c in configs.items()])
    body = [dict(r, variant=k) for k, records in enumerate(runs) for r in records if r["event"] in ("stats", "eval")]
    body.sort(key=lambda r: (r["event"] != "stats", r["step"], r["variant"]))
    end = [r for r in runs[0] if r["event"] == Event.RUN_END]
    return write_log(tmp_path_factory.mktemp("compare") / "compare.jsonl", [start, *body, *end])


@pytest.fixture(scope="module")
def batchnorm_log(tmp_path_factory, small_words):
    """A compare log of BatchNorm on and off: the variants' tanh layers and weights sit at different list indexes."""
    configs = {"BatchNorm on": TINY, "BatchNorm off": TINY.replace(batchnorm=False)}
    runs = [run_to_end(config, small_words) for config in configs.values()]
    start = dict(runs[0][0], variants=[{"label": k, "config": c.to_dict()} for k, c in configs.items()])
    body = [dict(r, variant=k) for k, records in enumerate(runs) for r in records if r["event"] == "stats"]
    end = [r for r in runs[0] if r["event"] == Event.RUN_END]
    return write_log(tmp_path_factory.mktemp("bn") / "bn.jsonl", [start, *body, *end])


def the_run(path, number=None):
    return pick_run(split_runs(read_run_log(path)), number, path.name)


def specs_of(path, step=None):
    return {spec.name.split("-step")[0].removeprefix("run1-"): spec for spec in figure_specs(the_run(path), step, "x")}


def draw_all(path, step=None):
    from makemore_tui.plot.figures import draw

    return {name: draw(spec) for name, spec in specs_of(path, step).items()}


def legend_texts(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def data_lines(ax):
    """The plotted lines of an axes, without the reference line."""
    return [line for line in ax.get_lines() if not np.all(np.asarray(line.get_ydata()) == -3)]


# ---- a single run: the lecture's figures -----------------------------------------------------


def test_a_single_run_draws_the_lectures_five_figures_one_line_per_layer(single_log):
    figures = draw_all(single_log)
    assert tuple(figures) == FIGURES
    last = [r for r in read_run_log(single_log) if r["event"] == Event.STATS][-1]
    for name in ("activations", "gradients"):
        (ax,) = figures[name].axes
        assert ax.get_title() == {"activations": "activation distribution", "gradients": "gradient distribution"}[name]
        assert len(ax.get_lines()) == 3 == len(last["layers"])
        # the lecture's names: list index with BatchNorm is 2, 5, 8; the app's depth L1…
        labels = legend_texts(ax)
        assert [label.split(":")[0] for label in labels] == [
            "layer 2 (Tanh) · L1",
            "layer 5 (Tanh) · L2",
            "layer 8 (Tanh) · L3",
        ]
    assert "saturated: " in legend_texts(figures["activations"].axes[0])[0]
    (weights,) = figures["weight-gradients"].axes
    assert weights.get_title() == "weights gradient distribution"
    assert [t.split(":")[0] for t in legend_texts(weights)] == [
        f"param {p['index']} ({name}) torch.Size([{', '.join(map(str, p['shape']))}])"
        for p, name in zip(last["params"], ["C", "W1", "W2", "W3", "W4"])
    ]


def test_histogram_curves_are_densities_of_the_logged_counts(single_log):
    (ax,) = draw_all(single_log)["activations"].axes
    last = [r for r in read_run_log(single_log) if r["event"] == Event.STATS][-1]
    for line, layer in zip(ax.get_lines(), last["layers"]):
        x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        edges = layer_histogram(last, layer, "hist")[0]
        assert np.allclose(x, (edges[:-1] + edges[1:]) / 2)  # bin centres on [-1, 1]
        assert np.sum(y * np.diff(edges)) == pytest.approx(1.0)  # torch.histogram(density=True)
        assert np.allclose(y / y.max(), np.asarray(layer["hist"]["counts"]) / max(layer["hist"]["counts"]))


def test_update_to_data_has_a_line_per_weight_over_the_steps_and_the_minus_3_line(single_log):
    (ax,) = draw_all(single_log)["update-data"].axes
    stats = [r for r in read_run_log(single_log) if r["event"] == Event.STATS]
    reference = [line for line in ax.get_lines() if np.all(np.asarray(line.get_ydata()) == -3)]
    assert len(reference) == 1 and reference[0].get_color() == "k"
    lines = data_lines(ax)
    assert len(lines) == len(stats[-1]["params"])
    names = ["C", "W1", "W2", "W3", "W4"]
    assert legend_texts(ax) == [f"param {p['index']} ({n})" for p, n in zip(stats[0]["params"], names)] + [
        "−3: these ratios should be ~1e-3"
    ]
    assert list(lines[1].get_xdata()) == [r["step"] for r in stats]
    assert np.allclose(lines[1].get_ydata(), [r["params"][1]["update_to_data_log10"] for r in stats])


def test_loss_is_on_a_log_scale_with_the_evaluations_marked(single_log):
    (ax,) = draw_all(single_log)["loss"].axes
    records = read_run_log(single_log)
    stats = [r for r in records if r["event"] == Event.STATS]
    evals = [r for r in records if r["event"] == Event.EVAL]
    assert ax.get_yscale() == "log" and len(evals) >= 3
    loss, train, val = ax.get_lines()
    assert np.allclose(loss.get_ydata(), [r["loss_window"] for r in stats])
    assert list(train.get_xdata()) == list(val.get_xdata()) == [e["step"] for e in evals]
    assert np.allclose(val.get_ydata(), [e["val"] for e in evals])
    assert train.get_linestyle() == "None" and train.get_marker() == "o"


def test_a_loss_over_decades_labels_the_decades_only_and_one_within_a_decade_labels_its_ticks(single_log, tmp_path):
    from makemore_tui.plot.figures import draw

    records = read_run_log(single_log)
    stats = [i for i, r in enumerate(records) if r["event"] == Event.STATS]
    diverged = [
        dict(r, loss_window=3.0 * 10 ** (k / 2)) if i in stats else r for k, (i, r) in enumerate(enumerate(records))
    ]
    for path, decades in ((single_log, False), (write_log(tmp_path / "diverged.jsonl", diverged), True)):
        spec = next(spec for spec in figure_specs(the_run(path), None, "x") if spec.name.endswith("-loss"))
        figure = draw(spec)
        figure.canvas.draw()
        (ax,) = figure.axes
        low, high = ax.get_ylim()
        minor = [
            t.get_text() for t in ax.get_yticklabels(minor=True) if t.get_text() and low <= t.get_position()[1] <= high
        ]
        major = [t.get_text() for t in ax.get_yticklabels() if t.get_text() and low <= t.get_position()[1] <= high]
        if decades:  # 3 to 3·10^5: 10, 100, … labelled, no minor tick (they piled on one another)
            assert high / low > 10**4 and minor == [] and major[:3] == ["10", "100", "1000"]
        else:  # a loss within a decade: its ticks carry plain numbers
            assert (
                high / low < 10 and len(minor) >= 3 and all("e" not in label and "10^" not in label for label in minor)
            )


def test_a_variant_that_diverged_is_drawn_off_scale_and_the_others_set_the_loss_axis(compare_log, tmp_path):
    from makemore_tui.plot.figures import draw

    records = read_run_log(compare_log)
    blown = [
        dict(r, loss_window=3.0e3) if r["event"] == "stats" and r["variant"] == 1 and r["step"] >= 30 else r
        for r in records
    ]
    end = {"event": "variant_end", "run": 1, "variant": 1, "step": 31, "reason": "diverged", "message": "x"}
    path = write_log(tmp_path / "diverged.jsonl", [*blown[:-1], end, blown[-1]])
    spec = next(spec for spec in figure_specs(the_run(path), None, "x") if spec.name.endswith("-loss"))
    figure = draw(spec)
    (ax,) = figure.axes
    low, high = ax.get_ylim()
    kept = [r["loss_window"] for r in records if r["event"] == "stats" and r["variant"] == 0]
    assert low <= min(kept) and max(kept) <= high < 10  # gain 0.5's losses, not the 3,000 of the diverged one
    assert "gain 3 ✖ diverged @31 (off scale)" in legend_texts(ax)
    (plain,) = [s for s in figure_specs(the_run(compare_log), None, "x") if s.name.endswith("-loss")]
    assert plain.ylim is None  # nothing diverged: matplotlib's own limits


def test_the_histograms_are_taken_at_the_stats_record_nearest_the_step(single_log):
    run = the_run(single_log)
    assert nearest_stats(run, 33)[0] == 30 == nearest_stats(run, 33)[1][0]["step"]
    assert nearest_stats(run, 35)[0] == 30  # a tie goes to the earlier record
    assert nearest_stats(run, 10**6)[1][0]["step"] == 59 == nearest_stats(run, None)[0]
    spec = figure_specs(run, 33, "x")[0]
    assert spec.name == "run1-activations-step30"
    at_30 = next(r for r in run.records if r["event"] == Event.STATS and r["step"] == 30)
    assert np.allclose(spec.panels[0].curves[0].y, density(layer_histogram(at_30, at_30["layers"][0], "hist"))[1])


def test_an_old_log_with_edges_and_without_variant_or_depth_draws_the_same(single_log, tmp_path):
    def old(record):
        record = {k: v for k, v in record.items() if k != "variant"}
        if record["event"] == Event.STATS:
            record["layers"] = [_old_layer(record, layer) for layer in record["layers"]]
        return record

    old_log = write_log(tmp_path / "old.jsonl", [old(r) for r in read_run_log(single_log)])
    new, before = specs_of(single_log), specs_of(old_log)
    assert [c.label.split(" · ")[0] for c in before["activations"].panels[0].curves] == [
        c.label.split(" · ")[0] for c in new["activations"].panels[0].curves
    ]
    # the old log states every edge, rounded to the log's digits: densities agree to that rounding
    for a, b in zip(before["gradients"].panels[0].curves, new["gradients"].panels[0].curves, strict=True):
        assert np.allclose(a.x, b.x, rtol=1e-4) and np.allclose(a.y, b.y, rtol=1e-3)


def test_a_figure_the_log_holds_nothing_for_is_skipped_and_said(single_log, tmp_path):
    def without_weight_histograms(record):
        if record["event"] == Event.STATS:
            record = dict(record, params=[{k: v for k, v in p.items() if k != "grad_hist"} for p in record["params"]])
        return record

    log = write_log(tmp_path / "old.jsonl", [without_weight_histograms(r) for r in read_run_log(single_log)])
    code, out, _ = plot(str(log))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 9 and not any("weight-gradients" in line for line in lines)
    assert lines[-1] == "skipped the weights gradient distribution: the log holds nothing to draw it from"


def test_a_deep_net_gets_a_colour_per_layer(single_log, tmp_path):
    def deeper(record):
        if record["event"] == Event.STATS:
            layers = [dict(layer, index=3 * k + 2, depth=k + 1) for k, layer in enumerate(record["layers"] * 4)]
            record = dict(record, layers=layers)
        return record

    log = write_log(tmp_path / "deep.jsonl", [deeper(r) for r in read_run_log(single_log)])
    (ax,) = draw_all(log)["activations"].axes
    assert len(ax.get_lines()) == 12 and len({line.get_color() for line in ax.get_lines()}) == 12


def _old_layer(record: dict, layer: dict) -> dict:
    old = {k: v for k, v in layer.items() if k != "depth"}
    for key in ("hist", "grad_hist"):
        old[key] = {"edges": layer_histogram(record, layer, key)[0].tolist(), "counts": layer[key]["counts"]}
    return old


def compact(record: dict, weights_every: int = 20) -> dict:
    """A stats record as compact logs write it: tanh bins ±1 implicit, the layers' gradient bins
    stated once as `grad_range`, weight-gradient histograms on every `weights_every`-th step only."""
    if record["event"] != Event.STATS:
        return record
    ranges = {layer_histogram(record, layer, "grad_hist")[0][-1] for layer in record["layers"]}
    assert len(ranges) == 1  # the layers share their gradient bins
    layers = [
        dict(layer, hist={"counts": layer["hist"]["counts"]}, grad_hist={"counts": layer["grad_hist"]["counts"]})
        for layer in record["layers"]
    ]
    params = record["params"]
    if record["step"] % weights_every:
        params = [{k: v for k, v in p.items() if k != "grad_hist"} for p in params]
    return dict(record, grad_range=ranges.pop(), layers=layers, params=params)


def test_a_compact_log_draws_the_same_curves_and_weights_where_it_has_them(single_log, tmp_path):
    log = write_log(tmp_path / "compact.jsonl", [compact(r) for r in read_run_log(single_log)])
    full, small = specs_of(single_log, step=30), specs_of(log, step=30)
    for name in ("activations", "gradients"):
        assert small[name].name == f"run1-{name}-step30"
        for a, b in zip(small[name].panels[0].curves, full[name].panels[0].curves, strict=True):
            assert np.allclose(a.x, b.x) and np.allclose(a.y, b.y)
    # step 30 has no weight histograms: the figure takes the nearest record that has them
    with_weights = [r["step"] for r in read_run_log(log) if r["event"] == Event.STATS and has_weight_histograms(r)]
    assert 30 not in with_weights and with_weights
    nearest = min(with_weights, key=lambda s: (abs(s - 30), s))
    assert small["weight-gradients"].name == f"run1-weight-gradients-step{nearest}"
    assert len(small["weight-gradients"].panels[0].curves) == 5


# ---- a compare run: one colour per variant ------------------------------------------------------


def test_a_compare_draws_a_panel_per_layer_with_one_colour_per_variant(compare_log):
    figures = draw_all(compare_log)
    for name in ("activations", "gradients", "weight-gradients", "update-data"):
        figure = figures[name]
        panels = [ax for ax in figure.axes if ax.get_visible()]
        colours = [[line.get_color() for line in data_lines(ax)] for ax in panels]
        assert all(len(c) == 2 for c in colours), name  # both variants in every panel
        assert all(c == colours[0] for c in colours), name  # a variant keeps its colour everywhere
        assert colours[0][0] != colours[0][1], name
        assert [t.split(":")[0] for t in legend_texts(panels[-1])][:2] == ["gain 0.5", "gain 3"]
    activations = [ax for ax in figures["activations"].axes if ax.get_visible()]
    # without BatchNorm the lecture's tanh layers sit at list index 1, 3, 5
    assert [ax.get_title() for ax in activations] == [
        "layer 1 (Tanh) · L1",
        "layer 3 (Tanh) · L2",
        "layer 5 (Tanh) · L3",
    ]
    update = [ax for ax in figures["update-data"].axes if ax.get_visible()]
    assert len(update) == 5 and all(len(ax.get_lines()) == 3 for ax in update)  # 2 variants and the −3 line
    (loss,) = figures["loss"].axes
    assert len({line.get_color() for line in loss.get_lines()}) == 2  # loss and evals in their variant's colour
    # each small multiple's legend lies under its own axes, over no neighbour's curves or labels
    figure = figures["activations"]
    renderer = figure.canvas.get_renderer()
    figure.canvas.draw()
    for ax in activations:
        legend, box = ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer)
        assert legend.y1 < box.y0 and box.x0 - 1 <= (legend.x0 + legend.x1) / 2 <= box.x1 + 1


def test_a_compare_shows_the_gains_effect_at_the_first_layer(compare_log):
    # gain 3 saturates the first tanh layer far more than gain 0.5: the figure holds the variants apart
    (panel, *_) = specs_of(compare_log)["activations"].panels
    low, high = panel.curves
    edge = np.abs(low.x) > 0.9
    assert high.y[edge].sum() > 2 * low.y[edge].sum()


def test_a_mixed_compare_keys_its_panels_by_depth_and_names_both_list_indexes(batchnorm_log):
    # BatchNorm on puts L1..L3 at list index 2, 5, 8 and W1..W4 at 1, 4, 7, 10; off at 1, 3, 5 and 1, 3, 5, 7:
    # a panel holds one depth of both variants, and says each variant's lecture index
    specs = specs_of(batchnorm_log)
    activations = specs["activations"].panels
    assert [p.title for p in activations] == [
        "layer 2 / layer 1 (Tanh) · L1",
        "layer 5 / layer 3 (Tanh) · L2",
        "layer 8 / layer 5 (Tanh) · L3",
    ]
    for depth, panel in enumerate(activations):
        on, off = (curve.label.split(":")[0] for curve in panel.curves)
        assert on == f"BatchNorm on · layer {3 * depth + 2}" and off == f"BatchNorm off · layer {2 * depth + 1}"
    weights = [p.title for p in specs["weight-gradients"].panels]
    assert [t.split(" torch")[0] for t in weights] == [
        "param 0 (C)",
        "param 1 (W1)",
        "param 4 / param 3 (W2)",
        "param 7 / param 5 (W3)",
        "param 10 / param 7 (W4)",
    ]
    update = specs["update-data"].panels
    assert [p.title for p in update][-1] == "param 10 / param 7 (W4)"
    assert [c.label for c in update[-1].curves] == ["BatchNorm on · param 10", "BatchNorm off · param 7"]
    assert all(len(p.curves) == 2 for p in [*activations, *specs["weight-gradients"].panels, *update])


# ---- the command: files, messages, exit codes -------------------------------------------------------


def plot(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_plot(parse_command_line(["plot", *argv]), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("which", ["single", "compare"])
def test_plot_writes_a_png_and_an_svg_per_figure_and_prints_their_paths(which, single_log, compare_log, tmp_path):
    from matplotlib.image import imread

    log = single_log if which == "single" else compare_log
    code, out, err = plot(str(log), "--out", str(tmp_path / "figs"))
    assert (code, err) == (0, "")
    paths = out.split()
    assert sorted(paths) == sorted(
        str(tmp_path / "figs" / f"run1-{name}{'-step59' if n < 3 else ''}.{fmt}")
        for n, name in enumerate(FIGURES)
        for fmt in ("png", "svg")
    )
    for path in paths:
        if path.endswith(".png"):
            with open(path, "rb") as file:
                assert file.read(8) == PNG_SIGNATURE
            assert imread(path).shape[0] >= 300  # decodes, and is a figure, not an empty canvas
        else:
            root = ET.parse(path).getroot()
            assert root.tag.endswith("svg") and len(list(root.iter())) > 100


def test_the_default_folder_is_beside_the_log_and_run_picks_a_run(single_log, tmp_path):
    records = read_run_log(single_log)
    two_runs = write_log(tmp_path / "two.jsonl", [*records, *(dict(r, run=2) for r in records)])
    code, out, _ = plot(str(two_runs))
    assert code == 0 and all(p.startswith(str(tmp_path / "two-figures" / "run2-")) for p in out.split())
    code, out, _ = plot(str(two_runs), "--run", "1", "--step", "0")
    assert code == 0 and str(tmp_path / "two-figures" / "run1-activations-step0.png") in out.split()


def bad_inputs(single_log, tmp_path) -> dict[str, list[str]]:
    records = read_run_log(single_log)
    no_stats = write_log(tmp_path / "nostats.jsonl", [r for r in records if r["event"] != Event.STATS])
    two_runs = write_log(tmp_path / "two.jsonl", [*records, *(dict(r, run=2) for r in records)])
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "binary.jsonl").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "taken" / "run1-activations-step59.png").mkdir(parents=True)  # a folder where a file must go
    return {
        "no such log": [str(tmp_path / "missing.jsonl")],
        "a directory": [str(tmp_path)],
        "a binary file": [str(tmp_path / "binary.jsonl")],
        "no stats": [str(no_stats)],
        "run 7 of 2": [str(two_runs), "--run", "7"],
        "an unwritable folder": [str(single_log), "--out", str(tmp_path / "a-file" / "figs")],
        "an unwritable file": [str(single_log), "--out", str(tmp_path / "taken")],
    }


# case -> what the one line must say
CASES = {
    "no such log": "no run log at",
    "a directory": "no run log at",
    "a binary file": "holds no run records",
    "no stats": "run 1 of nostats.jsonl has no statistics records",
    "run 7 of 2": "two.jsonl has no run 7 (it holds run 1, 2",
    "an unwritable folder": "cannot create",
    "an unwritable file": "cannot write in",
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gets_one_line_and_exit_2(case, single_log, tmp_path):
    code, out, err = plot(*bad_inputs(single_log, tmp_path)[case])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("makemore-tui plot: ") and "Traceback" not in err
    assert CASES[case] in err


def test_a_bad_run_number_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        plot("run.jsonl", "--run", "0")
    assert exit_info.value.code == 2 and "at least 1" in capsys.readouterr().err


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_without_matplotlib_one_line_says_how_to_install_it(single_log, tmp_path):
    result = run_python(
        "import sys, argparse; sys.modules['matplotlib'] = None\n"  # any import of matplotlib now fails
        "from makemore_tui.plot.cli import run_plot\n"
        f"sys.exit(run_plot(argparse.Namespace(log={str(single_log)!r}, run=None, step=None, out={str(tmp_path)!r})))"
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and 'pip install -e ".[plot]"' in result.stderr
    assert not list(tmp_path.iterdir())


def test_the_command_costs_no_matplotlib_import_until_it_draws():
    result = run_python(
        "import json, sys\n"
        "import makemore_tui.plot.cli, makemore_tui.plot.series, makemore_tui.plot.specs, makemore_tui.plot.figures\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'textual'))))"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
