"""Training engines: one SGD step of V variants of the MLP, and the tensors statistics are read from.

- `base.py`: the `Engine` protocol the trainer drives, `EngineRequest` (what an engine is built from),
  `StatsTensors` (what it hands to core/stats.py). Types only: every other module imports it.
- `variants.py`: what the built-in engines share: models drawn as their single runs draw them, one
  minibatch stream for every variant.
- `lecture.py`: the notebook's loop op for op (`--preset lecture`, exact).
- `lockstep.py`: every variant stacked in core/fused.py's `FusedNet`s, one per structure, eager.
- `graphed.py`: the lockstep step captured in a CUDA graph (falls back to eager).
- `user.py`: a `--model` file's net on autograd, the lecture's loop (DESIGN §11), whatever `--engine` says.
- `factory.py`: `make_engine` and `ENGINES`, the registry from `--engine` to a module's `build`.

Imports go one way, base ← variants ← lecture, lockstep ← graphed, user ← factory (a test checks that
each module imports alone). Adding an engine: one module with `build(request) -> Engine`, one line
in `factory.ENGINES`. This file imports nothing, so importing one engine module loads only what it needs.
"""
