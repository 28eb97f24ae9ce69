"""Benchmark: the metrics sampler's own CPU cost per sample against 500 pods in the emulator.

The emulator serves from other threads of this process, so the sampler's cost is measured as the CPU
time of the sampling thread alone (`time.thread_time`). Headline: that cost as a share of one core at
the default 5 s interval (goal: under 2%).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cluster.client import Access, Cluster
from pytest_streamstress.cluster.metrics import MetricsSampler
from pytest_streamstress.testing.emulator import Emulator

PODS = 500
INTERVAL_S = 5.0
ROUNDS = 15


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Emulator(Path(tmp), state="installed") as emulator:
        store = emulator.store
        store.create(store.rtype("v1", "Namespace"), {"metadata": {"name": "releasetest-bench"}})
        pod_type = store.rtype("v1", "Pod")
        for index in range(PODS):
            store.create(
                pod_type,
                {
                    "metadata": {"name": f"pod-{index}", "namespace": "releasetest-bench"},
                    "spec": {"containers": [{"name": "c", "image": "registry.redhat.io/x:1"}]},
                },
            )
        cluster = Cluster.connect(
            Access(kubeconfig=emulator.kubeconfig, request_timeout=30), redactor=Redactor()
        )
        sampler = MetricsSampler(cluster, interval=INTERVAL_S, warn=print)
        sampler.sample_once()  # warm up connections
        cpu, wall = [], []
        for _ in range(ROUNDS):
            start_cpu, start_wall = time.thread_time(), time.perf_counter()
            sample = sampler.sample_once()
            cpu.append(time.thread_time() - start_cpu)
            wall.append(time.perf_counter() - start_wall)
        cost = statistics.median(cpu)
        print(f"pods in metrics: {len(sample.pods)}")
        print(
            f"sampler CPU per sample: {cost * 1000:.1f} ms (wall {statistics.median(wall) * 1000:.1f} ms,"
            " which includes the emulator serving it)"
        )
        share = cost / INTERVAL_S
        print(f"sampler cost: {share:.4f}x one core at the {INTERVAL_S:g}s interval (goal <0.02x)")
        cluster.close()


if __name__ == "__main__":
    sys.exit(main())
