"""The record contract: every record the trainer emits, its fields, the end reasons, the exit codes.

Records are plain data (str, int, float, bool, None, lists and dicts of those; never tensors)
that travel one way: the trainer thread writes each to the run log (JSON Lines, every record)
and puts it in the bounded channel (the viewer may miss `stats` and `progress`). The app, the
headless printer, replay, `plot` and the tests read them through the names below, nowhere else.

    trainer ──▶ run log (every record) ──▶ replay / plot
        └─────▶ RecordChannel (latest stats win) ──▶ app / headless

Conventions (DESIGN §2):
- `run` numbers the runs of a log 1, 2, 3, … in the order they were written, across processes:
  a process appending to a log numbers its runs after the log's last run (core/runlog.py
  `RunLog.last_run`), so replay's `2:500` and plot's `--run 2` name one run. Logs written before
  2026-12 may repeat a number (each process counted from 1): readers split runs at each `run_start`.
- `step` in a `stats` record is the index of the step measured (0-based); elsewhere it is the
  number of steps done.
- Compare runs train several variants in lockstep. `run_start` lists them (`variants`, a single
  run has one, label ""); `stats`, `eval` and `samples` carry `variant` (0-based; readers treat
  a missing field as 0, so logs written before compare mode still read); a variant that fails
  while others go on ends with `variant_end`; `run_end` closes the whole run.
- Undefined numbers (a ratio over a zero or single-element std, a diverged loss) are `None`
  in memory and `null` in the log, never NaN or ±inf.
- Fields whose name starts with `_` live in memory only (the run log leaves them out): the
  saturation map `_satmap` is too big to log.
- Readers skip what they cannot use: a torn line, an unknown event or field, a record whose
  fields have the wrong types (`check` says which).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, IntEnum
from typing import Any, TypedDict

from makemore_tui.core.values import is_number


class Event(str, Enum):
    """Every event name a record can carry (the `event` field)."""

    RUN_START = "run_start"  # a run begins: its config(s), device, engine, data sizes
    STATS = "stats"  # one variant's layer and parameter statistics of one step
    PROGRESS = "progress"  # steps done and speed, twice a second
    STATE = "state"  # paused / resumed, live learning-rate changes
    EVAL = "eval"  # one variant's train/val loss, BatchNorm in inference mode
    SAMPLES = "samples"  # names sampled from one variant
    VARIANT_END = "variant_end"  # one variant of a compare run stopped (diverged / error); others go on
    RUN_END = "run_end"  # the run is over, with its reason
    ERROR = "error"  # a fault outside a run's lifecycle (e.g. `e` after the run ended failed)
    LOG_ERROR = "log_error"  # the run log stopped (disk full, say); training goes on
    WARNING = "warning"  # a library warning (torch's UserWarnings, …), kept off stderr and the screen

    def __str__(self) -> str:
        return self.value


# Records the viewer can miss without losing meaning: a newer one supersedes them.
DROPPABLE = frozenset({Event.STATS, Event.PROGRESS})


class EndReason(str, Enum):
    """Why a run (`run_end`) or a variant (`variant_end`) ended."""

    FINISHED = "finished"  # every step done
    STOPPED = "stopped"  # a rerun or quit ended it early
    DIVERGED = "diverged"  # the loss became NaN/inf or passed DIVERGENCE_FACTOR × −log(1/vocab)
    ERROR = "error"  # an exception in the trainer; `message` says which

    def __str__(self) -> str:
        return self.value


class ErrorKind(str, Enum):
    """What kind of failure an `error` end was, where the front-end must act on it."""

    OUT_OF_MEMORY = "out_of_memory"  # the device ran out of memory: a usage problem (exit 2)
    MODEL_FILE = "model_file"  # a --model file is wrong (build raised, wrong logits, …): its message says how (exit 2)


class ExitCode(IntEnum):
    """The process exit codes of every front-end (DESIGN §2, README)."""

    OK = 0  # done (finished, or stopped by the user with q)
    FAILURE = 1  # unexpected failure (a bug, or the run ended in error)
    USAGE = 2  # bad input or usage: one line on stderr says what to do
    DIVERGED = 3  # the run diverged
    LOG_INCOMPLETE = 4  # finished (or diverged), but the run log is incomplete: a write failed (disk full)
    INTERRUPTED = 130  # headless: ctrl+c, SIGTERM or SIGHUP
    OUTPUT_CLOSED = 141  # headless: its stdout closed (`| head`); 128 + SIGPIPE, as `yes | head -1` reports


def exit_code_for(end: Mapping | None) -> ExitCode:
    """The exit code a process reports for the run_end record that closed its (last) run."""
    if not end:
        return ExitCode.FAILURE
    if end.get("kind") in (ErrorKind.OUT_OF_MEMORY, ErrorKind.MODEL_FILE):
        return ExitCode.USAGE  # too big for this device, or the user's file: the message says what to change
    return {
        EndReason.FINISHED: ExitCode.OK,
        EndReason.STOPPED: ExitCode.OK,
        EndReason.DIVERGED: ExitCode.DIVERGED,
    }.get(end.get("reason"), ExitCode.FAILURE)


# ---- the records ----------------------------------------------------------------------------
# TypedDicts document each record; producers build plain dicts with these keys.


class Variant(TypedDict):
    """One variant of a run: what differs (`label`, "" in a single run) and its whole config."""

    label: str
    config: dict  # every TrainConfig field


class RunStart(TypedDict, total=False):
    event: str  # "run_start"
    run: int  # 1, 2, …: counts the runs (reruns) of one process
    config: dict  # every TrainConfig field of variant 0 (the whole config of a single run)
    variants: list[Variant]  # every variant, in order (a single run: one, label "")
    device: str  # "cpu", "cuda:0"
    engine: str  # "lecture", "fused", "fused+cudagraph", …
    vocab: str  # the vocabulary, index order; its first character is the end-of-word token
    n_train: int  # examples per split
    n_val: int
    n_test: int
    time: float  # Unix time the run started
    control: str  # the writer's control socket (core/control.py), where it serves one: replay --follow attaches
    source: dict  # a log written by a Monitor (core/monitor.py): {"kind": "monitor", "model": class name,
    # "parameters": count, "optimizer": class name or None, "world_size", "pid"}; absent: makemore-tui's trainer


class Histogram(TypedDict, total=False):
    """Counts over equal-width bins spanning [lo, hi]: bin k is [lo + k·w, lo + (k+1)·w).

    `lo` and `hi` are left out when they are −1 and 1 (tanh outputs): a third of a record's bytes
    are histograms, and a stats record of the default net stays under 3 KB.
    """

    lo: float
    hi: float
    counts: list[int]
    edges: list[float]  # logs written before 2026-11 carry edges instead of lo/hi


class LayerStats(TypedDict, total=False):
    """One activation layer (the tanh, or identity in the linear sandwich, or any kind of a `--model` net) of one step.

    `kind` and `name` come with `--model` nets and the probe (core/probe.py); a record without them (the
    built-in net, logs before them) is a tanh layer (identity in a linear run) named by its `index`.
    """

    index: int  # position in the lecture's layer list: 2,5,8,11,14 with BatchNorm; 1,3,5,7,9 without
    depth: int  # 1 for the first activation layer, 2 for the next, …: how the screen names layers
    kind: str  # core.kinds: tanh, sigmoid, relu, gelu, …; its family says what saturated_pct counts
    name: str  # the layer's path in the user's net: `layers.4`, `blocks.0.act` (untrusted text: core.text.printable)
    mean: float  # mean of the layer's output t over the batch and neurons
    std: float
    saturated_pct: float  # percent of |t| > 0.97 (tanh; per kind: core.kinds.SATURATION_WORDS, relu t ≤ 0)
    dead: int  # neurons with |t| > 0.99 (relu: t ≤ 0) for every example of the batch (every row but the last dim)
    grad_mean: float  # of d loss / d t
    grad_std: float
    hist: Histogram  # of t, on [-1, 1] for tanh (wider when a linear activation leaves it)
    grad_hist: Histogram  # of d loss / d t, on the record's [−grad_range, grad_range] (see layer_histogram)
    hpreact_hist: Histogram  # of the layer's input, the lecture's hpreact (the BatchNorm's or Linear's output), with
    # lo/hi shared by a variant's layers; built-in nets only, in the records that carry the weights' grad_hist


class ParamStats(TypedDict, total=False):
    """One 2-D parameter (the embedding C, then each Linear's weight; any 2+-D one of a `--model` net) of one step."""

    index: int  # position in the parameter list (C is 0)
    name: str  # `--model` nets: its path (`C`, `layers.0.weight`, `blocks.0.fc.weight`); absent: C, W1, W2, …
    shape: list[int]
    grad_mean: float
    grad_std: float
    grad_to_data: float | None  # grad.std / data.std (None when data.std is 0 or undefined)
    update_to_data_log10: float | None  # log10((lr·grad).std / data.std), None when undefined
    grad_hist: Histogram  # of the weight gradient, symmetric bins shared by a step's weights; only in
    # every WEIGHT_HIST_EVERY-th stats record, at step 0, the last step and paused steps


class Stats(TypedDict, total=False):
    event: str  # "stats"
    run: int
    variant: int
    step: int  # the index of the step measured
    lr: float  # the learning rate of that step
    loss: float | None  # that step's minibatch loss (float32, bit for bit: see `float32`)
    loss_window: float | None  # mean minibatch loss since the previous stats record (float32); a Monitor's
    # averages about 10 steps spread over the window
    update: str  # how update_to_data_log10 was obtained: "lr·grad" (the built-in engines; absent means it)
    # or "measured" (a Monitor: the change the optimizer made, on a sample of each tensor)
    input_std: float | None  # std of the first layer's input (embcat): layer 1's forward gain is std / this
    grad_range: float  # the layers' grad_hist bins span [−grad_range, grad_range] (shared bins, stated once)
    preview: bool  # true: written while paused, before that step's update (its forward and backward at the
    # parameters after `step` updates; left out otherwise); that step's one record all the same. A Monitor's
    # has update_to_data_log10 None: the optimizer has not stepped, so no change was measured
    layers: list[LayerStats]
    params: list[ParamStats]


class Progress(TypedDict, total=False):
    event: str  # "progress"
    run: int
    step: int  # steps done
    steps_per_sec: float
    loss: float | None  # the last minibatch loss of variant 0
    losses: list[float | None]  # … of every variant (compare runs)


class State(TypedDict, total=False):
    event: str  # "state"
    run: int
    step: int
    paused: bool
    lr: float  # variant 0's learning rate of the next step
    lrs: list[float]  # every variant's


class Eval(TypedDict, total=False):
    event: str  # "eval"
    run: int
    variant: int
    step: int
    train: float | None  # mean cross-entropy of the split, BatchNorm on its running statistics
    val: float | None
    calibrated_train: float | None  # the end's eval of a finished run of the built-in net with BatchNorm: the split
    calibrated_val: float | None  # losses with BatchNorm on the whole training split's batch statistics (calibrated)


class Samples(TypedDict, total=False):
    event: str  # "samples"
    run: int
    variant: int
    step: int
    names: list[str]  # untrusted text: show through core.text.printable
    cut: list[bool]  # per name: it reached the length cap without an end token
    asked: bool  # sampled at the user's request (key s), not on the schedule


class VariantEnd(TypedDict, total=False):
    event: str  # "variant_end"
    run: int
    variant: int
    step: int
    reason: str  # EndReason: diverged | error
    message: str


class RunEnd(TypedDict, total=False):
    event: str  # "run_end"
    run: int
    step: int
    reason: str  # EndReason
    seconds: float  # training time, pauses and the final evaluation excluded
    steps_per_sec: float
    message: str  # why, for diverged and error
    kind: str  # ErrorKind, where the front-end must act on it
    traceback: str  # for error
    skipped: list[str]  # a quit's time limit left these end records out ("eval", "samples"); absent: none


class ErrorRecord(TypedDict, total=False):
    event: str  # "error", "log_error" or "warning"
    run: int
    message: str
    printed: bool  # a warning: true for a line a --model file printed (its own output; absent otherwise)


# ---- checking records read back ---------------------------------------------------------------

_INT, _NUM, _OPT_NUM, _STR, _BOOL, _LIST, _DICT = "int", "num", "num?", "str", "bool", "list", "dict"

# Per event: field -> kind, for the fields a reader relies on. A field that is present must
# have its kind; `_REQUIRED` fields must be present.
_FIELDS: dict[str, dict[str, str]] = {
    Event.RUN_START: {
        "run": _INT,
        "config": _DICT,
        "variants": _LIST,
        "device": _STR,
        "vocab": _STR,
        "control": _STR,
        "source": _DICT,
    },
    Event.STATS: {
        "run": _INT,
        "variant": _INT,
        "step": _INT,
        "lr": _OPT_NUM,
        "loss": _OPT_NUM,
        "loss_window": _OPT_NUM,
        "input_std": _OPT_NUM,
        "grad_range": _OPT_NUM,
        "update": _STR,
        "preview": _BOOL,
        "layers": _LIST,
        "params": _LIST,
    },
    Event.PROGRESS: {"run": _INT, "step": _INT, "steps_per_sec": _OPT_NUM, "loss": _OPT_NUM, "losses": _LIST},
    Event.STATE: {"run": _INT, "step": _INT, "paused": _BOOL, "lr": _OPT_NUM, "lrs": _LIST},
    Event.EVAL: {"run": _INT, "variant": _INT, "step": _INT, "train": _OPT_NUM, "val": _OPT_NUM}
    | {"calibrated_train": _OPT_NUM, "calibrated_val": _OPT_NUM},
    Event.SAMPLES: {"run": _INT, "variant": _INT, "step": _INT, "names": _LIST, "cut": _LIST, "asked": _BOOL},
    Event.VARIANT_END: {"run": _INT, "variant": _INT, "step": _INT, "reason": _STR, "message": _STR},
    Event.RUN_END: {
        "run": _INT,
        "step": _INT,
        "reason": _STR,
        "seconds": _OPT_NUM,
        "steps_per_sec": _OPT_NUM,
        "message": _STR,
        "skipped": _LIST,
    },
    Event.ERROR: {"run": _INT, "message": _STR},
    Event.LOG_ERROR: {"run": _INT, "step": _INT, "message": _STR},
    Event.WARNING: {"run": _INT, "message": _STR, "printed": _BOOL},
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    Event.RUN_START: ("run",),
    Event.STATS: ("run", "step"),
    Event.PROGRESS: ("run", "step"),
    Event.STATE: ("run",),
    Event.EVAL: ("run", "step"),
    Event.SAMPLES: ("run", "names"),
    Event.VARIANT_END: ("run", "variant", "reason"),
    Event.RUN_END: ("run", "reason"),
    Event.ERROR: ("message",),
    Event.LOG_ERROR: ("message",),
    Event.WARNING: ("message",),
}
KNOWN_EVENTS = frozenset(e.value for e in Event)


def _is(kind: str, value: Any) -> bool:
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _NUM:
        return is_number(value)
    if kind == _OPT_NUM:
        return value is None or is_number(value)
    if kind == _STR:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _LIST:
        return isinstance(value, list)
    return isinstance(value, dict)


def problem(record: Any) -> str | None:
    """Why a record read back cannot be used, or None when it can.

    Unknown events are not a problem (they are skipped quietly: newer logs open in older
    readers); a known event whose fields have the wrong types is, as is a `stats` record whose
    layers or params are not objects.
    """
    if not isinstance(record, dict):
        return "not a JSON object"
    event = record.get("event")
    if not isinstance(event, str):
        return "no event name"
    fields = _FIELDS.get(event)
    if fields is None:
        return None
    for name in _REQUIRED[event]:
        if name not in record:
            return f"{event} without {name}"
    for name, kind in fields.items():
        if name in record and not _is(kind, record[name]):
            return f"{event} with a wrong {name} ({type(record[name]).__name__})"
    if event == Event.STATS:
        for key in ("layers", "params"):
            entries = record.get(key) or []
            if not all(isinstance(entry, dict) for entry in entries):
                return f"stats with a {key} entry that is not an object"
            for name in _ENTRY_TEXT[key]:
                if any(name in entry and not isinstance(entry[name], str) for entry in entries):
                    return f"stats with a {key} entry whose {name} is not text"
    return None


# Text fields of stats entries, optional (older logs and the built-in net have none) but text when present.
_ENTRY_TEXT = {"layers": ("kind", "name"), "params": ("name",)}


def variant_of(record: Mapping) -> int:
    """The variant a record belongs to (0 when the field is missing: single runs, old logs)."""
    value = record.get("variant", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def variants_of(run_start: Mapping) -> list[Variant]:
    """The variants a run_start announces; an old log's run_start (no `variants`) is one variant."""
    variants = run_start.get("variants")
    if isinstance(variants, list) and variants and all(isinstance(v, dict) for v in variants):
        return [
            Variant(
                label=str(v.get("label") or ""), config=v.get("config") if isinstance(v.get("config"), dict) else {}
            )
            for v in variants
        ]
    config = run_start.get("config")
    return [Variant(label="", config=config if isinstance(config, dict) else {})]


WEIGHT_HIST_EVERY = 20  # weight-gradient histograms ride on every 20th stats record (see ParamStats)


RECORD_TYPES: dict[str, type] = {
    Event.RUN_START: RunStart,
    Event.STATS: Stats,
    Event.PROGRESS: Progress,
    Event.STATE: State,
    Event.EVAL: Eval,
    Event.SAMPLES: Samples,
    Event.VARIANT_END: VariantEnd,
    Event.RUN_END: RunEnd,
    Event.ERROR: ErrorRecord,
    Event.LOG_ERROR: ErrorRecord,
    Event.WARNING: ErrorRecord,
}
