"""makemore part 3's deep network, written as the notebook writes it (makemore-tui --model examples/deep_net.py).

The notebook's layer list (its classes are in notebook_layers.py, beside this file), with one change: its
module-level generator `g` is the `generator` argument, so the init draws what `--preset lecture` draws
and the run equals the built-in one step for step:

    makemore-tui --headless --model examples/deep_net.py --preset lecture --data names.txt \
        --steps 1001 --stats-every 1000

Knobs (each a flag, a key in the app and a compare axis): batchnorm, gain, embd, hidden.
"""

import torch
from notebook_layers import BatchNorm1d, Linear, Tanh, scale_init  # the notebook's classes, beside this file


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

    scale_init(layers, gain)  # the last layer less confident, the gain on the others
    return C, layers
