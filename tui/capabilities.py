"""What a feed can do, as data: the registry's rules (tui/registry.py) read it. Apart from the registry so
that the feeds, which the command line imports, stay free of Textual."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    """What a feed can do: `LIVE` (a trainer in this process), `REPLAY` (a finished log), `FOLLOW` (a log
    being written, `replay --follow`: its space and n reach the writer's training where it serves control,
    and say "read-only" where it does not)."""

    trainer: bool = False  # a trainer runs in this process: reruns, lr, eval, sample, compares; saturation maps
    control: bool = False  # space pauses and resumes the training, n steps it, e asks for its statistics
    cursor: bool = False  # a cursor moves through recorded records (and plays them, where space does not pause)


LIVE = Capabilities(trainer=True, control=True)
REPLAY = Capabilities(cursor=True)
FOLLOW = Capabilities(control=True, cursor=True)

NO_CURSOR = "←/→ and home/end move through a recorded run: makemore-tui replay RUN.jsonl"


def no_control(caps: Capabilities) -> str:
    """Why a training key does nothing on a feed without a trainer in this process."""
    return "a replay: training keys are off · ←/→ move, [/] runs, : a step, space plays"
