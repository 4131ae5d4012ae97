"""`--model FILE.py`: load the learner's own network and build it (DESIGN §11).

The file is the user's own Python, run in-process with the user's rights: loaded with
`runpy.run_path(FILE, run_name="__makemore_model__")` (its `if __name__ == "__main__":` block does
not run), its folder on sys.path for its own imports. Every run loads it again (a learner edits and
reruns); a run log only names it and its sha256, nothing is ever executed from a log. It defines

    def build(vocab_size, block_size, generator, *, knob=default, …):
        return C, layers            # the part 3 notebook's embedding table and layer list, or
        return model                # callable on X (B, block_size) int64 → logits (B, vocab_size), with parameters()

Keyword parameters after the first three are knobs (`ModelFile.knobs`): model-field names (MODEL_FIELDS)
take that flag's value, typed by the knob's default; `device` takes the run's device; any other is set
with `--set NAME=VALUE`. What the file prints while it loads or builds is passed to `say`, line by line.
Every problem with the file is a ModelFileError, one line naming the file (and its line where known).
"""

from __future__ import annotations

import hashlib
import inspect
import os
import runpy
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from makemore_tui.core.records import ErrorKind

# Knobs named like these config fields take the flag's value (and its key, and its compare axis).
MODEL_FIELDS = ("batchnorm", "gain", "activation", "init", "output_scale", "weight_scale", "bias_scale", "embd")
MODEL_FIELDS += ("hidden", "depth")
# The training loop owns these: a knob so named is refused.
LOOP_FIELDS = ("lr", "steps", "seed", "batch_size")
DEVICE_KNOB = "device"  # a `device` keyword receives the run's torch.device
RUN_NAME = "__makemore_model__"
KNOB_TYPES = (bool, int, float, str)  # a --set knob is typed by its default, one of these


class ModelFileError(ValueError):
    """A `--model` file is wrong; str() is one line naming the file and what to change (exit 2)."""

    kind = ErrorKind.MODEL_FILE


@dataclass(frozen=True)
class ModelFile:
    """A loaded `--model` file: its `build` and the knobs `build` takes."""

    path: str  # as given
    sha256: str  # of the bytes loaded
    build: Callable  # the file's build(vocab_size, block_size, generator, **knobs)
    knobs: dict  # knob name -> its default, in signature order (model fields, --set knobs; not `device`)
    takes_device: bool  # build has a `device` keyword

    @property
    def name(self) -> str:
        """The file's name, as messages name it (`mynet.py`)."""
        return os.path.basename(self.path)

    @property
    def fields(self) -> tuple[str, ...]:
        """The model fields (MODEL_FIELDS) build takes, in signature order."""
        return tuple(k for k in self.knobs if k in MODEL_FIELDS)

    def refuse(self, field: str) -> ModelFileError:
        """The one line for a flag, key or compare axis of a model field build does not take."""
        return takes_no(self.name, field)


def takes_no(name: str, field: str) -> ModelFileError:
    """`mynet.py's build() takes no gain`: a flag, key or compare axis of a field file `name`'s build does not take."""
    return ModelFileError(f"{name}'s build() takes no {field}")


class _LineSink:
    """sys.stdout while the file loads or builds: that thread's writes go to `say` line by line, others pass."""

    def __init__(self, original, say: Callable[[str], None]):
        self.original, self.say, self.thread = original, say, threading.get_ident()
        self.pending = ""

    def write(self, text: str) -> int:
        if threading.get_ident() != self.thread:
            return self.original.write(text)
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self.say(line)
        return len(text)

    def flush(self) -> None:
        if threading.get_ident() != self.thread:
            self.original.flush()

    def __getattr__(self, name):
        return getattr(self.original, name)


def captured(say: Callable[[str], None], action: Callable):
    """Run `action()` with the file's prints going to `say`."""
    sink = _LineSink(sys.stdout, say)
    saved, sys.stdout = sys.stdout, sink
    try:
        return action()
    finally:
        sys.stdout = saved
        if sink.pending:
            say(sink.pending)


EXAMPLE_HELPERS = frozenset({"notebook_layers"})  # modules the examples import from beside them


def user_line(error: BaseException, path: str) -> int | None:
    """The line of the user's file deepest in `error`'s traceback, or None."""
    target = os.path.realpath(path)
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if os.path.realpath(f.filename) == target]
    return lines[-1] if lines else None


def helper_frame(error: BaseException, path: str) -> str:
    """`notebook_layers.py:19`: the deepest frame of `error` in another file of the model file's folder (the
    helpers it imports), or ""."""
    folder, target = os.path.dirname(os.path.realpath(path)), os.path.realpath(path)
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if os.path.dirname(os.path.realpath(f.filename)) == folder and os.path.realpath(f.filename) != target
    ]
    return f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""


def file_error(path: str, what: str, error: BaseException) -> ModelFileError:
    """`mynet.py:12: build() raised ValueError: …`, one line; where the error rose in a helper beside the file
    (or in one of its layers, core/usernet.py notes which), those are said after the message."""
    line = user_line(error, path)
    where = os.path.basename(path) + (f":{line}" if line else "")
    message = " ".join(str(error).split()) or "(no message)"
    if isinstance(error, ModuleNotFoundError) and error.name in EXAMPLE_HELPERS:
        message += f" (copy examples/{error.name}.py beside {os.path.basename(path)}: the examples import it)"
    context = [*getattr(error, "__notes__", ()), *([f"at {helper_frame(error, path)}"] if not line else [])]
    context = [note for note in context if note and note != "at "]
    return ModelFileError(f"{where}: {what} {type(error).__name__}: {message}" + "".join(f", {c}" for c in context))


def load(path: str, say: Callable[[str], None] = lambda line: None) -> ModelFile:
    """Load a `--model` file: run it, find `build` and its knobs. Raises ModelFileError (one line)."""
    name = os.path.basename(path)
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except FileNotFoundError:
        raise ModelFileError(f"--model {path}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"--model {path}: is a folder, not a Python file") from None
    except OSError as error:
        raise ModelFileError(f"--model {path}: cannot read it ({error.strerror or error})") from None
    try:
        compile(source, path, "exec")
    except SyntaxError as error:
        raise ModelFileError(f"{name}:{error.lineno}: SyntaxError: {error.msg}") from None
    except ValueError as error:  # null bytes: not Python at all
        raise ModelFileError(f"--model {path}: not a Python file ({error})") from None
    _use_folder(os.path.dirname(os.path.abspath(path)))
    try:
        namespace = captured(say, lambda: runpy.run_path(path, run_name=RUN_NAME))
    except ImportError as error:
        raise file_error(path, "a missing import:", error) from None
    except Exception as error:
        raise file_error(path, "loading it raised", error) from None
    except SystemExit as error:
        raise ModelFileError(f"{name}: loading it called exit({error.code})") from None
    build = namespace.get("build")
    if not callable(build):
        raise ModelFileError(f"{name} defines no build(vocab_size, block_size, generator, ...) function")
    knobs, takes_device = _knobs(name, build)
    return ModelFile(path, hashlib.sha256(source).hexdigest(), build, knobs, takes_device)


_FOLDERS: set[str] = set()  # every folder a load put on sys.path (a sys.path restored since may hold any)


def _use_folder(folder: str) -> None:
    """Put the model file's folder on sys.path for its own imports (helpers beside it), in place of the folders of
    files loaded before, and forget the modules imported from any of them: each load imports its helpers afresh
    (an edit to a helper counts at the next run) and from its own folder (not a same-named module of another)."""
    sys.path[:] = [entry for entry in sys.path if entry not in _FOLDERS or entry == folder]
    homes = {*_FOLDERS, folder}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        home = os.path.dirname(os.path.abspath(file))
        if os.path.basename(file) == "__init__.py":
            home = os.path.dirname(home)  # a package beside the file
        if file and home in homes and name.split(".")[0] != "makemore_tui":
            del sys.modules[name]
    if folder not in sys.path:  # a folder already there (PYTHONPATH, the cwd) is the user's: left where it is
        _FOLDERS.add(folder)
        sys.path.insert(0, folder)


def _knobs(name: str, build: Callable) -> tuple[dict, bool]:
    """build's knobs (name -> default) and whether it takes `device`; ModelFileError for a bad signature."""
    try:
        parameters = list(inspect.signature(build).parameters.values())
    except (TypeError, ValueError):
        raise ModelFileError(f"{name}: build's parameters cannot be read") from None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < 3 and not any(p.kind == p.VAR_POSITIONAL for p in parameters):
        raise ModelFileError(f"{name}: build must take (vocab_size, block_size, generator, ...)")
    knobs, takes_device = {}, False
    for p in positional[3:] + [p for p in parameters if p.kind == p.KEYWORD_ONLY]:
        if p.name == DEVICE_KNOB:
            takes_device = True
            continue
        if p.name in LOOP_FIELDS:
            raise ModelFileError(
                f"{name}: build's knob {p.name!r} is the training loop's (--{p.name.replace('_', '-')})"
            )
        if p.default is p.empty:
            raise ModelFileError(f"{name}: build's knob {p.name!r} has no default; give it one ({p.name}=...)")
        if not isinstance(p.default, KNOB_TYPES):
            kind = type(p.default).__name__
            raise ModelFileError(f"{name}: build's knob {p.name!r} defaults to a {kind}; use a bool, int, float or str")
        knobs[p.name] = p.default
    return knobs, takes_device


def typed(value: object, default: object, knob: str, name: str) -> object:
    """`value` (text or a number) as the type of the knob's `default`; ModelFileError when it is not one."""
    kind = type(default)
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("on", "true", "yes", "1"):
                return True
            if text in ("off", "false", "no", "0"):
                return False
            raise ValueError
        if kind is int:
            number = float(value) if not isinstance(value, int) else value
            if isinstance(number, bool) or number != int(number):
                raise ValueError
            return int(number)
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            try:
                return float(value)
            except ValueError:
                return float(Fraction(str(value).strip()))  # the lecture writes its gain 5/3
        return str(value)
    except (ValueError, TypeError, OverflowError, ZeroDivisionError):
        words = {bool: "on or off", int: "a whole number", float: "a number"}[kind]
        raise ModelFileError(f"{name}'s build() takes {knob} as {words} (default {default!r}), got {value!r}") from None
