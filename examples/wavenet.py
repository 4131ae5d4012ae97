"""makemore part 5's hierarchical net ("WaveNet"), from scratch: train with --block-size 8.

    makemore-tui --model examples/wavenet.py --block-size 8

Characters are fused two at a time (FlattenConsecutive) over three levels, so activations are
(B, 4, C), then (B, 2, C), then (B, C): the app counts every element, and its saturation map reads the
last dimension as neurons. BatchNorm1d normalises over (B, T) for three-dimensional inputs, as the
lecture's fix does. The init draws from `generator`. Knobs: embd, hidden, batchnorm.
"""

import torch
from notebook_layers import BatchNorm1d, Embedding, FlattenConsecutive, Linear, Sequential, Tanh


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
