"""Commands the viewer sends to the trainer thread, which polls for them every step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from makemore_tui.core.compare import Variant, single
from makemore_tui.core.config import TrainConfig


@dataclass(frozen=True)
class Pause:
    """Hold training after the current step."""


@dataclass(frozen=True)
class Resume:
    """Continue a paused run."""


@dataclass(frozen=True)
class StepOnce:
    """Take exactly one step while paused (and record its statistics)."""


@dataclass(frozen=True)
class Rerun:
    """Stop the current run and start a new one: `variants` (a compare), `config` (a single run),
    or, with neither, what the current run trains."""

    config: TrainConfig | None = None
    variants: tuple[Variant, ...] | None = None
    paused: bool = False  # start paused at step 0, its statistics shown, no update applied

    def variants_after(self, current: Sequence[Variant]) -> list[Variant]:
        """What the rerun trains: its variants, its config as a single run, or else `current`.

        Each config is validated: raises ConfigError (one line) for one the trainer would refuse.
        """
        if self.variants:
            variants = list(self.variants)
        elif self.config is not None:
            variants = single(self.config)
        else:
            variants = list(current)
        for variant in variants:
            variant.config.validate()
        return variants


@dataclass(frozen=True)
class ScaleLr:
    """Multiply the learning rate (on top of its schedule) by `factor` from the next step."""

    factor: float


@dataclass(frozen=True)
class Evaluate:
    """Compute train/val loss now (BatchNorm in inference mode)."""


@dataclass(frozen=True)
class Sample:
    """Sample `count` names from the model now."""

    count: int = 8


@dataclass(frozen=True)
class Quit:
    """End the current run and the trainer thread.

    `deadline`: the `time.monotonic()` time by which the stopped run's run_end must be written; its final
    eval and samples are cut to fit (run_end's `skipped` names what was left out). None: the trainer
    allows core.trainer.QUIT_SECONDS from when it takes the command.
    """

    deadline: float | None = None


Command = Pause | Resume | StepOnce | Rerun | ScaleLr | Evaluate | Sample | Quit
