"""The `makemore-tui` command line: flags to a TrainConfig (tui/args.py), then the app, headless mode or replay."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import traceback

from makemore_tui.core.compare import Variant, parse_compare, single
from makemore_tui.core.config import ConfigError, lecture_data_note
from makemore_tui.core.devices import check_cuda_requested, check_fits, resolve_device
from makemore_tui.core.firstrun import FirstRun, prepare
from makemore_tui.core.records import ExitCode
from makemore_tui.core.runlog import RunLog, RunLogError, default_path, looks_like_run_log
from makemore_tui.core.sealing import SealableLog
from makemore_tui.core.text import printable
from makemore_tui.core.usermodel import ModelFileError
from makemore_tui.tui.args import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    build_parser,
    check_compare_flags,
    config_from_args,
    parse_command_line,
)
from makemore_tui.tui.follow import run_follow
from makemore_tui.tui.lifecycle import Lifecycle, say
from makemore_tui.tui.model_args import model_variants
from makemore_tui.tui.terminal import app_refusal, ascii_fallback, stdout_on_the_terminal

__all__ = ["build_parser", "config_from_args", "entry_point", "main", "parse_command_line"]


def main(argv: list[str] | None = None, lifecycle: Lifecycle | None = None) -> int:
    """Entry point of the `makemore-tui` command; returns the exit code.

    SIGHUP and SIGTERM belong to `lifecycle` from here until the run log is closed (tui/lifecycle.py);
    a fresh one, whose watchdog never ends the process, when None (tests calling main in-process).
    """
    ascii_fallback(sys.stdout, sys.stderr)  # an ASCII or Latin-1 terminal: marks in ASCII, never an encoding error
    with lifecycle or Lifecycle() as life:
        args = parse_command_line(sys.argv[1:] if argv is None else list(argv))
        try:
            if args.command == "replay":
                return run_follow(args.log, life) if args.follow else _replay(args.log, life)
            if args.command == "plot":
                from makemore_tui.plot.cli import run_plot

                return run_plot(args)
            return _train(args, life)
        except (ConfigError, RunLogError) as error:
            print(f"makemore-tui: {error}", file=sys.stderr)
            return EXIT_USAGE


def _train(args: argparse.Namespace, lifecycle: Lifecycle) -> int:
    from makemore_tui.data import Vocabulary, WordsError, load_words

    config = config_from_args(args)
    check_compare_flags(args)
    variants = model_variants(args, config) or (parse_compare(args.compare, config) if args.compare else single(config))
    config = variants[0].config
    if args.paused and args.headless:
        raise ConfigError("--paused is for the app: headless has no keys to resume it (leave out --paused)")
    if config.device == "cuda":
        check_cuda_requested()
    if not args.headless and (refusal := app_refusal()):
        _tell(refusal)
        return EXIT_USAGE
    try:
        words = load_words(args.data, notice=_tell)
    except WordsError as error:
        print(f"makemore-tui: {error}", file=sys.stderr)
        return EXIT_USAGE
    first = None
    if config.model is None:  # a --model net's size is its file's
        check_fits([v.config for v in variants], Vocabulary.from_words(words).size, resolve_device(config))
    else:  # a bad file is one line before any banner or screen: its build and step 0 are tried now
        first = _prepare(variants, words, echo=_echo if args.headless else None)
    if lifecycle.signalled:
        return ExitCode.INTERRUPTED  # before any run: no log to leave behind
    # Opened last: a bad flag or words file leaves no empty log behind. Sealable: however the process
    # leaves (a quit's deadline, an exception), the log closes with the open run's run_end.
    run_log = SealableLog(RunLog(args.run_log or default_path()))
    lifecycle.log = run_log
    with run_log:
        if args.headless:
            from makemore_tui.tui.headless import run_headless

            note = lecture_data_note(config)
            if note:
                _tell(note)  # the run goes on

            code = run_headless(config, words, run_log, tables=args.tables, variants=variants, first=first)
        else:
            code = _run_app(variants, words, run_log, args.paused, lifecycle, first)
    if code != EXIT_USAGE and not args.headless:  # the app ran (not: textual missing)
        _say_where(run_log)
    return _log_verdict(run_log, code)


def _prepare(variants: list[Variant], words: list[str], echo) -> FirstRun | None:
    """The first run of a --model file set up here (core/firstrun.py); its problems are ConfigError (exit 2)."""
    try:
        return prepare(variants, words, echo)
    except ModelFileError as error:
        raise ConfigError(str(error)) from None


def _echo(line: str) -> None:
    """A line the --model file printed, on stderr as it prints it (headless)."""
    print(printable(line), file=sys.stderr, flush=True)


def _log_verdict(run_log: SealableLog, code: int) -> int:
    """The exit code once the run log is closed: a log that stopped early (a full disk) is said on stderr,
    with the step where it stopped, and turns done (0) or diverged (3) into LOG_INCOMPLETE (4): data was lost."""
    if run_log.stopped is None:
        return code
    _tell(f"the run log {printable(str(run_log.path))} is incomplete: {run_log.stopped.describe()}")
    return ExitCode.LOG_INCOMPLETE if code in (ExitCode.OK, ExitCode.DIVERGED) else code


def _tell(line: str) -> None:
    """One line for the user on stderr, as every message of the command line."""
    print(f"makemore-tui: {line}", file=sys.stderr)


def _say_where(run_log: SealableLog) -> None:
    """After the app: where the run log is and how to replay it, on stdout (the terminal is back)."""
    path = printable(str(run_log.path))
    incomplete = f" (incomplete: {run_log.stopped.describe()})" if run_log.stopped else ""
    say(f"run log: {path}{incomplete} · replay: makemore-tui replay {shlex.quote(path)}")


def _run_app(
    variants: list[Variant],
    words: list[str],
    run_log: SealableLog,
    paused: bool,
    lifecycle: Lifecycle,
    first: FirstRun | None = None,
) -> int:
    try:
        from makemore_tui.tui.app import run_live
    except ImportError as error:
        print(
            f"makemore-tui: the app needs textual ({error}); install it (pip install textual) or use --headless",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from makemore_tui.core.channel import RecordChannel
    from makemore_tui.core.trainer import Trainer

    channel = RecordChannel()
    trainer = Trainer(
        variants[0].config, words, channel=channel, run_log=run_log, variants=variants, paused=paused, first=first
    )
    try:
        # library warnings become warning records: a line on stderr would tear the app's screen
        with trainer.warnings_captured():
            trainer.start()
            if lifecycle.signalled:  # a signal while the run was set up: no app on a terminal that may be gone
                return ExitCode.INTERRUPTED
            with stdout_on_the_terminal():
                return run_live(trainer, channel, lifecycle)
    finally:
        lifecycle.quitting()
        # The stopped run's final eval may still be writing (cut to the quit's deadline): let it finish
        # before the log closes, so the log ends with run_end; at the deadline, seal it instead.
        if not trainer.close(lifecycle.time_left(), lifecycle.eval_deadline) and run_log.seal():
            say("makemore-tui: the trainer did not stop in time; the run log was sealed with a run_end", sys.stderr)


def _replay(path: str, lifecycle: Lifecycle) -> int:
    if not os.path.isfile(path):
        _tell(f"replay: no run log at {printable(path)} (pass a .jsonl file written by makemore-tui)")
        return EXIT_USAGE
    try:
        is_log = looks_like_run_log(path)
    except OSError as error:
        _tell(f"replay: cannot read {printable(path)}: {printable(error.strerror or str(error))}")
        return EXIT_USAGE
    if not is_log:
        model = f"; to train a model file: makemore-tui --model {shlex.quote(printable(path))}"
        model = model if path.endswith(".py") else ""
        _tell(f"replay: {printable(path)} is not a run log (pass a .jsonl file written by makemore-tui){model}")
        return EXIT_USAGE
    if refusal := app_refusal(f"draw its figures with: makemore-tui plot {shlex.quote(printable(path))}"):
        _tell(f"replay: {refusal}")
        return EXIT_USAGE
    from makemore_tui.tui.app import run_replay

    with stdout_on_the_terminal():
        return run_replay(path, lifecycle)


def entry_point() -> None:
    """Console-script wrapper: main's code is the exit code; unexpected failures exit 1 (after their traceback).

    The process then ends at once (os._exit once stdout is flushed, tui/lifecycle.py): the run log is closed
    by then, and no library thread (a Textual driver thread on a dead terminal) can keep it alive.
    """
    lifecycle = Lifecycle(end_process=os._exit)
    try:
        code = main(lifecycle=lifecycle)
    except SystemExit as done:  # argparse: --help, a usage error
        code = done.code if isinstance(done.code, int) else EXIT_OK if done.code is None else EXIT_FAILURE
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except BaseException:
        traceback.print_exc()
        code = EXIT_FAILURE
    lifecycle.end(int(code))


if __name__ == "__main__":
    entry_point()
