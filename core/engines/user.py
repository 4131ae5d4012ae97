"""The autograd engine of `--model` nets: the lecture's loop on the learner's own network (DESIGN §11).

Each step: one minibatch drawn on variant 0's generator (left after its build, as the lecture draws),
then per variant: forward, `F.cross_entropy`, grads set to None, backward, `p.data += -lr * p.grad`.
Step 0's real forward pass is the file's check (logits (B, vocab_size), finite); an error there is the
file's (ModelFileError, exit 2); later errors end the run with reason `error`. Statistics come from each
net's probe (core/probe.py), armed on stats steps only, all variants in one host transfer.

A compare's variants train in lockstep on variant 0's minibatch stream. A variant equals its single
run when its generator state after build equals variant 0's (the same draws); `run_start` records
which do, and a warning says which do not. Dropout and other global-RNG draws during training are
not part of the generator: they make a variant differ from its single run even then.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from makemore_tui.core.config import ConfigError
from makemore_tui.core.engines.base import EngineRequest, ModelNote, StatsTensors
from makemore_tui.core.engines.variants import VariantEngine
from makemore_tui.core.probe import HostCopy
from makemore_tui.core.usermodel import ModelFile, ModelFileError, file_error, load
from makemore_tui.core.usernet import UserNet, build_net, check_logits, knob_values


class ModelOutput(UserWarning):
    """A line the `--model` file printed while it loaded or built (headless: stderr; the app: a warning record)."""


# Fields every variant of one `--model` run shares: the file, the minibatch.
SHARED_FIELDS = ("model", "block_size", "batch_size")


class UserEngine(VariantEngine):
    """V ≥ 1 variants of a `--model` net stepped one after another on one minibatch per step (an Engine)."""

    name = "autograd"

    def __init__(self, nets: Sequence[UserNet], configs, Xtr, Ytr, batch_size, generator, model_file: ModelFile):
        super().__init__(nets, configs, Xtr, Ytr, batch_size, generator)
        self.nets: list[UserNet] = list(nets)
        self.model_file = model_file
        self.vocab_size: int | None = None
        self.checked = False  # step 0's forward checked the file's logits
        self.run_start_fields = {
            "model": {
                "path": model_file.path,
                "sha256": model_file.sha256,
                "knobs": [knob_values(model_file, config) for config in configs],
                "same_draws": [torch.equal(net.generator_state, nets[0].generator_state) for net in nets],
                "drew": nets[0].drew,
            }
        }

    def step(self, lrs: Sequence[float], keep_stats: bool) -> torch.Tensor:
        """One SGD step of every variant not frozen; the detached losses (V,)."""
        return self._step(lrs, keep_stats, update=True)

    def preview(self, lrs: Sequence[float]) -> torch.Tensor:
        """The next step without its update; buffers and the generator put back (see core.engines.base.Engine)."""
        generator_state = self.generator.get_state()
        saved = [(owner, name, t.clone()) for net in self.nets for owner, name, t in net.buffers()]
        losses = self._step(lrs, True, update=False)
        self.generator.set_state(generator_state)
        for owner, name, tensor in saved:
            if isinstance(owner, torch.nn.Module) and name in owner._buffers:
                owner._buffers[name].copy_(tensor)
            else:
                setattr(owner, name, tensor)
        return losses

    def check(self, lrs: Sequence[float]) -> None:
        """Step 0 tried and undone (the preview, with torch's global generators put back too): a file whose forward,
        logits or backward is wrong raises ModelFileError now, before anything starts (core/firstrun.py); the
        real step 0 then draws and trains as if this had not run."""
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            self.preview(lrs)

    def _step(self, lrs: Sequence[float], keep_stats: bool, update: bool) -> torch.Tensor:
        Xb, Yb = self.draw_batch()  # minibatch construct
        nan = torch.full((), float("nan"), device=Xb.device)
        losses = [
            nan if frozen else self._net_step(net, Xb, Yb, lr, keep_stats, update)
            for net, lr, frozen in zip(self.nets, lrs, self.frozen)
        ]
        self.checked = True
        return torch.stack(losses)

    def _net_step(self, net: UserNet, Xb, Yb, lr: float, keep_stats: bool, update: bool) -> torch.Tensor:
        """The notebook's step on one net; the detached loss. Step 0's errors are the file's."""
        if keep_stats:
            net.probe.arm()
        try:
            # forward pass
            logits = net.forward(Xb)
            if not self.checked:
                check_logits(logits, Xb.shape[0], self.vocab_size, self.model_file.name)
            loss = F.cross_entropy(logits, Yb)
            # backward pass
            if keep_stats:
                net.probe.retain_grads()
            for p in net.params:
                p.grad = None
            loss.backward()
        except ModelFileError:
            raise
        except Exception as error:
            if self.checked:
                raise
            raise file_error(self.model_file.path, "step 0's forward or backward pass raised", error) from None
        finally:
            net.probe.disarm()
        # update
        if update:
            for p in net.params:
                if p.grad is not None:
                    p.data += -lr * p.grad
        return loss.detach()

    def step_statistics(self, lrs: Sequence[float], bins: int, weight_hists: bool) -> dict[int, dict]:
        """Every live variant's statistics of the last kept step, by variant (one host transfer; see core.probe)."""
        host = HostCopy()
        unpack = {
            v: net.probe.collect(host, lrs[v], weight_hists) for v, net in enumerate(self.nets) if not self.frozen[v]
        }
        host.fetch()  # sync point
        return {v: read() for v, read in unpack.items()}

    def statistics_tensors(self) -> list[StatsTensors]:
        """None: a user's layers differ in shape; the trainer reads `step_statistics`."""
        return []

    def variant_model(self, v: int) -> UserNet:
        """Variant v's net (forward, set_training, parameters): evaluate and sample it."""
        return self.nets[v]

    def freeze(self, v: int) -> None:
        """Variant v is skipped from the next step on."""
        self.frozen[v] = True


def _say(path: str):
    name = os.path.basename(path)
    return lambda line: warnings.warn(f"{name}: {line}", ModelOutput, stacklevel=2)


def build(request: EngineRequest) -> UserEngine:
    """The engine of a `--model` run, whatever `--engine` says: load the file again (a rerun trains the file as
    it is now), build every variant, check their draws. Raises ModelFileError / ConfigError (one line)."""
    configs, vocab_size, device = request.configs, request.vocab_size, request.device
    first = request.first
    for field in SHARED_FIELDS:
        if len({getattr(c, field) for c in configs}) > 1:
            raise ConfigError(f"compared variants must share --{field.replace('_', '-')}")
    say = _say(first.model)
    model_file = load(first.model, say)
    built = [
        build_net(model_file, vocab_size, c.block_size, c.seed, knob_values(model_file, c), device, say, c.hist_bins)
        for c in configs
    ]
    nets = [net for net, _ in built]
    if not nets[0].drew:
        warnings.warn(
            f"{model_file.name}: build() drew nothing from generator, so this run is not the lecture's stream "
            "(draw the init from the generator argument for that)",
            ModelNote,
            stacklevel=2,
        )
    if not nets[0].probe.layers:
        warnings.warn(
            f"{model_file.name}: no activation layer found: layers are found by class name (Tanh, ReLU, GELU, "
            "Sigmoid, …; a functional F.relu or torch.tanh is invisible): make it a layer object of such a name "
            "keeping its .out (class Tanh: ... self.out = torch.tanh(x)) or an nn.Tanh/nn.ReLU module",
            ModelNote,
            stacklevel=2,
        )
    for v, net in enumerate(nets[1:], 1):
        if not torch.equal(net.generator_state, nets[0].generator_state):
            warnings.warn(
                f"variant {v + 1} drew differently from generator in build(): it trains on variant 1's minibatches, "
                "so it will not equal its single run",
                ModelNote,
                stacklevel=2,
            )
    if len(nets) > 1 and any(isinstance(m, torch.nn.Dropout) and m.p > 0 for net in nets for m in _modules(net)):
        warnings.warn(
            "compare: dropout draws from the global generator during training, so a variant will not equal its "
            "single run",
            ModelNote,
            stacklevel=2,
        )
    engine = UserEngine(nets, configs, request.Xtr, request.Ytr, first.batch_size, built[0][1], model_file)
    engine.vocab_size = vocab_size
    return engine


def _modules(net: UserNet) -> list[torch.nn.Module]:
    return [m for module in net.probe.found.modules for m in module.modules()]
