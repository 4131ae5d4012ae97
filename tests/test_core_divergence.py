"""A diverged run is told what did it: the init when the loss or the gradients were already bad at step 0,
before any update; the learning rate otherwise (issue 19 item 7)."""

from __future__ import annotations

import torch

from makemore_tui.core.compare import Variant
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.runstate import RunState, divergence
from tests.conftest import events, run_to_end

# the run: a linear net with gain 3 and no output shrink starts at loss ~525, 160× the uniform guess
BLOWN_UP = TrainConfig(activation="linear", output_scale=1.0, batchnorm=False, gain=3.0, lr=0.001, device="cpu")


def state_of(config: TrainConfig) -> RunState:
    return RunState(run=1, variants=[Variant("", config)], device=torch.device("cpu"), uniform_loss=3.3)


def test_a_loss_far_off_at_step_0_names_the_init_not_the_lr():
    said = divergence(524.6, 524.6, 0, state_of(BLOWN_UP), 0)
    assert said.endswith(
        "training diverged; that was before any update, so the init did it, not the learning rate: "
        "output scale 0.1 (--output-scale 0.1) or gain 1 (--gain) or BatchNorm on (--batchnorm)"
    ), said
    assert "lower the learning rate" not in said
    # the same loss reached after updates is the lr's doing
    assert "lower the learning rate (it was 0.001) or turn BatchNorm on" in divergence(
        524.6, 524.6, 40, state_of(BLOWN_UP), 0
    )


def test_gradients_not_finite_from_step_0_name_the_init_even_when_the_loss_goes_later():
    state = state_of(TrainConfig(gain=1e30))
    state.init_not_finite = {0}
    said = divergence(float("nan"), 3.3, 70, state, 0)
    assert (
        "its gradients were not finite from step 0, so the init did it, not the learning rate: gain 5/3 (--gain)"
        in said
    )
    assert "lower the learning rate" not in said


def test_gain_1e30_with_batchnorm_ends_naming_the_init(small_words):
    """The pre-activations overflow float32 at init; BatchNorm's output goes to 0 and the gradients to NaN, and
    the loss turns NaN only at the next divergence check, tens of steps in: it once blamed the lr there."""
    config = TrainConfig(steps=300, hidden=16, depth=2, stats_every=50, device="cpu", gain=1e30)
    (end,) = events(run_to_end(config, small_words), "run_end")
    assert end["reason"] == "diverged", end
    assert "not finite from step 0, so the init did it" in end["message"] and "gain 5/3 (--gain)" in end["message"]
    assert "lower the learning rate" not in end["message"]
