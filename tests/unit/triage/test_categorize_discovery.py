"""The `api_version` condition: a named API compared with what the cluster's discovery serves."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_streamstress.cluster.discovery import ServedApis
from pytest_streamstress.errors import ClusterError, ConfigError
from pytest_streamstress.triage import categorize
from pytest_streamstress.triage.categorize import NamedApi, api_fact, named_apis, version_order

NO_MATCH = 'no matches for kind "Task" in version "tekton.dev/v1beta1"'

RULES = textwrap.dedent(
    """\
    default_category = "upstream-regression"

    [[category]]
    id = "missing-component"

    [[category]]
    id = "upstream-regression"

    [[rule]]
    name = "withdrawn"
    category = "upstream-regression"
    api_version = "withdrawn"
    message = 'no matches for kind'

    [[rule]]
    name = "too-new"
    category = "missing-component"
    api_version = "not-yet-served"
    message = 'no matches for kind'

    [[rule]]
    name = "anything-else"
    category = "missing-component"
    message = 'no matches for kind'
    """
)


@pytest.fixture
def rules(tmp_path: Path) -> categorize.Rules:
    path = tmp_path / "categories.toml"
    path.write_text(RULES, encoding="utf-8")
    return categorize.load_rules(path)


def test_named_apis_reads_kubectl_and_oc_wordings_once_each() -> None:
    text = (
        f"{NO_MATCH}\n{NO_MATCH}\n"
        "The server doesn't have a resource type "
        '"kind: PipelineResource, apiVersion: tekton.dev/v1alpha1".\n'
        'no matches for kind "Pod" in version "v2"'
    )
    assert named_apis(text) == (
        NamedApi("tekton.dev", "v1beta1", "Task"),
        NamedApi("", "v2", "Pod"),
        NamedApi("tekton.dev", "v1alpha1", "PipelineResource"),
    )
    assert named_apis("pods is forbidden") == ()


def test_versions_order_by_major_then_stability() -> None:
    ordered = ["v1alpha1", "v1alpha2", "v1beta1", "v1", "v2alpha1", "v2beta3", "v2", "v10"]
    assert sorted(reversed(ordered), key=version_order) == ordered


def test_api_fact_names_the_condition_and_what_the_cluster_serves() -> None:
    task = (NamedApi("tekton.dev", "v1beta1", "Task"),)
    assert api_fact(task, frozenset({"tekton.dev/v1/Task"})) == (
        "withdrawn",
        "cluster serves Task at tekton.dev/v1",
    )
    assert api_fact(task, frozenset({"tekton.dev/v1alpha1/Task"})) == (
        "not-yet-served",
        "cluster serves Task at tekton.dev/v1alpha1",
    )
    # Another kind at the newer version says nothing about Task: the group is there, the kind is not.
    assert api_fact(task, frozenset({"tekton.dev/v1/Pipeline"})) == (
        "kind-absent",
        "cluster serves tekton.dev but no Task in it",
    )
    assert api_fact(task, frozenset({"v1/Pod", "triggers.tekton.dev/v1beta1/Task"})) == (
        "group-absent",
        "cluster serves no version of tekton.dev",
    )
    assert api_fact(task, frozenset({"tekton.dev/v1beta1/Task"})) is None
    assert api_fact((NamedApi("", "v2", "Pod"),), frozenset({"v1/Pod", "apps/v1/Pod"})) == (
        "not-yet-served",
        "cluster serves Pod at v1",
    )


def test_an_api_version_rule_fires_only_on_its_condition(rules: categorize.Rules) -> None:
    def decide(served: frozenset[str] | None) -> tuple[str, str]:
        got = categorize.categorize(rules, message=NO_MATCH, served_apis=served)
        return got.rule, got.evidence

    assert decide(frozenset({"tekton.dev/v1/Task"})) == (
        "withdrawn",
        "no matches for kind (cluster serves Task at tekton.dev/v1)",
    )
    assert decide(frozenset({"tekton.dev/v1alpha1/Task"}))[0] == "too-new"
    assert decide(frozenset())[0] == "anything-else"
    assert decide(None) == ("anything-else", "no matches for kind")
    assert rules.asks_discovery


def test_an_unknown_api_version_condition_names_the_file_rule_and_choices(tmp_path: Path) -> None:
    path = tmp_path / "categories.toml"
    path.write_text(RULES.replace('api_version = "withdrawn"', 'api_version = "removed"'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        categorize.load_rules(path)
    text = str(caught.value)
    assert f"{path}:" in text
    assert "rule 'withdrawn': api_version 'removed' is not a known condition" in text
    assert "withdrawn, not-yet-served, kind-absent, group-absent" in text


class FakeCluster:
    """Answers discovery like the client does, logging each request (real HTTP: tests/cluster)."""

    def __init__(self, served: dict[str, dict[str, frozenset[str]]]) -> None:
        self.served = served
        self.calls: list[str] = []
        self.closed = False

    def api_group_versions(self) -> dict[str, tuple[str, ...]]:
        self.calls.append("/apis")
        return {group: tuple(versions) for group, versions in self.served.items()}

    def kinds_at(self, group: str, version: str) -> frozenset[str]:
        self.calls.append(f"/apis/{group}/{version}")
        return self.served[group][version]

    def close(self) -> None:
        self.closed = True


def test_served_apis_asks_each_group_once_and_connects_lazily() -> None:
    cluster = FakeCluster({"tekton.dev": {"v1": frozenset({"Task", "Pipeline"})}})
    connects: list[int] = []

    def connect() -> FakeCluster:
        connects.append(1)
        return cluster

    served = ServedApis(connect)  # type: ignore[arg-type]  # the fake has the two methods used
    assert connects == []
    assert served.facts(iter(["tekton.dev"])) == frozenset({"tekton.dev/v1/Task", "tekton.dev/v1/Pipeline"})
    assert served.facts(["tekton.dev", "serving.knative.dev"]) == frozenset(
        {"tekton.dev/v1/Task", "tekton.dev/v1/Pipeline"}
    )
    # One group list, one resource list per served group/version; the absent group costs nothing more.
    assert cluster.calls == ["/apis", "/apis/tekton.dev/v1"]
    assert connects == [1]
    served.close()
    assert cluster.closed


def test_a_cluster_that_cannot_answer_leaves_facts_unknown_and_is_not_asked_again() -> None:
    attempts: list[int] = []

    def connect() -> FakeCluster:
        attempts.append(1)
        raise ClusterError("no kubeconfig found", hint="pass --kubeconfig PATH")

    served = ServedApis(connect)  # type: ignore[arg-type]
    assert served.facts(["tekton.dev"]) is None
    assert served.facts(["tekton.dev"]) is None
    assert attempts == [1]
    assert served.unavailable.startswith("no kubeconfig found")
