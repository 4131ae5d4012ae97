"""What the health rules need from a run: its regime (from the config), layer and weight names, and the
init fixes that move a step-0 symptom toward healthy (core/health.py judges; core/hints.py writes fixes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from makemore_tui.core.hints import BATCHNORM_ON, KAIMING_INIT, LOWER_LR, RERUN, Fix, gain_fix
from makemore_tui.core.text import printable
from makemore_tui.core.values import is_number

TANH_GAIN = 5 / 3  # Kaiming's gain for tanh: the lecture's choice without BatchNorm
LINEAR_GAIN = 1.0  # the right gain for the linear sandwich (activation "linear")


@dataclass(frozen=True)
class Regime:
    """What the rules need from a run's config dict (every field optional: older logs lack some)."""

    batchnorm: bool = True  # BatchNorm after every Linear: it pins each layer's pre-activations
    gain: float = 5 / 3  # init gain on the Linear weights
    decay_step: int = 150_000  # first step of the schedule's lr/10 (lr_decay_step, else 3/4 of steps)
    activation: str = "tanh"  # tanh | linear (the lecture's linear sandwich: nothing saturates)
    init: str = "kaiming"  # kaiming (randn/sqrt(fan_in)·gain) | normal (plain randn, the lecture's first draft)
    output_scale: float = 0.1  # the output layer's shrink at init (its weight, or with BN its gamma)

    @classmethod
    def of(cls, config: Mapping) -> Regime:
        """The regime of a config dict (run_start's `config`, TrainConfig.to_dict()); defaults fill gaps."""
        base = cls()
        steps = config.get("steps")
        decay = config.get("lr_decay_step")
        if not _is_int(decay):
            decay = (steps * 3) // 4 if _is_int(steps) else base.decay_step
        return cls(
            batchnorm=config["batchnorm"] if isinstance(config.get("batchnorm"), bool) else base.batchnorm,
            gain=config["gain"] if is_number(config.get("gain")) else base.gain,
            decay_step=decay,
            activation=config.get("activation") if config.get("activation") in ("tanh", "linear") else "tanh",
            init=config.get("init") if config.get("init") in ("kaiming", "normal") else "kaiming",
            output_scale=config["output_scale"] if is_number(config.get("output_scale")) else base.output_scale,
        )

    @property
    def tanh(self) -> bool:
        """True when the activation saturates (tanh), False for the linear sandwich."""
        return self.activation == "tanh"

    @property
    def ideal_gain(self) -> float:
        """The gain that keeps activations and gradients level across depth: 5/3 for tanh, 1 for linear."""
        return TANH_GAIN if self.tanh else LINEAR_GAIN

    def decayed(self, step: int | None) -> bool:
        """True from the schedule's planned lr/10 on."""
        return _is_int(step) and step >= self.decay_step


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def layer_name(layer: Mapping, position: int | None = None) -> str:
    """An activation layer by its depth, 1 for the first (the run log also keeps the lecture's list index).

    Records written before `depth` existed are named by their position among the layers.
    """
    depth = layer.get("depth")
    if _is_int(depth):
        return f"L{depth}"
    return f"L{position + 1}" if position is not None else "L?"


def param_names(count: int) -> list[str]:
    """Names for the 2-D parameters: C for the embedding (first), then W1, W2, … in order."""
    return ["C" if i == 0 else f"W{i}" for i in range(count)]


def param_labels(params: Sequence[Mapping]) -> list[str]:
    """Each 2-D parameter's name on screen: its own (`0.weight`: a --model net's or a Monitor's, escaped) where its
    record carries one, else the built-in net's C, W1, W2, … (param_names)."""
    return [
        printable(param["name"]) if isinstance(param, Mapping) and isinstance(param.get("name"), str) else name
        for name, param in zip(param_names(len(params)), params)
    ]


# ---- the fixes -------------------------------------------------------------------------------------


def init_fixes(regime: Regime, too_big: bool) -> list[Fix]:
    """The init keys that move a step-0 symptom toward healthy: `too_big` when the pre-activations are too wide.

    Kaiming init (i) when plain randn made them too wide; the gain toward 5/3 (tanh) or 1 (linear)
    when it is on the wrong side of it; BatchNorm (b) when off (it pins every layer whatever the init).
    """
    fixes = []
    if regime.init == "normal" and too_big:
        fixes.append(KAIMING_INIT)
    elif (regime.gain > regime.ideal_gain * 1.01) if too_big else (regime.gain < regime.ideal_gain * 0.99):
        fixes.append(gain_fix(regime.gain, regime.ideal_gain))
    if not regime.batchnorm:
        fixes.append(BATCHNORM_ON)
    return fixes


def listed(named: Sequence[tuple[str, float]], spec: str, unit: str = "") -> str:
    return ", ".join(f"{name} {format(value, spec)}{unit}" for name, value in named)


LR_RERUN_FIXES = (LOWER_LR, RERUN)  # dead units do not come back: a lower lr, then a rerun


def with_number(items: Sequence[Mapping], field: str) -> list[tuple[int, Mapping]]:
    """(position, item) for the items whose `field` is a number."""
    return [(i, item) for i, item in enumerate(items) if is_number(item.get(field))]
