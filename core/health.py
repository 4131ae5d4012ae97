"""The lecture's rules of thumb, judged on stats records, each only in the regime where its fix works.

DESIGN §9: a hint names its fixes as data (core/hints.py: the field and where to; the app writes
each as its key, g gain, b BatchNorm, i init, o output scale, +/- lr, r rerun; headless and replay
as the flag) and fires only where that fix moves the statistic.
What the statistics do in each regime decided the rules (bench/bench_hints.py measures it; the
default net: 5×100 tanh, embd 10, batch 32, the built-in names, 2-core CPU):

- BatchNorm on: step-0 saturation is 2.4–2.8% per layer at every gain (0.5, 1, 5/3, 3): BatchNorm
  normalises the pre-activations, so the gain cannot move it. In training saturation climbs as
  BatchNorm's gamma and beta learn: the default run (gain 5/3, lr 0.1 then 0.01 from step
  150,000) passes 5% at ~12,000 steps, 6–7% at 20,000, 10–13% at 60,000, 16–24% at 200,000 (26%
  at most, any layer, any of its 2,001 stats ticks), with no dead neuron, gradient std within 2.3×
  across depth and the loss falling to 2.06. Growing saturation in training is learning, not a
  fault, and no key "fixes" it. Its update:data (median weight, 5-tick mean): −2.8 to −2.4 before
  the schedule's lr/10, −3.8 to −3.6 after.
- BatchNorm off, gain 5/3, lr 0.1 (the lecture's no-BN net): step 0 L1 22%, L2–L5 5–9%; 20–37%
  by 20,000 steps, 55–64% at 200,000, no dead neuron, final loss 1.96: healthy. Gain 3: 40–49% at
  step 0; gain 1: activation std 0.63 → 0.31 over the five layers; gain 0.5: 0.42 → 0.02, gradient
  std 15.7× smaller at L1 than at L5. Training repairs gain 0.5 within ~500 steps; gain 3 stays
  40–50% saturated.
- A learning rate far too high: no BN lr 1.6 → 95–100% saturated and 200–320 dead neurons within
  500 steps, loss ~11; BN lr 51.2 → 100% saturated, ~500 dead, loss 16; BN lr 3.2 → update:data
  10^-1.8, saturation 17% by step 4,000 (the default reaches that at ~130,000).

So two kinds of rule:
- Init rules judge the step-0 record, which the init alone sets: saturation (no BN), activations
  collapsing with depth and gradient std spreading across depth (no BN), the initial loss. Their
  fixes are the init's keys; they hold for the whole run (its init is what they are about) and a
  rerun clears them. With BatchNorm on none of the first three can fire: it pins every layer.
- Training rules judge the run as it trains, and their lever is the learning rate: update:data
  (the lr's own statistic; the lr schedule's planned drop is expected), dead neurons and layers
  saturated through and through (only a far too high lr did that; a rerun r at a lower lr fixes
  it: dead units do not come back).
The rules are pure functions of records (core/records.py); `HealthJudge` keeps what they need
across records (the step-0 record, dead-neuron streaks, recent update:data) for one variant.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Mapping, Sequence

from makemore_tui.core.hints import FLAGS, KAIMING_INIT, LOWER_LR, OUTPUT_SHRINK, RAISE_LR, Fix, Hint, Topic, gain_fix
from makemore_tui.core.kinds import MAP_WORDS, family
from makemore_tui.core.regime import (  # noqa: F401 (layer_name, param_names: the panels read them here)
    LINEAR_GAIN,
    LR_RERUN_FIXES,
    Regime,
    init_fixes,
    layer_name,
    listed,
    param_labels,
    param_names,
    with_number,
)
from makemore_tui.core.values import is_number

SATURATION_LIMIT_PCT = 5.0  # the lecture's healthy level at init: the saturation panel colours against it
INIT_SATURATION_LIMIT_PCT = 20.0  # median layer at step 0, no BN: gain 5/3 gives 7% (11% 32 wide), gain 3 41–44%
TRAINING_SATURATION_LIMIT_PCT = 90.0  # any layer: healthy 200k-step runs stay under 65%; lr far too high 95–100%
UPDATE_TARGET_LOG10 = -3.0  # update:data of ~1e-3 is the lecture's "about right"
UPDATE_TOLERANCE_DECADES = 1.0  # a hint when the median weight is more than this off the target
DEPTH_SPREAD_LIMIT = 3.0  # at init: activation std first/last layer, gradient std max/min across layers
DEAD_TICKS = 3  # consecutive stats records a neuron must stay dead before we say so
INITIAL_LOSS_MARGIN = 1.0  # nats above -log(1/vocab) that count as "far above"
UPDATE_HINT_POINTS = 5  # stats records averaged per weight before judging update:data
# ---- init rules: the step-0 record --------------------------------------------------------------


def init_saturation_hints(
    layers: Sequence[Mapping], regime: Regime, limit: float = INIT_SATURATION_LIMIT_PCT
) -> list[Hint]:
    """Step 0, no BatchNorm, tanh: the median layer more than `limit` percent saturated (|t| > 0.97).

    The gain sets it (5/3: L1 22%, L2–L5 5–9%; 3: 40–49%) and BatchNorm pins it at ~3%; with
    BatchNorm on it cannot fire. It fires only when the init is off (a gain or init fix applies):
    Kaiming at 5/3 is the lecture's own fix, whose first layer (std-1 embeddings in) sits at 20–22%
    however few layers follow (`--depth 1 --hidden 200`: 21%). `layers` are the step-0 record's.
    """
    values = [(layer_name(layer, i), layer["saturated_pct"]) for i, layer in with_number(layers, "saturated_pct")]
    if regime.batchnorm or not regime.tanh or not values:
        return []
    median = statistics.median(value for _, value in values)
    fixes = init_fixes(regime, too_big=True)
    if median <= limit or not any(fix.field in ("gain", "init") for fix in fixes):
        return []
    hot = [(name, value) for name, value in values if value > limit]
    text = (
        f"at init {median:.0f}% of the median layer's tanh outputs are saturated ({listed(hot, '.0f', '%')}); "
        "their gradients vanish, they learn slowly (the lecture aims at ~5%): "
    )
    return [Hint(Topic.SATURATION, text, f"init {median:.0f}% saturated → ", "saturation-init", tuple(fixes))]


def activation_depth_hints(layers: Sequence[Mapping], regime: Regime, limit: float = DEPTH_SPREAD_LIMIT) -> list[Hint]:
    """Step 0, no BatchNorm: activation std collapsing toward zero with depth (or, linear, blowing up).

    A gain below 5/3 shrinks tanh outputs layer by layer (gain 0.5: std 0.42 → 0.02 over five
    layers); BatchNorm re-normalises every layer, so with it on this cannot fire.
    """
    stds = [(layer_name(layer, i), layer["std"]) for i, layer in with_number(layers, "std")]
    if regime.batchnorm or len(stds) < 2 or min(std for _, std in stds) <= 0:
        return []
    (first, top), (last, bottom) = stds[0], stds[-1]
    shrinks = top / bottom > limit
    grows = not regime.tanh and bottom / top > limit  # tanh outputs cannot grow past 1
    fixes = init_fixes(regime, too_big=grows)
    if not (shrinks or grows) or not fixes:
        return []
    how = "shrink toward zero" if shrinks else "blow up"
    ratio = max(top / bottom, bottom / top)
    text = f"at init activations {how} with depth: std {first} {top:.2f} → {last} {bottom:.2f}; "
    return [
        Hint(Topic.ACTIVATIONS, text, f"activations {ratio:.0f}× across depth → ", "activations-init", tuple(fixes))
    ]


def gradient_depth_hints(layers: Sequence[Mapping], regime: Regime, limit: float = DEPTH_SPREAD_LIMIT) -> list[Hint]:
    """Step 0, no BatchNorm: activation-gradient std changing more than `limit`× across depth.

    Smaller toward the input means the gain is too low (0.5: 15.7×), larger toward the input too
    high (3: 3.4×, 4: 4.5×); BatchNorm keeps it within 1.6× at every gain, so with it on this cannot fire.
    """
    stds = [(layer_name(layer, i), layer["grad_std"]) for i, layer in with_number(layers, "grad_std")]
    if regime.batchnorm or len(stds) < 2:
        return []
    values = [std for _, std in stds]
    low, high = min(values), max(values)
    (first, at_input), (last, at_output) = stds[0], stds[-1]
    grows = at_input > at_output  # toward the input: the gain is too high
    fixes = init_fixes(regime, too_big=grows)
    if low <= 0 or high / low <= limit or not fixes:
        return []
    direction = "grows toward the input" if grows else "shrinks toward the input"
    text = (
        f"at init grad std {direction}: {high / low:.1f}× across depth ({first} {at_input:.1e}, {last} "
        f"{at_output:.1e}); "
    )
    return [Hint(Topic.GRADIENTS, text, f"grad std {high / low:.1f}× across depth → ", "gradients-init", tuple(fixes))]


def expected_initial_loss(vocab_size: int) -> float:
    """The loss of a uniform guess over the vocabulary: −log(1/vocab)."""
    return math.log(vocab_size)


def initial_loss_hints(
    loss: float | None, vocab_size: int | None, regime: Regime | None = None, margin: float = INITIAL_LOSS_MARGIN
) -> list[Hint]:
    """An initial loss more than `margin` nats above a uniform guess: the output layer starts confidently wrong.

    The fix: the output layer's shrink (o: scale 0.1), Kaiming init (i) over plain randn, or the
    gain 1 for the linear sandwich (whose outputs grow with a gain above 1); none applies, the
    text says so.
    """
    regime = regime or Regime()
    if not is_number(loss) or not vocab_size or vocab_size < 2:
        return []
    expected = expected_initial_loss(vocab_size)
    if loss <= expected + margin:
        return []
    fixes = initial_loss_fixes(regime)
    text = f"initial loss {loss:.2f} ≫ −log(1/{vocab_size}) = {expected:.2f}: the output layer is confidently wrong; "
    short = f"initial loss {loss:.1f} ≫ {expected:.1f} → "
    unfixed = "no key fixes it: check the output layer's init"
    return [Hint(Topic.LOSS, text, short, "loss-init", tuple(fixes), unfixed=unfixed)]


def initial_loss_fixes(regime: Regime) -> list[Fix]:
    """The init keys that bring a confidently wrong initial loss down: the output shrink, Kaiming, gain 1 (linear)."""
    fixes = []
    if regime.output_scale > 0.1 * 1.01:
        fixes.append(OUTPUT_SHRINK)
    if regime.init == "normal":
        fixes.append(KAIMING_INIT)
    if not regime.tanh and regime.gain > LINEAR_GAIN * 1.01:
        fixes.append(gain_fix(regime.gain, LINEAR_GAIN))
    return fixes


# ---- training rules: the lr's domain -------------------------------------------------------------


def update_target(regime: Regime, step: int | None) -> float:
    """The update:data (log10) to expect at `step`: −3, and −4 once the schedule divided lr by 10."""
    return UPDATE_TARGET_LOG10 - (1.0 if regime.decayed(step) else 0.0)


def update_ratio_hints(
    recent: Mapping[str, float],
    regime: Regime | None = None,
    step: int | None = None,
    *,
    dying: bool = False,
    tolerance: float = UPDATE_TOLERANCE_DECADES,
) -> list[Hint]:
    """The median weight's recent mean log10 update:data more than a decade off its target.

    `recent`: mean log10 update:data per weight (W1, W2, …). The lr is one number for all weights,
    so the median judges it: one outlier never does (a dead layer's −10, the output layer that
    was shrunk ×0.1 at init and runs −1.5 to −1.8 at lr 0.1 without BN; the caller leaves that
    one out, and the sparse embedding C, always). The target is −3; after the schedule's planned
    lr/10 the lower bound moves a decade down, the upper stays (default run: −2.5 to −2.7 before,
    −3.6 to −3.8 after). Too low is not the lr's
    fault when the net is `dying` (dead or fully saturated layers pass no gradient): no hint then.
    """
    regime = regime or Regime()
    values = {name: value for name, value in recent.items() if name != "C" and is_number(value)}
    if not values:
        return []
    median = statistics.median(values.values())
    target = update_target(regime, step)
    # too big against the lecture's ~10^-3 always: the schedule's lr/10 makes steps smaller, so after
    # it only the lower bound moves (a decade lower is the plan, not a fault)
    high = UPDATE_TARGET_LOG10 + tolerance
    if median > high:
        off = sorted(((n, v) for n, v in values.items() if v > high), key=lambda nv: -nv[1])
        far = median - UPDATE_TARGET_LOG10
        text = (
            f"update:data 10^{median:.1f} in the median weight (last {UPDATE_HINT_POINTS} stats: "
            f"{listed(off, '.1f')}): steps too big for the weights (the lecture aims at "
            f"~10^{UPDATE_TARGET_LOG10:.0f}: {far:.1f} decades above); "
        )
        return [
            Hint(
                Topic.UPDATE, text, f"update:data 10^{median:.1f}, {_decades(far)} high → ", "update-high", (LOWER_LR,)
            )
        ]
    if median < target - tolerance and not dying:
        off = sorted(((n, v) for n, v in values.items() if v < target - tolerance), key=lambda nv: nv[1])
        far = target - median
        planned = f" (~10^{target:.0f} is expected after the schedule's lr/10)" if regime.decayed(step) else ""
        text = (
            f"update:data 10^{median:.1f} in the median weight (last {UPDATE_HINT_POINTS} stats: "
            f"{listed(off, '.1f')}): learning too slowly, {far:.1f} decades below ~10^{target:.0f}"
            f"{planned}; "
        )
        return [
            Hint(Topic.UPDATE, text, f"update:data 10^{median:.1f}, {_decades(far)} low → ", "update-low", (RAISE_LR,))
        ]
    return []


def _decades(log10_ratio: float) -> str:
    """How far off, in whole decades: `1 decade`, `3 decades`."""
    count = max(round(log10_ratio), 1)
    return f"{count} decade" if count == 1 else f"{count} decades"


def next_dead_streaks(streaks: Mapping[int, int], layers: Sequence[Mapping]) -> dict[int, int]:
    """Consecutive stats records each layer (by index) has had dead neurons, after `layers`."""
    return {
        layer.get("index", i): (streaks.get(layer.get("index", i), 0) + 1 if (layer.get("dead") or 0) > 0 else 0)
        for i, layer in enumerate(layers)
    }


def dead_neuron_hints(
    streaks: Mapping[int, int], layers: Sequence[Mapping], regime: Regime | None = None, ticks: int = DEAD_TICKS
) -> list[Hint]:
    """Layers whose neurons stayed saturated (a ReLU's: inactive, t≤0) for the whole batch over `ticks` stats
    records; the hint says the rule of the layers' kind.

    Only a learning rate far too high killed neurons in our runs (no BN lr 1.6: 200–320; BN lr
    51.2: ~500; none in any default or lecture run, none at gain 3), with or without BatchNorm; a
    lower lr does not revive them, a rerun at a lower lr avoids them.
    """
    regime = regime or Regime()
    held = [(i, layer) for i, layer in enumerate(layers) if streaks.get(layer.get("index", i), 0) >= ticks]
    if not held or not regime.tanh:
        return []
    named = listed([(layer_name(layer, i), layer.get("dead") or 0) for i, layer in held], "d")
    rules = {MAP_WORDS[family(layer.get("kind"))] for _, layer in held}  # the built-in net's: tanh's |t|>0.99
    rule = rules.pop() if len(rules) == 1 else "saturated, or for ReLU t≤0,"
    text = (
        f"dead neurons ({rule} for the whole batch, {ticks}+ ticks): {named}; they never learn again — "
        "the lr is far too high: "
    )
    return [Hint(Topic.MAP, text, f"dead neurons {named} → ", "dead-neurons", LR_RERUN_FIXES, join=" and ")]


def training_saturation_hints(
    layers: Sequence[Mapping], regime: Regime, limit: float = TRAINING_SATURATION_LIMIT_PCT
) -> list[Hint]:
    """Tanh layers more than `limit` percent saturated while training: the lr pushed them there.

    Healthy runs saturate more as they learn but stayed under 65% per layer over 200,000 steps
    (BN: under 25%); a far too high lr reached 95–100% within a few hundred steps. With
    BatchNorm on the gain is no lever (it pins the pre-activations at init), so the text says so.
    """
    hot = [(layer_name(layer, i), layer["saturated_pct"]) for i, layer in with_number(layers, "saturated_pct")]
    hot = [(name, value) for name, value in hot if value > limit]
    if not hot or not regime.tanh:
        return []
    held = "BatchNorm holds the pre-activations, the gain cannot; " if regime.batchnorm else ""
    text = (
        f"layers {limit:.0f}%+ saturated in training ({listed(hot, '.0f', '%')}): almost no gradient passes them; "
        f"{held}the lr is far too high: "
    )
    short = f"{len(hot)} layer(s) >{limit:.0f}% saturated → "
    return [Hint(Topic.SATURATION, text, short, "saturation-lr", LR_RERUN_FIXES, join=" and ")]


class HealthJudge:
    """The rules of thumb for one variant of one run, fed its stats records in order.

    `config`: the variant's config dict (run_start); `vocab_size`: for the initial-loss rule.
    `observe(stats)` returns the hints that hold now. The judge keeps the step-0 record (the
    init rules judge it for the whole run; a judge that never saw step 0 has no init hints),
    dead-neuron streaks, and each weight's recent update:data, restarted when the lr changes
    (the schedule or +/-), so the update rule judges the lr in force.
    """

    def __init__(self, config: Mapping, vocab_size: int | None):
        self.regime = Regime.of(config)
        self.model = isinstance(config.get("model"), str)  # a --model net: its knobs are its file's (DESIGN §11)
        self.vocab_size = vocab_size
        self.init_hints: list[Hint] = []
        self.dead_streaks: dict = {}
        self.recent_updates: dict[str, deque] = {}
        self.lr: float | None = None
        self.hints: list[Hint] = []

    def observe(self, stats: Mapping) -> list[Hint]:
        """Fold one stats record in; return (and keep in `hints`) the hints that hold now."""
        layers = [layer for layer in stats.get("layers") or [] if isinstance(layer, Mapping)]
        params = [param for param in stats.get("params") or [] if isinstance(param, Mapping)]
        if self.model:  # the rules speak of tanh layers, and the init rules of the built-in net's keys
            layers = [layer for layer in layers if family(layer.get("kind")) == "tanh"]
        if stats.get("step") == 0 and not self.model:
            self.init_hints = self._judge_init(layers, stats.get("loss"))
        self._fold_updates(stats.get("lr"), params)
        self.dead_streaks = next_dead_streaks(self.dead_streaks, layers)
        init_saturated = any(hint.rule == "saturation-init" for hint in self.init_hints)
        training = [] if init_saturated else training_saturation_hints(layers, self.regime)
        dead = [] if init_saturated else dead_neuron_hints(self.dead_streaks, layers, self.regime)
        recent = {
            name: sum(values) / len(values)
            for name, values in self.recent_updates.items()
            if len(values) == UPDATE_HINT_POINTS
        }
        # a net saturated since init, or with dead or saturated layers now, passes little gradient: its
        # small updates are not the lr's fault (the lecture's first draft: raise lr would teach the wrong fix)
        dying = init_saturated or bool(training or dead)
        updates = update_ratio_hints(recent, self.regime, stats.get("step"), dying=dying)
        self.hints = [*self.init_hints, *training, *dead, *updates]
        return self.hints

    def _judge_init(self, layers: list[Mapping], loss) -> list[Hint]:
        return [
            *init_saturation_hints(layers, self.regime),
            *activation_depth_hints(layers, self.regime),
            *gradient_depth_hints(layers, self.regime),
            *initial_loss_hints(loss, self.vocab_size, self.regime),
        ]

    def _fold_updates(self, lr, params: list[Mapping]) -> None:
        """Append each judged weight's update:data; restart every window when the lr changed."""
        if is_number(lr) and self.lr is not None and not math.isclose(lr, self.lr):
            self.recent_updates = {}
        self.lr = lr if is_number(lr) else self.lr
        for name, param in zip(param_names(len(params)), params):
            if name in self._unjudged(len(params)) or not is_number(param.get("update_to_data_log10")):
                continue
            self.recent_updates.setdefault(name, deque(maxlen=UPDATE_HINT_POINTS)).append(param["update_to_data_log10"])

    def _unjudged(self, count: int) -> set[str]:
        """The embedding C (sparse: a batch touches few rows), and the output weight when it was shrunk at init."""
        shrunk = not self.regime.batchnorm and self.regime.output_scale < 1
        return {"C", f"W{count - 1}"} if shrunk and count > 1 else {"C"}


# ---- why a run diverged: the lr's doing, or the init's ---------------------------------------------

# BatchNorm rescues a too-high lr only so far: measured (hidden 32, 1,500 steps) without it lr 10, 30
# and 100 diverge; with it 10 and 30 finish, 100 diverges too
BATCHNORM_RESCUES_LR_UP_TO = 30.0


def finite_statistics(stats: Mapping) -> bool:
    """False when a stats record's gradients are not finite (None in the record): at step 0 the init's doing."""
    items = [*(stats.get("layers") or []), *(stats.get("params") or [])]
    return all(item.get("grad_std") is not None for item in items if isinstance(item, Mapping))


def divergence_advice(config: Mapping, lr: float, step: int, init_finite: bool = True) -> str:
    """What to do about a diverged variant of `config` (a config dict), in flags (the run has ended).

    A loss already far off at step 0, before any update, or gradients already not finite at step 0
    (`--gain 1e30`: the pre-activations overflow float32), are the init's doing, not the lr's (issue 19:
    both were told to lower the lr). Otherwise lower the lr `lr` in force, or turn BatchNorm on where
    it rescues that lr.
    """
    regime = Regime.of(config)
    if step <= 0 or not init_finite:
        fixes = [*initial_loss_fixes(regime), *init_fixes(regime, too_big=True)]
        unique = [fix for i, fix in enumerate(fixes) if fix not in fixes[:i]]
        what = "its gradients were not finite from step 0" if not init_finite else "that was before any update"
        fix = " or ".join(FLAGS.write(fix) for fix in unique) if unique else "check the init"
        return f"{what}, so the init did it, not the learning rate: {fix}"
    advice = f"lower the learning rate (it was {lr:g})"
    return advice if regime.batchnorm or lr > BATCHNORM_RESCUES_LR_UP_TO else advice + " or turn BatchNorm on"
