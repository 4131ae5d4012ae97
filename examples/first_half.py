"""The lecture's first half: part 2's one-hidden-layer MLP and its fixes, one knob (`fix`), cumulative.

makemore part 3 starts from this net (embd 10, hidden 200, block 3) and fixes it step by step, keeping a
loss log. Each value of `fix` is a row of that log, with the fixes before it:

    original   C, W1, b1, W2, b2 all randn: the initial loss is confidently wrong (~27)
    softmax    W2 · 0.01, b2 · 0: the output starts near uniform
    tanh       + W1 · 0.2, b1 · 0.01: the hidden tanh no longer saturates
    kaiming    W1 · (5/3) / sqrt(30) instead of · 0.2 (b1 · 0.01 stays)
    batchnorm  Kaiming + a batch norm before the tanh (b1 leaves the parameters; running mean and std
               with momentum 0.001, std not var, no eps)

Draws, in order, in every row: C, W1, b1, W2, b2 (b1 too where batchnorm drops it), then the minibatches.
The whole log is one compare (200,000 steps, lr 0.1 then 0.01 from step 100,000):

    makemore-tui --headless --model examples/first_half.py --data names.txt --steps 200000 \\
        --lr-decay-step 100000 --compare fix=original,softmax,tanh,kaiming,batchnorm
"""

import torch
from notebook_layers import Tanh  # the notebook's, beside this file

FIXES = ("original", "softmax", "tanh", "kaiming", "batchnorm")


class MLP:
    def __init__(self, vocab_size, block_size, g, fix, n_embd, n_hidden):
        step = FIXES.index(fix)
        self.C = torch.randn((vocab_size, n_embd), generator=g)
        self.W1 = torch.randn((n_embd * block_size, n_hidden), generator=g)
        self.b1 = torch.randn(n_hidden, generator=g)
        self.W2 = torch.randn((n_hidden, vocab_size), generator=g)
        self.b2 = torch.randn(vocab_size, generator=g)
        if step >= 1:  # softmax confidently wrong
            self.W2 = self.W2 * 0.01
            self.b2 = self.b2 * 0
        if step >= 2:  # tanh too saturated
            self.W1 = self.W1 * (0.2 if step == 2 else (5 / 3) / (n_embd * block_size) ** 0.5)
            self.b1 = self.b1 * 0.01
        self.batchnorm = step >= 4
        self.bngain = torch.ones((1, n_hidden))
        self.bnbias = torch.zeros((1, n_hidden))
        self.bnmean_running = torch.zeros((1, n_hidden))
        self.bnstd_running = torch.ones((1, n_hidden))
        self.tanh = Tanh()
        self.training = True

    def parameters(self):
        if self.batchnorm:
            return [self.C, self.W1, self.W2, self.b2, self.bngain, self.bnbias]
        return [self.C, self.W1, self.b1, self.W2, self.b2]

    def __call__(self, X):
        emb = self.C[X]  # embed the characters into vectors
        embcat = emb.view(emb.shape[0], -1)  # concatenate the vectors
        if not self.batchnorm:
            hpreact = embcat @ self.W1 + self.b1  # hidden layer pre-activation
        else:
            hpreact = embcat @ self.W1  # + b1: the batch norm's bias does its work
            if self.training:
                bnmeani = hpreact.mean(0, keepdim=True)
                bnstdi = hpreact.std(0, keepdim=True)
                with torch.no_grad():
                    self.bnmean_running = 0.999 * self.bnmean_running + 0.001 * bnmeani
                    self.bnstd_running = 0.999 * self.bnstd_running + 0.001 * bnstdi
            else:
                bnmeani, bnstdi = self.bnmean_running, self.bnstd_running
            hpreact = self.bngain * (hpreact - bnmeani) / bnstdi + self.bnbias
        h = self.tanh(hpreact)  # hidden layer
        return h @ self.W2 + self.b2  # output layer


def build(vocab_size, block_size, generator, fix="original", embd=10, hidden=200):
    if fix not in FIXES:
        raise ValueError(f"fix must be one of {', '.join(FIXES)}")
    return MLP(vocab_size, block_size, generator, fix, embd, hidden)
