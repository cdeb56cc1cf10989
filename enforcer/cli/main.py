"""Entry point: parse arguments, call the command, map errors to exit codes.

Exit codes (a contract, tested in tests/unit/test_cli_exit_codes.py):
0 nothing failing; 1 failing findings; 2 usage, configuration or policy error;
3 incomplete (a source failed, or SIGTERM stopped the run; wins over 1); 4 internal
error (a bug: please report it); 130 stopped by Ctrl-C. Errors are one line, no traceback.

Each command group lives in its own module with ``register(subparsers)``; the
modules are imported lazily by name so ``enforcer --help`` stays fast and never
loads a connector SDK.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from enforcer.logs import redact, setup_logging
from enforcer.model.errors import EnforcerError

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130
"""Ctrl-C: the shell's own convention (128 + SIGINT), so a script or a loop over schools stops too.
SIGTERM (systemd, the scheduler, a CI timeout) is 3 instead: to whoever sent it, the run is
simply incomplete. Either way nothing of the unfinished run is recorded as complete."""

COMMAND_MODULES = [
    "enforcer.cli.audit",  # audit, run
    "enforcer.cli.policy",  # policy validate|lint, rules list|show
    "enforcer.cli.configcmd",  # init, config check
    "enforcer.cli.snapshot",  # snapshot export
    "enforcer.cli.password",  # password check|generate|audit|hashes|serve
    "enforcer.cli.history",  # history
    "enforcer.cli.exceptions_cmd",  # exceptions add|list|remove
    "enforcer.cli.review",  # review [show|except|note|mark]
    "enforcer.cli.remediate",  # remediate, undo
    "enforcer.cli.schedule",  # schedule [--print-systemd|--print-cron]
    "enforcer.cli.demo",  # demo generate
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"enforcer: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="enforcer",
        description="Checks that a school's password and device security "
        "promises are kept. Exit codes: 0 nothing failing, 1 failing findings, 2 usage, "
        "configuration or policy error, 3 incomplete (a source failed, or SIGTERM), 4 internal error, "
        "130 stopped by Ctrl-C.",
    )
    _global_flags(parser, default=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    _global_flags_after(parser)
    return parser


def _global_flags(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", default=default, help="log to stderr")
    parser.add_argument("-q", "--quiet", action="store_true", default=default, help="no progress output")


def _global_flags_after(parser: argparse.ArgumentParser) -> None:
    """``enforcer run --quiet`` as the README writes it, as well as ``enforcer --quiet run``.

    Every subcommand (and sub-subcommand) accepts the global flags too. Their default there is
    ``SUPPRESS``: a subparser's default would otherwise overwrite the value the top-level parser
    already set, and ``enforcer -q run`` would no longer be quiet."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in {id(p): p for p in action.choices.values()}.values():  # aliases share a parser
                _global_flags(child, default=argparse.SUPPRESS)
                _global_flags_after(child)


class Terminated(KeyboardInterrupt):
    """SIGTERM (systemd stop, ``kill``, a CI timeout) unwinds like Ctrl-C, so every ``finally``
    runs: the run is marked incomplete in the store, staged report files are removed, the run
    lock is released. Python's default for SIGTERM is to die without any of that."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated("stopped by SIGTERM")


def _notes(exc: BaseException) -> None:
    """What was still done before stopping (an estate writes its report, then re-raises)."""
    for note in getattr(exc, "__notes__", ()):
        print(f"enforcer: {note}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits for --help (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    setup_logging(verbose=args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args))
    except EnforcerError as exc:
        print(f"enforcer: {exc}", file=sys.stderr)
        return exc.exit_code
    except Terminated as exc:
        print(f"enforcer: {exc}; the run is incomplete", file=sys.stderr)
        _notes(exc)
        return EXIT_INCOMPLETE
    except KeyboardInterrupt as exc:
        print("enforcer: interrupted", file=sys.stderr)
        _notes(exc)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        logging.getLogger("enforcer").debug("internal error", exc_info=True)
        print(
            f"enforcer: internal error ({type(exc).__name__}): {redact(str(exc))}; "
            "run with --verbose for the traceback and please report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        logging.shutdown()


if __name__ == "__main__":
    sys.exit(main())
