"""The Job's ClusterRole is what setup, deploy and metrics really request: no more, no less (issue 8).

Every request the official client sends while auto-setup prepares a bare emulated cluster, a
pipeline build is deployed and pod metrics are sampled is recorded at the client's HTTP layer
(the `kubernetes` package, not our code) and checked against `RUNNER_RULES` with the RBAC
matching rules of Kubernetes (group, resource[/subresource], verb, resourceNames).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.deploy import RESTORE_RECORD, DeployParams, deploy
from pytest_streamstress.cluster.job.rbac import RUNNER_RULES, Rule, rbac_objects
from pytest_streamstress.cluster.metrics import MetricsSampler
from pytest_streamstress.cluster.restore import restore
from pytest_streamstress.cluster.setup import SetupParams, ensure
from pytest_streamstress.components import load_catalog
from pytest_streamstress.model import BuildResult, BuildStatus, BuiltImage, ComponentName, ImageRef
from pytest_streamstress.testing.emulator import Emulator

INTERNAL = "image-registry.openshift-image-registry.svc:5000/tekton-upstream"
Request = tuple[str, str, str, str]  # group, resource (with /subresource), verb, name


def attributes(method: str, url: str) -> Request | None:
    """A request as RBAC sees it; None for discovery (allowed to every authenticated user)."""
    parsed = urlparse(url)
    query = parse_qsl(parsed.query)
    parts = [p for p in parsed.path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return None
    if not rest:
        return None
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]
    resource, name = rest[0], rest[1] if len(rest) > 1 else ""
    if len(rest) > 2:
        resource += "/" + rest[2]
    watching = any(k == "watch" and v.lower() in ("true", "1") for k, v in query)
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method.upper())
    if verb is None:
        verb = "get" if name else ("watch" if watching else "list")
    return group, resource, verb, name


def allowed(rules: tuple[Rule, ...], request: Request) -> bool:
    group, resource, verb, name = request
    return any(
        group == rule.group
        and resource in rule.resources
        and verb in rule.verbs
        and (not rule.names or name in rule.names)
        for rule in rules
    )


def recording(cluster: Cluster) -> list[Request]:
    seen: list[Request] = []
    original = cluster.api_client.call_api

    def call_api(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        found = attributes(method, url)
        if found is not None:
            seen.append(found)
        return original(method, url, *args, **kwargs)

    cluster.api_client.call_api = call_api  # observe the library's HTTP layer, not our code
    return seen


def push(emulator: Emulator, name: str) -> ImageRef:
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "annotations": {"image": name},
        }
    ).encode()
    digest = emulator.registry.put_manifest(
        f"tekton-upstream/{name}", "latest", body, "application/vnd.oci.image.manifest.v1+json"
    )
    return ImageRef(f"{INTERNAL}/{name}@{digest}")


@pytest.mark.emulator
def test_runner_role_allows_every_request_of_setup_deploy_restore_and_metrics_and_nothing_unexplained(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emulator = make_emulator(state="bare")
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    seen = recording(cluster)
    ensure(cluster, SetupParams(timeout=30))
    catalog = load_catalog()
    spec = catalog["pipeline"]
    refs = {
        name: push(emulator, name)
        for name in ("pipeline-controller", "pipeline-webhook", "pipeline-entrypoint", "pipeline-nop")
    }
    build = BuildResult(
        component=ComponentName("pipeline"),
        repo=spec.repo,
        status=BuildStatus.BUILT,
        images=tuple(
            BuiltImage(name=i.name, ref=refs[i.name], env_vars=i.env_vars)
            for i in spec.images
            if i.name in refs
        ),
    )
    params = DeployParams(
        strategy="auto", olm_timeout=10.0, deploy_timeout=20.0, record_dir=tmp_path / "results"
    )
    deployed = deploy(cluster, [build], catalog, params)
    from pytest_streamstress.cluster.drift import images_moved

    assert images_moved(cluster, deployed) is None, "after the scenarios: did the operator keep our images?"
    # --restore, and --confirm's rerun on the shipped images (the nightly workflow runs --confirm).
    restore(cluster, tmp_path / "results" / RESTORE_RECORD, catalog, params)
    sampler = MetricsSampler(cluster, interval=1.0, warn=lambda _text: None)
    sampler.sample_once()
    from pytest_streamstress.cluster.lease import LeaseGate

    with LeaseGate(cluster, "openshift-pipelines", "shard-0", poll_s=0.05, timeout_s=30).hold(exclusive=True):
        pass  # a shard's serial gate (issue 23)
    claim = LeaseGate(
        cluster, "openshift-operators", "pod", poll_s=0.05, timeout_s=30, name="streamstress-run"
    )
    with claim.hold(exclusive=True):
        pass  # the session's claim on the cluster (run/claim.py)
    # triage in the pod: discovery, and the operator CRs of the components that install no CRD
    from pytest_streamstress.cluster.discovery import ServedApis
    from pytest_streamstress.triage.facts import OPERAND_OF

    triage = ServedApis(lambda: cluster)
    assert triage.operand_kinds(OPERAND_OF.values()) == {"TektonChain", "TektonResult"}
    assert triage.facts(["tekton.dev"])
    cluster.close()

    denied = sorted({r for r in seen if not allowed(RUNNER_RULES, r)})
    assert denied == [], "requests the runner ClusterRole would forbid"
    used = {
        (rule, resource, verb)
        for rule in RUNNER_RULES
        for resource in rule.resources
        for verb in rule.verbs
        if any(allowed((Rule(rule.group, (resource,), (verb,), rule.names),), r) for r in seen)
    }
    unused = sorted(
        f"{rule.group or 'core'}/{resource}:{verb}"
        for rule in RUNNER_RULES
        for resource in rule.resources
        for verb in rule.verbs
        if (rule, resource, verb) not in used
    )
    # Granted for paths this run does not take; each one is named below with its reason.
    assert set(unused) - set(USED_BY_TIMING) == ALLOWED_UNUSED


USED_BY_TIMING = {
    # --deploy-strategy deployment and auto's fallback when OLM ignores the CSV; and the restore, which
    # patches the Deployment too when OLM has not rolled the CSV revert into it yet (a race with OLM).
    "apps/deployments:update",
}
ALLOWED_UNUSED = {
    "apps/deployments:list",  # re-list when a watch of the operands expires (410)
    "core/events:list",  # the diagnosis of a deploy that does not become ready
    "core/nodes:list",  # the sampler's probe: node capacity
    "operator.tekton.dev/tektonconfigs:create",  # setup, when the operator did not create `config` itself
    "operator.tekton.dev/tektonconfigs:list",  # re-list of the TektonConfig watch
    "operators.coreos.com/clusterserviceversions:list",  # CSV lookup without a Subscription status
    "rbac.authorization.k8s.io/clusterroles:bind",  # RBAC's escalation check; the emulator does not model it
    "route.openshift.io/routes:list",  # re-list of the route watch
}


def test_the_runner_is_not_bound_to_cluster_admin_unless_asked() -> None:
    kinds = [(kind, body) for kind, body in rbac_objects("openshift-pipelines")]
    bindings = [body["roleRef"]["name"] for kind, body in kinds if kind == "ClusterRoleBinding"]
    assert bindings == ["streamstress-runner"]
    admin = [
        body["roleRef"]["name"]
        for kind, body in rbac_objects("openshift-pipelines", cluster_admin=True)
        if kind == "ClusterRoleBinding"
    ]
    assert admin == ["streamstress-runner", "cluster-admin"]


def test_a_request_outside_the_rules_is_denied_by_the_matcher() -> None:
    assert not allowed(RUNNER_RULES, ("", "secrets", "get", "x"))
    assert not allowed(RUNNER_RULES, ("rbac.authorization.k8s.io", "clusterroles", "bind", "cluster-admin"))
    assert allowed(RUNNER_RULES, ("rbac.authorization.k8s.io", "clusterroles", "bind", "system:image-puller"))
