"""Resource profiling: what each scenario costs the cluster, and how many can safely run at once.

Pure: samples and scenario windows in, per-scenario peaks, run statistics and a parallelism
recommendation out. Attribution is by namespace first: release-tests creates one
`releasetest-<random>` namespace per scenario and its runner prints `Now using project "<ns>"`, so the
namespace names in a scenario's own console block tie pods to scenarios exactly, also when xdist runs
several at once. Only when a scenario named no namespace do we fall back to namespaces created
inside its time window that no other scenario claimed.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

NAMESPACE_PATTERN: Final = re.compile(r"\breleasetest-[a-z0-9]{3,}\b")
SAFETY_MARGIN: Final = 0.20
"""Share of the free capacity kept in reserve (the original tool used 80% of what is free)."""

_CPU_FACTORS: Final = {
    "n": Decimal("1e-6"),
    "u": Decimal("1e-3"),
    "m": Decimal(1),
    "": Decimal(1000),
    "k": Decimal(10**6),
}
_MEMORY_FACTORS: Final[dict[str, Decimal]] = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10**3),
    "K": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_QUANTITY: Final = re.compile(r"^([+-]?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")


def parse_cpu(text: str | float) -> float:
    """A Kubernetes CPU quantity in millicores, exactly: `12345678n`, `250u`, `5m`, `1`, `0.5`."""
    number, suffix = _split(text)
    if suffix not in _CPU_FACTORS:
        raise ValueError(f"not a CPU quantity: {text!r}")
    return float(number * _CPU_FACTORS[suffix])


def parse_memory(text: str | float) -> int:
    """A Kubernetes memory quantity in bytes: `123456Ki`, `512Mi`, `1G`, `100k`, plain bytes."""
    number, suffix = _split(text)
    if suffix not in _MEMORY_FACTORS:
        raise ValueError(f"not a memory quantity: {text!r}")
    return int(number * _MEMORY_FACTORS[suffix])


def _split(text: str | float) -> tuple[Decimal, str]:
    match = _QUANTITY.match(str(text).strip())
    if match is None:
        raise ValueError(f"not a quantity: {text!r}")
    try:
        return Decimal(match.group(1)), match.group(2)
    except InvalidOperation:
        raise ValueError(f"not a quantity: {text!r}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class PodUsage:
    namespace: str
    name: str
    cpu_m: float
    memory_b: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    at: float
    pods: tuple[PodUsage, ...]
    namespaces_created: Mapping[str, float] = field(default_factory=dict)
    """namespace -> creation time (epoch) as seen at this sample."""


def pods_from_metrics(items: Iterable[Mapping[str, Any]]) -> tuple[PodUsage, ...]:
    """PodMetrics items (metrics.k8s.io/v1beta1) -> usage per pod, summed over containers."""
    pods: list[PodUsage] = []
    for item in items:
        meta = item.get("metadata", {})
        cpu = memory = 0.0
        for container in item.get("containers", []) or []:
            usage = container.get("usage", {}) or {}
            cpu += parse_cpu(usage.get("cpu", "0"))
            memory += parse_memory(usage.get("memory", "0"))
        pods.append(
            PodUsage(
                namespace=meta.get("namespace", ""),
                name=meta.get("name", ""),
                cpu_m=cpu,
                memory_b=int(memory),
            )
        )
    return tuple(pods)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioWindow:
    nodeid: str
    start: float
    end: float
    namespaces: frozenset[str] = frozenset()
    """Namespaces the scenario named in its own output (`releasetest-...`)."""
    serial: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioProfile:
    nodeid: str
    peak_cpu_m: float
    peak_memory_b: int
    peak_pods: int
    samples: int
    namespaces: tuple[str, ...]
    controllers_peak_cpu_m: float = 0.0
    controllers_peak_memory_b: int = 0
    attribution: str = "namespace"
    """`namespace` (named in the output), `window` (created during the scenario) or `none`."""

    def to_json(self) -> dict[str, Any]:
        return {
            "peak_cpu_m": round(self.peak_cpu_m, 3),
            "peak_memory_b": self.peak_memory_b,
            "peak_pods": self.peak_pods,
            "samples": self.samples,
            "namespaces": list(self.namespaces),
            "controllers_peak_cpu_m": round(self.controllers_peak_cpu_m, 3),
            "controllers_peak_memory_b": self.controllers_peak_memory_b,
            "attribution": self.attribution,
        }


def attribute(
    windows: Sequence[ScenarioWindow], samples: Sequence[Sample], *, target_namespace: str
) -> tuple[ScenarioProfile, ...]:
    """Per-scenario peaks from the samples inside each scenario's window, by namespace."""
    claimed = {ns for window in windows for ns in window.namespaces}
    created: dict[str, float] = {}
    for sample in samples:
        created.update(sample.namespaces_created)
    profiles: list[ScenarioProfile] = []
    for window in windows:
        namespaces = set(window.namespaces)
        how = "namespace"
        if not namespaces:
            namespaces = {
                ns
                for ns, at in created.items()
                if window.start <= at <= window.end and ns not in claimed and NAMESPACE_PATTERN.fullmatch(ns)
            }
            how = "window" if namespaces else "none"
        inside = [s for s in samples if window.start <= s.at <= window.end]
        peak_cpu = peak_memory = peak_pods = 0.0
        ctl_cpu = ctl_memory = 0.0
        for sample in inside:
            mine = [p for p in sample.pods if p.namespace in namespaces]
            peak_cpu = max(peak_cpu, sum(p.cpu_m for p in mine))
            peak_memory = max(peak_memory, sum(p.memory_b for p in mine))
            peak_pods = max(peak_pods, len(mine))
            controllers = [p for p in sample.pods if p.namespace == target_namespace]
            ctl_cpu = max(ctl_cpu, sum(p.cpu_m for p in controllers))
            ctl_memory = max(ctl_memory, sum(p.memory_b for p in controllers))
        profiles.append(
            ScenarioProfile(
                nodeid=window.nodeid,
                peak_cpu_m=peak_cpu,
                peak_memory_b=int(peak_memory),
                peak_pods=int(peak_pods),
                samples=len(inside),
                namespaces=tuple(sorted(namespaces)),
                controllers_peak_cpu_m=ctl_cpu,
                controllers_peak_memory_b=int(ctl_memory),
                attribution=how,
            )
        )
    return tuple(profiles)


def percentile(values: Sequence[float], share: float) -> float:
    """Linear-interpolated percentile (numpy's default method), e.g. share=0.95 for p95."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def describe(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"min": 0.0, "max": 0.0, "mean": 0.0, "p95": 0.0}
    return {
        "min": float(min(values)),
        "max": float(max(values)),
        "mean": float(statistics.fmean(values)),
        "p95": percentile(values, 0.95),
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Capacity:
    allocatable_cpu_m: float
    allocatable_memory_b: int
    baseline_cpu_m: float
    baseline_memory_b: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Recommendation:
    max_parallel: int
    limiting_resource: str
    reasoning: str
    serial_scenarios: int = 0

    def sentence(self) -> str:
        text = (
            f"You can safely run {_plural(self.max_parallel, 'spec')} in parallel on this cluster"
            f" (limited by {self.limiting_resource})"
        )
        if self.serial_scenarios == 1:
            text += "; 1 admin/install/upgrade scenario still runs alone"
        elif self.serial_scenarios:
            text += f"; {self.serial_scenarios} admin/install/upgrade scenarios still run alone"
        return text


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _quantities(cpu_m: float, memory_b: float) -> str:
    mebibytes = memory_b / 2**20
    memory = f"{mebibytes / 1024:.2f}Gi" if mebibytes >= 1024 else f"{mebibytes:.0f}Mi"
    return f"{cpu_m:.0f}m cpu, {memory}"


def summary_lines(profiles: Sequence[ScenarioProfile], *, shown: int = 5) -> list[str]:
    """The terminal's view of a profile: the heaviest scenarios with their peaks, then per spec file
    (one gauge run each, what `--streamstress-parallel` spreads) the heaviest of its scenarios."""
    if not profiles:
        return []
    ordered = sorted(profiles, key=lambda p: (p.peak_memory_b, p.peak_cpu_m), reverse=True)
    used = [p for p in ordered if p.peak_pods]
    lines = [
        f"{len(used)} of {_plural(len(profiles), 'scenario')} ran pods; peaks per scenario, heaviest first:"
    ]
    lines += [
        f"  {_quantities(p.peak_cpu_m, p.peak_memory_b)}, {_plural(p.peak_pods, 'pod')}  {p.nodeid}"
        for p in used[:shown]
    ]
    if len(used) > shown:
        lines.append(f"  ... {len(used) - shown} more")
    specs: dict[str, tuple[float, float]] = {}
    for p in profiles:
        spec = p.nodeid.split("::", 1)[0]
        cpu, memory = specs.get(spec, (0.0, 0.0))
        specs[spec] = (max(cpu, p.peak_cpu_m), max(memory, float(p.peak_memory_b)))
    heaviest = sorted(
        ((spec, peaks) for spec, peaks in specs.items() if any(peaks)),
        key=lambda item: (item[1][1], item[1][0]),
        reverse=True,
    )[:3]
    shown_specs = "; ".join(f"{spec} ({_quantities(*peaks)})" for spec, peaks in heaviest)
    lines.append(f"heaviest specs: {shown_specs or 'none ran pods'}")
    return lines


def recommend(
    capacity: Capacity,
    profiles: Sequence[ScenarioProfile],
    *,
    margin: float = SAFETY_MARGIN,
    serial_scenarios: int = 0,
) -> Recommendation:
    """(allocatable - baseline) x (1 - margin) / p95 per-scenario need, per resource; the smaller wins."""
    free_cpu = max(0.0, capacity.allocatable_cpu_m - capacity.baseline_cpu_m) * (1 - margin)
    free_memory = max(0.0, float(capacity.allocatable_memory_b - capacity.baseline_memory_b)) * (1 - margin)
    need_cpu = percentile([p.peak_cpu_m for p in profiles], 0.95)
    need_memory = percentile([float(p.peak_memory_b) for p in profiles], 0.95)
    by_cpu = math.floor(free_cpu / need_cpu) if need_cpu > 0 else math.inf
    by_memory = math.floor(free_memory / need_memory) if need_memory > 0 else math.inf
    if by_cpu == math.inf and by_memory == math.inf:
        return Recommendation(
            max_parallel=1,
            limiting_resource="no usage measured",
            reasoning="no scenario used measurable resources",
            serial_scenarios=serial_scenarios,
        )
    limiting = "memory" if by_memory <= by_cpu else "cpu"
    count = max(1, int(min(by_cpu, by_memory)))
    reasoning = (
        f"free cpu {free_cpu:.0f}m / p95 {need_cpu:.0f}m = {by_cpu}; free memory {free_memory / 2**20:.0f}Mi"
        f" / p95 {need_memory / 2**20:.0f}Mi = {by_memory}; safety margin {margin:.0%}"
    )
    return Recommendation(
        max_parallel=count, limiting_resource=limiting, reasoning=reasoning, serial_scenarios=serial_scenarios
    )


def profile_section(
    profiles: Sequence[ScenarioProfile],
    capacity: Capacity | None,
    recommendation: Recommendation | None,
    *,
    status: str,
    reason: str = "",
    samples: int = 0,
    failed_samples: int = 0,
) -> dict[str, Any]:
    """The `profile` section of results.json."""
    return {
        "status": status,
        "reason": reason,
        "samples": samples,
        "failed_samples": failed_samples,
        "cpu_m": describe([p.peak_cpu_m for p in profiles]),
        "memory_b": describe([float(p.peak_memory_b) for p in profiles]),
        "pods": describe([float(p.peak_pods) for p in profiles]),
        "capacity": None
        if capacity is None
        else {
            "allocatable_cpu_m": capacity.allocatable_cpu_m,
            "allocatable_memory_b": capacity.allocatable_memory_b,
            "baseline_cpu_m": capacity.baseline_cpu_m,
            "baseline_memory_b": capacity.baseline_memory_b,
        },
        "recommendation": None
        if recommendation is None
        else {
            "max_parallel_specs": recommendation.max_parallel,
            "limiting_resource": recommendation.limiting_resource,
            "safety_margin_percent": round(SAFETY_MARGIN * 100),
            "reasoning": recommendation.reasoning,
            "sentence": recommendation.sentence(),
        },
        "heaviest": [
            {"nodeid": p.nodeid, **p.to_json()}
            for p in sorted(profiles, key=lambda p: (p.peak_memory_b, p.peak_cpu_m), reverse=True)[:10]
        ],
    }
