"""The metrics sampler: reads metrics.k8s.io PodMetrics on a fixed interval while scenarios run.

A daemon thread with its own short request timeout, so it never slows the run; it stops cleanly at
session end and on Ctrl-C. No metrics API (404/503), RBAC denied (401/403) or a failing sample is a
single warning and a `status` of unavailable or partial with the reason, never an error of the run.
It also reads node allocatable capacity once and the first sample's usage as the baseline the
cluster uses before our scenarios add to it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pytest_streamstress.errors import ClusterError, Forbidden, NotFound
from pytest_streamstress.profile.stats import (
    Capacity,
    PodUsage,
    Sample,
    parse_cpu,
    parse_memory,
    pods_from_metrics,
)

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)

SamplerStatus = Literal["ok", "partial", "unavailable"]
"""results.json's `profile.status`: every sample read, some failed, or no metrics API to read."""


@dataclass
class SamplerState:
    """What the sampler gathered; read after `stop()`."""

    samples: list[Sample] = field(default_factory=list)
    failed: int = 0
    status: SamplerStatus = "ok"
    reason: str = ""
    capacity: Capacity | None = None


class MetricsSampler:
    """Samples PodMetrics of all namespaces every `interval` seconds in a background thread."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        interval: float,
        warn: Callable[[str], None],
        request_timeout: float | None = None,
    ) -> None:
        self.cluster = cluster
        self.interval = interval
        self.warn = warn
        self.request_timeout = request_timeout or max(1.0, min(interval, cluster.request_timeout))
        self.state = SamplerState()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False

    def start(self) -> MetricsSampler:
        if not self._probe():
            return self
        self._thread = threading.Thread(target=self._loop, daemon=True, name="streamstress-metrics")
        self._thread.start()
        return self

    def stop(self) -> SamplerState:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.request_timeout + 5)
        if self.state.status == "ok" and self.state.failed:
            self.state.status = "partial"
            self.state.reason = f"{self.state.failed} sample(s) failed"
        return self.state

    def _probe(self) -> bool:
        """Is the metrics API there (limit=1 list, as the original did), and what can the nodes hold?"""
        try:
            self._list_metrics(limit=1)
        except (NotFound, Forbidden, ClusterError) as exc:
            self._unavailable(exc)
            return False
        try:
            nodes = self.cluster.call(
                "list nodes", self.cluster.core.list_node, _request_timeout=self.request_timeout
            )
            cpu = sum(
                parse_cpu(n.status.allocatable.get("cpu", "0")) for n in nodes.items if n.status.allocatable
            )
            memory = sum(
                parse_memory(n.status.allocatable.get("memory", "0"))
                for n in nodes.items
                if n.status.allocatable
            )
            first = self._sample()
            self.state.samples.append(first)
            self.state.capacity = Capacity(
                allocatable_cpu_m=cpu,
                allocatable_memory_b=memory,
                baseline_cpu_m=sum(p.cpu_m for p in first.pods),
                baseline_memory_b=sum(p.memory_b for p in first.pods),
            )
        except ClusterError as exc:
            self.warn(f"profile: cannot read node capacity ({exc}); no parallelism recommendation")
        return True

    def _unavailable(self, exc: ClusterError) -> None:
        if isinstance(exc, NotFound) or exc.status in (404, 503):
            reason = "metrics API (metrics.k8s.io) not available on this cluster"
        elif isinstance(exc, Forbidden):
            reason = "not allowed to read metrics.k8s.io pods (RBAC)"
        else:
            reason = f"metrics API failed: {exc.message}"
        self.state.status = "unavailable"
        self.state.reason = reason
        self.warn(f"profile: {reason}; the run goes on without a profile")

    def _list_metrics(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"_request_timeout": self.request_timeout}
        if limit:
            kwargs["limit"] = limit
        result = self.cluster.call(
            "list pod metrics",
            self.cluster.custom.list_cluster_custom_object,
            "metrics.k8s.io",
            "v1beta1",
            "pods",
            **kwargs,
        )
        return list(result.get("items", []))

    def sample_once(self) -> Sample:
        """Take one sample now and keep it (the thread does the same every interval)."""
        sample = self._sample()
        self.state.samples.append(sample)
        return sample

    def _sample(self) -> Sample:
        items = self._list_metrics()
        namespaces = self.cluster.call(
            "list namespaces", self.cluster.core.list_namespace, _request_timeout=self.request_timeout
        )
        created = {
            ns.metadata.name: ns.metadata.creation_timestamp.timestamp()
            for ns in namespaces.items
            if ns.metadata.creation_timestamp is not None
        }
        return Sample(at=time.time(), pods=pods_from_metrics(items), namespaces_created=created)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.state.samples.append(self._sample())
            except (ClusterError, ValueError) as exc:
                self.state.failed += 1
                if not self._warned:
                    self._warned = True
                    self.warn(f"profile: a metrics sample failed ({exc}); the profile will be partial")


def usage_of(samples: list[Sample]) -> list[PodUsage]:
    """Every pod usage seen, flattened (for benchmarks and debugging)."""
    return [pod for sample in samples for pod in sample.pods]
