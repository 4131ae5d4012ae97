"""The deep tanh MLP of the lecture, built from the from-scratch layers."""

from __future__ import annotations

import torch

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.layers import BatchNorm1d, Identity, Linear, Tanh

# The layers the lecture reads saturation and activation statistics from.
ACTIVATION_LAYERS = (Tanh, Identity)


class MLP:
    """Embedding table `C` followed by the layer list, exactly as the lecture builds them."""

    def __init__(self, C: torch.Tensor, layers: list):
        self.C = C
        self.layers = layers

    @classmethod
    def build(cls, config: TrainConfig, vocab_size: int, generator: torch.Generator) -> MLP:
        """Draw the embedding, then every Linear weight in order, from `generator` (DESIGN §3).

        The draws are the same in number and order whatever `activation`, `init`,
        `output_scale`, `gain`, `weight_scale` and `batchnorm` are, so variants of a compare share
        the generator state after init, and with it the minibatch stream. `bias_scale` > 0 without
        BatchNorm draws each bias after its weight (the first half's b1): other draws, another stream.
        """
        bn = config.batchnorm
        C = torch.randn((vocab_size, config.embd), generator=generator)
        layers: list = []
        fan_in = config.embd * config.block_size
        linear = dict(bias=not bn, generator=generator, init=config.init, bias_scale=config.bias_scale)
        for _ in range(config.depth):
            layers.append(Linear(fan_in, config.hidden, **linear))
            if bn:
                layers.append(BatchNorm1d(config.hidden))
            layers.append(Tanh() if config.activation == "tanh" else Identity())
            fan_in = config.hidden
        layers.append(Linear(fan_in, vocab_size, **linear))
        if bn:
            layers.append(BatchNorm1d(vocab_size))
        with torch.no_grad():
            # Make the last layer less confident, so the initial loss is near -log(1/vocab).
            if bn:
                layers[-1].gamma *= config.output_scale
            else:
                layers[-1].weight *= config.output_scale
                layers[-1].bias *= config.output_scale  # zeros, or the drawn b2 (the lecture's b2·0 fix)
            # The scale of every Linear but the last element of the list: with BatchNorm that
            # includes the output Linear (the list ends in a BatchNorm), without it not. Kaiming
            # scales by the gain; the lecture's first draft ("normal"), plain randn, by weight_scale (W1·0.2).
            scale = config.gain if config.init == "kaiming" else config.weight_scale
            if scale != 1.0:
                for layer in layers[:-1]:
                    if isinstance(layer, Linear):
                        layer.weight *= scale
        model = cls(C, layers)
        for p in model.parameters():
            p.requires_grad = True
        return model

    def parameters(self) -> list[torch.Tensor]:
        """The embedding first, then each layer's parameters in layer order."""
        return [self.C] + [p for layer in self.layers for p in layer.parameters()]

    def buffers(self) -> list[torch.Tensor]:
        """Each BatchNorm's running mean, then its running variance, in layer order."""
        return [t for bn in self.batchnorms() for t in (bn.running_mean, bn.running_var)]

    def activation_layers(self) -> list[tuple[int, Tanh | Identity]]:
        """(position in the layer list, layer) for every activation layer (Tanh, or Identity
        in the linear sandwich), as the lecture numbers them: 2, 5, 8, .. with BatchNorm, 1, 3, 5, .. without."""
        return [(i, layer) for i, layer in enumerate(self.layers) if isinstance(layer, ACTIVATION_LAYERS)]

    def batchnorms(self) -> list[BatchNorm1d]:
        """Every BatchNorm1d layer, in order."""
        return [layer for layer in self.layers if isinstance(layer, BatchNorm1d)]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Logits (batch, vocab) for a batch of contexts X (batch, block_size) of character indices.

        Keeps `self.embcat` (batch, block_size*embd), the first Linear's input, as the layers keep `.out`.
        """
        emb = self.C[X]
        x = emb.view(emb.shape[0], -1)
        self.embcat = x
        for layer in self.layers:
            x = layer(x)
        return x

    def set_training(self, training: bool) -> None:
        """Switch BatchNorm between batch statistics (training) and running buffers."""
        for bn in self.batchnorms():
            bn.training = training

    def bind(self, params: list[torch.Tensor], buffers: list[torch.Tensor]) -> MLP:
        """Point every parameter and buffer at the given tensors (in `parameters()` / `buffers()` order).

        The stacked engines pass views of one variant's slices, so this model reads (evaluates,
        samples) what the engine trains. Raises ValueError if a count or shape does not match.
        """
        slots = self._parameter_slots() + self._buffer_slots()
        tensors = list(params) + list(buffers)
        if len(tensors) != len(slots):
            raise ValueError(f"bind: {len(tensors)} tensors for {len(slots)} parameters and buffers")
        for (owner, name), tensor in zip(slots, tensors):
            shape = tuple(getattr(owner, name).shape)
            if shape != tuple(tensor.shape):
                raise ValueError(f"bind: {name} has shape {shape}, got {tuple(tensor.shape)}")
            setattr(owner, name, tensor)
        return self

    def to(self, device: torch.device) -> MLP:
        """Move every parameter and buffer to `device` in place (init stays drawn on the CPU)."""
        with torch.no_grad():
            params = [p.detach().to(device).requires_grad_() for p in self.parameters()]
            buffers = [b.to(device) for b in self.buffers()]
        return self.bind(params, buffers)

    def _parameter_slots(self) -> list[tuple[object, str]]:
        """(object, attribute) of every parameter, in `parameters()` order."""
        slots: list[tuple[object, str]] = [(self, "C")]
        for layer in self.layers:
            if isinstance(layer, Linear):
                slots += [(layer, "weight")] + ([] if layer.bias is None else [(layer, "bias")])
            elif isinstance(layer, BatchNorm1d):
                slots += [(layer, "gamma"), (layer, "beta")]
        return slots

    def _buffer_slots(self) -> list[tuple[object, str]]:
        """(object, attribute) of every buffer, in `buffers()` order."""
        return [(bn, name) for bn in self.batchnorms() for name in ("running_mean", "running_var")]
