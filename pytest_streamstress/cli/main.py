"""The `streamstress` console script: commands that are not a test session.

Each command lives in its own module under `cli/` exposing `HELP`, `add_arguments(parser)` and
`run(args) -> int`; this module only dispatches. Exit codes follow the original tool: 0 ok, 1 a
problem found (failures, missing items), 2 an error that stopped the command, 130 stopped by Ctrl-C,
SIGTERM or SIGHUP: all three end the process groups the command started (git, gauge, pytest) and
remove its secret files, instead of leaving them behind as a plain SIGTERM would (issue 19).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType, ModuleType
from typing import Final

from pytest_streamstress import __version__
from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra import tempdirs
from pytest_streamstress.errors import StreamstressError

COMMANDS: Final = (
    ("emulator", "emulator"),
    ("check", "check"),
    ("restore", "restore"),
    ("report", "report"),
    ("publish", "publish"),
    ("status", "status"),
    ("logs", "logs"),
    ("collect", "collect"),
    ("merge", "merge"),
    ("cancel", "cancel"),
    ("ci", "ci"),
    ("bisect", "bisect"),
    ("triage-eval", "triage_eval"),
    ("options", "options"),
)


def _load(module_name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"pytest_streamstress.cli.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"pytest_streamstress.cli.{module_name}":
            return None
        raise


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType | None]]:
    parser = argparse.ArgumentParser(
        prog="streamstress",
        description="Companion commands of pytest-streamstress (the run itself is `pytest --streamstress`).",
        allow_abbrev=False,  # `publish --history DIR` was read as --history-budget DIR
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="Log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, ModuleType | None] = {}
    for name, module_name in COMMANDS:
        module = _load(module_name)
        modules[name] = module
        help_text = module.HELP if module is not None else "(not supported yet)"
        command = sub.add_parser(name, help=help_text, description=help_text, allow_abbrev=False)
        if module is not None:
            module.add_arguments(command)
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    if not args.command:
        parser.print_help()
        return 2
    module = modules[args.command]
    if module is None:
        parser.exit(2, f"streamstress {args.command}: not supported yet; see 'Not done yet' in the README\n")
    try:
        with _stop_signals(args.command != "emulator"):  # the emulator command stops itself cleanly
            return int(module.run(args))
    except StreamstressError as exc:
        sys.stderr.write(f"streamstress {args.command}: {exc}\n")
        return 2
    except KeyboardInterrupt as exc:
        _proc.stop_all(str(exc) or "KeyboardInterrupt")
        ended = _proc.end_all()
        tempdirs.remove_all()
        _proc.allow_again()
        sys.stderr.write(
            f"streamstress {args.command}: interrupted{f' ({exc})' if str(exc) else ''}"
            + (f"; ended {ended} process group(s)" if ended else "")
            + "\n"
        )
        return 130


@contextlib.contextmanager
def _stop_signals(enabled: bool) -> Iterator[None]:
    """SIGTERM and SIGHUP raise KeyboardInterrupt naming themselves, as Ctrl-C does (main thread only)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {
        signum: signal.signal(signum, interrupt)
        for signum in (getattr(signal, name, None) for name in ("SIGTERM", "SIGHUP"))
        if signum is not None
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
