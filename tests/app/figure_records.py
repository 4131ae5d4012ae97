"""Records for the figure tests: fake runs whose stats carry weight-gradient histograms as the trainer's do."""

from __future__ import annotations

import numpy as np

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.records import WEIGHT_HIST_EVERY, Event
from makemore_tui.core.values import histogram
from tests.fake_trainer import SMALL, recorded_run


def with_weight_hists(records: list[dict], every: int = WEIGHT_HIST_EVERY) -> list[dict]:
    """`records` with `params[i].grad_hist` on every `every`-th stats record of each run (the first
    included), on one symmetric range per record: the last weight's gradient the widest, as after init."""
    ticks: dict[int, int] = {}
    out = []
    for record in records:
        if record.get("event") == Event.STATS:
            tick = ticks.get(record["run"], 0)
            ticks[record["run"]] = tick + 1
            if tick % every == 0:
                record = {**record, "params": [dict(p) for p in record["params"]]}
                rng = np.random.default_rng(record["step"] + 1)
                count = len(record["params"])
                for i, param in enumerate(record["params"]):
                    spread = 0.002 * (4 if i == count - 1 else 1)
                    counts = np.histogram(rng.normal(0, spread, 4000), np.linspace(-0.02, 0.02, 33))[0]
                    param["grad_hist"] = histogram(-0.02, 0.02, counts)
        out.append(record)
    return out


def weight_hist_run(config: TrainConfig = SMALL, every: int = 4, **kwargs) -> list[dict]:
    """A recorded run (tests.fake_trainer.recorded_run) with weight histograms every `every` stats records."""
    return with_weight_hists(recorded_run(config, **kwargs), every)


def with_hpreacts(records: list[dict]) -> list[dict]:
    """`records` with `layers[i].hpreact_hist` where the params carry `grad_hist` (as the trainer writes them):
    layer i's pre-activations spread wider with depth, on one range of ±3 per record."""
    out = []
    for record in records:
        if record.get("event") == Event.STATS and "grad_hist" in record["params"][0]:
            rng = np.random.default_rng(record["step"] + 2)
            layers = [dict(layer) for layer in record["layers"]]
            for i, layer in enumerate(layers):
                counts = np.histogram(rng.normal(0, 0.5 * (i + 1), 4000), np.linspace(-3, 3, 33))[0]
                layer["hpreact_hist"] = histogram(-3, 3, counts)
            record = {**record, "layers": layers}
        out.append(record)
    return out
