"""A stand-in for core.trainer.Trainer, and deterministic records shaped like the real ones."""

from __future__ import annotations

import math

import numpy as np

from makemore_tui.core.channel import RecordChannel
from makemore_tui.core.commands import Pause, Quit, Rerun, Resume, StepOnce
from makemore_tui.core.compare import Variant, single
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.records import Event
from makemore_tui.core.values import histogram

VOCAB = ".abcdefghijklmnopqrstuvwxyz"
SMALL = TrainConfig(steps=1000, stats_every=100, device="cpu")


class FakeTrainer:
    """Records the commands it is sent; with `respond`, answers them as the trainer would."""

    def __init__(
        self,
        config: TrainConfig = SMALL,
        channel: RecordChannel | None = None,
        respond: bool = False,
        step: int = 0,
        variants: list[Variant] | None = None,
    ):
        self.variants = list(variants) if variants else single(config)  # what it trains (a compare: several)
        self.config = self.variants[0].config
        self.channel = channel
        self.respond = respond
        self.commands: list = []
        self.closed = False
        self.run = 1
        self.step = step  # the step the recorded records reached
        self.paused = False

    def send(self, command) -> None:
        """Take a command (the real trainer queues it for its thread)."""
        self.commands.append(command)
        if not self.respond or self.channel is None:
            return
        if isinstance(command, (Pause, Resume)):
            self.paused = isinstance(command, Pause)
            self.channel.put(
                {"event": Event.STATE, "run": self.run, "step": self.step, "paused": self.paused, "lr": self.config.lr}
            )
        elif isinstance(command, StepOnce):
            self.step += 1
            for k, variant in enumerate(self.variants):
                self.channel.put({**stats_record(self.run, self.step, variant.config), "variant": k})
        elif isinstance(command, Rerun):
            self.channel.put(
                {
                    "event": Event.RUN_END,
                    "run": self.run,
                    "step": self.step,
                    "reason": "stopped",
                    "seconds": 1.0,
                    "steps_per_sec": 800.0,
                }
            )
            if command.variants:
                self.variants = list(command.variants)
            elif command.config is not None:
                self.variants = single(command.config)
            self.config = self.variants[0].config
            self.run += 1
            self.step = 0
            self.paused = command.paused
            upto = 0 if command.paused else 300  # paused: step 0's statistics, then it waits
            pairs = [(variant.label, variant.config) for variant in self.variants]
            if len(pairs) > 1:
                records = compare_run(pairs, run=self.run, upto=upto, end=False)
            else:
                records = recorded_run(self.config, run=self.run, upto=upto, end=False)
            if command.paused:
                records.append({"event": Event.STATE, "run": self.run, "step": 0, "paused": True, "lr": self.config.lr})
            for record in records:
                self.channel.put(record)

    def close(self, timeout: float = 1.0) -> None:
        """Stop (the real one sends Quit and joins its thread)."""
        self.commands.append(Quit())
        self.closed = True


def tanh_positions(config: TrainConfig) -> list[int]:
    """The lecture's layer-list index of each tanh layer."""
    per_block = 3 if config.batchnorm else 2
    return [per_block * (k + 1) - 1 for k in range(config.depth)]


def param_shapes(config: TrainConfig) -> list[list[int]]:
    """Shapes of the 2-D parameters, embedding first."""
    shapes = [[len(VOCAB), config.embd], [config.embd * config.block_size, config.hidden]]
    shapes += [[config.hidden, config.hidden]] * (config.depth - 1)
    return shapes + [[config.hidden, len(VOCAB)]]


def stats_record(run: int, step: int, config: TrainConfig, satmap: bool = True) -> dict:
    """A stats record with plausible numbers: deeper layers a bit more saturated without BN."""
    rng = np.random.default_rng(run * 100_003 + step)
    edges = np.linspace(-1, 1, config.hist_bins + 1)
    grad_edges = np.linspace(-0.01, 0.01, config.hist_bins + 1)
    layers, satmaps = [], []
    spread = 1.0 if config.batchnorm else 1.0 + 0.25 * config.gain
    for k, index in enumerate(tanh_positions(config)):
        width = 0.7 * spread * (1 + 0.05 * k)
        t = np.tanh(rng.normal(0, width, size=(config.batch_size, config.hidden)))
        if not config.batchnorm and k == 2:
            t[:, :3] = 0.999  # three dead neurons: white columns in the map
        g = rng.normal(0, 0.002 * (1 + (0 if config.batchnorm else k)), size=t.shape)
        layers.append(
            {
                "index": index,
                "depth": k + 1,
                "mean": float(t.mean()),
                "std": float(t.std()),
                "saturated_pct": float((np.abs(t) > 0.97).mean() * 100),
                "dead": int((np.abs(t) > 0.99).all(axis=0).sum()),
                "grad_mean": float(g.mean()),
                "grad_std": float(g.std()),
                "hist": histogram(-1, 1, np.histogram(t, edges)[0]),
                "grad_hist": {"counts": np.histogram(g, grad_edges)[0].tolist()},
            }
        )
        satmaps.append(np.abs(t) > 0.99)
    params = []
    for i, shape in enumerate(param_shapes(config)):
        ratio = 10 ** (-3 + 0.3 * math.sin(i + step / 200)) * (
            10 if i == len(param_shapes(config)) - 1 and step < 200 else 1
        )
        params.append(
            {
                "index": i,
                "shape": shape,
                "grad_mean": float(rng.normal(0, 1e-5)),
                "grad_std": 1e-3 * (1 + i),
                "grad_to_data": ratio * 10,
                "update_to_data_log10": math.log10(ratio * config.lr / 0.1),
            }
        )
    loss = 3.3 * math.exp(-step / 400) + 2.1 + (0 if config.batchnorm else 0.05)
    record = {
        "event": Event.STATS,
        "run": run,
        "variant": 0,
        "step": step,
        "lr": config.lr_at(step),
        "loss": loss,
        "loss_window": loss + 0.01,
        "input_std": 1.0,
        "grad_range": 0.01,
        "layers": layers,
        "params": params,
    }
    if satmap:
        record["_satmap"] = satmaps
    return record


def run_start_record(config: TrainConfig, run: int = 1, variants: list[tuple[str, TrainConfig]] | None = None) -> dict:
    """A run_start record as the trainer writes it (a compare's when `variants` lists (label, config) pairs)."""
    variants = variants or [("", config)]
    return {
        "event": Event.RUN_START,
        "run": run,
        "config": config.to_dict(),
        "variants": [{"label": label, "config": variant.to_dict()} for label, variant in variants],
        "device": "cpu",
        "engine": "lecture",
        "vocab": VOCAB,
        "n_train": 182625,
        "n_val": 22655,
        "n_test": 22866,
        "time": 1732000000.0,
    }


def recorded_run(
    config: TrainConfig = SMALL, run: int = 1, upto: int | None = None, end: bool = True, satmap: bool = True
) -> list[dict]:
    """The records of one run, up to step `upto` (default: all of it), in trainer order."""
    last = config.steps if upto is None else upto
    records = [run_start_record(config, run)]
    for step in range(0, last + 1, config.stats_every):
        records.append(stats_record(run, step, config, satmap=satmap))
        records.append({"event": Event.PROGRESS, "run": run, "step": step, "steps_per_sec": 812.5, "loss": 2.4})
        if step and step % 500 == 0:
            records.append(
                {
                    "event": Event.EVAL,
                    "run": run,
                    "variant": 0,
                    "step": step,
                    "train": 2.3 - step / 10000,
                    "val": 2.35 - step / 10000,
                }
            )
    if end:
        records.append({"event": Event.EVAL, "run": run, "variant": 0, "step": last, "train": 2.07, "val": 2.10})
        records.append(
            {
                "event": Event.SAMPLES,
                "run": run,
                "step": last,
                "names": ["mora", "kayah", "seel", "ndheyah", "reimanie", "jendra", "gradelyn", "elin"],
            }
        )
        records.append(
            {
                "event": Event.RUN_END,
                "run": run,
                "step": last,
                "reason": "finished",
                "seconds": 1.2,
                "steps_per_sec": 850.0,
            }
        )
    return records


def compare_run(
    variants: list[tuple[str, TrainConfig]],
    run: int = 1,
    diverge: dict[int, int] | None = None,
    upto: int | None = None,
    end: bool = True,
    satmap: bool = False,
) -> list[dict]:
    """The records of a compare run in trainer order: each stats tick holds every live variant's stats.

    `diverge` maps a variant to the stats step where its loss turns NaN: that tick's stats carry
    loss None, a `variant_end` (reason diverged, step S + 1 as the trainer counts) follows, and the
    variant has no records after it. Evals every 500 steps (before that step's stats, as the trainer orders
    them) and at the end, samples at the end. `upto`: stop after that step's tick (without `end`, no
    final eval, samples and run_end); `satmap`: live saturation maps on the stats.
    """
    diverge = diverge or {}
    base = variants[0][1]
    last = base.steps if upto is None else upto
    records, ended = [run_start_record(base, run, variants)], set()

    def evals(step: int) -> list[dict]:
        return [
            {"event": Event.EVAL, "run": run, "variant": v, "step": step, "train": 2.3 - v / 100, "val": 2.35}
            for v in range(len(variants))
            if v not in ended
        ]

    for step in range(0, last + 1, base.stats_every):
        if step and step % 500 == 0 and step < base.steps:
            records += evals(step)  # after `step` steps are done, before step `step` is measured
        live = [v for v in range(len(variants)) if v not in ended]
        for v in live:
            stats = {**stats_record(run, step, variants[v][1], satmap=satmap), "variant": v}
            if diverge.get(v) == step:
                stats["loss"] = None
            records.append(stats)
        for v in (v for v in live if diverge.get(v) == step):
            ended.add(v)
            message = f"the loss became nan at step {step}: training diverged"
            records.append(
                {"event": Event.VARIANT_END, "run": run, "variant": v, "step": step + 1, "reason": "diverged"}
                | {"message": message}
            )
        losses = [None if v in ended else 2.4 + 0.1 * v for v in range(len(variants))]
        records.append({"event": Event.PROGRESS, "run": run, "step": step, "steps_per_sec": 400.0, "losses": losses})
    if not end:
        return records
    records += evals(base.steps) + [
        {"event": Event.SAMPLES, "run": run, "variant": v, "step": base.steps, "names": ["mora", f"v{v}"]}
        for v in range(len(variants))
        if v not in ended
    ]
    end = {"event": Event.RUN_END, "run": run, "step": base.steps, "reason": "finished", "seconds": 2.0}
    return records + [end | {"steps_per_sec": 500.0}]


def filled_channel(records: list[dict]) -> RecordChannel:
    """A channel holding `records` (large enough to drop none)."""
    channel = RecordChannel(maxsize=len(records) + 16)
    for record in records:
        channel.put(record)
    return channel
