"""`--clusters FILE`: the clusters one run is tested on (issue 23), read and checked before anything runs.

The file is TOML with one `[[cluster]]` table per cluster::

    [[cluster]]
    name = "ocp-4-16"                  # results/clusters/<name>/, the history's and the dashboard's name
    kubeconfig = "kube/ocp-4-16.yaml"  # relative to this file; "~" is expanded
    context = "admin"                  # optional: the kubeconfig's current context otherwise
    shards = 4                         # optional: run there as an Indexed Job of 4 pods (--in-cluster)

    [[cluster]]
    name = "emulated-b"
    emulated = true                    # a built-in OpenShift emulator (demos, tests), not a kubeconfig

The first cluster is where the build pushes; its images are copied to every other cluster's
registry. Every mistake is one ConfigError naming the file, the line of the `[[cluster]]` table
and the fix, raised at start-up (issue 22's rule: nothing is cloned or built for a broken file).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress._infra.toml import load_toml
from pytest_streamstress.errors import ConfigError

_NAME: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_KEYS: Final = frozenset({"name", "kubeconfig", "context", "shards", "emulated"})
_EXAMPLE: Final = '[[cluster]]\nname = "ocp-4-16"\nkubeconfig = "kube/ocp-4-16.yaml"'


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetMember:
    """One cluster of the fleet, as the file gives it (paths resolved against the file)."""

    name: str
    kubeconfig: Path | None
    """None for an emulated member: its emulator writes the kubeconfig when it starts."""
    context: str = ""
    shards: int = 1
    emulated: bool = False
    line: int | None = None
    """The line of its `[[cluster]]` header, for messages about it later."""


def load_fleet(path: Path) -> tuple[FleetMember, ...]:
    """Read and check the whole file; the first member is the one the build pushes to."""
    data = load_toml(path)
    text = path.read_text(encoding="utf-8")
    headers = [number for number, line in enumerate(text.splitlines(), 1) if line.strip() == "[[cluster]]"]
    unknown = sorted(set(data) - {"cluster"})
    if unknown:
        raise ConfigError(
            f"unknown top-level key {unknown[0]!r}",
            path=path,
            hint=f"the file holds [[cluster]] tables:\n{_EXAMPLE}",
        )
    tables = data.get("cluster")
    if not isinstance(tables, list) or not tables:
        raise ConfigError("no [[cluster]] table", path=path, hint=f"give one table per cluster:\n{_EXAMPLE}")
    members: list[FleetMember] = []
    for index, table in enumerate(tables):
        line = headers[index] if index < len(headers) else None
        member = _member(table, path=path, line=line, number=index + 1)
        if any(m.name == member.name for m in members):
            raise ConfigError(
                f"cluster name {member.name!r} is given twice",
                path=path,
                line=line,
                hint="each cluster needs its own name: it names its results directory and its history",
            )
        members.append(member)
    return tuple(members)


def _member(table: Any, *, path: Path, line: int | None, number: int) -> FleetMember:
    where = f"[[cluster]] #{number}"

    def error(message: str, hint: str) -> ConfigError:
        return ConfigError(f"{where}: {message}", path=path, line=line, hint=hint)

    if not isinstance(table, dict):
        raise error("is not a table", f"write it as:\n{_EXAMPLE}")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise error(f"unknown key {unknown[0]!r}", f"the keys are {', '.join(sorted(_KEYS))}")
    name = table.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise error(
            f"name {name!r} is missing or not a DNS label",
            'give a name of lower-case letters, digits and "-", e.g. name = "ocp-4-16"',
        )
    where = f"cluster {name!r}"
    emulated = table.get("emulated", False)
    if not isinstance(emulated, bool):
        raise error(f"emulated = {emulated!r} is not true or false", "write emulated = true, or leave it out")
    kubeconfig = table.get("kubeconfig")
    if emulated == (kubeconfig is not None):
        raise error(
            "needs exactly one of kubeconfig and emulated = true",
            'give kubeconfig = "PATH" for a real cluster, or emulated = true for a built-in emulator',
        )
    resolved = None if kubeconfig is None else _kubeconfig(kubeconfig, path=path, error=error)
    context = table.get("context", "")
    if not isinstance(context, str):
        raise error(f"context = {context!r} is not a string", 'write context = "NAME", or leave it out')
    shards = table.get("shards", 1)
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise error(
            f"shards = {shards!r} is not a positive whole number", "write shards = 4, or leave it out"
        )
    return FleetMember(
        name=name, kubeconfig=resolved, context=context, shards=shards, emulated=emulated, line=line
    )


def _kubeconfig(value: Any, *, path: Path, error: Callable[[str, str], ConfigError]) -> Path:
    if not isinstance(value, str) or not value:
        raise error(f"kubeconfig = {value!r} is not a path", 'write kubeconfig = "PATH"')
    resolved = (path.parent / Path(value).expanduser()).resolve()
    if not resolved.is_file():
        raise error(
            f"kubeconfig {resolved} does not exist", "fix the path (relative paths start at this file)"
        )
    return resolved
