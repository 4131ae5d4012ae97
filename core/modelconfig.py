"""A `--model` run's config: the file's knobs from flags, `--set` and `--compare` (DESIGN §11).

- Knobs named like model fields (core.usermodel.MODEL_FIELDS) take the flag's value, typed by the
  knob's default; a flag not given leaves the file's default (a preset's value is not the file's).
- A flag given explicitly for a model field that `build` does not take is refused
  ("mynet.py's build() takes no gain"); preset and default values never are.
- Other knobs: `--set NAME=VALUE`, typed by the default (bool, int, float, str), and
  `--compare NAME=V1,V2`; model-field knobs and `lr` compare as the built-in net's fields do.
- `--device auto` keeps a net whose build takes no `device` on the CPU (its tensors are made there).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence

from makemore_tui.core.compare import AXES, Variant, check_grid, parse_axis
from makemore_tui.core.config import ACTIVATIONS, INITS, ConfigError, TrainConfig
from makemore_tui.core.text import printable
from makemore_tui.core.usermodel import MODEL_FIELDS, ModelFile, ModelFileError, takes_no, typed


def model_config(
    config: TrainConfig, model_file: ModelFile, explicit: Sequence[str], sets: Sequence[str]
) -> TrainConfig:
    """`config` (preset and flags, `model` set) with the file's knobs: model fields typed by build's defaults
    (the file's default where no flag was `explicit`), `--set` knobs, every other knob at its default.
    Raises ConfigError (one line) for a field build does not take or a value its knob cannot take."""
    try:
        for field in explicit:
            if field not in model_file.knobs:
                raise model_file.refuse(field)
        changes = {
            knob: typed(getattr(config, knob) if knob in explicit else default, default, knob, model_file.name)
            for knob, default in model_file.knobs.items()
            if knob in MODEL_FIELDS
        }
        knobs = {k: v for k, v in model_file.knobs.items() if k not in MODEL_FIELDS}
        for spec in sets:
            name, value = _set_knob(spec, model_file)
            knobs[name] = value
    except ModelFileError as error:
        raise ConfigError(str(error)) from None
    changes["knobs"] = tuple(knobs.items())
    changes["model_fields"] = model_file.fields
    if config.device == "auto" and not model_file.takes_device:
        changes["device"] = "cpu"  # its tensors are made on the CPU
    return config.replace(**changes)


def _set_knob(spec: str, model_file: ModelFile) -> tuple[str, object]:
    name, sep, text = spec.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ModelFileError(f"--set {spec!r}: write NAME=VALUE (e.g. --set dropout=0.1)")
    if name in MODEL_FIELDS:
        raise ModelFileError(f"--set {name}: {name} is a flag (--{name.replace('_', '-')})")
    if name not in model_file.knobs:
        others = ", ".join(k for k in model_file.knobs if k not in MODEL_FIELDS) or "none"
        raise ModelFileError(f"{model_file.name}'s build() takes no {name} (its --set knobs: {others})")
    return name, typed(text.strip(), model_file.knobs[name], name, model_file.name)


def run_knobs(config: TrainConfig) -> dict:
    """A --model run's knobs as its config holds them (the model fields build takes, then its --set knobs), by
    name; each value has its knob's type (build's default's), so it types a compare's values as the default does."""
    return {field: getattr(config, field) for field in config.model_fields} | dict(config.knobs)


def model_compare(specs: Sequence[str], base: TrainConfig, model_file: ModelFile | None = None) -> list[Variant]:
    """The grid of `--compare` specs over a `--model` run's `base` (first spec outermost), labelled
    `fix softmax`, `gain 5/3`; knobs typed by `model_file`'s defaults, or by `base`'s values (run_knobs: the app's
    picker, over the run on screen). Raises ConfigError (one line) as core.compare.parse_compare does, and for a
    model field or knob build does not take."""
    name = os.path.basename(str(base.model))
    types = model_file.knobs if model_file is not None else run_knobs(base)  # knob -> a value of its type
    axes = [_axis(spec, name, types) for spec in specs]
    names = check_grid(axes)
    variants = []
    for combo in itertools.product(*(values for _, values in axes)):
        fields = {n: value for n, value in zip(names, combo) if n in AXES or n in MODEL_FIELDS}  # config fields
        knobs = dict(base.knobs) | {n: value for n, value in zip(names, combo) if n not in fields}
        label = " · ".join(AXES[n].said(v) if n in AXES else f"{n} {v}" for n, v in zip(names, combo))
        try:
            variants.append(Variant(label, base.replace(**fields, knobs=tuple(knobs.items()))))
        except ConfigError as error:
            raise ConfigError(f"--compare variant {label}: {error}") from None
    return variants


def _axis(spec: str, file_name: str, knobs: Mapping[str, object]) -> tuple[str, list]:
    name = spec.partition("=")[0].strip().replace("-", "_")
    try:
        if name in MODEL_FIELDS and name not in knobs:
            raise takes_no(file_name, name)
        if name in knobs:
            texts = [t.strip() for t in spec.partition("=")[2].split(",") if t.strip()]
            values = [typed(t, knobs[name], name, file_name) for t in texts]
        elif name in AXES:
            return parse_axis(spec)
        else:
            raise takes_no(file_name, name)
    except ModelFileError as error:
        raise ConfigError(f"--compare: {error}") from None
    if len(values) < 2 or len(set(values)) != len(values):
        raise ConfigError(f"--compare {name}: give at least two different values (e.g. {name}=A,B)")
    return name, values


# The values a key cycles through, for the model fields whose key cycles words: a knob holding another word
# (build(activation="relu")) does not fit the key.
KEY_CYCLES = {"activation": ACTIVATIONS, "init": INITS}


def key_refusal(config: TrainConfig, changes: Mapping[str, object]) -> str | None:
    """Why a key's `changes` (field -> new value) cannot rerun a --model run, or None (the built-in net, or a
    knob build takes whose value fits the key): `mynet.py's build() takes no gain`."""
    if config.model is None:
        return None
    name = os.path.basename(config.model)
    for field, value in changes.items():
        if field not in MODEL_FIELDS:
            continue
        if field not in config.model_fields:
            return str(takes_no(name, field))
        current = getattr(config, field)
        if type(value) is not type(current) and not (isinstance(current, float) and isinstance(value, (int, float))):
            kind = type(current).__name__
            article = "an" if kind[0] in "aeiou" else "a"
            return f"{name}'s {field} is {article} {kind}: set it with --{field.replace('_', '-')}"
        if field in KEY_CYCLES and current not in KEY_CYCLES[field]:
            cycle = " ↔ ".join(KEY_CYCLES[field])
            return f"the key cycles {cycle}; {name}'s {field} is {current!r}: set it with --{field}"
    return None


def _field_words(name: str, value: object) -> str:
    """A model field in the header: the lecture's A/B axes as the built-in header writes them (`BN on`,
    `gain 5/3`), others as `hidden 200`."""
    axis = AXES.get(name)
    return axis.said(value) if axis is not None and axis.always else f"{name} {value}"


def model_description(config: Mapping, lr: float | None = None) -> str:
    """A --model run's config in one line, `mynet.py · hidden 200 · dropout 0.1 · lr 0.1 · batch 32` (its file,
    the model fields build takes and its other knobs); values from a log are shown through printable."""
    parts = [os.path.basename(str(config.get("model")))]
    fields = config.get("model_fields")
    fields = fields if isinstance(fields, (list, tuple)) else []
    parts += [_field_words(f, config[f]) for f in fields if isinstance(f, str) and f in config]  # some may be left out
    knobs = config.get("knobs")
    parts += [f"{k} {v}" for k, v in knobs.items()] if isinstance(knobs, Mapping) else []
    rate = lr if lr is not None else config.get("lr")
    parts.append(f"lr {rate:.3g}" if isinstance(rate, float) else f"lr {rate}")
    parts += [f"batch {config['batch_size']}"] if "batch_size" in config else []
    return printable(" · ".join(parts))
