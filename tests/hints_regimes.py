"""Train a tiny net in one regime and judge its records as the app does: support for test_core_hints_*.py.

A regime is a config change on a 4×32 tanh net (a few hundred steps, the lecture's seed, the
`small_words` fixture); `judged` trains it with the real Trainer, feeds every stats record to a
`HealthJudge` built from its run_start, and keeps which rule fired first where. Runs are cached
by config: several tests read the same regime.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.health import HealthJudge
from makemore_tui.core.hints import Hint
from tests.conftest import events, run_to_end

SMALL_NET = {"hidden": 32, "depth": 4, "embd": 10, "steps": 300, "stats_every": 10, "eval_every": 10**6}


def small(**changes) -> TrainConfig:
    """The tiny net with `changes` (gain, batchnorm, lr, steps, …)."""
    return TrainConfig().replace(**{**SMALL_NET, **changes})


@dataclass
class Judged:
    """One regime's run: its stats records and, per rule that fired, the first step and hint."""

    config: TrainConfig
    stats: list[dict]
    first: dict[str, tuple[int, Hint]]

    def hint(self, rule: str) -> Hint:
        """The hint of `rule` (it must have fired)."""
        assert rule in self.first, f"{rule} did not fire; fired: {sorted(self.first)}"
        return self.first[rule][1]

    @property
    def rules(self) -> set[str]:
        """Every rule that fired during the run."""
        return set(self.first)

    @property
    def init(self) -> dict:
        """The step-0 stats record."""
        assert self.stats[0]["step"] == 0
        return self.stats[0]


_RUNS: dict[TrainConfig, Judged] = {}


def judged(config: TrainConfig, words: list[str]) -> Judged:
    """Train `config` on `words` (cached per config) and judge every stats record in order."""
    if config not in _RUNS:
        records = run_to_end(config, words)
        (start,) = events(records, "run_start")
        judge = HealthJudge(start["config"], len(start["vocab"]))
        first: dict[str, tuple[int, Hint]] = {}
        stats = events(records, "stats")
        for record in stats:
            for hint in judge.observe(record):
                first.setdefault(hint.rule, (record["step"], hint))
        _RUNS[config] = Judged(config, stats, first)
    return _RUNS[config]


# ---- the statistics the rules read, from one stats record ----------------------------------------


def median_saturation(record: dict) -> float:
    """Percent saturated in the median layer."""
    return statistics.median(layer["saturated_pct"] for layer in record["layers"])


def max_saturation(record: dict) -> float:
    """Percent saturated in the most saturated layer."""
    return max(layer["saturated_pct"] for layer in record["layers"])


def std_collapse(record: dict) -> float:
    """Activation std of the first layer over the last's."""
    return record["layers"][0]["std"] / record["layers"][-1]["std"]


def grad_spread(record: dict) -> float:
    """Largest over smallest activation-gradient std across the layers."""
    stds = [layer["grad_std"] for layer in record["layers"]]
    return max(stds) / min(stds)


def dead(record: dict) -> int:
    """Dead neurons over all layers."""
    return sum(layer["dead"] for layer in record["layers"])


def median_update(records: list[dict]) -> float:
    """Median over the hidden weights (not C, not the output layer) of their mean log10 update:data."""
    per_weight = zip(*[[p["update_to_data_log10"] for p in r["params"][1:-1]] for r in records])
    return statistics.median(statistics.fmean(values) for values in per_weight)
