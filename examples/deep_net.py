"""makemore part 3's deep network, written as the notebook writes it (makemore-tui --model examples/deep_net.py).

The notebook's classes and layer list, with one change: its module-level generator `g` is the `generator`
argument, so the init draws what `--preset lecture` draws and the run equals the built-in one step for step:

    makemore-tui --headless --model examples/deep_net.py --preset lecture --data names.txt \
        --steps 1001 --stats-every 1000

Knobs (each a flag, a key in the app and a compare axis): batchnorm, gain, embd, hidden.
"""

import torch


class Linear:
    def __init__(self, fan_in, fan_out, generator, bias=True):
        self.weight = torch.randn((fan_in, fan_out), generator=generator) / fan_in**0.5
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
        # parameters (trained with backprop)
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        # buffers (trained with a running 'momentum update')
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        # calculate the forward pass
        if self.training:
            xmean = x.mean(0, keepdim=True)  # batch mean
            xvar = x.var(0, keepdim=True)  # batch variance
        else:
            xmean = self.running_mean
            xvar = self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
        self.out = self.gamma * xhat + self.beta
        # update the buffers
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


def build(vocab_size, block_size, generator, batchnorm=True, gain=1.0, embd=10, hidden=100):
    n_embd = embd  # the dimensionality of the character embedding vectors
    n_hidden = hidden  # the number of neurons in the hidden layer of the MLP
    g = generator
    bias = not batchnorm  # a Linear before a BatchNorm needs no bias

    def norm(dim):
        return [BatchNorm1d(dim)] if batchnorm else []

    C = torch.randn((vocab_size, n_embd), generator=g)
    layers = [
        Linear(n_embd * block_size, n_hidden, g, bias=bias), *norm(n_hidden), Tanh(),
        Linear(           n_hidden, n_hidden, g, bias=bias), *norm(n_hidden), Tanh(),
        Linear(           n_hidden, n_hidden, g, bias=bias), *norm(n_hidden), Tanh(),
        Linear(           n_hidden, n_hidden, g, bias=bias), *norm(n_hidden), Tanh(),
        Linear(           n_hidden, n_hidden, g, bias=bias), *norm(n_hidden), Tanh(),
        Linear(           n_hidden, vocab_size, g, bias=bias), *norm(vocab_size),
    ]  # fmt: skip

    with torch.no_grad():
        # last layer: make less confident
        if batchnorm:
            layers[-1].gamma *= 0.1
        else:
            layers[-1].weight *= 0.1
        # all other layers: apply gain
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= gain

    return C, layers
