"""A torch.nn net: embedding, blocks of Linear → LayerNorm → ReLU (or another activation), a linear head.

    makemore-tui --model examples/torch_nn.py
    makemore-tui --model examples/torch_nn.py --activation gelu --set dropout=0.1
    makemore-tui --headless --model examples/torch_nn.py --compare activation=relu,tanh --steps 5000

Its layers are found through `named_modules()` (`blocks.0.act`, …) and read with forward hooks that
cost nothing between statistics steps. nn.Module draws its init from torch's global generator: the app
seeds it with --seed before build, and this build draws nothing from `generator` (the app says so).
Knobs: embd, hidden, depth, activation (relu, gelu, silu, tanh, sigmoid), dropout (--set).
"""

from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class Block(nn.Module):
    def __init__(self, fan_in, fan_out, activation, dropout):
        super().__init__()
        self.fc = nn.Linear(fan_in, fan_out)
        self.norm = nn.LayerNorm(fan_out)
        self.act = ACTIVATIONS[activation]()
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.act(self.norm(self.fc(x))))


class Net(nn.Module):
    def __init__(self, vocab_size, block_size, embd, hidden, depth, activation, dropout):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, embd)
        widths = [embd * block_size] + [hidden] * depth
        self.blocks = nn.ModuleList(Block(i, o, activation, dropout) for i, o in zip(widths, widths[1:]))
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, X):
        x = self.emb(X).flatten(1)  # (B, block_size * embd)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def build(vocab_size, block_size, generator, embd=10, hidden=100, depth=4, activation="relu", dropout=0.0):
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}")
    return Net(vocab_size, block_size, embd, hidden, depth, activation, dropout)
