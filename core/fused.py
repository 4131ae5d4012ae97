"""The fused engine: the lecture's network and math, with a hand-written backward pass.

Autograd and one-op-a-line layers cost this tiny net more in dispatch than in arithmetic
(DESIGN §5), so this engine takes each layer's forward and backward as one fused kernel
where torch has one, and updates every parameter with a single foreach op.

BatchNorm: the lecture normalises with the *unbiased* batch variance; torch's fused kernel
uses the biased one. With n the batch size the two are the same function:

    gamma * (h - mean) / sqrt(var_unbiased + eps)
  = (gamma * sqrt((n-1)/n)) * (h - mean) / sqrt(var_biased + eps * (n-1)/n)

so the kernel runs with a scaled gamma and eps, and its weight gradient is scaled back.
Its running buffers already use the unbiased variance and momentum 0.1, as the lecture's do.
The results equal the lecture engine's to float32 rounding, not bit for bit.
"""

from __future__ import annotations

import torch

from core.layers import BatchNorm1d, Linear, Tanh
from core.model import MLP

aten = torch.ops.aten


class _Block:
    """One Linear, its optional BatchNorm and optional Tanh, with the step's saved tensors."""

    def __init__(self, linear: Linear, bn: BatchNorm1d | None, tanh_index: int | None):
        self.linear, self.bn, self.tanh_index = linear, bn, tanh_index


class FusedEngine:
    """One SGD step of the MLP in about fifty fused ops, no autograd graph."""

    name = "fused"

    def __init__(self, model: MLP, Xtr: torch.Tensor, Ytr: torch.Tensor, batch_size: int, generator: torch.Generator):
        self.model = model
        self.params = model.parameters()
        for p in self.params:
            p.requires_grad_(False)
        self.Xtr, self.Ytr = Xtr, Ytr
        self.batch_size = batch_size
        self.generator = generator
        self.blocks = _blocks(model)
        n = batch_size
        self.bn_scale = ((n - 1) / n) ** 0.5 if n > 1 else 1.0
        self.grads: list[torch.Tensor] = []
        self.tanh_outs: list[torch.Tensor] = []
        self.tanh_grads: list[torch.Tensor] = []

    def draw_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The minibatch, drawn on the CPU generator as the lecture draws it."""
        ix = torch.randint(0, self.Xtr.shape[0], (self.batch_size,), generator=self.generator)
        ix = ix.to(self.Xtr.device, non_blocking=True)
        return self.Xtr[ix], self.Ytr[ix]

    def step(self, lr: float, keep_grads: bool = True) -> torch.Tensor:
        """One SGD step; returns the loss. Layer outputs and their gradients are always kept."""
        loss, grads = self.forward_backward(*self.draw_batch())
        # update: one foreach op for every parameter
        torch._foreach_add_(self.params, grads, alpha=-lr)
        return loss

    def forward_backward(self, Xb: torch.Tensor, Yb: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Loss and the gradient of every parameter (in parameter order) for one minibatch."""
        C = self.model.C
        B = Xb.shape[0]
        eps_scale = self.bn_scale**2
        # forward pass
        x = self.embcat = C[Xb].view(B, -1)
        saved = []
        outs = []
        for block in self.blocks:
            W = block.linear.weight
            if block.bn is not None:
                h = x.mm(W)
                gamma = block.bn.gamma * self.bn_scale
                y, mean, invstd = torch.native_batch_norm(
                    h,
                    gamma,
                    block.bn.beta,
                    block.bn.running_mean,
                    block.bn.running_var,
                    True,
                    block.bn.momentum,
                    block.bn.eps * eps_scale,
                )
            else:
                h = torch.addmm(block.linear.bias, x, W)
                y, gamma, mean, invstd = h, None, None, None
            saved.append((x, h, gamma, mean, invstd))
            if block.tanh_index is not None:
                y = torch.tanh(y)
                outs.append(y)
            x = y
        logp = torch.log_softmax(x, dim=1)
        loss = torch.nn.functional.nll_loss(logp, Yb)
        # backward pass: d(loss)/d(logits) = (softmax - onehot) / B
        d = (
            logp.exp()
            .scatter_add_(1, Yb.unsqueeze(1), torch.full((B, 1), -1.0, device=logp.device, dtype=logp.dtype))
            .div_(B)
        )
        grads_by_block = []
        tanh_grads = []
        for block, (x_in, h, gamma, mean, invstd), out in zip(
            reversed(self.blocks), reversed(saved), _reversed_outs(self.blocks, outs)
        ):
            if out is not None:
                tanh_grads.append(d)
                d = aten.tanh_backward(d, out)
            if block.bn is not None:
                dh, dgamma, dbeta = aten.native_batch_norm_backward(
                    d, h, gamma, None, None, mean, invstd, True, block.bn.eps * eps_scale, [True, True, True]
                )
                dW = x_in.t().mm(dh)
                grads_by_block.append([dW, dgamma.mul_(self.bn_scale), dbeta])
            else:
                dh = d
                grads_by_block.append([x_in.t().mm(dh), dh.sum(0)])
            d = dh.mm(block.linear.weight.t())
        dC = torch.zeros_like(C).index_add_(0, Xb.reshape(-1), d.reshape(-1, C.shape[1]))
        grads = [dC] + [g for block_grads in reversed(grads_by_block) for g in block_grads]
        self.grads, self.tanh_outs, self.tanh_grads = grads, outs, tanh_grads[::-1]
        return loss, grads

    def statistics_tensors(self):
        """The statistics tensors of the last step (one group, one variant)."""
        from core.engine import StatsTensors  # engine.py imports this module

        return [
            StatsTensors(
                variants=(0,),
                layer_index=tuple(b.tanh_index for b in self.blocks if b.tanh_index is not None),
                embcat=self.embcat.unsqueeze(0),
                acts=[t.unsqueeze(0) for t in self.tanh_outs],
                act_grads=[g.unsqueeze(0) for g in self.tanh_grads],
                params=[p.unsqueeze(0) for p in self.params],
                grads=[g.unsqueeze(0) for g in self.grads],
            )
        ]


def _blocks(model: MLP) -> list[_Block]:
    """Group the layer list into Linear [BatchNorm] [Tanh] blocks."""
    blocks: list[_Block] = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Linear):
            blocks.append(_Block(layer, None, None))
        elif isinstance(layer, BatchNorm1d):
            blocks[-1].bn = layer
        elif isinstance(layer, Tanh):
            blocks[-1].tanh_index = i
    return blocks


def _reversed_outs(blocks: list[_Block], outs: list[torch.Tensor]):
    """Each block's tanh output (or None), from the last block to the first."""
    it = iter(reversed(outs))
    return [next(it) if b.tanh_index is not None else None for b in reversed(blocks)]
