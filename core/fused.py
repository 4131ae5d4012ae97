"""The fused engine's math: the lecture's network with a hand-written backward pass, V variants at once.

Read it beside makemore part 4 ("becoming a backprop ninja"): the names are the notebook's
(`emb`, `embcat`, `hprebn`, `bnmeani`, `hpreact`, `h`, `logits`, `dlogits`, `dh`, `dhpreact`,
`dbngain`, `dhprebn`, `dembcat`, `demb`, `dC`). Autograd and one-op-a-line layers cost this tiny
net more in dispatch than in arithmetic (DESIGN §5), so each layer's forward and backward is
one fused kernel where torch has one, with the formula it computes written beside the call.

Stacking. V variants of one structure (BatchNorm on or off, tanh or linear) train together:
every parameter is stacked along a leading dimension, C (V, vocab, embd), W (V, fan_in, fan_out),
bngain (V, H), and so is every activation, (V, n, H) for a batch of n. A Linear is one batched
matmul; BatchNorm of V variants × H channels is one BatchNorm over V·H channels (its statistics
are per channel over the batch, so variants never mix); tanh is elementwise. No op mixes two
variants, so a diverged variant's NaN stays in its own slices. With V = 1 the same code runs
on plain 2-D tensors (n, H): the same kernels as a single run, no batched-matmul overhead.

BatchNorm: the lecture normalises with the *unbiased* batch variance; torch's fused kernel
uses the biased one. With n the batch size the two are the same function:

    gamma * (h - mean) / sqrt(var_unbiased + eps)
  = (gamma * sqrt((n-1)/n)) * (h - mean) / sqrt(var_biased + eps * (n-1)/n)

so the kernel runs with a scaled gamma and eps, and its weight gradient is scaled back.
Its running buffers already use the unbiased variance and momentum 0.1, as the lecture's do.
The results equal the lecture engine's to float32 rounding, not bit for bit.

Private torch API used here (undocumented, may change between torch versions; pinned by tests):
- `torch.native_batch_norm`: the ATen kernel behind F.batch_norm; returns the output and the
  batch mean and inverse std it saved for the backward pass, and updates the running buffers.
- `torch.ops.aten.native_batch_norm_backward`: the kernel autograd runs for BatchNorm's backward.
- `torch.ops.aten.tanh_backward`: the kernel autograd runs for tanh's backward.
- `torch._foreach_add_`, `torch._foreach_addcmul_`: one dispatch updating a list of tensors
  (what torch.optim's foreach SGD uses), instead of a Python loop over the parameters.

Sync points (host waits for the device): none in a step and none in `statistics_tensors()`.
Learning rates and freezes are device writes. The eager GPU fallback's minibatch move is
marked in core/engines/variants.py; a stats tick's one host transfer is core/stats.py's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
import torch.nn.functional as F

from makemore_tui.core.engines.base import StatsTensors
from makemore_tui.core.layers import BatchNorm1d, Linear, Tanh
from makemore_tui.core.model import ACTIVATION_LAYERS, MLP

aten = torch.ops.aten


class _Block:
    """One Linear, its optional BatchNorm and optional activation, as views of the stacked tensors.

    For V > 1: W (V, fan_in, H), b (V, 1, H) for batched addition; the BatchNorm tensors flat
    over V·H channels. For V = 1 the leading dimension is dropped: W (fan_in, H), b (H,).
    """

    def __init__(self, W: torch.Tensor, b: torch.Tensor | None):
        self.W, self.b = W, b
        self.WT = W.transpose(-2, -1)  # W.T, a view kept from step to step (the update writes W in place)
        self.bn: BatchNorm1d | None = None  # eps and momentum
        self.bngain_param: torch.Tensor | None = None  # gamma as the update sees it: (V, H), or (H,) when V = 1
        self.bngain = self.bnbias = self.bnmean_running = self.bnvar_running = None  # (V*H,) channels
        self.tanh = False  # tanh after this block (else identity, or no activation at all)
        self.activation_index: int | None = None  # the activation's position in the layer list


class FusedNet:
    """V variants of one structure stacked along dim 0: forward, backward and SGD update in fused ops.

    Takes the variants' built models (same structure and shapes), stacks their parameters and
    BatchNorm buffers on `device`, and rebinds each model to views of its slices, so the models
    read what this net trains. `variants`: the indices of these models in the compare's order.
    """

    def __init__(self, models: Sequence[MLP], variants: Sequence[int], device: torch.device, batch_size: int):
        self.variants = tuple(variants)
        self.V = V = len(models)
        per_model = [[p.detach() for p in m.parameters()] for m in models]
        per_model_buffers = [m.buffers() for m in models]
        # (V, *shape) each, in the lecture's parameter order (C first); buffers: (V, H) each
        self.stacked = [torch.stack(ps).to(device) for ps in zip(*per_model)]
        self.stacked_buffers = [torch.stack(bs).to(device) for bs in zip(*per_model_buffers)]
        for v, model in enumerate(models):
            model.bind([p[v] for p in self.stacked], [b[v] for b in self.stacked_buffers])
        # what the update writes: 2-D views of the only variant when V = 1 (the single-run kernels)
        self.params = [p[0] for p in self.stacked] if V == 1 else list(self.stacked)
        vocab, embd = models[0].C.shape
        self.C_rows = self.params[0].view(-1, embd)  # (V*vocab, embd): every variant's table, one after another
        self.row_offsets = (torch.arange(V, device=device) * vocab).view(V, 1, 1)  # variant v's rows start at v*vocab
        self.blocks = _blocks(models[0], iter(self.params[1:]), iter(self.stacked_buffers), V)
        # a @ b and b + a @ c over the variants: batched (V, n, k) @ (V, k, m), or the 2-D kernels when V = 1
        self.matmul = torch.Tensor.mm if V == 1 else torch.Tensor.bmm
        self.affine = torch.addmm if V == 1 else torch.baddbmm
        self.tanh = torch.tanh if V == 1 else _tanh_by_sigmoid
        n = batch_size
        self.bn_scale = ((n - 1) / n) ** 0.5 if n > 1 else 1.0
        self.batch_range = torch.arange(n, device=device)
        dtype = self.stacked[0].dtype
        self.minus_one = torch.full((n, 1) if V == 1 else (V, n, 1), -1.0, device=device, dtype=dtype)
        self.lr = _LearningRates(self.params, V, device, dtype)
        self.frozen = _Frozen(self.params, self.stacked_buffers, V, device, dtype)
        self.embcat: torch.Tensor | None = None
        self.acts: list[torch.Tensor] = []
        self.hpreacts: list[torch.Tensor] = []  # each activation layer's input (hpreact), for the statistics
        self.act_grads: list[torch.Tensor] = []
        self.grads: list[torch.Tensor] = []

    def forward_backward(self, Xb: torch.Tensor, Yb: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Per-variant mean losses (V,) and every parameter's gradient (shaped as `self.params`).

        The stacked loss is the SUM of the per-variant mean losses, so variant v's gradients are
        its single run's. Keeps embcat, the activations and their gradients for the statistics.
        """
        # variant v's rows of the stacked embedding table: (V, n, block_size)
        rows = Xb if self.V == 1 else Xb + self.row_offsets
        logprobs, saved = self._forward(rows)
        if self.V == 1:
            loss = F.nll_loss(logprobs, Yb).view(1)  # loss = -logprobs[range(n), Yb].mean()
        else:
            loss = -logprobs[:, self.batch_range, Yb].mean(1)  # (V,): each variant's own mean
        grads = self._backward(rows, logprobs, Yb, saved)
        return loss, grads

    def _forward(self, rows: torch.Tensor) -> tuple[torch.Tensor, list[tuple]]:
        """The forward pass to the log-probabilities (V, n, vocab); what the backward pass needs, per block."""
        emb = self.C_rows[rows]  # (V, n, block_size, embd): emb = C[Xb] for every variant
        embcat = emb.view(*rows.shape[:-1], -1)  # (V, n, block_size*embd)
        x, saved, acts, hpreacts = embcat, [], [], []
        for block in self.blocks:
            if block.bn is not None:
                # hprebn = x @ W (no bias before BatchNorm; x is embcat at the first layer): (V, n, H)
                hprebn = self.matmul(x, block.W)
                hpreact, bn_saved = self._batchnorm(block, hprebn)
            else:
                # hpreact = x @ W + b, one kernel: (V, n, H)
                hpreact, bn_saved = self.affine(block.b, x, block.W), None
            h = self.tanh(hpreact) if block.tanh else hpreact  # (V, n, H); the linear sandwich: h = hpreact
            if block.activation_index is not None:
                acts.append(h)
                hpreacts.append(hpreact)
            saved.append((x, bn_saved, h))
            x = h
        logits = x  # (V, n, vocab)
        logprobs = torch.log_softmax(logits, dim=-1)  # logits - logsumexp(logits), one fused kernel
        self.embcat, self.acts, self.hpreacts = embcat, acts, hpreacts
        return logprobs, saved

    def _backward(self, rows: torch.Tensor, logprobs: torch.Tensor, Yb: torch.Tensor, saved: list[tuple]):
        """The backward pass from the loss to dC: every parameter's gradient, in parameter order."""
        n, V = Yb.shape[0], self.V
        # dlogits = F.softmax(logits, 1); dlogits[range(n), Yb] -= 1; dlogits /= n
        Yb_index = Yb.view(n, 1) if V == 1 else Yb.view(1, n, 1).expand(V, n, 1)
        dlogits = logprobs.exp().scatter_add_(-1, Yb_index, self.minus_one).div_(n)
        d, grads_by_block, act_grads = dlogits, [], []
        for block, (x, bn_saved, h) in zip(reversed(self.blocks), reversed(saved)):
            if block.activation_index is not None:
                dh = d  # (V, n, H): d loss / d h, what the lecture's layer.out.grad holds
                act_grads.append(dh)
                d = aten.tanh_backward(dh, h) if block.tanh else dh  # dhpreact = (1 - h**2) * dh
            dhpreact = d
            if block.bn is not None:
                dhprebn, dbngain, dbnbias = self._batchnorm_backward(block, dhpreact, bn_saved)
                # dW = x.T @ dhprebn (dW1 = embcat.T @ dhprebn at the first layer): (V, fan_in, H)
                grads_by_block.append([self.matmul(x.transpose(-2, -1), dhprebn), dbngain, dbnbias])
            else:
                dhprebn = dhpreact  # no BatchNorm: the Linear's output is the pre-activation
                # dW = x.T @ dhpreact; db = dhpreact.sum(0), over the batch
                grads_by_block.append([self.matmul(x.transpose(-2, -1), dhprebn), dhpreact.sum(-2)])
            # dx = dhprebn @ W.T: the previous layer's dh, or dembcat at the first layer
            d = self.matmul(dhprebn, block.WT)
        dembcat = d  # (V, n, block_size*embd)
        demb = dembcat.reshape(-1, self.C_rows.shape[1])  # (V*n*block_size, embd): the lecture's demb, row by row
        # for k, j: dC[Xb[k, j]] += demb[k, j], as one scatter-add into each variant's rows of the stacked table
        dC = torch.zeros_like(self.C_rows).index_add_(0, rows.reshape(-1), demb)
        dC = dC if V == 1 else dC.view_as(self.params[0])  # (V, vocab, embd)
        grads = [dC] + [g for block_grads in reversed(grads_by_block) for g in block_grads]
        self.act_grads, self.grads = act_grads[::-1], grads
        return grads

    def _batchnorm(self, block: _Block, hprebn: torch.Tensor):
        """hpreact = bngain * (hprebn - bnmeani) * bnvar_inv + bnbias, over V·H channels; updates the running buffers.

        bnmeani = hprebn.mean(0); bnvar = hprebn.var(0) (unbiased); bnvar_inv = (bnvar + eps)**-0.5;
        bnraw = (hprebn - bnmeani) * bnvar_inv. The kernel returns bnmeani and its biased-form inverse
        std, bninvstd = bnvar_inv * sqrt(n/(n-1)) (the trick in the module docstring).
        """
        # (n, V*H): variant v's channel j is column v*H + j (V = 1: as it is)
        hprebn_c = hprebn if self.V == 1 else _channels(hprebn)
        bngain = block.bngain * self.bn_scale  # (V*H,)
        eps = block.bn.eps * self.bn_scale**2
        hpreact_c, bnmeani, bninvstd = torch.native_batch_norm(
            hprebn_c, bngain, block.bnbias, block.bnmean_running, block.bnvar_running, True, block.bn.momentum, eps
        )  # running buffers, in place: (1 - momentum) * running + momentum * (bnmeani, bnvar)
        hpreact = hpreact_c if self.V == 1 else _variants(hpreact_c, self.V)  # (V, n, H)
        return hpreact, (hprebn_c, bngain, bnmeani, bninvstd, eps)

    def _batchnorm_backward(self, block: _Block, dhpreact: torch.Tensor, bn_saved):
        """dhprebn, dbngain, dbnbias of the BatchNorm, in one kernel.

        dbngain = (bnraw * dhpreact).sum(0); dbnbias = dhpreact.sum(0); and the lecture's closed form
        dhprebn = bngain*bnvar_inv/n * (n*dhpreact - dhpreact.sum(0) - n/(n-1)*bnraw*(dhpreact*bnraw).sum(0)).
        The kernel computes the same with its scaled gain and biased inverse std; its gain gradient
        is d loss / d(bngain * sqrt((n-1)/n)), so it is scaled back by sqrt((n-1)/n).
        """
        hprebn_c, bngain, bnmeani, bninvstd, eps = bn_saved
        V = self.V
        dhpreact_c = dhpreact if V == 1 else _channels(dhpreact)
        dhprebn_c, dbngain, dbnbias = aten.native_batch_norm_backward(
            dhpreact_c, hprebn_c, bngain, None, None, bnmeani, bninvstd, True, eps, [True, True, True]
        )
        dbngain.mul_(self.bn_scale)
        if V == 1:
            return dhprebn_c, dbngain, dbnbias
        return _variants(dhprebn_c, V), dbngain.view(V, -1), dbnbias.view(V, -1)  # (V, n, H), (V, H), (V, H)

    def train_step(self, Xb: torch.Tensor, Yb: torch.Tensor, masked: bool, lr_tensor: bool) -> torch.Tensor:
        """Forward, backward and the SGD update p += -lr * grad of every variant; the losses (V,).

        `masked`: frozen variants' gradients are zeroed (masked, never multiplied: 0 * NaN is NaN),
        their BatchNorm buffers restored and their losses NaN. `lr_tensor`: read each variant's lr
        from the device tensor (inside a CUDA graph, or when the rates differ); else the one rate
        as a float, a faster kernel for the same numbers.
        """
        loss, grads = self.forward_backward(Xb, Yb)
        if masked:
            self.frozen.mask_gradients(grads)
        if lr_tensor:
            torch._foreach_addcmul_(self.params, grads, self.lr.neg_views)  # p += (-lr_v) * grad, per variant
        else:
            torch._foreach_add_(self.params, grads, alpha=-self.lr.values[0])  # p += -lr * grad, every variant
        if masked:
            self.frozen.restore_buffers()
            loss = self.frozen.mask_loss(loss)
        return loss

    def statistics_tensors(self) -> StatsTensors:
        """The tensors of the last step, each with the variants along dim 0 (views, no copy, no sync)."""
        lift = (lambda t: t.unsqueeze(0)) if self.V == 1 else (lambda t: t)
        return StatsTensors(
            variants=self.variants,
            layer_index=tuple(b.activation_index for b in self.blocks if b.activation_index is not None),
            embcat=lift(self.embcat),
            acts=[lift(t) for t in self.acts],
            hpreacts=[lift(t) for t in self.hpreacts],
            act_grads=[lift(t) for t in self.act_grads],
            params=list(self.stacked),
            grads=[lift(g) for g in self.grads],
        )

    def state(self) -> list[torch.Tensor]:
        """Every tensor a step mutates: the stacked parameters and BatchNorm running buffers."""
        return self.stacked + self.stacked_buffers


def _tanh_by_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """tanh(x) = 2·sigmoid(2x) − 1, for stacked variants (V, n, H).

    On this project's CPUs torch's tanh kernel is not vectorised (36 µs for 4×32×100 floats
    against 17 µs for these three ops; bench: a 4-variant compare 2,714 → 2,917 variant-steps/s).
    A single run keeps torch.tanh (faster at 32×100, and the lecture's op); the two agree to
    float32 rounding, which is what a compare variant promises against its single run.
    """
    return torch.sigmoid(x * 2).mul_(2).sub_(1)


class _LearningRates:
    """Each variant's learning rate: the floats, and a device tensor (V,) written only when a rate
    changes (a device write, no sync, no CUDA-graph recapture)."""

    def __init__(self, params: list[torch.Tensor], V: int, device: torch.device, dtype: torch.dtype):
        self.values: list[float] | None = None
        self.uniform = True  # every variant at the same rate
        self.neg = torch.zeros(V, device=device, dtype=dtype)  # -lr per variant
        # broadcastable against each parameter: (V, 1, ..) for stacked, (1, ..) for V = 1's 2-D views
        self.neg_views = [_per_variant(self.neg, p) for p in params]

    def set(self, lrs: Sequence[float]) -> None:
        """Take this step's learning rates (V floats)."""
        for k, lr in enumerate(lrs):
            if self.values is None or self.values[k] != lr:
                self.neg[k].fill_(-lr)
        self.values = list(lrs)
        self.uniform = all(lr == self.values[0] for lr in self.values)


class _Frozen:
    """Which variants stopped training: a device mask (V,) and the buffers they froze with."""

    def __init__(
        self, params: list[torch.Tensor], buffers: list[torch.Tensor], V: int, device: torch.device, dtype: torch.dtype
    ):
        self.V = V
        self.host = [False] * V  # host-side copy: deciding what to run needs no sync
        self.any = self.all = False  # some / every variant of this net frozen
        self.mask = torch.zeros(V, dtype=torch.bool, device=device)
        self.mask_views = [_per_variant(self.mask, p) for p in params]
        self.buffers = buffers  # (V, H) each
        self.snapshots = [b.clone() for b in buffers]
        self.nan = torch.full((V,), float("nan"), device=device, dtype=dtype)

    def freeze(self, k: int) -> None:
        """Variant k stops from the next step: mark it and keep its buffers as they are now."""
        self.host[k] = True
        self.any, self.all = True, all(self.host)
        self.mask[k] = True  # a device write, no sync
        for snapshot, buffer in zip(self.snapshots, self.buffers):
            snapshot[k].copy_(buffer[k])

    def mask_gradients(self, grads: list[torch.Tensor]) -> None:
        """Zero every frozen variant's gradients in place (a NaN gradient becomes 0, not NaN)."""
        for grad, mask in zip(grads, self.mask_views):
            grad.masked_fill_(mask, 0.0)

    def restore_buffers(self) -> None:
        """Put the frozen variants' BatchNorm running buffers back (the kernel updated every channel)."""
        rows = self.mask.view(self.V, 1)
        for buffer, snapshot in zip(self.buffers, self.snapshots):
            torch.where(rows, snapshot, buffer, out=buffer)

    def mask_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """NaN for the frozen variants' losses."""
        return torch.where(self.mask, self.nan, loss)


def _per_variant(values: torch.Tensor, param: torch.Tensor) -> torch.Tensor:
    """values (V,) as a view broadcasting against `param` (V, ...) or, when V = 1, its 2-D view."""
    return values.view([values.shape[0]] + [1] * (param.dim() - 1))


def _channels(t: torch.Tensor) -> torch.Tensor:
    """(V, n, H) -> (n, V*H), BatchNorm's channels side by side (a copy unless already laid out so)."""
    return t.transpose(0, 1).reshape(t.shape[1], -1)


def _variants(t: torch.Tensor, V: int) -> torch.Tensor:
    """(n, V*H) -> (V, n, H), a view."""
    return t.view(t.shape[0], V, -1).transpose(0, 1)


def _blocks(model: MLP, params: Iterator[torch.Tensor], buffers: Iterator[torch.Tensor], V: int) -> list[_Block]:
    """Group the layer list into Linear [BatchNorm] [activation] blocks over the stacked tensors.

    `params` yields the update's tensors (stacked, or 2-D when V = 1), `buffers` the stacked (V, H) ones.
    """
    blocks: list[_Block] = []
    flat = (lambda t: t) if V == 1 else (lambda t: t.view(-1))  # (V, H) -> (V*H,) channels
    one = (lambda t: t[0]) if V == 1 else (lambda t: t.view(-1))
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Linear):
            W = next(params)
            b = next(params) if layer.bias is not None else None
            blocks.append(_Block(W, b if b is None or V == 1 else b.unsqueeze(1)))
        elif isinstance(layer, BatchNorm1d):
            block = blocks[-1]
            block.bn, block.bngain_param = layer, next(params)
            block.bngain, block.bnbias = flat(block.bngain_param), flat(next(params))
            block.bnmean_running, block.bnvar_running = one(next(buffers)), one(next(buffers))
        elif isinstance(layer, ACTIVATION_LAYERS):
            blocks[-1].tanh, blocks[-1].activation_index = isinstance(layer, Tanh), i
    return blocks
