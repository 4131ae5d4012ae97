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
from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.text import printable
from makemore_tui.core.usermodel import MODEL_FIELDS, ModelFile, ModelFileError, typed


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


def model_compare(specs: Sequence[str], base: TrainConfig, model_file: ModelFile) -> list[Variant]:
    """The grid of `--compare` specs over a `--model` run's `base` (first spec outermost), labelled
    `fix softmax`, `gain 5/3`. Raises ConfigError (one line) as core.compare.parse_compare does, and for a
    model field build does not take."""
    axes = [_axis(spec, model_file) for spec in specs]
    names = check_grid(axes)
    variants = []
    for combo in itertools.product(*(values for _, values in axes)):
        fields = {name: value for name, value in zip(names, combo) if name in AXES}
        knobs = dict(base.knobs) | {name: value for name, value in zip(names, combo) if name not in AXES}
        label = " · ".join(AXES[n][1](v) if n in AXES else f"{n} {v}" for n, v in zip(names, combo))
        try:
            variants.append(Variant(label, base.replace(**fields, knobs=tuple(knobs.items()))))
        except ConfigError as error:
            raise ConfigError(f"--compare variant {label}: {error}") from None
    return variants


def _axis(spec: str, model_file: ModelFile) -> tuple[str, list]:
    name = spec.partition("=")[0].strip().replace("-", "_")
    try:
        if name in MODEL_FIELDS and name not in model_file.knobs:
            raise model_file.refuse(name)
        if name in model_file.knobs:
            texts = [t.strip() for t in spec.partition("=")[2].split(",") if t.strip()]
            values = [typed(t, model_file.knobs[name], name, model_file.name) for t in texts]
        elif name in AXES:
            return parse_axis(spec)
        else:
            raise model_file.refuse(name)
    except ModelFileError as error:
        raise ConfigError(f"--compare: {error}") from None
    if len(values) < 2 or len(set(values)) != len(values):
        raise ConfigError(f"--compare {name}: give at least two different values (e.g. {name}=A,B)")
    return name, values


MODEL_OUTPUT = "ModelOutput: "  # how a warning record of a --model file's printed line begins (core.userengine)


def model_summary(run_start: Mapping, config: Mapping) -> str | None:
    """`mynet.py · batchnorm True · hidden 200 · lr 0.1 · batch 32`: a --model run's file and knobs in one line
    (variant 0's), from its run_start record; None for the built-in net. Text from a log: printable."""
    model = run_start.get("model") if isinstance(run_start.get("model"), Mapping) else {}
    path = model.get("path") or config.get("model")  # a run whose build failed has only its config's
    if not isinstance(path, str):
        return None
    knobs = model.get("knobs")
    first = knobs[0] if isinstance(knobs, list) and knobs and isinstance(knobs[0], Mapping) else {}
    parts = [os.path.basename(path)] + [f"{k} {v}" for k, v in first.items()]
    parts += [f"lr {config.get('lr')}", f"batch {config.get('batch_size')}"]
    return printable(" · ".join(str(p) for p in parts))
