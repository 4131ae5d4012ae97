"""A run's setup (its data splits and engine), and the first run of a `--model` file set up before anything starts.

`setup` is what the trainer does at each run's start: the splits of the run's block size (cached across reruns),
the data on the run's device, the engine, the sampling generators. `prepare` does it for the first run in the
caller's thread, before the headless banner or the app's screen (tui/cli.py), and tries step 0 (undone): a bad
`--model` file (build raising, a wrong return, a forward that raises, logits of the wrong shape) is then one
line and exit 2 before anything is printed (DESIGN §11), not a run that ends in error. The trainer starts from
what `prepare` built (`FirstRun.start`): the file is built once, and its step 0 runs as if never tried.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from makemore_tui.core.compare import Variant
from makemore_tui.core.config import ConfigError
from makemore_tui.core.devices import resolve_device, use_training_threads
from makemore_tui.core.engines.base import Engine, ModelNote
from makemore_tui.core.engines.factory import make_engine
from makemore_tui.core.engines.user import ModelOutput
from makemore_tui.core.records import Event
from makemore_tui.core.runstate import RunState
from makemore_tui.core.usermodel import ModelFileError
from makemore_tui.data.dataset import Splits, make_splits


def setup(state: RunState, words: list[str], splits_cache: dict[int, Splits]) -> tuple[Engine, Splits]:
    """Set up `state`'s run: its device, data on it (`eval_data`), sampling generators; (engine, splits).
    `splits_cache` (block size -> Splits) keeps the dataset across reruns. Raises as make_engine does."""
    config = state.config
    state.device = resolve_device(config)
    use_training_threads(state.device)
    if config.block_size not in splits_cache:
        splits_cache[config.block_size] = make_splits(words, config.block_size)
    splits = splits_cache[config.block_size]
    state.eval_data = {name: tuple(t.to(state.device) for t in getattr(splits, name)) for name in ("train", "val")}
    configs = [variant.config for variant in state.variants]
    engine = make_engine(configs, splits.vocab.size, *state.eval_data["train"], state.device)
    # the lecture's sampling generator (seed + 10), one per variant so each samples as its single run
    state.sample_generators = [torch.Generator().manual_seed(config.sample_seed) for _ in state.variants]
    return engine, splits


def warning_text(message: object, category: type[Warning]) -> str:
    """A warning as a `warning` record says it: our notes and the file's prints bare (a print's record says
    `printed`), a library's warning with its class."""
    return str(message) if issubclass(category, (ModelNote, ModelOutput)) else f"{category.__name__}: {message}"


@dataclass
class FirstRun:
    """The first run, set up by `prepare`: the trainer starts it as it is (`start`)."""

    state: RunState  # its device, data on it and sampling generators (run number 0: the trainer numbers it)
    engine: Engine
    splits: Splits
    said: list[tuple[str, bool, bool]]  # what setup warned as record text; echoed already (stderr); the file printed it

    def start(self, state: RunState, emit: Callable[[str, bool, bool], None]) -> tuple[Engine, Splits]:
        """Hand the setup to the trainer's `state`; `emit(text, echoed, printed)` each warning setup said, in order."""
        state.device, state.eval_data = self.state.device, self.state.eval_data
        state.sample_generators = self.state.sample_generators
        for text, echoed, printed in self.said:
            emit(text, echoed, printed)
        return self.engine, self.splits


def prepare(
    variants: Sequence[Variant], words: list[str], echo: Callable[[str], None] | None = None
) -> FirstRun | None:
    """Set up the first run here and try its step 0 (undone), with warnings kept for the run log.

    `echo(line)`: each line the `--model` file prints, as it prints it (headless: stderr; a build that hangs still
    says what it printed). Raises ModelFileError or ConfigError (one line) for a file or variants that cannot train.
    None when setup failed otherwise (a device error): the trainer sets the run up again and records that error.
    """
    state = RunState(run=0, variants=list(variants), device=torch.device("cpu"))
    said: list[tuple[str, bool, bool]] = []

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        printed = issubclass(category, ModelOutput)
        echoed = echo is not None and printed
        if echoed:
            echo(str(message))
        said.append((warning_text(message, category), echoed, printed))

    with warnings.catch_warnings():
        warnings.simplefilter("always")  # every line the file prints, a repeated one too
        warnings.showwarning = show
        try:
            engine, splits = setup(state, words, {})
            check = getattr(engine, "check", None)  # a --model engine: step 0 tried, then undone
            if check is not None:
                check(state.lrs())
        except (ModelFileError, ConfigError):
            raise
        except Exception:
            return None
    return FirstRun(state, engine, splits, said)


def run_start_record(state: RunState, engine=None, splits: Splits | None = None) -> dict:
    """The run's `run_start` record (core/records.py): its config and variants, and once set up its engine,
    vocabulary and split sizes (a --model run: its file, sha256 and knobs)."""
    record = {
        "event": Event.RUN_START,
        "run": state.run,
        "config": state.config.to_dict(),
        "variants": [{"label": v.label, "config": v.config.to_dict()} for v in state.variants],
        "device": str(state.device),
    }
    if engine is not None and splits is not None:
        record |= {
            "engine": engine.name,
            "vocab": "".join(splits.vocab.chars),
            "n_train": int(splits.train[0].shape[0]),
            "n_val": int(splits.val[0].shape[0]),
            "n_test": int(splits.test[0].shape[0]),
            "time": time.time(),
        }
        record |= getattr(engine, "run_start_fields", {})  # a --model run: its file, sha256 and knobs
    return record
