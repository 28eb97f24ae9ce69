"""`streamstress options`: the option table, as the README shows it (generated, so it cannot drift)."""

from __future__ import annotations

import argparse
import sys
from typing import Final

from pytest_streamstress.options import options_markdown

HELP: Final = "Print every pytest option of the plugin with its ini key, default and help"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", action="store_true", help="Print the README's Markdown table")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(options_markdown() + "\n")
    return 0
