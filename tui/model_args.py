"""The command line of `--model FILE.py`: its flags, and the run's variants from them (DESIGN §11).

Kept apart from tui/cli.py: `add_model_arguments` adds `--model`, `--set NAME=VALUE` and
`--lr-decay-step N`; `model_variants` loads the file (what it prints is said when the run loads it again,
or on stderr before a load error), applies the knobs and the compare (core/modelconfig.py). Problems are
ConfigError, one line, exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys

from makemore_tui.core.compare import Variant, single
from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.modelconfig import model_compare, model_config
from makemore_tui.core.text import printable
from makemore_tui.core.usermodel import MODEL_FIELDS, ModelFileError, load


def _step(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--model, --set (repeatable) and --lr-decay-step."""
    parser.add_argument(
        "--model",
        metavar="FILE.py",
        help="train your own network: FILE.py defines build(vocab_size, block_size, generator, **knobs) returning "
        "(C, layers) or a model; it runs with your rights (see the README, 'Your own network'; examples/) "
        "(default: the built-in deep tanh MLP)",
    )
    parser.add_argument(
        "--set",
        action="append",
        dest="set_knobs",
        metavar="NAME=VALUE",
        help="a knob of the --model file's build() (repeat for more), typed by its default, e.g. --set dropout=0.1 "
        "(default: build's own defaults)",
    )
    parser.add_argument(
        "--lr-decay-step",
        type=_step,
        metavar="N",
        help="the step from which the lr is divided by 10 (default: 3/4 of the steps; 150000 with --preset lecture)",
    )


def explicit_fields(args: argparse.Namespace) -> list[str]:
    """The model fields whose flag was given on the command line (a preset's values are not)."""
    return [field for field in MODEL_FIELDS if getattr(args, field, None) is not None]


def model_variants(args: argparse.Namespace, config: TrainConfig) -> list[Variant] | None:
    """A `--model` run's variants (its knobs and compare applied), or None without --model.
    Raises ConfigError (one line) for a bad file, a flag or knob build does not take, a bad value."""
    if not args.model:
        if args.set_knobs:
            raise ConfigError("--set sets a knob of a --model file's build(); give --model FILE.py")
        return None
    name, printed = os.path.basename(args.model), []
    try:
        model_file = load(args.model, say=printed.append)
    except ModelFileError as error:  # what it printed before it failed, then the one line
        for line in printed:
            print(printable(f"{name}: {line}"), file=sys.stderr)
        raise ConfigError(str(error)) from None
    # loaded fine: its prints are said when the run loads it again (core/firstrun.py), once
    config = model_config(config, model_file, explicit_fields(args), args.set_knobs or [])
    return model_compare(args.compare, config, model_file) if args.compare else single(config)
