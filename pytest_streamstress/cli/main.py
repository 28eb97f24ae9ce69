"""The `streamstress` console script: commands that are not a test session.

Each command lives in its own module under `cli/` exposing `HELP`, `add_arguments(parser)` and
`run(args) -> int`; this module only dispatches. Exit codes follow the original tool: 0 ok, 1 a
problem found (failures, missing items), 2 an error that stopped the command.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Final

from pytest_streamstress import __version__
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
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="Log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, ModuleType | None] = {}
    for name, module_name in COMMANDS:
        module = _load(module_name)
        modules[name] = module
        help_text = module.HELP if module is not None else "(not supported yet)"
        command = sub.add_parser(name, help=help_text, description=help_text)
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
        return int(module.run(args))
    except StreamstressError as exc:
        sys.stderr.write(f"streamstress {args.command}: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"streamstress {args.command}: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
