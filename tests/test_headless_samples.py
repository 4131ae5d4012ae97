"""Headless prints few sampled names: per variant those of the first evaluation, the middle one and the end
(a 200k-step compare once printed 160 sample lines), all of them with `--tables every`."""

from __future__ import annotations

from makemore_tui.core.records import Event
from tests.fake_trainer import SMALL, run_start_record
from tests.test_headless_compare import printed

STEPS, EVAL_EVERY, SAMPLE_EVERY = 200_000, 20_000, 5_000
GAINS = [
    (f"gain {name}", SMALL.replace(steps=STEPS, batchnorm=False, gain=gain))
    for name, gain in [("0.5", 0.5), ("1", 1.0), ("5/3", 5 / 3), ("3", 3.0)]
]


def long_compare() -> list[dict]:
    """A 200k-step compare's evals and samples in the trainer's order: at an eval's step its eval, then its samples."""
    records = [run_start_record(GAINS[0][1], variants=GAINS)]
    for step in range(SAMPLE_EVERY, STEPS + 1, SAMPLE_EVERY):
        if step % EVAL_EVERY == 0:
            records += [
                {"event": Event.EVAL, "run": 1, "variant": v, "step": step, "train": 2.2, "val": 2.3} for v in range(4)
            ]
        records += [
            {"event": Event.SAMPLES, "run": 1, "variant": v, "step": step, "names": [f"n{step}"]} for v in range(4)
        ]
    return records + [{"event": Event.RUN_END, "run": 1, "step": STEPS, "reason": "finished", "seconds": 60.0}]


def sample_steps(text: str) -> dict[str, list[int]]:
    """The steps whose samples were printed, per variant label."""
    found: dict[str, list[int]] = {}
    for line in text.splitlines():
        if line.startswith("samples at step "):
            head = line.split(":")[0].removeprefix("samples at step ")
            step, _, label = head.partition(" · ")
            found.setdefault(label, []).append(int(step))
    return found


def test_a_long_compare_prints_the_first_middle_and_last_evaluations_samples_per_variant():
    steps = sample_steps(printed(long_compare(), tables="none"))
    assert sorted(steps) == sorted(label for label, _ in GAINS)
    assert all(shown == [EVAL_EVERY, STEPS // 2, STEPS] for shown in steps.values()), steps


def test_tables_every_prints_every_samples_record():
    steps = sample_steps(printed(long_compare(), tables="every"))
    assert all(len(shown) == STEPS // SAMPLE_EVERY for shown in steps.values())


def test_a_run_stopped_early_still_prints_its_last_samples():
    records = long_compare()[:-1]
    cut = next(i for i, r in enumerate(records) if r.get("step") == 70_000)
    records = records[:cut] + [{"event": Event.RUN_END, "run": 1, "step": 65_000, "reason": "stopped", "seconds": 9.0}]
    steps = sample_steps(printed(records, tables="none"))
    assert all(shown == [EVAL_EVERY, 65_000] for shown in steps.values()), steps  # no middle reached: the last
