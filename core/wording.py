"""A config in words: one table of fields from which every label, difference, header line and tag derives.

Each config field a learner reads about has one `Field` here: how one value is parsed from text
(`--compare FIELD=V1,V2,…`), how it reads in a label (`BN off`, `gain 5/3`, `lr 0.05`), its flag,
whether a value read from a log can be shown at all, and when it means nothing (the gain under
`--init normal`, whose plain randn takes no gain). Fields defined at run time (a user model's own
knobs) join the table through `register`, typed by their default.

    describe(config)            'BN on · gain 5/3 · lr 0.1 · 5×100 tanh · batch 32'   (the header line)
    difference(config, other)   'BN off · lr 0.05'                                     (legends)
    config_difference(c, ref)   ['BN off', 'lr 0.05', 'block-size 4']                 (the runs table)
    label('gain', 0.5)          'gain 0.5'                                             (compare variants)
    config_tag(config)          '(BN, g 5/3)'                                          (a rerun's message)

Values that are not what a config holds (an old or damaged log) are skipped, never shown raw.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple

from makemore_tui.core.config import ACTIVATIONS, INITS, ConfigError, TrainConfig, format_gain, parse_gain
from makemore_tui.core.text import printable
from makemore_tui.core.values import is_number


class Field(NamedTuple):
    """One config field in words."""

    name: str  # the config key: "gain", "output_scale", or a user model's own knob
    label: Callable[[object], str]  # one value as a label: "BN off", "gain 5/3", "out ×1"
    parse: Callable[[str], object] | None = None  # one value from text (raises ValueError saying what it must be)
    valid: Callable[[object], bool] = is_number  # whether a value read from a log can be shown
    brief: Callable[[object], str] | None = None  # the header line's form when shorter than `label` (lr: 3 digits)
    always: bool = False  # the header line shows it even at its default (the lecture's A/B axes)
    tag: Callable[[object], str] | None = None  # its part of a config tag, "(BN, g 5/3)"; None: not in tags
    ignored: Callable[[Mapping], str | None] | None = None  # why a config ignores it (the gain under init normal)
    default: object = None  # its default value (the header line leaves a field at its default out)

    @property
    def flag(self) -> str:
        """The command-line flag: `--output-scale`."""
        return "--" + self.name.replace("_", "-")

    def said(self, value) -> str:
        """`value` as a label; a value of another type (a --model knob typed by its own default, `out "small"`) as
        `output-scale small`, through printable."""
        return self.label(value) if self.valid(value) else printable(f"{self.name.replace('_', '-')} {value}")

    def shown(self, config: Mapping) -> bool:
        """True when `config` holds a showable value of this field that the config does not ignore."""
        return self.valid(config.get(self.name)) and self.why_ignored(config) is None

    def why_ignored(self, config: Mapping) -> str | None:
        """Why `config` ignores this field (`init normal takes no gain: plain randn weights`), or None."""
        return self.ignored(config) if self.ignored is not None else None


# ---- parsing one value -------------------------------------------------------------------------


def parse_bool(text: str) -> bool:
    """`on`/`off` (also true/false, yes/no, 1/0); ValueError("on or off") otherwise."""
    value = text.strip().lower()
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise ValueError("on or off")


def parse_positive(text: str) -> float:
    """A finite number above 0; ValueError saying so otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan  # not a number at all: the same answer as a number out of range
    if not (value > 0 and math.isfinite(value)):
        raise ValueError("a finite number above 0")
    return value


def parse_non_negative(text: str) -> float:
    """A finite number of at least 0; ValueError saying so otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError("a finite number of at least 0")
    return value


def _parse_gain(text: str) -> float:
    try:
        return parse_gain(text)
    except ConfigError:
        raise ValueError("a number above 0 or a fraction like 5/3") from None


def parse_choice(*choices: str) -> Callable[[str], str]:
    """A parser accepting one of `choices`."""

    def parse(text: str) -> str:
        if text.strip() not in choices:
            raise ValueError(" or ".join(choices))
        return text.strip()

    return parse


def _parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("a whole number") from None


def _parse_float(text: str) -> float:
    try:
        value = float(Fraction(text.strip()))
    except (ValueError, ZeroDivisionError):
        raise ValueError("a number") from None
    if not math.isfinite(value):
        raise ValueError("a finite number")
    return value


def _is_bool(value) -> bool:
    return isinstance(value, bool)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_word(value) -> bool:
    return isinstance(value, str) and value.isidentifier()


def _gain_ignored(config: Mapping) -> str | None:
    """Kaiming init scales by the gain; plain randn (`init normal`) takes none."""
    return "init normal takes no gain (plain randn weights)" if config.get("init") == "normal" else None


def _weight_scale_ignored(config: Mapping) -> str | None:
    """Plain randn (`init normal`) is scaled by weight_scale; Kaiming init by the gain."""
    kaiming = config.get("init") != "normal"
    return "init kaiming takes no weight scale (its gain scales the weights)" if kaiming else None


def _bias_scale_ignored(config: Mapping) -> str | None:
    """Only a net without BatchNorm has Linear biases (with it, BatchNorm's beta takes their place)."""
    return "a BatchNorm net has no Linear biases (beta takes their place)" if config.get("batchnorm") else None


# ---- the table -----------------------------------------------------------------------------------
_DEFAULTS = TrainConfig().to_dict()
# The fields a learner changes, in the order the header line shows them; every one can be compared.
_BUILT_IN = (
    Field(
        "batchnorm",
        lambda v: "BN on" if v else "BN off",
        parse_bool,
        _is_bool,
        always=True,
        tag=lambda v: "BN" if v else "no BN",
    ),  # fmt: skip
    Field(
        "gain",
        lambda v: f"gain {format_gain(v)}",
        _parse_gain,
        always=True,
        tag=lambda v: f"g {format_gain(v)}",
        ignored=_gain_ignored,
    ),  # fmt: skip
    Field("lr", lambda v: f"lr {v:g}", parse_positive, brief=lambda v: f"lr {v:.3g}", always=True),
    Field("activation", str, parse_choice(*ACTIVATIONS), _is_word),
    Field("init", lambda v: f"init {v}", parse_choice(*INITS), _is_word),
    Field("output_scale", lambda v: f"out ×{v:g}", parse_positive),
    Field("weight_scale", lambda v: f"W ×{v:g}", parse_non_negative, ignored=_weight_scale_ignored),
    Field("bias_scale", lambda v: f"b ×{v:g}" if v else "b 0", parse_non_negative, ignored=_bias_scale_ignored),
)
FIELDS: dict[str, Field] = {f.name: f._replace(default=_DEFAULTS[f.name]) for f in _BUILT_IN}
_BUILT_IN_NAMES = frozenset(FIELDS)
# Config fields a difference never names: bookkeeping, not a property of the trained network.
UNCOMPARED_FIELDS = frozenset({"device", "model_fields"})  # model_fields follows from the file
EXPERIMENTS = ("activation", "init", "output_scale")  # the lecture's other experiments (DESIGN §8: keys t, i, o)


def register(name: str, default: bool | int | float | str, label: Callable[[object], str] | None = None) -> Field:
    """Add a field defined at run time (a user model's own knob), typed by its `default`.

    It reads `name 0.3` (a bool: `name on`/`name off`) unless `label` says otherwise, parses as its
    type, shows in the header line when not at `default`, and can be compared. Registering a name
    again replaces it; a built-in field cannot be replaced. Raises ConfigError for a name that is
    not an identifier or a default of another type.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ConfigError(f"a field name must be an identifier (got {name!r})")
    if name in _BUILT_IN_NAMES or name in _DEFAULTS:
        raise ConfigError(f"{name!r} is a built-in config field")
    if isinstance(default, bool):
        parse, valid, shown = parse_bool, _is_bool, (lambda v: f"{name} {'on' if v else 'off'}")
    elif isinstance(default, int):
        parse, valid, shown = _parse_int, _is_int, (lambda v: f"{name} {v}")
    elif isinstance(default, float):
        parse, valid, shown = _parse_float, is_number, (lambda v: f"{name} {v:g}")
    elif isinstance(default, str):
        parse, valid, shown = (lambda text: text.strip()), (lambda v: isinstance(v, str)), (lambda v: f"{name} {v}")
    else:
        raise ConfigError(f"field {name!r}: a default must be a bool, int, float or str (got {type(default).__name__})")
    entry = Field(name, label or shown, parse, valid, default=default)
    FIELDS[name] = entry
    return entry


def unregister(name: str) -> None:
    """Drop a field added by `register` (a built-in field stays)."""
    if name not in _BUILT_IN_NAMES:
        FIELDS.pop(name, None)


def field(name: str) -> Field:
    """The field `name`; a field outside the table reads `flag value` (`steps 3000`, `block-size 4`)."""
    known = FIELDS.get(name)
    if known is not None:
        return known
    return Field(name, lambda v: f"{name.replace('_', '-')} {v}", valid=lambda v: True, default=_DEFAULTS.get(name))


def label(name: str, value) -> str:
    """One value of field `name` as a label: `label("batchnorm", False)` → `BN off`."""
    return field(name).said(value)


class _Axes(Mapping):
    """The fields `--compare` can vary, by name, live: a field registered later is one too."""

    def __getitem__(self, name: str) -> Field:
        found = FIELDS.get(name)
        if found is None or found.parse is None:
            raise KeyError(name)
        return found

    def __iter__(self) -> Iterator[str]:
        return (name for name, f in FIELDS.items() if f.parse is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


AXES: Mapping[str, Field] = _Axes()


# ---- a config in words ----------------------------------------------------------------------------


def describe(config: Mapping, lr: float | None = None) -> str:
    """A run's config in one line: `BN on · gain 5/3 · lr 0.1 · 5×100 tanh · batch 32`.

    `lr` is the live rate when it differs from the config's (after + or -). Fields at their
    default are left out except BatchNorm, gain and lr, which every lecture experiment varies;
    the gain is left out under `init normal`, which takes none. A `--model` run reads as its file and
    knobs (core.modelconfig.model_description).
    """
    if isinstance(config.get("model"), str):  # a --model run: its file and its knobs (DESIGN §11)
        from makemore_tui.core.modelconfig import model_description

        return model_description(config, lr if is_number(lr) else None)
    values = dict(config)
    if is_number(lr):
        values["lr"] = lr
    parts = []
    for f in FIELDS.values():
        value = values.get(f.name)
        if f.shown(values) and (f.always or value != f.default):
            parts.append((f.brief or f.label)(value))
    depth, hidden, batch = values.get("depth"), values.get("hidden"), values.get("batch_size")
    if _is_int(depth) and _is_int(hidden):
        # a linear run says `linear` once, among the experiments; the structure names tanh, the default
        parts.append(f"{depth}×{hidden}" if values.get("activation") == "linear" else f"{depth}×{hidden} tanh")
    if _is_int(batch):
        parts.append(f"batch {batch}")
    return " · ".join(parts)


def model_fields(config: Mapping) -> set[str] | None:
    """The fields a `--model` run's words may name: those its file's build takes, and lr (the loop's); None for
    the built-in net, which takes every field."""
    if not isinstance(config.get("model"), str):
        return None
    fields = config.get("model_fields")
    return {f for f in fields if isinstance(f, str)} | {"lr"} if isinstance(fields, (list, tuple)) else {"lr"}


def difference(config: Mapping, other: Mapping | None) -> str:
    """What sets `config` apart from `other`, short, for legends: `BN off · lr 0.05`.

    With no `other` (the first run), BatchNorm and gain: the lecture's A/B axes. A `--model` run names only the
    fields its build takes, and its knobs (`dropout 0.1`); its first run, its file. A first run with none of
    those (a loop watched by Monitor): "".
    """
    own = model_fields(config)
    if other is None:
        if own is not None:
            return printable(os.path.basename(str(config["model"])))
        names = ["batchnorm", "gain"]
    else:
        names = [name for name in FIELDS if config.get(name) != other.get(name) and (own is None or name in own)]
    parts = [(f.brief or f.label)(config.get(f.name)) for f in FIELDS.values() if f.name in names and f.shown(config)]
    knobs, before = config.get("knobs"), (other or {}).get("knobs")
    if own is not None and isinstance(knobs, Mapping) and isinstance(before, Mapping):
        parts += [printable(f"{k} {v}") for k, v in knobs.items() if before.get(k) != v]
    return " · ".join(parts) if parts else ("same config" if other is not None else "")  # "": nothing to name


def config_difference(config: Mapping, reference: Mapping) -> list[str]:
    """The fields of `config` whose values differ from `reference`, each as a short phrase.

    Fields of the table read as their labels do (`BN off`, `gain 5/3`, `lr 0.05`); other fields as
    `flag value` (`steps 3000`, `block-size 4`). Fields missing on either side, and fields the
    config ignores (the gain under `init normal`), are skipped.
    """
    phrases = []
    for name, value in config.items():
        if name in UNCOMPARED_FIELDS or name not in reference or reference[name] == value:
            continue
        if name == "knobs" and isinstance(value, Mapping) and isinstance(reference[name], Mapping):
            phrases += [printable(f"{k} {v}") for k, v in value.items() if reference[name].get(k) != v]
            continue
        if name == "model" and isinstance(value, str):
            phrases.append(f"model {printable(os.path.basename(value))}")
            continue
        f = field(name)
        if f.why_ignored(config) is None:
            phrases.append(f.said(value))
    return phrases


def experiments(config: Mapping) -> list[str]:
    """The lecture's experiments (activation, init, output scale) not at their default, as labels:
    `linear`, `init normal`, `out ×1`."""
    return [label(name, config[name]) for name in EXPERIMENTS if name in config and config[name] != _DEFAULTS[name]]


def config_tag(config: Mapping) -> str:
    """The A/B-relevant part of a config, short: `(BN, g 5/3)`; `(no BN)` under init normal (no gain)."""
    own = model_fields(config)  # a --model run: only the fields its build takes
    parts = [
        f.tag(config[f.name])
        for f in FIELDS.values()
        if f.tag is not None and f.shown(config) and (own is None or f.name in own)
    ]
    return f"({', '.join(parts)})" if parts else ""


def why_ignored(name: str, config: Mapping) -> str | None:
    """Why `config` ignores field `name` (a key or compare that changes it changes nothing), or None."""
    return field(name).why_ignored(config)


def variant_label(changes: Mapping) -> str:
    """A compare variant's label from the fields it sets: `BN off · lr 0.1`."""
    return " · ".join(label(name, value) for name, value in changes.items())


def varied_fields(configs: Sequence[Mapping]) -> list[str]:
    """The fields whose values differ between the configs (a compare's variants; none for one config)."""
    if len(configs) < 2:
        return []
    first = configs[0]
    return [name for name in first if any(config.get(name) != first[name] for config in configs[1:])]
