"""The lecture's from-scratch layers: Linear, BatchNorm1d, Tanh and Identity, each keeping its `.out`."""

from __future__ import annotations

import torch


class Linear:
    """x @ W (+ b), with W of shape (fan_in, fan_out).

    `init="kaiming"` draws W as randn / sqrt(fan_in), the lecture's Linear; `init="normal"` keeps
    the plain randn draw (the lecture's first draft). Either way one randn((fan_in, fan_out)).
    The bias is zeros (part 3's Linear, nothing drawn), or with `bias_scale` > 0 randn(fan_out) · bias_scale,
    drawn right after the weight (the first half's b1 · 0.01).
    """

    def __init__(
        self,
        fan_in: int,
        fan_out: int,
        bias: bool = True,
        generator: torch.Generator | None = None,
        init: str = "kaiming",
        bias_scale: float = 0.0,
    ):
        self.weight = torch.randn((fan_in, fan_out), generator=generator)
        if init == "kaiming":
            self.weight = self.weight / fan_in**0.5
        self.bias = None
        if bias:
            drawn = bias_scale > 0
            self.bias = torch.randn(fan_out, generator=generator) * bias_scale if drawn else torch.zeros(fan_out)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self) -> list[torch.Tensor]:
        """Weight, then bias if any (the lecture's order)."""
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    """Batch normalisation over dim 0 with the lecture's unbiased batch variance and running buffers."""

    def __init__(self, dim: int, eps: float = 1e-5, momentum: float = 0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            xmean = x.mean(0, keepdim=True)
            xvar = x.var(0, keepdim=True)  # unbiased, as torch.var defaults and the lecture uses
        else:
            xmean = self.running_mean
            xvar = self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self) -> list[torch.Tensor]:
        """Gamma, then beta."""
        return [self.gamma, self.beta]


class Tanh:
    """Elementwise tanh; its `.out` is what the lecture's saturation plots read."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.out = torch.tanh(x)
        return self.out

    def parameters(self) -> list[torch.Tensor]:
        """Tanh has none."""
        return []


class Identity:
    """The "linear sandwich" activation: passes its input through; `.out` is read like Tanh's."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.out = x
        return self.out

    def parameters(self) -> list[torch.Tensor]:
        """Identity has none."""
        return []
