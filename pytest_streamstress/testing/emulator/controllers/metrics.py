"""metrics.k8s.io for the emulator: PodMetrics of running pods and NodeMetrics, from usage scripts.

Owns: the metrics provider the server calls (`MetricsProvider`: no arguments, every item), quantity
parsing/formatting like the real API (cpu in nanocores `"12345678n"`, memory in `"123456Ki"`,
reference §10), and per-pod usage scripts: pod annotation `emulator.streamstress.io/usage` = JSON
list of `[seconds_since_pod_start, cpu, memory]` steps (quantities like `"250m"`, `"128Mi"`); the
step in force is the last one whose time has passed, so profiling tests know their peaks exactly.
The usage of a pod is split evenly over its containers (the remainder goes to the first). Pods
without a script use a small deterministic default. Pure functions plus one closure; no thread.
Must not: store anything (metrics are never objects in the store) or decide availability (the
server answers 404 for the group when `faults.metrics_unavailable` is set).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Final

from pytest_streamstress.testing.emulator.controllers import _util
from pytest_streamstress.testing.emulator.store import Obj, Store, now_rfc3339

log = logging.getLogger(__name__)

USAGE_ANNOTATION: Final = "emulator.streamstress.io/usage"
WINDOW: Final = "30s"
NODE_BASE_CPU_N: Final = 350_000_000
NODE_BASE_MEMORY: Final = 2 * 1024**3

_CPU_SUFFIX: Final = {"n": Decimal(1), "u": Decimal(10**3), "m": Decimal(10**6), "": Decimal(10**9)}
_MEM_SUFFIX: Final = {
    "": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}  # fmt: skip
_QUANTITY: Final = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$")


class QuantityError(ValueError):
    """A usage script has a quantity the Kubernetes API would not accept."""


def parse_cpu(text: str | int | float) -> int:
    """CPU quantity -> nanocores (`"250m"` -> 250000000, `"1"` -> 1000000000)."""
    match = _QUANTITY.match(str(text).strip())
    if match is None or match.group(2) not in _CPU_SUFFIX:
        raise QuantityError(f"not a cpu quantity: {text!r} (use e.g. '250m', '1', '500000n')")
    return int(Decimal(match.group(1)) * _CPU_SUFFIX[match.group(2)])


def parse_memory(text: str | int | float) -> int:
    """Memory quantity -> bytes (`"128Mi"`, `"1G"`, `"1048576"`)."""
    match = _QUANTITY.match(str(text).strip())
    if match is None or match.group(2) not in _MEM_SUFFIX:
        raise QuantityError(f"not a memory quantity: {text!r} (use e.g. '128Mi', '1Gi', '1000000')")
    return int(Decimal(match.group(1)) * _MEM_SUFFIX[match.group(2)])


def format_cpu(nanocores: int) -> str:
    return f"{nanocores}n"


def format_memory(byte_count: int) -> str:
    return f"{byte_count // 1024}Ki"


def parse_script(text: str) -> list[tuple[float, int, int]]:
    """The usage annotation as sorted `(seconds, nanocores, bytes)` steps."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuantityError(f"{USAGE_ANNOTATION} is not JSON: {exc}") from exc
    if not isinstance(raw, list) or not all(isinstance(s, list) and len(s) == 3 for s in raw):
        raise QuantityError(f"{USAGE_ANNOTATION} must be a list of [seconds, cpu, memory] steps")
    return sorted((float(s[0]), parse_cpu(s[1]), parse_memory(s[2])) for s in raw)


def usage_at(steps: Sequence[tuple[float, int, int]], elapsed_s: float) -> tuple[int, int]:
    """(nanocores, bytes) in force `elapsed_s` after the pod started; the first step before it."""
    current = steps[0]
    for step in steps:
        if step[0] <= elapsed_s:
            current = step
    return current[1], current[2]


def default_usage(pod_name: str) -> tuple[int, int]:
    """Small, stable per-pod usage: 1-10m cpu, 16-64Mi memory."""
    seed = _util.fnv32a(pod_name.encode())
    return (1 + seed % 10) * 1_000_000, (16 + seed % 49) * 2**20


def _started(pod: Obj) -> float | None:
    stamp = (pod.get("status") or {}).get("startTime")
    if not stamp:
        return None
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def pod_usage(pod: Obj, now: float) -> tuple[int, int]:
    script = ((pod.get("metadata") or {}).get("annotations") or {}).get(USAGE_ANNOTATION)
    if not script:
        return default_usage(pod["metadata"]["name"])
    try:
        steps = parse_script(script)
    except QuantityError as exc:
        log.warning("metrics: pod %s/%s: %s", pod["metadata"].get("namespace"), pod["metadata"]["name"], exc)
        return default_usage(pod["metadata"]["name"])
    started = _started(pod)
    return usage_at(steps, 0.0 if started is None else max(now - started, 0.0)) if steps else (0, 0)


def pod_metrics(pod: Obj, now: float) -> dict[str, Any]:
    """One PodMetrics item; the pod's usage split evenly over its containers."""
    cpu, memory = pod_usage(pod, now)
    names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []] or ["main"]
    count = len(names)
    containers = []
    for index, name in enumerate(names):
        share_cpu = cpu // count + (cpu % count if index == 0 else 0)
        share_mem = memory // count + (memory % count if index == 0 else 0)
        containers.append(
            {"name": name, "usage": {"cpu": format_cpu(share_cpu), "memory": format_memory(share_mem)}}
        )
    meta = pod["metadata"]
    return {
        "apiVersion": "metrics.k8s.io/v1beta1",
        "kind": "PodMetrics",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace", ""),
            "creationTimestamp": now_rfc3339(),
            "labels": dict(meta.get("labels") or {}),
        },
        "timestamp": now_rfc3339(),
        "window": WINDOW,
        "containers": containers,
    }


def all_metrics(store: Store, now: float) -> list[dict[str, Any]]:
    """PodMetrics of every Running pod, then NodeMetrics of every node (base + its pods)."""
    pods, _ = store.list(store.rtype("v1", "Pod"))
    running = [
        p for p in pods if (p.get("status") or {}).get("phase") == "Running" and not _util.is_deleting(p)
    ]
    items = [pod_metrics(p, now) for p in running]
    per_node: dict[str, list[int]] = {}
    for pod in running:
        cpu, memory = pod_usage(pod, now)
        totals = per_node.setdefault((pod.get("spec") or {}).get("nodeName", ""), [0, 0])
        totals[0] += cpu
        totals[1] += memory
    nodes, _ = store.list(store.rtype("v1", "Node"))
    for node in nodes:
        cpu, memory = per_node.get(node["metadata"]["name"], [0, 0])
        items.append(
            {
                "apiVersion": "metrics.k8s.io/v1beta1",
                "kind": "NodeMetrics",
                "metadata": {
                    "name": node["metadata"]["name"],
                    "creationTimestamp": now_rfc3339(),
                    "labels": dict(node["metadata"].get("labels") or {}),
                },
                "timestamp": now_rfc3339(),
                "window": WINDOW,
                "usage": {
                    "cpu": format_cpu(NODE_BASE_CPU_N + cpu),
                    "memory": format_memory(NODE_BASE_MEMORY + memory),
                },
            }
        )
    return items


def provider_for(store: Store, clock: Callable[[], float] = time.time) -> Callable[[], list[dict[str, Any]]]:
    """The `metrics_provider` callable the server uses."""

    def provide() -> list[dict[str, Any]]:
        return all_metrics(store, clock())

    return provide
