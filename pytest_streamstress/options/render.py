"""How options are shown to people: a default as `--help` and the README show it, and the README's table.

Kept apart from the table itself (table.py) so that declaring an option stays the only thing there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_streamstress.options.opt import Opt
from pytest_streamstress.options.table import OPTIONS


def options_markdown(options: Sequence[Opt[Any]] = OPTIONS) -> str:
    """The README's option table, generated so the docs cannot drift from the code."""
    lines = ["| Option | ini key | Default | What it does |", "| --- | --- | --- | --- |"]
    for opt in options:
        flag = opt.flag + ("" if opt.switch else f" {opt.metavar or 'VALUE'}")
        default = shown_default(opt)
        status = "" if opt.supported else f" **Not supported yet** (issue #{opt.issue})."
        lines.append(f"| `{flag}` | `{opt.ini}` | {default} | {opt.help}.{status} |")
    return "\n".join(lines)


def shown_default(opt: Opt[Any]) -> str:
    if opt.name == "build_jobs":
        return "CPU count"
    value = opt.default
    if value is None or value in ((), ""):
        return "—"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, tuple):
        return "`" + ",".join(str(v) for v in value) + "`"
    return f"`{value}`"
