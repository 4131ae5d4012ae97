"""`makemore-tui plot RUN.jsonl`: the lecture's five figures of a recorded run, as PNG and SVG files.

`add_plot_arguments(parser)` gives the command line's `plot` parser its arguments and
`run_plot(args)` runs it (exit code 0, or 2 with one line on stderr for bad input or a missing matplotlib). Nothing
here imports matplotlib at module level: the app and headless never pay for it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from makemore_tui.core.records import ExitCode
from makemore_tui.core.runlog import load_run_log
from makemore_tui.core.text import printable
from makemore_tui.plot.figures import draw, require_matplotlib, save
from makemore_tui.plot.series import PlotError, pick_run, split_runs
from makemore_tui.plot.specs import figure_specs

HELP = "draw the lecture's figures of a recorded run as PNG and SVG files"
DESCRIPTION = """\
Draw the figures of "makemore part 3" from a run log, one PNG and one SVG each:
activation, gradient and weight-gradient distributions (at the statistics record
nearest --step, default the last), the update:data ratio over steps with the -3
line, and the loss with the evaluations. Compare runs get one colour per variant.
Needs matplotlib: pip install -e ".[plot]"."""


def _whole_number(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {minimum}, got {value}")
        return value

    return parse


def add_plot_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give `parser` (makemore-tui plot's) the command's arguments; return it."""
    parser.add_argument("log", metavar="RUN.jsonl", help="a run log written by makemore-tui")
    parser.add_argument(
        "--run", type=_whole_number(1), metavar="N", help="which run of the log (its run number; default: the last)"
    )
    parser.add_argument(
        "--step",
        type=_whole_number(0),
        metavar="S",
        help="draw the histograms at the statistics record nearest step S (default: the last)",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="where to write the figures (default: RUN-figures/ beside the log)"
    )
    return parser


def default_out(log: Path) -> Path:
    """Where the figures of a log go by default: a folder named after it, beside it."""
    return log.with_name(f"{log.stem}-figures")


def run_plot(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Draw and save the figures for parsed `args` (log, run, step, out); print each file's path.

    Returns ExitCode.OK, or ExitCode.USAGE after one line on `err`: no matplotlib, no such
    log, no statistics in it, no such run, an output folder that cannot be written.
    """
    out, err = out or sys.stdout, err or sys.stderr
    try:
        paths, skipped = plot_log(Path(args.log), args.run, args.step, Path(args.out) if args.out else None)
    except (PlotError, ImportError) as error:
        print(f"makemore-tui plot: {printable(str(error))}", file=err)  # messages name paths: escaped
        return ExitCode.USAGE
    for path in paths:
        print(printable(str(path)), file=out)
    for title in skipped:
        print(f"skipped the {title}: the log holds nothing to draw it from", file=out)
    return ExitCode.OK


def plot_log(
    log: Path, run_number: int | None, step: int | None, directory: Path | None
) -> tuple[list[Path], list[str]]:
    """Write the figures of one run of `log` into `directory`; return (paths written, titles skipped).

    A figure is skipped when the log holds nothing for it (an old log without weight-gradient histograms).
    Raises PlotError (one line) for bad input, MatplotlibMissing without matplotlib.
    """
    require_matplotlib()
    # the log's name for titles: its bytes as UTF-8 (a C locale hands argv over as surrogates), escaped
    name = printable(os.fsencode(log.name).decode("utf-8", "replace"))
    run = pick_run(split_runs(_read(log)), run_number, name)
    directory = directory or default_out(log)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PlotError(f"cannot create {directory}: {error.strerror or error} (choose another --out)") from None
    paths, skipped = [], []
    for spec in figure_specs(run, step, name):
        if not spec.curve_count:
            skipped.append(spec.title)
            continue
        figure = draw(spec)
        try:
            paths += save(figure, directory, spec.name)
        except OSError as error:
            raise PlotError(f"cannot write in {directory}: {error.strerror or error} (choose another --out)") from None
    return paths, skipped


def _read(log: Path) -> list[dict]:
    if not log.is_file():
        raise PlotError(f"no run log at {log} (pass a .jsonl file written by makemore-tui)")
    try:
        return load_run_log(log)[0]
    except OSError as error:
        raise PlotError(f"cannot read {log}: {error.strerror or error}") from None
