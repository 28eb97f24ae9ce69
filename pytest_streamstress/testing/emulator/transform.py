"""The Tekton operator's IMAGE_* matching, as pure functions (reference §4).

Owns: collecting `IMAGE_<PREFIX>_*` variables from a process environment into an image map, and
rewriting the pod templates of manifests by container name and by `ARG__` container-argument
flags, exactly the way tektoncd/operator's `pkg/reconciler/common/transformers.go` does (line
numbers of snapshot 390143289 in docs/emulator.md), quirks included:

- the value is the text between the first and the second `=` of the `KEY=VALUE` entry, so a value
  that itself contains `=` is truncated (`ImagesFromEnv` splits on `=` and takes element 1);
- keys are lower-cased; a container matches when its name, lower-cased with `-` -> `_`, equals a key;
- only Deployments (containers and initContainers), StatefulSets and Jobs (containers) are
  touched (`DeploymentImages`, `StatefulSetImages`, `JobImages`); DaemonSets, ReplicaSets and
  CronJobs keep their images;
- an argument with exactly one `=` (`SplitsByEqual`) is `flag=value`: the key `arg_<flag>` replaces
  the value; any other argument, `a=b=c` included, is taken as a flag and the *next* argument is
  replaced. Flags begin with `-`, hence the double underscore in `IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE`;
- `TEKTON_REGISTRY_OVERRIDE` (the operator's own environment) rewrites the registry host of every
  image the variables name, and of every container image and `*_image` argument no variable
  matches (`overrideImageRegistry`: the first path element is the registry; a name without `/`
  gets it prepended; `$(params...)` references are left alone).

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

REGISTRY_OVERRIDE_VAR: Final = "TEKTON_REGISTRY_OVERRIDE"
_CONTAINER_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "Deployment": ("initContainers", "containers"),
    "StatefulSet": ("containers",),
    "Job": ("containers",),
}
"""The only kinds the operator's image transformers touch, and which of their pod-spec lists."""


def env_entries(env: Mapping[str, str]) -> list[str]:
    """A mapping as the `KEY=VALUE` strings `os.Environ()` returns, in the mapping's order."""
    return [f"{key}={value}" for key, value in env.items()]


def images_from_env(entries: Iterable[str], prefix: str, *, registry: str = "") -> dict[str, str]:
    """The image map for one prefix: key = rest of the name, lower-cased; value = text after the first `=`.

    Mirrors the operator: `strings.Split(entry, "=")[1]`, so `A=b=c` yields `b` (reference §4); with
    a registry override every value's registry is rewritten (`ImageRegistryDomainOverride`).
    """
    images: dict[str, str] = {}
    for entry in entries:
        if not entry.startswith(prefix):
            continue
        parts = entry.split("=")
        if len(parts) < 2:
            continue
        images[parts[0][len(prefix) :].lower()] = override_registry(registry, parts[1])
    return images


def override_registry(registry: str, image: str) -> str:
    """`overrideImageRegistry`: the first `/`-separated part is the registry, replaced (or prepended)."""
    if not registry or not image or "$(" in image:
        return image
    parts = image.split("/")
    return registry + "/" + ("/".join(parts[1:]) if len(parts) > 1 else image)


def form_key(prefix: str, name: str) -> str:
    """`prefix + name` lower-cased with `-` -> `_` (the operator's `formKey`)."""
    return (prefix + name).lower().replace("-", "_")


def transform_container(container: dict[str, Any], images: Mapping[str, str], *, registry: str = "") -> None:
    """Replace, in place, the container image by name and image arguments by `ARG__` keys."""
    name = container.get("name", "")
    key = form_key("", name)
    if key in images:
        container["image"] = images[key]
    elif isinstance(container.get("image"), str):
        container["image"] = override_registry(registry, container["image"])
    args = container.get("args")
    if not isinstance(args, list):
        return
    for index, arg in enumerate(args):
        if not isinstance(arg, str):
            continue
        parts = arg.split("=")
        if len(parts) == 2:  # SplitsByEqual: exactly one `=`
            argument = form_key(ARG_PREFIX, parts[0])
            if argument in images:
                args[index] = f"{parts[0]}={images[argument]}"
            elif "_image" in argument:
                args[index] = f"{parts[0]}={override_registry(registry, parts[1])}"
            continue
        argument = form_key(ARG_PREFIX, arg)
        if index + 1 >= len(args) or not isinstance(args[index + 1], str):
            continue  # the operator would index past the end (a panic); no manifest of ours ends so
        if argument in images:
            args[index + 1] = images[argument]
        elif "_image" in argument:
            args[index + 1] = override_registry(registry, args[index + 1])


def pod_spec_of(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The pod spec inside a Deployment, StatefulSet or Job manifest, or None for any other kind."""
    if str(obj.get("kind", "")) not in _CONTAINER_FIELDS:
        return None
    node: Any = obj
    for part in ("spec", "template", "spec"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) else None


def transform_manifest(
    obj: Mapping[str, Any], images: Mapping[str, str], *, registry: str = ""
) -> dict[str, Any]:
    """A copy of one manifest with the containers its kind's transformer reads transformed."""
    out = copy.deepcopy(dict(obj))
    spec = pod_spec_of(out)
    if spec is None:
        return out
    for field in _CONTAINER_FIELDS[str(out["kind"])]:
        for container in spec.get(field) or []:
            if isinstance(container, dict):
                transform_container(container, images, registry=registry)
    return out


def transform_manifests(
    manifests: Iterable[Mapping[str, Any]], images: Mapping[str, str], *, registry: str = ""
) -> list[dict[str, Any]]:
    """Every manifest transformed with one image map (one component's prefix)."""
    return [transform_manifest(obj, images, registry=registry) for obj in manifests]


def to_statefulset(obj: Mapping[str, Any], service_name: str, ordinal_env: str) -> dict[str, Any]:
    """`ConvertDeploymentToStatefulSet` + `AddStatefulEnvVars`: same metadata, selector, template and
    replicas, `serviceName`, RollingUpdate; the first container gets `STATEFUL_SERVICE_NAME` and the
    ordinal variable from the pod name (transformers.go:1115-1196)."""
    spec = obj.get("spec") or {}
    template = copy.deepcopy(spec.get("template") or {})
    containers = (template.get("spec") or {}).get("containers") or []
    if containers:
        containers[0]["env"] = [
            *(containers[0].get("env") or []),
            {"name": "STATEFUL_SERVICE_NAME", "value": service_name},
            {"name": ordinal_env, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ]
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": copy.deepcopy(dict(obj.get("metadata") or {})),
        "spec": {
            "selector": copy.deepcopy(spec.get("selector")),
            "serviceName": service_name,
            "template": template,
            "replicas": spec.get("replicas", 1),
            "updateStrategy": {"type": "RollingUpdate"},
        },
    }


_VERSION_RE: Final = re.compile(r"^v?(\d+)\.(\d+)")


def parse_minor(version: str) -> tuple[int, int] | None:
    """(major, minor) of `4.20.3`, `v1.21.3`, `4.22.0-rc.1`; None when unparsable."""
    match = _VERSION_RE.match(version.strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


_SEMVER: Final = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
"""What Masterminds/semver's NewVersion accepts (a `v`, missing minor/patch, pre-release, build)."""


def openshift_minor(version: str | None) -> tuple[int, int] | None:
    """(major, minor) of ClusterVersion `status.desired.version` as `occommon.GetOCPVersion` parses it;
    None when empty or not a semantic version (common_utils.go:26-49)."""
    match = _SEMVER.match((version or "").strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def console_plugin_env_var(openshift_version: str | None, operator_version: str) -> str | None:
    """The variable the console-plugin reconciler reads, or None when the cluster version is unknown.

    console_plugin_reconciler.go:171-195: OpenShift 4.x with minor < 22 -> the `_LEGACY` variable;
    any other known version -> `IMAGE_PIPELINES_CONSOLE_PLUGIN`; an unknown one leaves the key empty,
    nothing is found and the manifest keeps its default image. The `_LEGACY` switch exists from
    operator 1.21 (reference §3); an older emulated operator always reads the plain variable.
    """
    operator = parse_minor(operator_version)
    if operator is not None and operator < (1, 21):
        return CONSOLE_PLUGIN_VAR
    cluster = openshift_minor(openshift_version)
    if cluster is None:
        return None
    return CONSOLE_PLUGIN_LEGACY_VAR if cluster[0] == 4 and cluster[1] < 22 else CONSOLE_PLUGIN_VAR


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
