"""The `makemore-tui` command line's words: its usage, --help, the parsers of training, replay and plot, and
the flags turned into a TrainConfig (ConfigError for a bad value). tui/cli.py runs what they ask."""

from __future__ import annotations

import argparse
import difflib
import os

from makemore_tui import __version__
from makemore_tui.core.compare import AXES, MAX_VARIANTS
from makemore_tui.core.config import BUILTIN_DATA, PRESETS, ConfigError, TrainConfig, parse_gain
from makemore_tui.core.text import printable
from makemore_tui.tui.model_args import add_model_arguments

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
USAGE = """\
%(prog)s [--headless] [flags]
       %(prog)s replay RUN.jsonl
       %(prog)s plot RUN.jsonl [--run N] [--step S] [--out DIR]"""

DESCRIPTION = """\
Train the deep tanh MLP of "makemore part 3: activations, gradients & BatchNorm"
and watch its insides live: tanh saturation per layer, activation and gradient
histograms, grad:data and update:data ratios, the loss, sampled names.

In the app, keys run the lecture's experiments: b toggles BatchNorm and reruns,
g cycles the init gain (5/3, 1, 0.5, 3), t toggles tanh/linear, i Kaiming/normal init,
o the output scale 0.1/1, r reruns, space pauses, n steps once, +/- double or halve the
learning rate, e evaluates, s samples, ? helps, q quits."""

EPILOG = """\
examples:
  makemore-tui                                   the app, on the built-in names
  makemore-tui --no-batchnorm --gain 5/3         the lecture's "no BatchNorm" experiment
  makemore-tui --headless --steps 2000           train without a UI, print tables
  makemore-tui --headless --preset lecture --data names.txt --steps 1001 --stats-every 1000
  makemore-tui replay runs/run-20261126-101500-42.jsonl   view a recorded run (no other flags)
  makemore-tui plot runs/run-20261126-101500-42.jsonl     the lecture's figures as PNG and SVG

presets:
  default   BatchNorm on, gain 5/3, the fast engine, lr 0.1 then 0.01 for the last quarter
  lecture   the notebook exactly: gain 1, lr 0.1 then 0.01 from step 150000 of 200000,
            the from-scratch layers and autograd; reproduces its printed statistics
            given the lecture's names.txt (--data path/to/names.txt)

Every run is recorded as JSON Lines (default under ./runs/, see --run-log).
exit codes: 0 done, 1 unexpected failure, 2 bad input or usage, 3 the run diverged,
4 finished (or diverged), but the run log is incomplete (the disk filled up),
130 interrupted, 141 headless output closed (e.g. | head)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line, then exits 2."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The parser for every flag of DESIGN §2."""
    parser = _Parser(
        prog="makemore-tui",
        usage=USAGE,
        allow_abbrev=False,  # a mistyped flag gets "did you mean", never a silent guess
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--headless", action="store_true", help="train with no UI: print progress and the lecture's tables"
    )
    parser.add_argument("--version", action="version", version=f"makemore-tui {__version__}")
    parser.add_argument(
        "--data", metavar="PATH", help="words file, UTF-8, one word per line (default: the built-in US names)"
    )
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="default",
        help="starting configuration; flags override it (default: default)",
    )
    parser.add_argument("--steps", type=_whole_number, metavar="N", help="optimisation steps (default 200000)")
    parser.add_argument(
        "--batchnorm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="BatchNorm after every Linear (default on)",
    )
    parser.add_argument(
        "--gain",
        type=str,
        metavar="G",
        help="init gain on the Linear weights, a number or fraction like 5/3 (default 5/3; 1 with --preset lecture)",
    )
    parser.add_argument(
        "--activation",
        help="the activation layers: tanh, or linear (identity: the lecture's linear sandwich) (default tanh)",
    )
    parser.add_argument(
        "--init",
        help="kaiming: randn/sqrt(fan_in)·gain (the lecture's deep net); normal: plain randn, its first draft "
        "(default kaiming)",
    )
    parser.add_argument(
        "--output-scale",
        type=_number,
        metavar="X",
        help="shrink of the output layer at init; 1 makes the initial loss confidently wrong (default 0.1)",
    )
    parser.add_argument(
        "--weight-scale",
        type=_number,
        metavar="X",
        help="with --init normal: the plain randn weights × X, the lecture's W1·0.2 fix (default 1)",
    )
    parser.add_argument(
        "--bias-scale",
        type=_number,
        metavar="X",
        help="without BatchNorm: Linear biases drawn as randn·X, the lecture's b1·0.01 (default 0: zeros, no draw)",
    )
    parser.add_argument(
        "--compare",
        action="append",
        metavar="FIELD=V1,V2",
        help=f"train variants side by side on the same minibatches (repeat for a grid, at most {MAX_VARIANTS}); "
        f"FIELD is one of {', '.join(AXES)}, e.g. --compare gain=0.5,1,5/3,3",
    )
    parser.add_argument(
        "--paused",
        action="store_true",
        help="the app starts paused at step 0, its statistics on screen, no update applied (space runs, n steps)",
    )
    parser.add_argument(
        "--lr",
        type=_number,
        metavar="X",
        help="learning rate; divided by 10 for the last quarter of steps (default 0.1)",
    )
    parser.add_argument(
        "--seed",
        type=_whole_number,
        metavar="N",
        help="torch generator seed, 0 to 2^64-1 (default 2147483647, the lecture's)",
    )
    parser.add_argument("--embd", type=_whole_number, metavar="N", help="embedding size per character (default 10)")
    parser.add_argument("--hidden", type=_whole_number, metavar="N", help="neurons per hidden layer (default 100)")
    parser.add_argument("--depth", type=_whole_number, metavar="N", help="hidden tanh layers (default 5)")
    parser.add_argument("--block-size", type=_whole_number, metavar="N", help="characters of context (default 3)")
    parser.add_argument("--batch-size", type=_whole_number, metavar="N", help="examples per step (default 32)")
    parser.add_argument(
        "--stats-every", type=_whole_number, metavar="N", help="record layer statistics every N steps (default 100)"
    )
    parser.add_argument(
        "--eval-every",
        type=_whole_number,
        metavar="N",
        help="evaluate split losses every N steps (default: a tenth of the run, at least 10000)",
    )
    parser.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), help="where to train (default auto: the faster one for the engine)"
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "lecture", "fused"),
        help="lecture: the notebook's layers and autograd; fused: faster, same math "
        "(default auto: fused; --preset lecture uses lecture)",
    )
    parser.add_argument(
        "--tables",
        choices=("evals", "every", "none"),
        default="evals",
        help="headless: the lecture's tables at step 0, each eval and the end (evals), every stats record, or none "
        "(default evals)",
    )
    add_model_arguments(parser)
    parser.add_argument(
        "--run-log", metavar="PATH", help="where to append the JSON Lines run log (default runs/run-<time>-<pid>.jsonl)"
    )
    return parser


def build_replay_parser() -> argparse.ArgumentParser:
    """The parser of `makemore-tui replay RUN.jsonl`: one run log, no flags but --help."""
    replay = _Parser(
        prog="makemore-tui replay",
        description="View a recorded run log on the app's screen (training flags do not apply: the log holds its "
        "runs' settings).",
        allow_abbrev=False,
    )
    replay.add_argument("log", metavar="RUN.jsonl", help="a run log written by makemore-tui (default under ./runs/)")
    replay.add_argument("--follow", action="store_true", help="follow a log still being written, live (see README)")
    return replay


def build_plot_parser() -> argparse.ArgumentParser:
    """The parser of `makemore-tui plot RUN.jsonl [--run N] [--step S] [--out DIR]`."""
    from makemore_tui.plot.cli import DESCRIPTION as PLOT_DESCRIPTION
    from makemore_tui.plot.cli import add_plot_arguments

    parser = _Parser(
        prog="makemore-tui plot",
        description=PLOT_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    return add_plot_arguments(parser)


def parse_command_line(argv: list[str]) -> argparse.Namespace:
    """Parse `replay RUN.jsonl`, `plot RUN.jsonl …` or the training flags; a usage error exits 2 with one line
    naming what was not understood (an unknown flag with the nearest known one, a stray argument, flags given to
    replay)."""
    if argv and argv[0] == "plot":
        args = build_plot_parser().parse_args(argv[1:])
        args.command = "plot"
        return args
    if argv and argv[0] == "replay":
        replay = build_replay_parser()
        args, extra = replay.parse_known_args(argv[1:])
        if extra:
            replay.error(_replay_extra(extra))
        args.command = "replay"
        return args
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        parser.error(_not_understood(extra[0], parser))
    args.command = None
    return args


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return [flag for flag in parser._option_string_actions if flag.startswith("--")]


def _is_flag(word: str) -> bool:
    return word.startswith("-") and word != "-"


def _not_understood(word: str, parser: argparse.ArgumentParser) -> str:
    """One line about the first word the training parser did not understand."""
    if word == "replay":
        return "replay comes first and takes no training flags: makemore-tui replay RUN.jsonl"
    if _is_flag(word):
        flag = word.split("=", 1)[0]
        known = _flags(parser)
        # a cut-short flag (--batch) may start several; else the nearest spelling (--stepz)
        nearest = [f for f in known if f.startswith(flag)] or difflib.get_close_matches(flag, known, n=1, cutoff=0.6)
        return f"unknown flag {printable(flag)}" + (f"; did you mean {' or '.join(nearest)}?" if nearest else "")
    if word.endswith(".jsonl"):
        hint = f"to view a run log: makemore-tui replay {printable(word)}"
    elif word.endswith(".txt") or os.path.isfile(word):
        hint = f"for a words file: --data {printable(word)}"
    else:
        hint = "a flag's value goes right after it, e.g. --steps 1000"
    return f"unexpected argument {word!r}; {hint}"


def _replay_extra(extra: list[str]) -> str:
    """One line about what `replay` was given beyond its one run log."""
    flag = next((word.split("=", 1)[0] for word in extra if _is_flag(word)), None)
    if flag is None:
        return f"unexpected argument {extra[0]!r}: replay takes one run log"
    if flag in _flags(build_parser()):
        return f"training flag {flag} given to replay: replay takes RUN.jsonl and --follow, its log holds the settings"
    return f"unknown flag {printable(flag)}: replay takes only RUN.jsonl (and --follow, --help)"


# flag name -> TrainConfig field, for flags that map one to one
_FIELDS = ("steps", "batchnorm", "lr", "seed", "embd", "hidden", "depth", "block_size", "batch_size", "stats_every")
_FIELDS += ("eval_every", "device", "engine", "activation", "init", "output_scale", "lr_decay_step", "model")
_FIELDS += ("weight_scale", "bias_scale")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The preset, overridden by every flag given; raises ConfigError on a bad value."""
    changes = {name: getattr(args, name) for name in _FIELDS if getattr(args, name) is not None}
    if args.gain is not None:
        changes["gain"] = parse_gain(args.gain)
    changes["data"] = args.data or BUILTIN_DATA
    return PRESETS[args.preset].replace(**changes)


def check_compare_flags(args: argparse.Namespace) -> None:
    """Raise ConfigError when a flag sets a field `--compare` varies (`--compare batchnorm=on,off --no-batchnorm`):
    the compare would silently override it."""
    for spec in args.compare or ():
        field = spec.partition("=")[0].strip().replace("-", "_")  # the compare parses the spec itself
        given = getattr(args, field, None) if field in _FIELDS or field == "gain" else None
        if given is None:
            continue
        flag = f"--{'no-' if given is False else ''}{field.replace('_', '-')}"
        raise ConfigError(
            f"{flag} contradicts --compare {printable(spec)}: the compare sets {field} per variant, so leave out {flag}"
        )
