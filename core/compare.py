"""What a run trains: one config, or the variants of a compare (DESIGN §7).

`--compare FIELD=V1,V2,…` (repeatable) makes the grid of every combination of the values,
at most MAX_VARIANTS, each variant the base config with those fields replaced. The variants
train in lockstep on the same minibatches, so every difference on screen is the compared
field's doing (makemore part 3: gain 0.5 / 1 / 5/3 / 3, BatchNorm on / off, tanh / linear).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.wording import AXES, variant_label, varied_fields, why_ignored

__all__ = ["AXES", "MAX_VARIANTS", "Variant", "parse_compare", "single"]  # AXES: its home is core.wording

MAX_VARIANTS = 8  # a compare trains at most this many variants (the screen's colours, the GPU's lockstep)


@dataclass(frozen=True)
class Variant:
    """One variant of a run: what differs from the others (`label`) and its whole config."""

    label: str  # "" in a single run; "gain 0.5", "BN off · lr 0.1" in a compare
    config: TrainConfig


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
    parse = AXES[field].parse
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
        label = variant_label(changes)
        try:
            config = base.replace(**changes)
        except ConfigError as error:
            raise ConfigError(f"--compare variant {label}: {error}") from None
        for name in changes:
            reason = why_ignored(name, config.to_dict())
            if reason:
                raise ConfigError(f"--compare {name}: {reason}, so its variants would train the same net")
        variants.append(Variant(label, config))
    return variants


def compared_fields(variants: Sequence[Variant]) -> list[str]:
    """The config fields whose values differ between variants (none for a single run)."""
    return varied_fields([variant.config.to_dict() for variant in variants])


def with_changes(variants: Sequence[Variant], **changes) -> list[Variant]:
    """Every variant with `changes` applied (a key pressed during a compare), labels kept.

    Raises ConfigError when a change would undo a compared field, makes a config invalid, or is one
    every variant ignores (the gain under init normal: the rerun would train the same net).
    """
    clash = set(changes) & set(compared_fields(variants))
    if clash:
        raise ConfigError(f"{sorted(clash)[0]} is what this compare varies; leave the compare to change it")
    changed = [Variant(v.label, v.config.replace(**changes)) for v in variants]
    for name in changes:
        reasons = [why_ignored(name, variant.config.to_dict()) for variant in changed]
        if all(reasons):
            raise ConfigError(f"{reasons[0]}: the rerun would train the same net")
    return changed
