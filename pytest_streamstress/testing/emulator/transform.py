"""The Tekton operator's IMAGE_* matching, as pure functions (reference §4).

Owns: collecting `IMAGE_<PREFIX>_*` variables from a process environment into an image map, and
rewriting the pod templates of manifests (Deployments, StatefulSets, Jobs, CronJobs) by container
name and by `ARG__` container-argument flags, exactly the way the operator's
`pkg/reconciler/common/transformers.go` does, quirks included:

- the value is the text between the first and the second `=` of the `KEY=VALUE` entry, so a value
  that itself contains `=` is truncated (the operator splits on `=` and takes element 1);
- keys are lower-cased; a container matches when its name, lower-cased with `-` -> `_`, equals a key;
- an argument `flag=value` matches the key `arg_<flag>` and only the value after `=` is replaced; any
  other argument is taken as a flag and the *next* argument is replaced. Flags begin with `-`, hence
  the double underscore in `IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE`.

Must not: touch the store, read `os.environ`, or know about components (callers pass the prefix).
The console plugin's image is not prefix-matched by the operator; `console_plugin_env_var` says which
variable the console-plugin reconciler reads for a cluster and operator version.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

log = logging.getLogger(__name__)

PREFIXES: Final = (
    "IMAGE_PIPELINES_",
    "IMAGE_TRIGGERS_",
    "IMAGE_ADDONS_",
    "IMAGE_PAC_",
    "IMAGE_CHAINS_",
    "IMAGE_MAG_",
    "IMAGE_PRUNER_",
    "IMAGE_RESULTS_",
    "IMAGE_DASHBOARD_",
    "IMAGE_HUB_",
)
"""Prefix families known to the v1.21 operator (reference §4)."""

ARG_PREFIX: Final = "arg_"
CONSOLE_PLUGIN_VAR: Final = "IMAGE_PIPELINES_CONSOLE_PLUGIN"
CONSOLE_PLUGIN_LEGACY_VAR: Final = "IMAGE_PIPELINES_CONSOLE_PLUGIN_LEGACY"
CONSOLE_PLUGIN_CONTAINER: Final = "pipelines-console-plugin"

_WORKLOAD_TEMPLATE_PATHS: Final[Mapping[str, tuple[str, ...]]] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def env_entries(env: Mapping[str, str]) -> list[str]:
    """A mapping as the `KEY=VALUE` strings `os.Environ()` returns, in the mapping's order."""
    return [f"{key}={value}" for key, value in env.items()]


def images_from_env(entries: Iterable[str], prefix: str) -> dict[str, str]:
    """The image map for one prefix: key = rest of the name, lower-cased; value = text after the first `=`.

    Mirrors the operator: `strings.Split(entry, "=")[1]`, so `A=b=c` yields `b` (reference §4).
    """
    images: dict[str, str] = {}
    for entry in entries:
        if not entry.startswith(prefix):
            continue
        parts = entry.split("=")
        if len(parts) < 2:
            continue
        images[parts[0][len(prefix) :].lower()] = parts[1]
    return images


def form_key(prefix: str, name: str) -> str:
    """`prefix + name` lower-cased with `-` -> `_` (the operator's `formKey`)."""
    return (prefix + name).lower().replace("-", "_")


def transform_container(container: dict[str, Any], images: Mapping[str, str]) -> None:
    """Replace, in place, the container image by name and image arguments by `ARG__` keys."""
    name = container.get("name", "")
    key = form_key("", name)
    if key in images:
        container["image"] = images[key]
    args = container.get("args")
    if not isinstance(args, list):
        return
    for index, arg in enumerate(args):
        if not isinstance(arg, str):
            continue
        if "=" in arg:
            flag, _, _value = arg.partition("=")
            url = images.get(form_key(ARG_PREFIX, flag))
            if url is not None:
                args[index] = f"{flag}={url}"
            continue
        url = images.get(form_key(ARG_PREFIX, arg))
        if url is not None and index + 1 < len(args):
            args[index + 1] = url


def pod_spec_of(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The pod spec inside a workload manifest, or None for kinds without one."""
    path = _WORKLOAD_TEMPLATE_PATHS.get(str(obj.get("kind", "")))
    if path is None:
        return None
    node: Any = obj
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) else None


def transform_manifest(obj: Mapping[str, Any], images: Mapping[str, str]) -> dict[str, Any]:
    """A copy of one manifest with its containers and initContainers transformed."""
    out = copy.deepcopy(dict(obj))
    spec = pod_spec_of(out)
    if spec is None:
        return out
    for field in ("initContainers", "containers"):
        for container in spec.get(field) or []:
            if isinstance(container, dict):
                transform_container(container, images)
    return out


def transform_manifests(
    manifests: Iterable[Mapping[str, Any]], images: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Every manifest transformed with one image map (one component's prefix)."""
    return [transform_manifest(obj, images) for obj in manifests]


_VERSION_RE: Final = re.compile(r"^v?(\d+)\.(\d+)")


def parse_minor(version: str) -> tuple[int, int] | None:
    """(major, minor) of `4.20.3`, `v1.21.3`, `4.22.0-rc.1`; None when unparsable."""
    match = _VERSION_RE.match(version.strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def console_plugin_env_var(openshift_version: str | None, operator_version: str) -> str:
    """The variable the console-plugin reconciler reads (reference §3).

    OpenShift 4.x with minor < 22 and operator >= 1.21 -> the `_LEGACY` variable; an unknown or
    unparsable cluster version falls back to the non-legacy variable, as the operator does.
    """
    cluster = parse_minor(openshift_version) if openshift_version else None
    operator = parse_minor(operator_version)
    if cluster is None or operator is None:
        return CONSOLE_PLUGIN_VAR
    if cluster[0] == 4 and cluster[1] < 22 and operator >= (1, 21):
        return CONSOLE_PLUGIN_LEGACY_VAR
    return CONSOLE_PLUGIN_VAR


def transform_console_plugin(obj: Mapping[str, Any], image: str | None) -> dict[str, Any]:
    """A copy of the console-plugin manifest with container `pipelines-console-plugin` set to `image`."""
    out = copy.deepcopy(dict(obj))
    spec = pod_spec_of(out)
    if spec is None or not image:
        return out
    for container in spec.get("containers") or []:
        if isinstance(container, dict) and container.get("name") == CONSOLE_PLUGIN_CONTAINER:
            container["image"] = image
    return out
