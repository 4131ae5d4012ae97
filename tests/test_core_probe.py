"""The probe (core/probe.py, core/walk.py, core/kinds.py) against statistics computed here, independently."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from makemore_tui.core.probe import Probe
from makemore_tui.core.records import problem
from makemore_tui.core.walk import walk
from tests.lecture_reference import Linear, Tanh


# ---- from-scratch layers, as a learner writes them: the notebook's Linear and Tanh (tests/lecture_reference.py) --
class Sigmoid(Tanh):  # found by its class name, read through .out; no parameters, as Tanh
    def __call__(self, x):
        self.out = torch.sigmoid(x)
        return self.out


class Net:
    """C and a layer list, like the notebook's; forward keeps embcat."""

    def __init__(self, layers, g, vocab=27, embd=4, block=3):
        self.C = torch.randn((vocab, embd), generator=g)
        self.layers = layers
        for p in self.parameters():
            p.requires_grad = True

    def __call__(self, X):
        self.embcat = self.C[X].view(X.shape[0], -1)
        x = self.embcat
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [self.C] + [p for layer in self.layers for p in layer.parameters()]


def _step(model, probe, lr=0.1, seed=1):
    g = torch.Generator().manual_seed(seed)
    X = torch.randint(0, 27, (32, 3), generator=g)
    Y = torch.randint(0, 27, (32,), generator=g)
    probe.arm()
    loss = F.cross_entropy(model(X), Y)
    probe.retain_grads()
    params = list(model.parameters())
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p.data += -lr * p.grad
    stats = probe.statistics(lr=lr)
    probe.disarm()
    return stats


def _counts(t, lo, hi, bins=32):
    return np.histogram(t.detach().numpy().ravel().astype(np.float64), bins=bins, range=(lo, hi))[0].tolist()


def test_tanh_net_matches_statistics_computed_here():
    g = torch.Generator().manual_seed(0)
    model = Net([Linear(12, 50, g), Tanh(), Linear(50, 50, g), Tanh(), Linear(50, 27, g)], g)
    with torch.no_grad():
        model.layers[0].weight *= 3  # a saturated first layer
    stats = _step(model, Probe(model))
    assert [layer["name"] for layer in stats["layers"]] == ["layers.1", "layers.3"]
    assert [layer["index"] for layer in stats["layers"]] == [1, 3]
    assert [layer["kind"] for layer in stats["layers"]] == ["tanh", "tanh"]
    for record, layer in zip(stats["layers"], [model.layers[1], model.layers[3]]):
        t = layer.out
        assert record["mean"] == pytest.approx(t.mean().item(), rel=1e-5, abs=1e-7)
        assert record["std"] == pytest.approx(t.std().item(), rel=1e-5)
        assert record["saturated_pct"] == pytest.approx(((t.abs() > 0.97).float().mean() * 100).item())
        assert record["dead"] == int((t.abs() > 0.99).all(0).sum())
        assert record["grad_std"] == pytest.approx(t.grad.std().item(), rel=1e-5)
        assert "lo" not in record["hist"] and record["hist"]["counts"] == _counts(t, -1, 1)
    assert stats["layers"][0]["saturated_pct"] > 10  # the gain made it saturate: the check is not vacuous
    assert stats["input_std"] == pytest.approx(model.embcat.std().item(), rel=1e-5)
    names = [p["name"] for p in stats["params"]]
    assert names == ["C", "layers.0.weight", "layers.2.weight", "layers.4.weight"]
    for record, p in zip(stats["params"], [model.C] + [model.layers[i].weight for i in (0, 2, 4)]):
        assert record["grad_std"] == pytest.approx(p.grad.std().item(), rel=1e-5)
        assert record["grad_to_data"] == pytest.approx((p.grad.std() / p.data.std()).item(), rel=1e-5)
        expected = torch.log10((0.1 * p.grad).std() / p.data.std()).item()
        assert record["update_to_data_log10"] == pytest.approx(expected, abs=1e-5)


class ReluNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(27, 4)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(12 if i == 0 else 40, 40), nn.ReLU()) for i in range(2))
        self.head = nn.Linear(40, 27)

    def forward(self, X):
        x = self.emb(X).view(X.shape[0], -1)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def test_relu_module_net_through_hooks_matches_statistics_computed_here():
    torch.manual_seed(0)
    model = ReluNet()
    with torch.no_grad():
        model.blocks[1][0].bias -= 0.5  # some dead neurons
    probe = Probe(model)
    assert [f.name for f in probe.found.layers] == ["blocks.0.1", "blocks.1.1"]
    # the reference: the same forward written out, outputs kept by hand
    outs = []
    X = torch.randint(0, 27, (32, 3), generator=torch.Generator().manual_seed(1))
    x = model.emb(X).view(32, -1)
    for block in model.blocks:
        x = F.relu(block[0](x))
        outs.append(x.detach())
    stats = _step(model, probe)
    for record, t in zip(stats["layers"], outs):
        assert record["kind"] == "relu"
        assert record["saturated_pct"] == pytest.approx(((t <= 0).float().mean() * 100).item())
        assert record["dead"] == int((t <= 0).all(0).sum())
        lo, hi = t.min().item(), t.max().item()
        assert record["hist"]["lo"] == pytest.approx(lo) and record["hist"]["hi"] == pytest.approx(hi)
        assert sum(record["hist"]["counts"]) == t.numel()
        assert record["grad_std"] is not None
    assert stats["layers"][1]["dead"] > 0
    assert [p["name"] for p in stats["params"]] == [
        "emb.weight",
        "blocks.0.0.weight",
        "blocks.1.0.weight",
        "head.weight",
    ]
    assert all(len(h) == 1 for h in (model.blocks[0][1]._forward_hooks, model.blocks[1][1]._forward_hooks))


def test_disarmed_hooks_record_nothing_and_cost_no_statistics():
    torch.manual_seed(0)
    model = ReluNet()
    probe = Probe(model)
    model(torch.zeros((4, 3), dtype=torch.long))  # not armed
    assert all(entry.act is None for entry in probe.layers)
    probe.close()
    assert not model.blocks[0][1]._forward_hooks


def test_sigmoid_over_b_t_c_counts_every_element_and_maps_the_last_dimension():
    g = torch.Generator().manual_seed(0)
    t_in = (torch.randn((32, 4, 20), generator=g) * 4).requires_grad_()
    layer = Sigmoid()

    class Holder:
        def __init__(self):
            self.layers = [layer]
            self.w = torch.ones(3, 3, requires_grad=True)

        def parameters(self):
            return [self.w]

    probe = Probe(Holder())
    probe.arm()
    out = layer(t_in)
    probe.retain_grads()
    out.sum().backward()
    stats = probe.statistics()
    record = stats["layers"][0]
    t = out.detach()
    assert record["kind"] == "sigmoid"
    expected = (((t < 0.03) | (t > 0.97)).float().mean() * 100).item()
    assert record["saturated_pct"] == pytest.approx(expected)
    assert record["hist"] == {"lo": 0.0, "hi": 1.0, "counts": _counts(t, 0, 1)}
    rows = t.reshape(-1, 20)
    assert stats["_satmap"][0].shape == (32, 20)  # rows capped at 32 of the 128 (B·T)
    assert (stats["_satmap"][0] == ((rows < 0.01) | (rows > 0.99))[:32].numpy()).all()
    assert record["dead"] == int(((rows < 0.01) | (rows > 0.99)).all(0).sum())


def test_walk_survives_cycles_and_shared_layers_and_stops_at_its_depth():
    shared = Tanh()

    class Node:
        def __init__(self, child=None):
            self.act = shared  # attribute order is the walk's order
            self.child = child

    a = Node()
    b = Node(a)
    a.child = b  # a cycle
    found = walk({"first": a, "second": b})
    assert [f.name for f in found.layers] == ["first.act"]  # the shared layer once, the cycle ended
    deepest = Node()
    deepest.act = Tanh()
    deep = deepest
    for _ in range(12):
        deep = Node(deep)
        deep.act = None
    assert walk(deep).layers == []  # past MAX_DEPTH
    assert walk(deep, max_depth=20).layers[0].name.endswith(".act")


def test_records_with_or_without_kinds_and_names_are_accepted_and_wrong_types_are_not():
    old = {"event": "stats", "run": 1, "step": 0, "layers": [{"index": 2}], "params": [{"index": 0}]}
    new = {
        "event": "stats",
        "run": 1,
        "step": 0,
        "layers": [{"index": 2, "kind": "relu", "name": "blocks.0.act"}],
        "params": [{"index": 0, "name": "C"}],
    }
    assert problem(old) is None and problem(new) is None
    assert problem({**new, "layers": [{"kind": 3}]}) is not None
    assert problem({**new, "params": [{"name": ["x"]}]}) is not None


def test_panel_headings_name_a_model_nets_kinds_and_their_saturation_rule():
    from makemore_tui.core.kinds import kind_heading, record_kinds

    relu = {"layers": [{"kind": "relu"}, {"kind": "gelu"}]}
    assert record_kinds(relu) == ["relu", "gelu"] and record_kinds({"layers": [{"index": 2}]}) == []
    assert kind_heading("saturation · tanh layers", ["relu"]) == "saturation t≤0 (inactive) · relu layers"
    assert kind_heading("saturation map · |t|>0.99", ["relu", "gelu"]) == "saturation map · t≤0"
    assert kind_heading("saturation map · |t|>0.99", ["tanh", "relu"]) == "saturation map · |t|>0.99"  # mixed
    assert kind_heading("activation histograms · tanh output t", []) == "activation histograms · tanh output t"


class InPlaceAfterGelu(nn.Module):
    """A GELU whose output is changed in place after its forward (legal: GELU's backward keeps its input), then a
    tanh and a ReLU of one shape (kept by autograd: read at collect, together)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 16)
        self.act = nn.GELU()
        self.tanh, self.relu = nn.Tanh(), nn.ReLU()
        self.head = nn.Linear(16, 3)
        self.seen: list[torch.Tensor] = []

    def forward(self, X):
        h = self.act(self.lin(X))
        self.seen = [h.detach().clone()]
        h.mul_(3.0).add_(1.0)  # after the hook: the statistics must be those of the output the hook saw
        t = self.tanh(h - 2)
        r = self.relu(t * 2)
        self.seen += [t.detach(), r.detach()]
        return self.head(r)


def test_an_output_changed_in_place_after_its_forward_is_read_as_its_hook_saw_it():
    torch.manual_seed(0)
    model = InPlaceAfterGelu()
    probe = Probe(model)
    assert [(f.name, f.kind) for f in probe.found.layers] == [("act", "gelu"), ("tanh", "tanh"), ("relu", "relu")]
    X, Y = torch.randn(32, 6, generator=torch.Generator().manual_seed(2)), torch.arange(32) % 3
    probe.arm()
    F.cross_entropy(model(X), Y).backward()
    stats = probe.statistics(lr=0.1)
    for record, t in zip(stats["layers"], model.seen):
        assert record["mean"] == pytest.approx(t.mean().item(), rel=1e-5, abs=1e-7)
        assert record["std"] == pytest.approx(t.std().item(), rel=1e-5)
        assert sum(record["hist"]["counts"]) == t.numel()
    assert stats["layers"][1]["hist"]["counts"] == _counts(model.seen[1], -1, 1)
    assert stats["layers"][2]["dead"] == int((model.seen[2] <= 0).all(0).sum())
