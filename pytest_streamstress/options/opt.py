"""What one option is: the row type of the option table (options/table.py).

Its own module so the table holds only rows and stays under the 500-line house limit as options grow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Opt(Generic[T]):
    """One option: its flag, ini key, parser, default and help, declared once."""

    name: str
    parse: Callable[[str], T]
    default: T
    help: str
    switch: bool = False
    """A CLI switch without a value (`--skip-build`); its ini form takes true/false."""
    multiple: bool = False
    """The CLI flag may repeat; the ini form is one value per line."""
    supported: bool = True
    issue: int = 0
    """The issue that implements it, named in the "not supported yet" error."""
    metavar: str = ""
    flag_override: str = ""

    @property
    def flag(self) -> str:
        return self.flag_override or "--" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        return self.name if self.name == "streamstress" else "streamstress_" + self.name

    @property
    def dest(self) -> str:
        return self.ini
