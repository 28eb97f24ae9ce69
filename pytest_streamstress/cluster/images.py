"""Pure rules for IMAGE_* variables: which operand carries a variable, and whether it runs what we expect.

Facts from reference openshift-pipelines.md §4: the operator strips the prefix (`IMAGE_PIPELINES_`...),
lower-cases the rest and matches it to a container name (hyphens as underscores) or, with `ARG_`, to a
container argument flag (`IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE` -> `-entrypoint-image`), either as
`-flag=value` or as `-flag value`. No I/O here: deploy reads the objects and asks these functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

PREFIXES: Final = (
    "PIPELINES",
    "TRIGGERS",
    "ADDONS",
    "PAC",
    "CHAINS",
    "MAG",
    "PRUNER",
    "RESULTS",
    "DASHBOARD",
    "HUB",
    "SCHEDULER",
    "MULTICLUSTERPROXYAAE",
    "SYNCER_SERVICE_WORKLOAD",
)
LEGACY_CONSOLE_VAR: Final = "IMAGE_PIPELINES_CONSOLE_PLUGIN_LEGACY"
CONSOLE_VAR: Final = "IMAGE_PIPELINES_CONSOLE_PLUGIN"


def variable_key(env_var: str) -> str:
    """`IMAGE_PIPELINES_ARG__NOP_IMAGE` -> `arg__nop_image`; `IMAGE_PIPELINES_WEBHOOK` -> `webhook`."""
    rest = env_var.removeprefix("IMAGE_")
    for prefix in sorted(PREFIXES, key=len, reverse=True):
        if rest.startswith(prefix + "_"):
            return rest[len(prefix) + 1 :].lower()
    return rest.lower()


def argument_flag(env_var: str) -> str | None:
    """The container flag an `ARG__` variable replaces, e.g. `-entrypoint-image`; None for container vars."""
    key = variable_key(env_var)
    if not key.startswith("arg_"):
        return None
    return key[len("arg_") :].replace("_", "-")


def argument_value(args: Sequence[str], flag: str) -> str | None:
    """The value given to `flag` in a container's args, in either form the operator rewrites: `-flag
    value`, or `-flag=value` with exactly one `=` (tektoncd/operator transformers.go:333-369)."""
    for index, arg in enumerate(args):
        parts = arg.split("=")
        if len(parts) == 2 and parts[0] == flag:
            return parts[1]
        if arg == flag and index + 1 < len(args):
            return args[index + 1]
    return None


def env_values(container: Mapping[str, Any]) -> dict[str, str | None]:
    """IMAGE_* values of a container spec; `valueFrom` entries count as None (not a literal image)."""
    values: dict[str, str | None] = {}
    for entry in container.get("env") or []:
        name = str(entry.get("name", ""))
        if name.startswith("IMAGE_"):
            values[name] = entry.get("value") if "value" in entry else None
    return values


def set_env(container: dict[str, Any], changes: Mapping[str, str | None]) -> bool:
    """Set (or, for None, remove) env vars in place: overwrite `value`, drop `valueFrom`, append if absent."""
    env: list[dict[str, Any]] = list(container.get("env") or [])
    changed = False
    for name, value in changes.items():
        index = next((i for i, entry in enumerate(env) if entry.get("name") == name), None)
        if value is None:
            if index is not None:
                del env[index]
                changed = True
            continue
        if index is None:
            env.append({"name": name, "value": value})
            changed = True
        elif env[index].get("value") != value or "valueFrom" in env[index]:
            env[index] = {"name": name, "value": value}
            changed = True
    container["env"] = env
    return changed


_SEMVER: Final = re.compile(r"^v?[0-9]+(\.[0-9]+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
"""The versions Masterminds/semver parses, which is how the operator reads the OpenShift version."""


def openshift_version_known(openshift_version: str) -> bool:
    """Can the operator read this ClusterVersion `status.desired.version`? When it cannot, its
    console-plugin reconciler reads no variable and keeps the manifest's default image (tektoncd/operator
    console_plugin_reconciler.go:171-195, common_utils.go:26-49)."""
    return bool(_SEMVER.match(openshift_version.strip()))


def needs_legacy_console_var(openshift_version: str, operator_version: str) -> bool:
    """OCP below 4.22 with operator 1.21+ reads the `_LEGACY` console variable (reference §3)."""
    ocp = _version_tuple(openshift_version)
    operator = _version_tuple(operator_version)
    if not ocp or not operator or not openshift_version_known(openshift_version):
        return False  # unknown version: the operator reads neither variable (see openshift_version_known)
    return ocp[:2] < (4, 22) and operator[:2] >= (1, 21)


def _version_tuple(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in text.lstrip("v").split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
        if not piece.isdigit():
            break
    return tuple(parts)
