"""A built `--model` net, ready to train: its parameters checked, its mode switches and its probe found.

`build_net` calls the file's `build` as a single run does (DESIGN §11): `torch.manual_seed(seed)` (an
nn.Module draws its init from the global generator), then `build(vocab_size, block_size, generator,
**knobs)` with `generator = torch.Generator().manual_seed(seed)`, whose state afterwards draws the
minibatches, as the lecture does. What it returns becomes a `UserNet`:

- `(C, layers)`: the part 3 notebook's embedding table (vocab_size, embd) and layer list; forward is
  `C[X].view(B, -1)` then each layer (`LayerList`);
- a model callable on X (B, block_size) int64 giving logits (B, vocab_size), with `parameters()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from makemore_tui.core.probe import Probe
from makemore_tui.core.usermodel import MODEL_FIELDS, ModelFile, ModelFileError, captured, file_error, typed


class LayerList:
    """The notebook's network: an embedding table C and a list of layers, each with `parameters()`."""

    def __init__(self, C: torch.Tensor, layers: list):
        self.C = C
        self.layers = layers

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """Logits (B, vocab) of contexts X (B, block_size); keeps `embcat`, the first layer's input."""
        emb = self.C[X]  # embed the characters into vectors
        x = emb.view(emb.shape[0], -1)  # concatenate the vectors
        self.embcat = x
        for i, layer in enumerate(self.layers):
            try:
                x = layer(x)
            except Exception as error:  # said with the file's error: which layer, fed what
                error.add_note(f"in layers[{i}] ({type(layer).__name__}) on input {tuple(x.shape)}")
                raise
        return x

    def parameters(self) -> list[torch.Tensor]:
        """C, then each layer's parameters in layer order (the notebook's list)."""
        return [self.C] + [p for layer in self.layers for p in layer.parameters()]


@dataclass
class UserNet:
    """A built net: call `forward`, switch modes with `set_training`, read statistics through `probe`."""

    model: Callable  # the LayerList or the user's model
    params: list[torch.Tensor]  # parameters() at build time, in order: what SGD updates
    probe: Probe
    device: torch.device
    drew: bool  # build drew from the generator (the lecture's stream)
    generator_state: torch.Tensor  # the generator's state after build

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Logits (B, vocab_size) of X (B, block_size)."""
        return self.model(X)

    def parameters(self) -> list[torch.Tensor]:
        """The trained parameters, in order."""
        return self.params

    def set_training(self, training: bool) -> None:
        """Training or inference mode: `.train()`/`.eval()` of every nn.Module found, and the `training`
        attribute of the model and of every from-scratch layer that has one (the notebook's BatchNorm1d)."""
        for module in self.probe.found.modules:
            module.train(training)
        for layer in self.probe.found.switches:
            layer.training = training

    def buffers(self) -> list[tuple[object, str, torch.Tensor]]:
        """(owner, attribute, tensor) of every tensor a forward pass may change that is not a parameter:
        from-scratch layers' running statistics and nn.Module buffers (preview puts them back)."""
        ids = {id(p) for p in self.params}
        out = []
        for layer in self.probe.found.switches:
            out += [(layer, k, v) for k, v in vars(layer).items() if isinstance(v, torch.Tensor) and id(v) not in ids]
        for module in self.probe.found.modules:
            for owner in module.modules():
                out += [(owner, k, v) for k, v in owner._buffers.items() if v is not None]
        return [(owner, name, t) for owner, name, t in out if name != "out"]


def _a(noun: str) -> str:
    """`noun` with its article: "an int", "a list"."""
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def knob_values(model_file: ModelFile, config) -> dict:
    """The value of every knob of `build` for a run of `config`: model fields from the config's fields,
    other knobs from `config.knobs` (else their default), each typed by its default."""
    given = dict(config.knobs or ())
    values = {}
    for knob, default in model_file.knobs.items():
        value = getattr(config, knob) if knob in MODEL_FIELDS else given.get(knob, default)
        values[knob] = typed(value, default, knob, model_file.name)
    return values


def build_net(
    model_file: ModelFile,
    vocab_size: int,
    block_size: int,
    seed: int,
    knobs: dict,
    device: torch.device,
    say: Callable[[str], None],
    bins: int = 32,
) -> tuple[UserNet, torch.Generator]:
    """Build one net as a single run of `seed` does; (the net, the generator left after build).
    Raises ModelFileError (one line) for anything wrong with what build returns."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    before = generator.get_state()
    kwargs = dict(knobs) | ({"device": device} if model_file.takes_device else {})
    try:
        result = captured(say, lambda: model_file.build(vocab_size, block_size, generator, **kwargs))
    except ModelFileError:
        raise
    except Exception as error:
        raise file_error(model_file.path, "build() raised", error) from None
    model = _as_model(result, model_file.name)
    if isinstance(model, torch.nn.Module):
        model.to(device)  # init drawn on the CPU, as a single run on any device draws it
    params = _parameters(model, model_file, device)
    net = UserNet(
        model=model,
        params=params,
        probe=Probe(model, params=params, bins=bins),
        device=device,
        drew=not torch.equal(before, generator.get_state()),
        generator_state=generator.get_state(),
    )
    return net, generator


def _as_model(result: object, name: str) -> Callable:
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], torch.Tensor):
        C, layers = result
        if not isinstance(layers, (list, tuple)):
            raise ModelFileError(
                f"{name}: build returned (C, layers) whose layers is a {type(layers).__name__}, not a list"
            )
        for i, layer in enumerate(layers):
            if not callable(layer) or not callable(getattr(layer, "parameters", None)):
                what = "is not callable" if not callable(layer) else "has no parameters()"
                raise ModelFileError(f"{name}: layers[{i}] ({type(layer).__name__}) {what}")
        return LayerList(C, list(layers))
    if callable(result) and callable(getattr(result, "parameters", None)):
        return result
    got = type(result).__name__
    raise ModelFileError(f"{name}: build returned {_a(got)}; return (C, layers) or a model with parameters()")


def _parameters(model: Callable, model_file: ModelFile, device: torch.device) -> list[torch.Tensor]:
    """parameters(), checked: tensors, leaves, floating point, on the run's device; requires_grad set."""
    name = model_file.name
    try:
        params = list(model.parameters())
    except Exception as error:
        raise file_error(model_file.path, "parameters() raised", error) from None
    if not params:
        raise ModelFileError(f"{name}: the net has no trainable parameters (parameters() is empty)")
    for i, p in enumerate(params):
        if not isinstance(p, torch.Tensor):
            raise ModelFileError(f"{name}: parameter {i} is a {type(p).__name__}, not a tensor")
        if not p.is_leaf:
            raise ModelFileError(
                f"{name}: parameter {i} {tuple(p.shape)} is not a leaf tensor (computed from a tensor that requires "
                "grad): do the arithmetic first, then set requires_grad, or under torch.no_grad()"
            )
        if not p.is_floating_point():
            raise ModelFileError(f"{name}: parameter {i} {tuple(p.shape)} is {p.dtype}, not floating point")
        if p.device.type != device.type:
            fix = "take a `device` knob and make its tensors there" if not model_file.takes_device else "use device"
            raise ModelFileError(f"{name}: parameter {i} is on {p.device}, the run trains on {device}: {fix}")
    for p in params:
        p.requires_grad = True  # as the notebook does
    return params


def check_logits(logits: object, batch: int, vocab_size: int, name: str) -> None:
    """Step 0's real forward pass gave (batch, vocab_size) finite logits; ModelFileError if not."""
    if not isinstance(logits, torch.Tensor):
        raise ModelFileError(f"{name}: the model returned a {type(logits).__name__}, not a tensor of logits")
    if tuple(logits.shape) != (batch, vocab_size):
        raise ModelFileError(
            f"{name}: logits of shape {tuple(logits.shape)}, expected {(batch, vocab_size)} (batch, vocab_size)"
        )
    if not bool(torch.isfinite(logits).all()):  # sync point, step 0 only
        raise ModelFileError(f"{name}: the logits at step 0 are not finite (NaN or inf): look at the init")
