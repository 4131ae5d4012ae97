"""`--model` benches: what statistics cost a user's net, and the lecture's first-half loss log.

    python bench/bench_model.py stats                        # examples/deep_net.py and examples/torch_nn.py
    python bench/bench_model.py stats --model mynet.py --steps 5000
    python bench/bench_model.py first-half --data ../shared/data/names.txt      # 5 × 200,000 steps: hours on a CPU
    python bench/bench_model.py first-half --data ../shared/data/names.txt --steps 20000 --decay 10000   # a short look

`stats`: the real Trainer on one file, statistics every 100th step against the same file with statistics
off (only step 0 and the last), measured in one run, alternating A/B then B/A, the median of each kept (this
machine is noisy). Periodic evaluation is off in both. The budget (DESIGN §11): at most 10% slower.

`first-half`: one compare of examples/first_half.py, fix=original,softmax,tanh,kaiming,batchnorm, lr 0.1 then
0.01 from step 100,000 of 200,000, and its final train/val losses against DESIGN §13's (this machine's torch
run of the lecture's protocol; ±0.006 expected: 200k SGD steps amplify float differences).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from makemore_tui.core.channel import RecordChannel  # noqa: E402
from makemore_tui.core.config import TrainConfig  # noqa: E402
from makemore_tui.core.modelconfig import model_compare, model_config  # noqa: E402
from makemore_tui.core.trainer import Trainer  # noqa: E402
from makemore_tui.core.usermodel import load  # noqa: E402
from makemore_tui.data import load_words  # noqa: E402

EXAMPLES = ROOT / "examples"
# DESIGN §13: the lecture's protocol run on this machine's torch (train, val) after 200,000 steps
FIRST_HALF = {
    "original": (2.1220, 2.1655),
    "softmax": (2.0696, 2.1311),
    "tanh": (2.0356, 2.1027),
    "kaiming": (2.0377, 2.1070),
    "batchnorm": (2.0666, 2.1051),
}
TOLERANCE = 0.006


def _train(variants, words) -> list[dict]:
    """Every record of one run (or compare) of `variants`, nothing dropped."""
    channel = RecordChannel(maxsize=10**9)
    trainer = Trainer(variants[0].config, words, channel=channel, exit_when_done=True, variants=variants)
    trainer.start()
    trainer.join()
    return channel.drain()


def _config(path: str, steps: int, stats_every: int, **changes) -> TrainConfig:
    base = TrainConfig(steps=steps, stats_every=stats_every, eval_every=10**9, model=path, device="cpu", **changes)
    return model_config(base, load(path), explicit=(), sets=())


def _speed(path: str, steps: int, stats_every: int, words) -> float:
    from makemore_tui.core.compare import single

    records = _train(single(_config(path, steps, stats_every)), words)
    end = [r for r in records if r["event"] == "run_end"][-1]
    return end["steps_per_sec"]


def bench_stats(paths: list[str], steps: int, repeats: int, words) -> None:
    for path in paths:
        on, off = [], []
        for i in range(repeats):  # A B, B A, A B, …: a drift in the machine's load cancels out
            order = [(on, 100), (off, steps + 1)]
            for speeds, every in order if i % 2 == 0 else order[::-1]:
                speeds.append(_speed(path, steps, every, words))
        a, b = statistics.median(on), statistics.median(off)
        print(
            f"{Path(path).name:<14} stats every 100: {a:8.0f} steps/s · stats off: {b:8.0f} steps/s · "
            f"cost {100 * (b / a - 1):+.1f}% (budget +10%) · {repeats}× A/B, {steps} steps, median"
        )


def bench_first_half(steps: int, decay: int, words) -> None:
    path = str(EXAMPLES / "first_half.py")
    base = _config(path, steps, max(1, steps // 100), lr_decay_step=decay)
    variants = model_compare(["fix=" + ",".join(FIRST_HALF)], base, load(path))
    started = time.perf_counter()
    records = _train(variants, words)
    evals = {r["variant"]: r for r in records if r["event"] == "eval" and r["step"] == steps}
    print(f"first half: {steps} steps, lr 0.1 then 0.01 from {decay}, {time.perf_counter() - started:.0f} s")
    print(f"{'fix':<10} {'train':>7} {'val':>7}   {'expected':>15}   within {TOLERANCE}")
    for v, (fix, (train, val)) in enumerate(FIRST_HALF.items()):
        got = evals.get(v, {})
        ok = all(
            isinstance(got.get(k), float) and abs(got[k] - want) <= TOLERANCE
            for k, want in (("train", train), ("val", val))
        )
        shown = f"{got.get('train', float('nan')):7.4f} {got.get('val', float('nan')):7.4f}"
        print(f"{fix:<10} {shown}   {train:.4f}/{val:.4f}   {'yes' if ok else 'no'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("stats", "first-half"))
    parser.add_argument("--model", action="append", help="stats: a --model file (default: two examples)")
    parser.add_argument("--data", help="words file (default: the built-in names)")
    parser.add_argument("--steps", type=int, help="steps per run (stats: 3000; first-half: 200000)")
    parser.add_argument("--decay", type=int, default=100_000, help="first-half: the lr's drop step")
    parser.add_argument("--repeats", type=int, default=3, help="stats: A/B pairs")
    args = parser.parse_args()
    words = load_words(args.data)
    if args.what == "stats":
        paths = args.model or [str(EXAMPLES / "deep_net.py"), str(EXAMPLES / "torch_nn.py")]
        bench_stats(paths, args.steps or 3000, args.repeats, words)
    else:
        bench_first_half(args.steps or 200_000, args.decay, words)


if __name__ == "__main__":
    main()
