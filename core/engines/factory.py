"""The engine registry: which module builds the engine a config names (`--engine`).

Adding an engine is one module with a `build(request) -> Engine` (core/engines/base.py says what
an engine must do) and one line in ENGINES; its name goes into `--engine`'s choices (core/config.py's
ENGINE_NAMES: a test checks the two lists agree).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.engines import graphed, lecture, user
from makemore_tui.core.engines.base import Builder, Engine, EngineRequest

# `--engine` value -> the builder of its engine
ENGINES: dict[str, Builder] = {
    "lecture": lecture.build,  # the notebook's ops, exact: autograd, one model after another
    "fused": graphed.build,  # the stacked fused step; captured in a CUDA graph on a GPU
    "auto": graphed.build,  # the fast one: fused
}


def builder_for(config: TrainConfig) -> Builder | None:
    """The builder of `config`'s engine: a `--model` file's, else ENGINES' for `--engine` (None: unknown)."""
    return user.build if config.model is not None else ENGINES.get(config.engine)  # --model: autograd on the file's net


def make_engine(
    configs: Sequence[TrainConfig], vocab_size: int, Xtr: torch.Tensor, Ytr: torch.Tensor, device: torch.device
) -> Engine:
    """The engine training `configs` (one per variant, in order) in lockstep on (Xtr, Ytr), already on `device`.

    Which engine: `builder_for` variant 0's config (every variant shares `engine` and `model`). Raises
    ConfigError (one line) for no configs, an engine no module builds, or variants that cannot share one
    minibatch stream; a `--model` file's problems are ModelFileError (core/usermodel.py).
    """
    if not configs:
        raise ConfigError("make_engine needs at least one config")
    builder = builder_for(configs[0])
    if builder is None:
        raise ConfigError(f"--engine must be one of {', '.join(ENGINES)} (got {configs[0].engine!r})")
    return builder(EngineRequest(tuple(configs), vocab_size, Xtr, Ytr, device))
