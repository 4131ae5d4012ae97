"""What a run trains: one config, or the variants of a compare (DESIGN §7).

`--compare FIELD=V1,V2,…` (repeatable) makes the grid of every combination of the values,
at most MAX_VARIANTS, each variant the base config with those fields replaced. The variants
train in lockstep on the same minibatches, so every difference on screen is the compared
field's doing (makemore part 3: gain 0.5 / 1 / 5/3 / 3, BatchNorm on / off, tanh / linear).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from makemore_tui.core.config import ConfigError, TrainConfig, format_gain, parse_gain
from makemore_tui.core.values import is_number

MAX_VARIANTS = 8  # a compare trains at most this many variants (the screen's colours, the GPU's lockstep)


@dataclass(frozen=True)
class Variant:
    """One variant of a run: what differs from the others (`label`) and its whole config."""

    label: str  # "" in a single run; "gain 0.5", "BN off · lr 0.1" in a compare
    config: TrainConfig


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise ValueError("on or off")


def _parse_positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan  # not a number at all: the same answer as a number out of range
    if not (value > 0 and math.isfinite(value)):
        raise ValueError("a finite number above 0")
    return value


def _parse_gain(text: str) -> float:
    try:
        return parse_gain(text)
    except ConfigError:
        raise ValueError("a number above 0 or a fraction like 5/3") from None


def _parse_choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.strip() not in choices:
            raise ValueError(" or ".join(choices))
        return text.strip()

    return parse


# field -> (parse one value, show one value in a label)
AXES: dict[str, tuple[Callable[[str], object], Callable[[object], str]]] = {
    "batchnorm": (_parse_bool, lambda v: "BN on" if v else "BN off"),
    "gain": (_parse_gain, lambda v: f"gain {format_gain(v)}"),
    "lr": (_parse_positive, lambda v: f"lr {v:g}"),
    "activation": (_parse_choice("tanh", "linear"), lambda v: str(v)),
    "init": (_parse_choice("kaiming", "normal"), lambda v: f"init {v}"),
    "output_scale": (_parse_positive, lambda v: f"out ×{v:g}"),
}
_CONFIG_FIELDS = {field.name for field in dataclasses.fields(TrainConfig)}
AXES = {name: axis for name, axis in AXES.items() if name in _CONFIG_FIELDS}


def single(config: TrainConfig) -> list[Variant]:
    """The one variant of a plain run."""
    return [Variant("", config)]


def parse_axis(spec: str) -> tuple[str, list]:
    """`FIELD=V1,V2,…` → (field, values); raises ConfigError with one line saying what is wrong."""
    field, sep, values_text = spec.partition("=")
    field = field.strip().replace("-", "_")
    if not sep or not field:
        raise ConfigError(f"--compare {spec!r}: write FIELD=V1,V2,… (e.g. gain=0.5,1,5/3,3)")
    if field not in AXES:
        raise ConfigError(f"--compare: cannot compare {field!r}; choose one of {', '.join(AXES)}")
    parse, _ = AXES[field]
    texts = [text for text in values_text.split(",") if text.strip()]
    values = []
    for text in texts:
        try:
            values.append(parse(text))
        except ValueError as error:  # the parsers above say what a value must be
            reason = str(error) or "a valid value"
            raise ConfigError(f"--compare {field}: {text.strip()!r} is not {reason}") from None
    if len(values) < 2:
        raise ConfigError(f"--compare {field}: give at least two values to compare (e.g. {field}=A,B)")
    if len(set(values)) != len(values):
        raise ConfigError(f"--compare {field}: a value repeats; each variant must differ")
    return field, values


def check_grid(axes: Sequence[tuple[str, list]]) -> list[str]:
    """The fields of (field, values) axes; ConfigError for a repeated field or a grid over MAX_VARIANTS."""
    fields = [field for field, _ in axes]
    repeated = {field for field in fields if fields.count(field) > 1}
    if repeated:
        raise ConfigError(f"--compare {sorted(repeated)[0]} is given twice; list its values once")
    count = 1
    for _, values in axes:
        count *= len(values)
    if count > MAX_VARIANTS:
        raise ConfigError(f"--compare makes {count} variants; at most {MAX_VARIANTS} train side by side")
    return fields


def parse_compare(specs: Sequence[str], base: TrainConfig) -> list[Variant]:
    """The grid of variants of `--compare` specs over `base` (first spec outermost).

    Raises ConfigError (one line) for an unknown field, a single value, a repeated field, over
    MAX_VARIANTS variants, or a value the config refuses.
    """
    axes = [parse_axis(spec) for spec in specs]
    fields = check_grid(axes)
    variants = []
    for combo in itertools.product(*(values for _, values in axes)):
        changes = dict(zip(fields, combo))
        label = " · ".join(AXES[field][1](value) for field, value in changes.items())
        try:
            config = base.replace(**changes)
        except ConfigError as error:
            raise ConfigError(f"--compare variant {label}: {error}") from None
        variants.append(Variant(label, config))
    return variants


def compared_fields(variants: Sequence[Variant]) -> list[str]:
    """The config fields whose values differ between variants (none for a single run)."""
    if len(variants) < 2:
        return []
    first = variants[0].config.to_dict()
    return [name for name in first if any(v.config.to_dict()[name] != first[name] for v in variants[1:])]


def with_changes(variants: Sequence[Variant], **changes) -> list[Variant]:
    """Every variant with `changes` applied (a key pressed during a compare), labels kept.

    Raises ConfigError when a change would undo a compared field or makes a config invalid.
    """
    clash = set(changes) & set(compared_fields(variants))
    if clash:
        raise ConfigError(f"{sorted(clash)[0]} is what this compare varies; leave the compare to change it")
    return [Variant(v.label, v.config.replace(**changes)) for v in variants]


# ---- configs in words ------------------------------------------------------------------------
# (field, how to show its value) for the fields a learner changes, in the order they are shown
_SHOWN: tuple[tuple[str, Callable[[object], str]], ...] = (
    ("batchnorm", lambda v: "BN on" if v else "BN off"),
    ("gain", lambda v: f"gain {format_gain(v)}"),
    ("lr", lambda v: f"lr {v:.3g}"),
    ("activation", lambda v: str(v)),
    ("init", lambda v: f"init {v}"),
    ("output_scale", lambda v: f"out ×{v:g}"),
)
_DEFAULTS = TrainConfig().to_dict()


def describe(config: Mapping, lr: float | None = None) -> str:
    """A run's config in one line: `BN on · gain 5/3 · lr 0.1 · 5×100 tanh · batch 32`.

    `lr` is the live rate when it differs from the config's (after + or -). Fields at their
    default are left out except BatchNorm, gain and lr, which every lecture experiment varies.
    Values that are not what a config holds (an old or damaged log) are skipped, never shown raw.
    """
    if isinstance(config.get("model"), str):  # a --model run: its file and its knobs (DESIGN §11)
        from makemore_tui.core.modelconfig import model_description

        return model_description(config, lr if is_number(lr) else None)
    values = dict(config)
    if is_number(lr):
        values["lr"] = lr
    parts = []
    for name, show in _SHOWN:
        value = values.get(name)
        if _valid(name, value) and (name in ("batchnorm", "gain", "lr") or value != _DEFAULTS.get(name)):
            parts.append(show(value))
    depth, hidden, batch = values.get("depth"), values.get("hidden"), values.get("batch_size")
    if _is_int(depth) and _is_int(hidden):
        # a linear run says `linear` once, among the experiments; the structure names tanh, the default
        parts.append(f"{depth}×{hidden}" if values.get("activation") == "linear" else f"{depth}×{hidden} tanh")
    if _is_int(batch):
        parts.append(f"batch {batch}")
    return " · ".join(parts)


def difference(config: Mapping, other: Mapping | None) -> str:
    """What sets `config` apart from `other`, short, for legends: `BN off · lr 0.05`.

    With no `other` (the first run), BatchNorm and gain: the lecture's A/B axes.
    """
    names = [name for name, _ in _SHOWN]
    if other is not None:
        names = [name for name in names if config.get(name) != other.get(name)]
    else:
        names = ["batchnorm", "gain"]
    parts = [show(config.get(name)) for name, show in _SHOWN if name in names and _valid(name, config.get(name))]
    return " · ".join(parts) if parts else "same config"


def _valid(name: str, value) -> bool:
    if name == "batchnorm":
        return isinstance(value, bool)
    if name in ("activation", "init"):
        return isinstance(value, str) and value.isidentifier()
    return is_number(value)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
