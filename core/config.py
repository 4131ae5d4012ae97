"""The training configuration: one dataclass, its validation and the presets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

# The lecture's generator seed (makemore part 3 notebook).
LECTURE_SEED = 2147483647
# torch.Generator.manual_seed takes 0 .. 2**64 - 1 (a uint64); every seed a run derives stays in it.
MAX_SEED = 2**64 - 1
# The lecture samples names from torch.Generator().manual_seed(2147483647 + 10).
SAMPLE_SEED_OFFSET = 10
# What `data` says when the run trains on the built-in names (the CLI's default).
BUILTIN_DATA = "built-in"
# The activation layers and weight inits the lecture tries (DESIGN §8).
ACTIVATIONS = ("tanh", "linear")
INITS = ("kaiming", "normal")
# `--engine`'s choices: core/engines/factory.py's ENGINES builds each (a test checks they agree).
ENGINE_NAMES = ("auto", "lecture", "fused")
# Gains the app's `g` key cycles through, in order (DESIGN §4).
GAIN_CYCLE = (5 / 3, 1.0, 0.5, 3.0)


class ConfigError(ValueError):
    """A configuration value a user gave is out of range; str() is one line saying which."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines one training run of the deep tanh MLP."""

    steps: int = 200_000  # optimisation steps in the run
    batchnorm: bool = True  # BatchNorm1d after every Linear (the lecture's final network)
    gain: float = 5 / 3  # init gain on the Linear weights (5/3 is tanh's recommended gain); unused by init "normal"
    activation: str = "tanh"  # tanh | linear: an identity where each tanh was (the lecture's "linear sandwich")
    init: str = "kaiming"  # kaiming: randn / sqrt(fan_in) × gain | normal: plain randn, no 1/sqrt(fan_in), no gain
    output_scale: float = 0.1  # output layer shrink: last BatchNorm's gamma × this with BatchNorm, else last weight
    weight_scale: float = 1.0  # init "normal" only: its plain randn weights × this (the lecture's W1·0.2)
    bias_scale: float = 0.0  # Linear biases (no BatchNorm): 0 = zeros, nothing drawn; s > 0: randn·s (b1·0.01)
    lr: float = 0.1  # learning rate of plain SGD
    lr_decay_step: int | None = None  # step from which lr is divided by 10; None = 3/4 of steps
    seed: int = LECTURE_SEED  # seed of the one torch.Generator drawing init and minibatches, 0 .. MAX_SEED
    embd: int = 10  # embedding dimensions per character
    hidden: int = 100  # neurons per hidden layer
    depth: int = 5  # hidden tanh layers
    block_size: int = 3  # characters of context
    batch_size: int = 32  # examples per minibatch
    stats_every: int = 100  # record layer statistics every N steps (and at step 0 and the last)
    eval_every: int | None = None  # evaluate train/val loss every N steps; None = 10 times a run, at most every 10000
    device: str = "auto"  # auto | cpu | cuda
    engine: str = "auto"  # lecture (from-scratch layers, autograd, exact) | fused | auto
    hist_bins: int = 32  # histogram bins, shared by all layers (32: smooth in a panel, compact in the log)
    preset: str = "default"  # which preset the run started from (for the record)
    data: str = BUILTIN_DATA  # where the words came from (for the record): a path, or BUILTIN_DATA
    model: str | None = None  # --model FILE.py: the learner's own net (core/usermodel.py); None: the built-in MLP
    knobs: tuple = ()  # (name, value) pairs: a --model file's knobs other than model fields (--set NAME=VALUE)
    model_fields: tuple = ()  # the model fields (gain, hidden, …) a --model file's build takes: their keys work

    def validate(self) -> TrainConfig:
        """Raise ConfigError naming the first out-of-range field; return self when all is well."""
        for name, minimum in _WHOLE_NUMBER_MINIMUMS.items():
            value = getattr(self, name)
            if value is None and name in _OPTIONAL:
                continue
            maximum = _WHOLE_NUMBER_MAXIMUMS.get(name)
            if not _is_int(value) or value < minimum or (maximum is not None and value > maximum):
                bound = f"of at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
                raise ConfigError(f"{_flag(name)} must be a whole number {bound} (got {value!r})")
        if not isinstance(self.batchnorm, bool):
            raise ConfigError(f"batchnorm must be true or false (got {self.batchnorm!r})")
        if self.batch_size < 2 and self.batchnorm:
            raise ConfigError("--batch-size must be at least 2 with BatchNorm (it needs a batch variance)")
        if not _finite_positive(self.lr):
            raise ConfigError(f"--lr must be a finite number above 0 (got {self.lr!r})")
        if not _finite_positive(self.gain):
            raise ConfigError(f"--gain must be a finite number above 0 (got {self.gain!r})")
        if self.model is None:  # a --model file checks its own knobs (typed by build's defaults)
            self._validate_experiments()
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"--device must be auto, cpu or cuda (got {self.device!r})")
        if self.engine not in ENGINE_NAMES:
            names = f"{', '.join(ENGINE_NAMES[:-1])} or {ENGINE_NAMES[-1]}"
            raise ConfigError(f"--engine must be {names} (got {self.engine!r})")
        if self.hist_bins > 1000:
            raise ConfigError(f"hist_bins must be at most 1000 (got {self.hist_bins!r})")
        return self

    def _validate_experiments(self) -> None:
        """The lecture's experiment fields: activation, init and the scales of the output layer, weights and biases."""
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"--activation must be tanh or linear (got {self.activation!r})")
        if self.init not in INITS:
            raise ConfigError(f"--init must be kaiming or normal (got {self.init!r})")
        for name in ("output_scale", "weight_scale", "bias_scale"):
            scale = getattr(self, name)
            if isinstance(scale, bool) or not (_finite_positive(scale) or scale == 0):
                raise ConfigError(f"{_flag(name)} must be a finite number of at least 0 (got {scale!r})")

    @property
    def sample_seed(self) -> int:
        """Seed of the sampling generator: the lecture's seed + 10, wrapped into 0 .. MAX_SEED."""
        return (self.seed + SAMPLE_SEED_OFFSET) % (MAX_SEED + 1)

    @property
    def decay_step(self) -> int:
        """The first step that trains at lr/10 (by default 3/4 of the steps, never step 0: `--steps 1` trains at lr)."""
        return self.lr_decay_step if self.lr_decay_step is not None else max((self.steps * 3) // 4, 1)

    @property
    def eval_interval(self) -> int:
        """Steps between periodic evaluations."""
        return self.eval_every if self.eval_every is not None else max(10_000, self.steps // 10)

    @property
    def sample_interval(self) -> int:
        """Steps between names sampled for the viewer (four per evaluation interval)."""
        return max(500, self.eval_interval // 4)

    def lr_at(self, step: int) -> float:
        """The scheduled learning rate at `step` (the lecture's one decay by 10)."""
        return self.lr if step < self.decay_step else self.lr / 10

    def replace(self, **changes) -> TrainConfig:
        """A copy with `changes` applied and validated."""
        return dataclasses.replace(self, **changes).validate()

    def to_dict(self) -> dict:
        """Every field, as plain JSON-ready values (`knobs` as a {name: value} object)."""
        return dataclasses.asdict(self) | {"knobs": dict(self.knobs)}


# Whole-number fields and their smallest allowed value; those in _OPTIONAL may also be None.
_WHOLE_NUMBER_MINIMUMS = {
    "steps": 1,
    "embd": 1,
    "hidden": 1,
    "depth": 1,
    "block_size": 1,
    "batch_size": 1,
    "stats_every": 1,
    "eval_every": 1,
    "lr_decay_step": 0,
    "seed": 0,
    "hist_bins": 2,
}
_OPTIONAL = {"eval_every", "lr_decay_step"}
# Whole-number fields with a largest allowed value.
_WHOLE_NUMBER_MAXIMUMS = {"seed": MAX_SEED}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite_positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 and value != float("inf")


def parse_gain(text: str) -> float:
    """Parse a gain given as a number or a fraction such as `5/3`; raise ConfigError otherwise."""
    try:
        value = float(Fraction(text.strip()))
    except (ValueError, ZeroDivisionError):
        raise ConfigError(f"--gain must be a number or a fraction like 5/3 (got {text!r})") from None
    if not _finite_positive(value):
        raise ConfigError(f"--gain must be above 0 (got {text!r})")
    return value


def format_gain(gain: float) -> str:
    """Show a gain as the lecture writes it: 5/3 rather than 1.6667, but 0.5 rather than 1/2."""
    fraction = Fraction(gain).limit_denominator(12)
    exact_decimal = float(f"{gain:g}") == gain
    if not exact_decimal and abs(float(fraction) - gain) < 1e-9 and fraction.denominator != 1:
        return f"{fraction.numerator}/{fraction.denominator}"
    return f"{gain:g}"


def next_gain(gain: float) -> float:
    """The gain after `gain` in the app's cycle (5/3, 1, 0.5, 3)."""
    for i, value in enumerate(GAIN_CYCLE):
        if abs(value - gain) < 1e-9:
            return GAIN_CYCLE[(i + 1) % len(GAIN_CYCLE)]
    return GAIN_CYCLE[0]


# The lecture notebook's final run: BatchNorm, gain 1.0 (BatchNorm makes the gain matter
# little), 200k steps, lr 0.1 then 0.01 from step 150000, the exact from-scratch engine.
LECTURE = TrainConfig(
    steps=200_000,
    batchnorm=True,
    gain=1.0,
    lr=0.1,
    lr_decay_step=150_000,
    seed=LECTURE_SEED,
    embd=10,
    hidden=100,
    depth=5,
    block_size=3,
    batch_size=32,
    engine="lecture",
    preset="lecture",
)

PRESETS: dict[str, TrainConfig] = {"default": TrainConfig(), "lecture": LECTURE}


def lecture_data_note(config: TrainConfig, short: bool = False) -> str | None:
    """One line for a lecture-preset run on the built-in names, else None.

    The built-in list is not the lecture's names.txt, so such a run cannot show the
    notebook's numbers (its step-0 loss is 3.2983, the notebook's 3.2870). The run goes on;
    front-ends show the line (headless: stderr; the app's status line: `short`, to fit beside the config).
    """
    if config.preset != "lecture" or config.data != BUILTIN_DATA:
        return None
    if short:
        return "built-in names: the notebook's numbers need --data names.txt"
    return (
        "note: --preset lecture is training on the built-in names, not the lecture's names.txt, so its numbers "
        "will not match the notebook's; for those give --data path/to/names.txt"
    )
