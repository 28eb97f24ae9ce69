"""categorize.py: loading rule files and deciding categories (pure functions, text in, value out)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.triage import categorize

HEADER = textwrap.dedent(
    """\
    default_category = "upstream-regression"

    [[category]]
    id = "platform-issue"
    label = "Platform Issue"

    [[category]]
    id = "config-gap"
    label = "Config Gap"

    [[category]]
    id = "upstream-regression"
    label = "Upstream Regression"
    """
)


def write_rules(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "categories.toml"
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shipped() -> categorize.Rules:
    return categorize.load_rules()


def test_shipped_rules_declare_five_rule_categories_and_the_two_the_run_decides(
    shipped: categorize.Rules,
) -> None:
    assert shipped.categories == (
        "upstream-regression",
        "missing-component",
        "upgrade-prerequisite",
        "platform-issue",
        "config-gap",
    )
    assert [cid for cid, _label in shipped.labels][-2:] == ["harness", "unattributed"]
    assert shipped.label("harness") == "Harness Failure"
    assert dict(shipped.colors)["upstream-regression"] == "#c62828"
    assert shipped.default_category == "upstream-regression"
    assert shipped.label("upgrade-prerequisite") == "Upgrade Prerequisite"
    assert shipped.source is not None
    assert shipped.source.name == "categories.toml"


@pytest.mark.parametrize(
    ("message", "scenario", "expected"),
    [
        pytest.param(
            'error: unable to recognize "approval.yaml": no matches for kind "ApprovalTask" in version '
            '"openshift-pipelines.org/v1alpha1"',
            "",
            "missing-component",
            id="missing-crd",
        ),
        pytest.param(
            "Error: Pipeline name simple-copy does not exist in namespace releasetest-upgrade",
            "Verify pipeline after upgrade",
            "upgrade-prerequisite",
            id="upgrade-state",
        ),
        pytest.param(
            "error from newuidmap: newuidmap: write to uid_map failed: Operation not permitted",
            "",
            "platform-issue",
            id="uid-map",
        ),
        pytest.param(
            'MountVolume.SetUp failed for volume "registry-creds" : secret "quay-push" not found',
            "",
            "config-gap",
            id="secret-missing",
        ),
        pytest.param(
            "expected pipelinerun status Succeeded, got Failed",
            "",
            "upstream-regression",
            id="default",
        ),
    ],
)
def test_shipped_rules_file_each_family_into_its_category(
    shipped: categorize.Rules, message: str, scenario: str, expected: str
) -> None:
    assert categorize.categorize(shipped, message=message, scenario=scenario).category == expected


def test_a_component_name_inside_a_panic_is_still_an_upstream_regression(shipped: categorize.Rules) -> None:
    result = categorize.categorize(
        shipped,
        message="tekton-chains-controller: panic: runtime error: invalid memory address "
        "or nil pointer dereference",
    )
    assert (result.category, result.rule) == ("upstream-regression", "controller-panic")


def test_forbidden_for_a_tekton_controller_account_is_a_product_bug_not_a_config_gap(
    shipped: categorize.Rules,
) -> None:
    result = categorize.categorize(
        shipped,
        message='taskruns.tekton.dev is forbidden: User "system:serviceaccount:openshift-pipelines:'
        'tekton-pipelines-controller" cannot patch resource "taskruns"',
    )
    assert result.category == "upstream-regression"


def test_forbidden_for_the_test_service_account_is_a_config_gap(shipped: categorize.Rules) -> None:
    result = categorize.categorize(
        shipped,
        message='services is forbidden: User "system:serviceaccount:releasetest-x:pipeline" cannot create '
        'resource "services"',
    )
    assert (result.category, result.rule) == ("config-gap", "test-rbac-forbidden")


def test_a_skipped_message_is_categorized_without_error(shipped: categorize.Rules) -> None:
    result = categorize.categorize(shipped, message="[SKIPPED] [KNOWN BUG: SRVKP-1234] flaky on ARM")
    assert result.category in shipped.categories


def test_no_matching_rule_gives_the_default_category_and_rule_default(tmp_path: Path) -> None:
    rules = categorize.load_rules(
        write_rules(
            tmp_path,
            """
            [[rule]]
            name = "arch"
            category = "platform-issue"
            message = 'exec format error'
            """,
        )
    )
    result = categorize.categorize(rules, message="assertion failed")
    assert (result.category, result.rule, result.evidence) == ("upstream-regression", "default", "")


def test_the_first_matching_rule_wins(tmp_path: Path) -> None:
    rules = categorize.load_rules(
        write_rules(
            tmp_path,
            """
            [[rule]]
            name = "first"
            category = "config-gap"
            message = 'denied'

            [[rule]]
            name = "second"
            category = "platform-issue"
            message = 'permission denied'
            """,
        )
    )
    assert categorize.categorize(rules, message="permission denied").rule == "first"


def test_a_pattern_matches_anywhere_not_the_whole_message(tmp_path: Path) -> None:
    rules = categorize.load_rules(
        write_rules(
            tmp_path,
            """
            [[rule]]
            name = "arch"
            category = "platform-issue"
            message = 'exec format error'
            """,
        )
    )
    result = categorize.categorize(rules, message="step-build: fork/exec /bin/sh: exec format error (arm64)")
    assert result.category == "platform-issue"


def test_evidence_is_the_matched_text_and_names_its_field(tmp_path: Path) -> None:
    rules = categorize.load_rules(
        write_rules(
            tmp_path,
            """
            [[rule]]
            name = "quota"
            category = "platform-issue"
            trace = 'exceeded quota: \\S+'
            known_issue = "https://example.org/QUOTA-1"
            """,
        )
    )
    result = categorize.categorize(
        rules, message="pod failed", trace="forbidden: exceeded quota: team-quota, x"
    )
    assert (result.evidence, result.field, result.known_issue) == (
        "exceeded quota: team-quota,",
        "trace",
        "https://example.org/QUOTA-1",
    )


def test_long_evidence_is_trimmed(tmp_path: Path) -> None:
    rules = categorize.load_rules(
        write_rules(
            tmp_path,
            """
            [[rule]]
            name = "everything"
            category = "platform-issue"
            message = 'x+'
            """,
        )
    )
    evidence = categorize.categorize(rules, message="x" * 500).evidence
    assert len(evidence) == categorize.EVIDENCE_CHARS
    assert evidence.endswith("…")


def test_all_fields_of_a_rule_must_match(tmp_path: Path) -> None:
    rules = categorize.load_rules(
        write_rules(
            tmp_path,
            """
            [[rule]]
            name = "upgrade-only"
            category = "config-gap"
            message = 'not found'
            spec = 'upgrade'
            """,
        )
    )
    outside = categorize.categorize(rules, message="x not found", spec="specs/pipelines/run.spec")
    inside = categorize.categorize(rules, message="x not found", spec="specs/operator/post-upgrade.spec")
    assert (outside.category, inside.category) == ("upstream-regression", "config-gap")


def test_a_tag_pattern_matches_one_of_the_tags(tmp_path: Path) -> None:
    rules = categorize.load_rules(
        write_rules(
            tmp_path,
            """
            [[rule]]
            name = "arm"
            category = "platform-issue"
            tags = '^arm64$'
            """,
        )
    )
    result = categorize.categorize(rules, message="boom", tags=("e2e", "arm64"))
    assert (result.category, result.field, result.evidence) == ("platform-issue", "tags", "arm64")


def test_a_guard_stops_its_rule_and_lets_later_rules_decide(tmp_path: Path) -> None:
    rules = categorize.load_rules(
        write_rules(
            tmp_path,
            """
            [[rule]]
            name = "secret"
            category = "config-gap"
            message = 'secret .* not found'
            unless = { message = 'multiple volumes' }

            [[rule]]
            name = "volumes"
            category = "platform-issue"
            message = 'volumes'
            """,
        )
    )
    guarded = categorize.categorize(rules, message='secret "a" not found: multiple volumes with same name')
    plain = categorize.categorize(rules, message='secret "a" not found')
    assert (guarded.rule, plain.rule) == ("volumes", "secret")


def test_matching_is_case_insensitive_unless_asked(tmp_path: Path) -> None:
    rules = categorize.load_rules(
        write_rules(
            tmp_path,
            """
            [[rule]]
            name = "strict"
            category = "config-gap"
            message = 'Forbidden'
            case_sensitive = true

            [[rule]]
            name = "loose"
            category = "platform-issue"
            message = 'forbidden'
            """,
        )
    )
    assert categorize.categorize(rules, message="FORBIDDEN").rule == "loose"


def test_marker_name_is_the_kebab_case_category_id() -> None:
    assert categorize.marker_name("Upstream_Regression") == "upstream-regression"


def test_a_bad_regex_names_the_file_the_rule_and_its_line(tmp_path: Path) -> None:
    path = write_rules(
        tmp_path,
        """
        [[rule]]
        name = "broken"
        category = "platform-issue"
        message = 'exec (format error'
        """,
    )
    with pytest.raises(ConfigError) as caught:
        categorize.load_rules(path)
    text = str(caught.value)
    line = path.read_text(encoding="utf-8").splitlines().index('name = "broken"') + 1
    assert f"{path}:{line}:" in text
    assert "rule 'broken'" in text
    assert "bad regular expression" in text
    assert "hint:" in text


def test_an_unknown_field_names_the_file_and_rule(tmp_path: Path) -> None:
    path = write_rules(
        tmp_path,
        """
        [[rule]]
        name = "typo"
        category = "platform-issue"
        mesage = 'x'
        """,
    )
    with pytest.raises(ConfigError, match=r"rule 'typo': unknown field\(s\) mesage") as caught:
        categorize.load_rules(path)
    assert str(path) in str(caught.value)


def test_an_unknown_category_lists_the_declared_ones(tmp_path: Path) -> None:
    path = write_rules(
        tmp_path,
        """
        [[rule]]
        name = "nowhere"
        category = "flaky"
        message = 'x'
        """,
    )
    with pytest.raises(ConfigError, match="unknown category 'flaky'") as caught:
        categorize.load_rules(path)
    assert "platform-issue, config-gap, upstream-regression" in str(caught.value)


def test_an_unknown_guard_field_is_an_error(tmp_path: Path) -> None:
    path = write_rules(
        tmp_path,
        """
        [[rule]]
        name = "g"
        category = "platform-issue"
        message = 'x'
        unless = { mesage = 'y' }
        """,
    )
    with pytest.raises(ConfigError, match="unknown field"):
        categorize.load_rules(path)


def test_a_rule_without_any_pattern_is_an_error(tmp_path: Path) -> None:
    path = write_rules(
        tmp_path,
        """
        [[rule]]
        name = "empty"
        category = "platform-issue"
        """,
    )
    with pytest.raises(ConfigError, match="no field pattern"):
        categorize.load_rules(path)


def test_a_duplicate_rule_name_is_an_error(tmp_path: Path) -> None:
    path = write_rules(
        tmp_path,
        """
        [[rule]]
        name = "twice"
        category = "platform-issue"
        message = 'a'

        [[rule]]
        name = "twice"
        category = "config-gap"
        message = 'b'
        """,
    )
    with pytest.raises(ConfigError, match="duplicate rule name"):
        categorize.load_rules(path)


def test_a_missing_rules_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        categorize.load_rules(tmp_path / "nope.toml")
