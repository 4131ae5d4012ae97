"""The deep tanh MLP of the lecture, built from the from-scratch layers."""

from __future__ import annotations

import torch

from core.config import TrainConfig
from core.layers import BatchNorm1d, Linear, Tanh


class MLP:
    """Embedding table `C` followed by the layer list, exactly as the lecture builds them."""

    def __init__(self, C: torch.Tensor, layers: list):
        self.C = C
        self.layers = layers

    @classmethod
    def build(cls, config: TrainConfig, vocab_size: int, generator: torch.Generator) -> MLP:
        """Draw the embedding, then every Linear weight in order, from `generator` (DESIGN §3)."""
        bn = config.batchnorm
        C = torch.randn((vocab_size, config.embd), generator=generator)
        layers: list = []
        fan_in = config.embd * config.block_size
        for _ in range(config.depth):
            layers.append(Linear(fan_in, config.hidden, bias=not bn, generator=generator))
            if bn:
                layers.append(BatchNorm1d(config.hidden))
            layers.append(Tanh())
            fan_in = config.hidden
        layers.append(Linear(fan_in, vocab_size, bias=not bn, generator=generator))
        if bn:
            layers.append(BatchNorm1d(vocab_size))
        with torch.no_grad():
            # Make the last layer less confident, so the initial loss is near -log(1/vocab).
            if bn:
                layers[-1].gamma *= 0.1
            else:
                layers[-1].weight *= 0.1
            # The gain on every Linear but the last element of the list: with BatchNorm
            # that includes the output Linear (the list ends in a BatchNorm), without it not.
            for layer in layers[:-1]:
                if isinstance(layer, Linear):
                    layer.weight *= config.gain
        model = cls(C, layers)
        for p in model.parameters():
            p.requires_grad = True
        return model

    def parameters(self) -> list[torch.Tensor]:
        """The embedding first, then each layer's parameters in layer order."""
        return [self.C] + [p for layer in self.layers for p in layer.parameters()]

    def tanh_layers(self) -> list[tuple[int, Tanh]]:
        """(position in the layer list, layer) for every Tanh, as the lecture numbers them."""
        return [(i, layer) for i, layer in enumerate(self.layers) if isinstance(layer, Tanh)]

    def batchnorms(self) -> list[BatchNorm1d]:
        """Every BatchNorm1d layer, in order."""
        return [layer for layer in self.layers if isinstance(layer, BatchNorm1d)]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of contexts."""
        emb = self.C[X]
        x = self.embcat = emb.view(emb.shape[0], -1)  # kept: the statistics read its std
        for layer in self.layers:
            x = layer(x)
        return x

    def set_training(self, training: bool) -> None:
        """Switch BatchNorm between batch statistics (training) and running buffers."""
        for bn in self.batchnorms():
            bn.training = training

    def to(self, device: torch.device) -> MLP:
        """Move every parameter and buffer to `device` in place (init stays drawn on the CPU)."""
        with torch.no_grad():
            self.C = self.C.detach().to(device).requires_grad_()
            for layer in self.layers:
                if isinstance(layer, Linear):
                    layer.weight = layer.weight.detach().to(device).requires_grad_()
                    if layer.bias is not None:
                        layer.bias = layer.bias.detach().to(device).requires_grad_()
                elif isinstance(layer, BatchNorm1d):
                    layer.gamma = layer.gamma.detach().to(device).requires_grad_()
                    layer.beta = layer.beta.detach().to(device).requires_grad_()
                    layer.running_mean = layer.running_mean.to(device)
                    layer.running_var = layer.running_var.to(device)
        return self
