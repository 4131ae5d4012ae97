"""makemore part 5's hierarchical net ("WaveNet"), from scratch: train with --block-size 8.

    makemore-tui --model examples/wavenet.py --block-size 8

Characters are fused two at a time (FlattenConsecutive) over three levels, so activations are
(B, 4, C), then (B, 2, C), then (B, C): the app counts every element, and its saturation map reads the
last dimension as neurons. BatchNorm1d normalises over (B, T) for three-dimensional inputs, as the
lecture's fix does. The init draws from `generator`. Knobs: embd, hidden, batchnorm.
"""

import torch


class Linear:
    def __init__(self, fan_in, fan_out, generator, bias=True):
        self.weight = torch.randn((fan_in, fan_out), generator=generator) / fan_in**0.5  # note: kaiming init
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        if self.training:
            dim = 0 if x.ndim == 2 else (0, 1)
            xmean = x.mean(dim, keepdim=True)  # batch mean
            xvar = x.var(dim, keepdim=True)  # batch variance
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

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


class Embedding:
    def __init__(self, num_embeddings, embedding_dim, generator):
        self.weight = torch.randn((num_embeddings, embedding_dim), generator=generator)

    def __call__(self, IX):
        self.out = self.weight[IX]
        return self.out

    def parameters(self):
        return [self.weight]


class FlattenConsecutive:
    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        if x.shape[1] == 1:
            x = x.squeeze(1)
        self.out = x
        return self.out

    def parameters(self):
        return []


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return self.out

    def parameters(self):
        # get parameters of all layers and stretch them out into one list
        return [p for layer in self.layers for p in layer.parameters()]


def build(vocab_size, block_size, generator, embd=24, hidden=128, batchnorm=True):
    if block_size != 8:
        raise ValueError(f"this WaveNet fuses 8 characters in 3 levels: give --block-size 8 (got {block_size})")
    g = generator

    def block(fan_in):
        norm = [BatchNorm1d(hidden)] if batchnorm else []
        return [FlattenConsecutive(2), Linear(fan_in * 2, hidden, g, bias=not batchnorm), *norm, Tanh()]

    model = Sequential(
        [Embedding(vocab_size, embd, g), *block(embd), *block(hidden), *block(hidden), Linear(hidden, vocab_size, g)]
    )
    with torch.no_grad():
        model.layers[-1].weight *= 0.1  # last layer make less confident
    return model
