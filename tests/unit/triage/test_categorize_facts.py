"""Rules that read more than the message: the failing step and the installed components (issue 18)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.triage import categorize, facts

HEADER = textwrap.dedent(
    """\
    default_category = "upstream-regression"

    [[category]]
    id = "missing-component"

    [[category]]
    id = "config-gap"

    [[category]]
    id = "upstream-regression"
    """
)

RULES = textwrap.dedent(
    """\
    [[rule]]
    name = "absent"
    category = "missing-component"
    component = "absent"

    [[rule]]
    name = "installed-but-no-kind"
    category = "upstream-regression"
    component = "installed"
    message = 'no matches for kind'

    [[rule]]
    name = "login-step"
    category = "config-gap"
    step = '(?i)log ?in'
    message = 'unauthorized'
    """
)

BROKER = 'no matches for kind "Broker" in version "eventing.knative.dev/v1"'


@pytest.fixture
def rules(tmp_path: Path) -> categorize.Rules:
    path = tmp_path / "categories.toml"
    path.write_text(HEADER + RULES, encoding="utf-8")
    return categorize.load_rules(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(BROKER, ("knative-eventing",), id="group-version"),
        pytest.param(
            'eventlisteners.triggers.tekton.dev "el" not found', ("tekton-triggers",), id="resource"
        ),
        pytest.param('tasks.tekton.dev "x" not found', ("tekton-pipelines",), id="core-group-resource"),
        pytest.param(
            'kind "Task" in version "tekton.dev/v1"', ("tekton-pipelines",), id="core-group-version"
        ),
        pytest.param(
            'clustertasks.tekton.dev "buildah" not found',
            ("clustertasks", "tekton-pipelines"),
            id="clustertask-of-the-pipelines-group",
        ),
        pytest.param(
            'deployments.apps "tekton-chains-controller" not found', ("tekton-chains",), id="deploy"
        ),
        pytest.param("the chains signer is not configured", (), id="bare-word-names-nothing"),
        pytest.param("see https://tekton.dev/docs", (), id="website-names-nothing"),
    ],
)
def test_a_message_names_components_by_api_group_resource_or_workload(
    text: str, expected: tuple[str, ...]
) -> None:
    assert tuple(name for name, _ in facts.named_components(text)) == expected


def test_an_absent_component_named_by_the_message_fires_with_the_fact_as_evidence(
    rules: categorize.Rules,
) -> None:
    known = facts.ClusterFacts.from_installed(["!knative-eventing", "tekton-pipelines"])
    result = categorize.categorize(rules, message=BROKER, facts=known)
    assert (result.category, result.rule, result.field) == ("missing-component", "absent", "installed")
    assert result.evidence == "knative-eventing is not installed (named by 'eventing.knative.dev/v1')"


def test_an_unknown_component_never_fires_a_component_rule(rules: categorize.Rules) -> None:
    unknown = categorize.categorize(rules, message=BROKER)
    other = categorize.categorize(
        rules, message=BROKER, facts=facts.ClusterFacts.from_installed(["!knative-serving"])
    )
    assert (unknown.rule, other.rule) == ("default", "default")


def test_installed_needs_every_named_component_known_installed(rules: categorize.Rules) -> None:
    both = facts.ClusterFacts.from_installed(["knative-eventing"])
    result = categorize.categorize(rules, message=BROKER, facts=both)
    assert (result.rule, result.field) == ("installed-but-no-kind", "message")
    assert result.evidence == (
        "no matches for kind (installed: knative-eventing (named by 'eventing.knative.dev/v1'))"
    )


def test_a_step_pattern_matches_the_failing_step_text(rules: categorize.Rules) -> None:
    in_login = categorize.categorize(rules, message="unauthorized", step="Login as user")
    elsewhere = categorize.categorize(rules, message="unauthorized", step="Create pipeline")
    assert (in_login.rule, in_login.field) == ("login-step", "message")
    assert elsewhere.rule == "default"


def test_a_component_guard_stops_a_rule_only_when_the_fact_is_known(tmp_path: Path) -> None:
    path = tmp_path / "categories.toml"
    path.write_text(
        HEADER + "[[rule]]\nname = 'gone'\ncategory = 'missing-component'\n"
        "message = 'deployments.apps \"tekton-chains-controller\" not found'\n"
        "unless = { component = 'installed', message = 'upgrade' }\n",
        encoding="utf-8",
    )
    rules = categorize.load_rules(path)
    assert rules.asks_components, "the guard needs the facts fetched"
    text = 'deployments.apps "tekton-chains-controller" not found'
    running = facts.ClusterFacts.from_installed(["tekton-chains"])
    missing = facts.ClusterFacts.from_installed(["!tekton-chains"])
    assert categorize.categorize(rules, message=text, facts=running).rule == "default"
    assert categorize.categorize(rules, message=text, facts=missing).rule == "gone"
    assert categorize.categorize(rules, message=text).rule == "gone", "an unknown fact never stops it"
    assert categorize.categorize(rules, message=text + " after upgrade").rule == "default"


def test_an_unknown_component_guard_names_the_choices(tmp_path: Path) -> None:
    path = tmp_path / "categories.toml"
    path.write_text(
        HEADER + "[[rule]]\nname = 'x'\ncategory = 'config-gap'\nmessage = 'y'\n"
        "unless = { component = 'gone' }\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="component 'gone' is not a known condition"):
        categorize.load_rules(path)


def test_an_unknown_component_condition_names_the_choices(tmp_path: Path) -> None:
    path = tmp_path / "categories.toml"
    path.write_text(
        HEADER + "[[rule]]\nname = 'x'\ncategory = 'config-gap'\ncomponent = 'missing'\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="component 'missing' is not a known condition"):
        categorize.load_rules(path)


def test_corpus_notation_splits_installed_from_absent() -> None:
    known = facts.ClusterFacts.from_installed(["tekton-pipelines", "!clustertasks"])
    assert (known.installed, known.absent) == (frozenset({"tekton-pipelines"}), frozenset({"clustertasks"}))


def test_components_come_from_the_api_groups_the_cluster_serves() -> None:
    from pytest_streamstress.triage.facts import components_from_groups

    installed, absent = components_from_groups({"", "apps", "tekton.dev", "triggers.tekton.dev"})
    assert {"tekton-pipelines", "tekton-triggers"} <= installed
    assert {"knative-serving", "pipelines-as-code"} <= absent
    assert installed.isdisjoint(absent)


def test_chains_and_results_come_from_the_operator_crs_never_from_discovery() -> None:
    """They install no CRD: on a cluster running chains, discovery alone said "not installed", and a
    failure naming tekton-chains-controller was filed Missing Component."""
    from pytest_streamstress.triage.facts import components_from_groups

    groups = {"", "apps", "tekton.dev", "operator.tekton.dev"}
    installed, absent = components_from_groups(groups)
    assert {"tekton-chains", "tekton-results"}.isdisjoint(installed | absent), "unknown without the CRs"
    installed, absent = components_from_groups(groups, operands=["TektonChain"])
    assert "tekton-chains" in installed
    assert "tekton-results" in absent
    running = facts.ClusterFacts(installed=installed, absent=absent)
    assert (
        facts.component_fact("absent", 'deployments.apps "tekton-chains-controller" not found', running)
        is None
    )
