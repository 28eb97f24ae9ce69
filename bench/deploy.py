"""Benchmark: how fast deploy notices that the cluster is ready, against the original tool's polling.

On the emulator (operator reconciles slowed by `slow_operator_s`), a real deploy of a pipeline build
runs; a store subscription stamps the moment TektonConfig turns Ready, and we measure how long after
that `deploy()` returns (our watch-driven wait). The original tool checked 10 s and 30 s after it
started waiting and then every 30 s (reference §12.3 step 10): its detection latency for the same
Ready moment is the time to its next check, computed from the same stamps. Headline: our latency
as a multiple of the original's, and our latency in seconds (goal: under 0.5 s).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cluster.client import Access, Cluster
from pytest_streamstress.cluster.deploy import DeployParams, deploy
from pytest_streamstress.components import load_catalog
from pytest_streamstress.model import BuildResult, BuildStatus, BuiltImage, ComponentName, ImageRef
from pytest_streamstress.testing.emulator import Emulator

ROUNDS = 3
INTERNAL = "image-registry.openshift-image-registry.svc:5000/tekton-upstream"
ORIGINAL_CHECKS = [10.0, 30.0, *(30.0 + 30.0 * k for k in range(1, 40))]


def _build(emulator: Emulator, round_no: int) -> BuildResult:
    catalog = load_catalog()
    images = []
    for spec in catalog["pipeline"].images[:2]:
        body = json.dumps(
            {"schemaVersion": 2, "annotations": {"image": spec.name, "round": round_no}}
        ).encode()
        digest = emulator.registry.put_manifest(
            f"tekton-upstream/{spec.name}", "latest", body, "application/vnd.oci.image.manifest.v1+json"
        )
        ref = ImageRef(
            f"image-registry.openshift-image-registry.svc:5000/tekton-upstream/{spec.name}@{digest}"
        )
        images.append(BuiltImage(name=spec.name, ref=ref, env_vars=spec.env_vars))
    return BuildResult(
        component=ComponentName("pipeline"), repo="bench", status=BuildStatus.BUILT, images=tuple(images)
    )


def one_round(round_no: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp, Emulator(Path(tmp), state="installed") as emulator:
        emulator.faults.slow_operator_s = 2.0
        ready_at: list[float] = []
        wait_started: list[float] = []

        def on_event(event: Any) -> None:
            if event.rtype.kind != "TektonConfig" or not wait_started:
                return
            conditions = (event.obj.get("status") or {}).get("conditions") or []
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
            if ready and not ready_at:
                ready_at.append(time.monotonic())

        def say(text: str) -> None:
            if text.startswith("deleting") and not wait_started:
                wait_started.append(time.monotonic())

        emulator.store.subscribe(on_event)
        cluster = Cluster.connect(
            Access(kubeconfig=emulator.kubeconfig, request_timeout=30), redactor=Redactor()
        )
        params = DeployParams(olm_timeout=60, deploy_timeout=120, record_dir=Path(tmp) / "results")
        deploy(cluster, [_build(emulator, round_no)], load_catalog(), params, say=say)
        returned = time.monotonic()
        cluster.close()
    ours = returned - ready_at[0]
    since_start = ready_at[0] - wait_started[0]
    original = next(check for check in ORIGINAL_CHECKS if check >= since_start) - since_start
    return ours, original


def main() -> None:
    ours, original = [], []
    for round_no in range(ROUNDS):
        a, b = one_round(round_no)
        ours.append(a)
        original.append(b)
        print(f"round {round_no + 1}: ours {a:.3f} s after Ready; original polling {b:.3f} s after Ready")
    mine, theirs = statistics.median(ours), statistics.median(original)
    print(f"median detection latency: ours {mine:.3f} s (goal <0.5 s), original {theirs:.3f} s")
    print(f"deploy detection latency: {mine / theirs:.3f}x original polling (goal: <0.5 s, is {mine:.3f} s)")


if __name__ == "__main__":
    sys.exit(main())
