"""Scenarios run through the gauge stand-in: outcomes, categories, results.json, faults (issue 3).

The stand-in `gauge` (pytest_streamstress.testing.standins) is first on PATH and scripted by an
outcome file (`GAUGE_STANDIN_OUTCOMES`); it prints gauge's console and writes xml-report's
result.xml. Categories come from a small rules file written here, so these tests do not depend on
the tuning of the shipped rules.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_streamstress.report.results_json import load_schema
from pytest_streamstress.testing.release_tests import needs_release_tests, release_tests_dir
from pytest_streamstress.testing.standins import install_standins

REPO = Path(__file__).parents[2]
FIXTURES = release_tests_dir(REPO)
needs_fixtures = needs_release_tests(FIXTURES)

pytestmark = pytest.mark.tools

CATEGORIES = """\
default_category = "upstream-regression"

[[category]]
id = "missing-component"
label = "Missing Component"

[[category]]
id = "upgrade-prerequisite"
label = "Upgrade Prerequisite"

[[category]]
id = "platform-issue"
label = "Platform Issue"

[[category]]
id = "config-gap"
label = "Config Gap"

[[category]]
id = "upstream-regression"
label = "Upstream Regression"

[[rule]]
name = "optional-component"
category = "missing-component"
message = ['manualapprovalgate', 'knative']

[[rule]]
name = "upgrade-setup"
category = "upgrade-prerequisite"
message = 'upgrade.*namespace'

[[rule]]
name = "uid-map"
category = "platform-issue"
message = 'uid_map'

[[rule]]
name = "missing-secret"
category = "config-gap"
message = 'secret \\S+ not found'
known_issue = "https://issues.example.com/SRVKP-1"
"""

ONE_SPEC = """\
# Tiny spec

## First: PIPELINES-90-TC01
Tags: e2e
* Create "a.yaml"

## Second: PIPELINES-90-TC02
Tags: e2e, admin
* Create "b.yaml"
* Verify "b"

## Third: PIPELINES-90-TC03
Tags: e2e
* Verify "c"
"""
FIRST = "specs/one.spec::First: PIPELINES-90-TC01"
SECOND = "specs/one.spec::Second: PIPELINES-90-TC02"
THIRD = "specs/one.spec::Third: PIPELINES-90-TC03"


@pytest.fixture
def gauge_standin(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stand-ins first on PATH, a record file, no outcome file yet; returns the record path."""
    bin_dir = install_standins(pytester.path / "bin")
    monkeypatch.setenv("PATH", os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]))
    record = pytester.path / "gauge-record.jsonl"
    monkeypatch.setenv("GAUGE_STANDIN_RECORD", str(record))
    monkeypatch.delenv("GAUGE_STANDIN_OUTCOMES", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(pytester.path / "no-kubeconfig"))
    monkeypatch.setenv("DOCKER_CONFIG", str(pytester.path / "no-docker"))
    (pytester.path / "categories.toml").write_text(CATEGORIES)
    return record


def outcomes(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = pytester.path / "outcomes.toml"
    path.write_text(textwrap.dedent(text))
    monkeypatch.setenv("GAUGE_STANDIN_OUTCOMES", str(path))


def tiny_project(pytester: pytest.Pytester, spec: str = ONE_SPEC) -> Path:
    root = pytester.path / "rt"
    (root / "specs").mkdir(parents=True)
    (root / "manifest.json").write_text('{"Language": "go", "Plugins": ["html-report", "xml-report"]}')
    (root / "specs" / "one.spec").write_text(spec)
    return root


def run(pytester: pytest.Pytester, project: Path, *args: str, subprocess: bool = False) -> pytest.RunResult:
    argv = (
        "--streamstress",
        f"--release-tests-dir={project}",
        "--skip-build",
        "--skip-deploy",
        f"--categories={pytester.path / 'categories.toml'}",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
        *args,
    )
    if subprocess:
        return pytester.runpytest_subprocess(*argv, timeout=120)
    return pytester.runpytest(*argv)


def results(pytester: pytest.Pytester) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((pytester.path / "results" / "results.json").read_text())
    jsonschema.validate(document, load_schema())
    return document


def by_nodeid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["nodeid"]: s for s in document["scenarios"]}


def recorded_runs(record: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in record.read_text().splitlines() if line.strip()]


# --- the fixture suite ------------------------------------------------------------------------------

SUITE_OUTCOMES = """\
[[scenario]]
match = "PIPELINES-02-TC02"
status = "fail"
message = "manualapprovalgate deployment not found"

[[scenario]]
match = "Test the functionality of hub resolvers"
status = "fail"
message = "upgrade left namespace in a bad state"

[[scenario]]
spec = "cron"
match = "."
status = "fail"
message = "write /proc/self/uid_map: operation not permitted"

[[scenario]]
spec = "versions"
match = "."
status = "fail"
message = "secret gitlab-token not found"

[[scenario]]
spec = "metrics"
match = "."
status = "fail"
message = "expected 3 pipelineruns, got 2"

[[scenario]]
spec = "icon"
match = "."
status = "fail"
message = "[SKIPPED] [KNOWN BUG: SRVKP-4242]"

[[scenario]]
spec = "chains"
match = "."
status = "hook-fail"
"""


def expected_suite_outcomes(nodeids: list[str]) -> dict[str, tuple[str, str | None]]:
    """(status, category) per node id, read from SUITE_OUTCOMES by hand."""
    expected: dict[str, tuple[str, str | None]] = {}
    for nodeid in nodeids:
        if "PIPELINES-02-TC02" in nodeid:
            expected[nodeid] = ("failed", "missing-component")
        elif "Test the functionality of hub resolvers" in nodeid:
            expected[nodeid] = ("failed", "upgrade-prerequisite")
        elif "cron" in nodeid.split("::")[0]:
            expected[nodeid] = ("failed", "platform-issue")
        elif "versions" in nodeid.split("::")[0]:
            expected[nodeid] = ("failed", "config-gap")
        elif "metrics" in nodeid.split("::")[0]:
            expected[nodeid] = ("failed", "upstream-regression")
        elif "icon" in nodeid.split("::")[0] or any(f"PIPELINES-09-TC0{n}" in nodeid for n in (2, 3)):
            expected[nodeid] = ("skipped", None)  # icon: the outcomes; upgrade, uninstall: run/lifecycle.py
        elif "chains" in nodeid.split("::")[0]:
            expected[nodeid] = ("failed", "upstream-regression")
        else:
            expected[nodeid] = ("passed", None)
    return expected


@needs_fixtures
def test_fixture_suite_results_json_has_exactly_the_scripted_outcomes_and_all_five_categories(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, SUITE_OUTCOMES)
    result = run(pytester, FIXTURES)
    document = results(pytester)
    scenarios = by_nodeid(document)
    assert len(scenarios) == 45
    got = {n: (s["status"], s["category"]) for n, s in scenarios.items()}
    assert got == expected_suite_outcomes(list(scenarios))
    assert {c["category"] for c in document["categories"]} == {
        "missing-component",
        "upgrade-prerequisite",
        "platform-issue",
        "config-gap",
        "upstream-regression",
    }
    assert document["status"] == "failed"
    assert document["deploy"]["status"] == "skipped"
    ran = {n: s for n, s in scenarios.items() if not s["message"].startswith("left out: ")}
    assert len(ran) == 43, "the suite's upgrade and uninstall scenarios are left out of a whole-suite run"
    assert {s["source"] for s in ran.values()} == {"junit"}
    skipped = next(s for s in ran.values() if s["status"] == "skipped")
    assert skipped["message"] == "[SKIPPED] [KNOWN BUG: SRVKP-4242]"
    gap = next(s for s in scenarios.values() if s["category"] == "config-gap")
    assert (gap["category_rule"], gap["category_evidence"], gap["known_issue"]) == (
        "missing-secret",
        "secret gitlab-token not found",
        "https://issues.example.com/SRVKP-1",
    )
    counts = document["counts"]
    assert counts["total"] == 45 and counts["skipped"] == sum(
        1 for s in scenarios.values() if s["status"] == "skipped"
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*streamstress summary*", "failures by category: *", "results: *results.json"]
    )


@needs_fixtures
def test_two_xdist_workers_give_the_same_results_and_run_each_spec_once_in_file_order(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, SUITE_OUTCOMES)
    subset = [str(FIXTURES / "specs" / "pipelines"), str(FIXTURES / "specs" / "metrics")]
    run(pytester, FIXTURES, *subset)
    single = results(pytester)
    gauge_standin.unlink()
    run(pytester, FIXTURES, "-n", "2", *subset, subprocess=True)
    parallel = results(pytester)

    def comparable(document: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            (s["nodeid"], s["status"], s["category"], s["failing_step"], s["message"], s["source"])
            for s in document["scenarios"]
        ]

    assert comparable(parallel) == comparable(single)
    assert parallel["counts"] == single["counts"]
    executed = recorded_runs(gauge_standin)
    pids_per_spec: dict[str, set[int]] = {}
    for entry in executed:
        pids_per_spec.setdefault(entry["spec"], set()).add(entry["pid"])
    assert all(len(pids) == 1 for pids in pids_per_spec.values()), pids_per_spec
    for spec, (pid,) in pids_per_spec.items():
        lines = [e["line"] for e in executed if e["pid"] == pid and e["spec"] == spec]
        assert lines == sorted(lines), spec


# --- one small spec ----------------------------------------------------------------------------------


def test_passing_scenarios_pass_with_one_gauge_run_for_the_whole_spec(
    pytester: pytest.Pytester, gauge_standin: Path
) -> None:
    result = run(pytester, tiny_project(pytester))
    result.assert_outcomes(passed=3)
    executed = recorded_runs(gauge_standin)
    assert len({e["pid"] for e in executed}) == 1
    assert [e["line"] for e in executed] == [3, 7, 12]
    assert results(pytester)["status"] == "passed"


def test_failure_view_shows_step_line_message_category_and_log_not_a_traceback(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(
        pytester,
        monkeypatch,
        """\
        [[scenario]]
        match = "TC02"
        step = "Verify"
        message = "secret pac-token not found in namespace x"
        """,
    )
    result = run(pytester, tiny_project(pytester))
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "Scenario: Second: PIPELINES-90-TC02  (specs/one.spec:7)",
            'Failed step: Verify "b"  (specs/one.spec:10)',
            "Gauge message:",
            "    secret pac-token not found in namespace x",
            "Category: Config Gap (rule 'missing-secret', matched message: 'secret pac-token not found')",
            "Known issue: https://issues.example.com/SRVKP-1",
            "Log: *specs__one.log",
            "Last * lines of this scenario's output:",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert "pytest_streamstress" not in result.stdout.str()


def test_full_trace_shows_pytests_default_report(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, '[[scenario]]\nmatch = "TC02"\nmessage = "boom"\n')
    result = run(pytester, tiny_project(pytester), "--full-trace")
    result.assert_outcomes(passed=2, failed=1)
    assert "Failed step:" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*ScenarioFailed: boom*"])


def test_category_travels_as_marker_and_user_properties_into_pytests_junitxml(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, '[[scenario]]\nmatch = "TC02"\nmessage = "knative serving missing"\n')
    run(pytester, tiny_project(pytester), f"--junitxml={pytester.path / 'pytest.xml'}")
    junit = (pytester.path / "pytest.xml").read_text()
    assert '<property name="streamstress_category" value="missing-component"' in junit
    assert '<property name="streamstress_rule" value="optional-component"' in junit


def test_scenario_passing_only_on_retry_is_passed_and_flaky(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, '[[scenario]]\nmatch = "TC01"\nfail_attempts = 1\n')
    result = run(pytester, tiny_project(pytester), "--gauge-retries=2")
    result.assert_outcomes(passed=3)
    first = by_nodeid(results(pytester))[FIRST]
    assert (first["status"], first["flaky"], first["attempts"], first["retries"]) == ("passed", True, 2, 1)
    attempts = [(e["attempt"], e["status"]) for e in recorded_runs(gauge_standin) if "TC01" in e["scenario"]]
    assert attempts == [(1, "fail"), (2, "pass")]
    result.stdout.fnmatch_lines(["flaky, passed after a retry (1):", f"  {FIRST} (2 attempts)"])


@pytest.mark.parametrize("xml", ["missing", "truncated"])
def test_without_readable_xml_outcomes_come_from_stdout(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path, xml: str
) -> None:
    outcomes(
        pytester,
        monkeypatch,
        f"""\
        [run]
        xml = "{xml}"

        [[scenario]]
        match = "TC02"
        step = "Verify"
        message = "expected 1 taskrun"
        """,
    )
    result = run(pytester, tiny_project(pytester))
    result.assert_outcomes(passed=2, failed=1)
    scenarios = by_nodeid(results(pytester))
    assert {s["source"] for s in scenarios.values()} == {"stdout"}
    assert scenarios[SECOND]["failing_step"] == {"text": 'Verify "b"', "line": 10}
    assert scenarios[SECOND]["message"] == "expected 1 taskrun"


def test_before_spec_failure_errors_every_scenario_of_the_spec(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(
        pytester, monkeypatch, '[[spec]]\nmatch = "one.spec"\nbefore_spec_fail = "pruner config not saved"\n'
    )
    result = run(pytester, tiny_project(pytester))
    result.assert_outcomes(errors=3)
    scenarios = by_nodeid(results(pytester))
    assert {s["status"] for s in scenarios.values()} == {"error"}
    assert "pruner config not saved" in scenarios[FIRST]["message"]


def test_crashing_gauge_errors_the_scenarios_it_never_reported(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, "[run]\ncrash_after_scenarios = 2\ncrash_exit = 3\n")
    result = run(pytester, tiny_project(pytester))
    result.assert_outcomes(passed=1, errors=2)
    scenarios = by_nodeid(results(pytester))
    assert scenarios[FIRST]["status"] == "passed"
    # The simple console marks no scenario end: the one printing when gauge died is undecidable.
    assert scenarios[SECOND]["message"].startswith("gauge exited with code 3 in the middle of this scenario")
    assert scenarios[THIRD]["message"].startswith("gauge exited with code 3 without reporting this scenario")
    assert scenarios[THIRD]["source"] == "none"
    assert "Traceback" not in result.stdout.str()


def test_hanging_gauge_is_killed_at_the_timeout_and_unreported_scenarios_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, "[run]\nhang_after_scenarios = 2\n")
    result = run(pytester, tiny_project(pytester), "--gauge-timeout=1")
    result.assert_outcomes(passed=1, errors=2)
    third = by_nodeid(results(pytester))[THIRD]
    assert third["message"].startswith("gauge timed out after 1s (--gauge-timeout); last output:")
    result.stdout.fnmatch_lines(["*gauge timed out after 1s (--gauge-timeout); last output:*"])


def test_fail_on_upstream_regression_lets_a_config_gap_pass_the_session(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, '[[scenario]]\nmatch = "TC02"\nmessage = "secret x not found"\n')
    result = run(pytester, tiny_project(pytester), "--fail-on=upstream-regression")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["verdict: PASSED: 1 failure, none gates the job (--fail-on upstream-regression); exit 0"]
    )
    assert results(pytester)["status"] == "passed"


def test_fail_on_upstream_regression_still_fails_for_an_upstream_regression(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, '[[scenario]]\nmatch = "TC02"\nmessage = "expected 2 got 3"\n')
    result = run(pytester, tiny_project(pytester), "--fail-on=upstream-regression")
    assert result.ret == 1
    assert results(pytester)["status"] == "failed"


def test_unknown_fail_on_category_is_a_usage_error(pytester: pytest.Pytester, gauge_standin: Path) -> None:
    result = run(pytester, tiny_project(pytester), "--fail-on=upstream-regresion")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--fail-on: unknown category 'upstream-regresion'*"])


def test_secret_from_kubeconfig_and_registry_auth_is_masked_in_log_and_results(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    token = "sha256~kubeTokenValue1234567890"
    password = "registryPassw0rd!"
    kubeconfig = pytester.path / "kubeconfig"
    kubeconfig.write_text(
        textwrap.dedent(f"""\
        apiVersion: v1
        kind: Config
        users:
        - name: admin
          user:
            token: {token}
        """)
    )
    docker = pytester.path / "docker"
    docker.mkdir()
    auth = base64.b64encode(f"kubeadmin:{password}".encode()).decode()
    (docker / "config.json").write_text(json.dumps({"auths": {"registry.example.com": {"auth": auth}}}))
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("DOCKER_CONFIG", str(docker))
    outcomes(
        pytester,
        monkeypatch,
        f"""\
        [[scenario]]
        match = "TC02"
        message = "login with token {token} and password {password} was refused"
        runner_output = ["oc login --token={token}"]
        """,
    )
    result = run(pytester, tiny_project(pytester))
    result.assert_outcomes(passed=2, failed=1)
    second = by_nodeid(results(pytester))[SECOND]
    assert second["message"] == "login with token *** and password *** was refused"
    everything = [(pytester.path / "results" / "results.json").read_text(), result.stdout.str()]
    everything += [
        p.read_text(errors="replace") for p in (pytester.path / "results").rglob("*") if p.is_file()
    ]
    assert not [text for text in everything if token in text or password in text]
    log_text = (pytester.path / "results" / "logs" / "specs__one.log").read_text()
    assert "oc login --token=***" in log_text


def test_a_broken_spec_makes_the_run_incomplete_and_the_other_specs_still_run(
    pytester: pytest.Pytester, gauge_standin: Path
) -> None:
    project = tiny_project(pytester)
    (project / "specs" / "broken.spec").write_text("# Broken\n\n## \n* step\n")
    result = run(pytester, project, "--fail-on=none")
    result.assert_outcomes(passed=3, errors=1)
    document = results(pytester)
    broken = by_nodeid(document)["specs/broken.spec::ParseError"]
    assert (broken["status"], broken["category"], broken["category_rule"]) == (
        "error",
        "harness",
        "harness:parse-error",
    )
    assert document["status"] == "incomplete" and result.ret == 1
    result.stdout.fnmatch_lines(
        ["verdict: INCOMPLETE: 1 spec did not parse and did not run (specs/broken.spec:3*"]
    )


def test_a_run_where_nothing_ran_keeps_the_previous_results_json(
    pytester: pytest.Pytester, gauge_standin: Path
) -> None:
    project = tiny_project(pytester)
    run(pytester, project)
    before = (pytester.path / "results" / "results.json").read_text()
    (project / "specs" / "one.spec").write_text("# Broken\n\n## \n* step\n")
    result = run(pytester, project)
    assert (pytester.path / "results" / "results.json").read_text() == before
    kept = list((pytester.path / "results").glob("results-run-*.json"))
    assert len(kept) == 1
    assert json.loads(kept[0].read_text())["status"] == "incomplete"
    result.stdout.fnmatch_lines(
        ["results: *results-run-*.json (no scenario ran: the last run's results.json is kept)"]
    )


def test_ctrl_c_mid_run_writes_results_json_with_status_interrupted(
    pytester: pytest.Pytester, gauge_standin: Path
) -> None:
    project = tiny_project(pytester)
    pytester.makeconftest(
        """
        def pytest_runtest_logreport(report):
            if report.when == "call" and "TC01" in report.nodeid:
                raise KeyboardInterrupt
        """
    )
    result = run(pytester, project, f"--rootdir={pytester.path}", str(project / "specs"), subprocess=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    document = results(pytester)
    assert document["status"] == "interrupted"
    assert [s["nodeid"] for s in document["scenarios"]] == [FIRST]


def test_bad_categories_file_fails_at_start_up_naming_the_file(
    pytester: pytest.Pytester, gauge_standin: Path
) -> None:
    (pytester.path / "categories.toml").write_text(
        CATEGORIES + "\n[[rule]]\nname = 'bad'\ncategory = 'config-gap'\nmessage = '('\n"
    )
    result = run(pytester, tiny_project(pytester))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--categories:*categories.toml*"])


def test_gauge_output_streams_to_the_terminal_with_dash_s(
    pytester: pytest.Pytester, gauge_standin: Path
) -> None:
    result = run(pytester, tiny_project(pytester), "-s")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["[[]gauge specs/one.spec[]]   ## First: PIPELINES-90-TC01"])


def test_gauge_output_stays_in_the_log_without_dash_s_or_dash_v(
    pytester: pytest.Pytester, gauge_standin: Path
) -> None:
    result = run(pytester, tiny_project(pytester))
    assert "## First: PIPELINES-90-TC01" not in result.stdout.str()
    log_text = (pytester.path / "results" / "logs" / "specs__one.log").read_text()
    assert "  ## First: PIPELINES-90-TC01" in log_text


def test_pytest_html_report_gets_a_category_column(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, '[[scenario]]\nmatch = "TC02"\nmessage = "write uid_map failed"\n')
    run(pytester, tiny_project(pytester), f"--html={pytester.path / 'report.html'}")
    page = (pytester.path / "report.html").read_text()
    assert "Category" in page
    assert "Platform Issue" in page


def test_a_failed_build_errors_every_scenario_readably_and_results_say_error(
    pytester: pytest.Pytester, gauge_standin: Path
) -> None:
    """The component builds from a local repository, but no `ko` is on PATH: the build fails once and
    every scenario errors at setup with that one cause (no cluster is needed: --registry, --skip-deploy)."""
    upstream = pytester.path / "pipeline"
    (upstream / "cmd" / "controller").mkdir(parents=True)
    (upstream / "go.mod").write_text("module github.com/tektoncd/pipeline\n\ngo 1.22\n")
    (upstream / "cmd" / "controller" / "main.go").write_text("package main\n")
    identity = ["-c", "user.name=Upstream", "-c", "user.email=dev@upstream.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], [*identity, "commit", "-q", "-m", "first"]):
        subprocess.run(["git", *args], cwd=upstream, check=True, capture_output=True, timeout=60)
    components = pytester.path / "components.toml"
    components.write_text(
        f'[pipeline]\nrepo = "{upstream}"\nbuild = "ko"\ntekton_config_field = "pipeline"\n'
        'installer_sets = [{ created_by = "TektonPipeline" }]\n'
        'images = [{ name = "pipeline-controller", path = "./cmd/controller",'
        ' env_vars = ["IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER"],'
        ' deployment = "tekton-pipelines-controller", container = "tekton-pipelines-controller" }]\n'
    )
    result = pytester.runpytest(
        "--streamstress",
        f"--release-tests-dir={tiny_project(pytester)}",
        f"--components-config={components}",
        "--registry=127.0.0.1:9/tekton-upstream",
        "--skip-deploy",
        "--fail-on=none",
        f"--categories={pytester.path / 'categories.toml'}",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(errors=3)
    assert "Traceback" not in result.stdout.str()
    result.stdout.fnmatch_lines(["verdict: ERROR: build failed*; exit 1", "did not run (3 scenarios):"])
    document = results(pytester)
    assert document["status"] == "error"
    assert [e["phase"] for e in document["errors"]] == ["build"]
    assert not gauge_standin.exists()  # gauge never ran


def test_missing_gauge_binary_errors_every_scenario_as_a_harness_failure_with_an_install_hint(
    pytester: pytest.Pytester, gauge_standin: Path
) -> None:
    missing = pytester.path / "nowhere" / "gauge"
    result = run(pytester, tiny_project(pytester), f"--gauge-binary={missing}", "--fail-on=none")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(["*cannot run 'gauge': not found on PATH*", "*hint: install gauge*"])
    document = results(pytester)
    assert {s["category"] for s in document["scenarios"]} == {"harness"}
    assert {s["category_rule"] for s in document["scenarios"]} == {"harness:not-started"}
    assert [e["phase"] for e in document["errors"]] == ["gauge"]
    assert (document["status"], result.ret) == ("incomplete", 1)


def test_categorize_hook_decides_before_the_rules(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, '[[scenario]]\nmatch = "TC02"\nmessage = "write uid_map failed"\n')
    project = tiny_project(pytester)
    (project / "specs" / "conftest.py").write_text(
        textwrap.dedent("""\
            from pytest_streamstress.model import Categorization

            def pytest_streamstress_categorize(item, message, trace):
                if "uid_map" in message:
                    return Categorization(category="config-gap", rule="team-triage", evidence="uid_map")
                return None
            """)
    )
    run(pytester, project, f"--rootdir={pytester.path}", str(project / "specs"))
    second = by_nodeid(results(pytester))[SECOND]
    assert (second["category"], second["category_rule"]) == ("config-gap", "team-triage")


def test_verbose_run_prints_one_line_per_gauge_run_with_counts_and_log(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    outcomes(pytester, monkeypatch, '[[scenario]]\nmatch = "TC02"\nmessage = "boom"\n')
    result = run(pytester, tiny_project(pytester), "-v")
    result.stdout.fnmatch_lines(["gauge specs/one.spec: 1 failed, 2 passed in *s; log *specs__one.log"])


def test_scenario_skipped_by_a_marker_before_gauge_runs_is_recorded_as_skipped(
    pytester: pytest.Pytester, gauge_standin: Path
) -> None:
    project = tiny_project(pytester)
    (project / "specs" / "conftest.py").write_text(
        textwrap.dedent("""\
            import pytest

            def pytest_collection_modifyitems(items):
                for item in items:
                    if "admin" in item.keywords:
                        item.add_marker(pytest.mark.skip(reason="admin scenarios run in the nightly job"))
            """)
    )
    result = run(pytester, project, f"--rootdir={pytester.path}", str(project / "specs"))
    result.assert_outcomes(passed=2, skipped=1)
    second = by_nodeid(results(pytester))[SECOND]
    assert (second["status"], second["category"]) == ("skipped", None)
    assert results(pytester)["errors"] == []
    assert [e["line"] for e in recorded_runs(gauge_standin)] == [3, 12]  # gauge never ran the skipped one


def test_a_segfaulting_gauge_is_a_harness_failure_never_an_upstream_regression(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_standin: Path
) -> None:
    """gauge's own Go panic quotes 'panic: runtime error', which the controller-panic rule would file
    as upstream; the run is incomplete and fails even under --fail-on none (issue 18 part 1)."""
    outcomes(pytester, monkeypatch, '[run]\ncrash_after_scenarios = 2\ncrash_signal = "SEGV"\n')
    result = run(pytester, tiny_project(pytester), "--fail-on=none", subprocess=True)
    assert result.ret == 1
    result.assert_outcomes(passed=1, errors=2)
    document = results(pytester)
    scenarios = by_nodeid(document)
    assert {scenarios[n]["category"] for n in (SECOND, THIRD)} == {"harness"}
    assert scenarios[THIRD]["category_rule"] == "harness:signal"
    assert "gauge was killed by SIGSEGV (signal 11)" in scenarios[THIRD]["category_evidence"]
    assert (document["status"], document["verdict"]["exit_code"]) == ("incomplete", 1)
    assert document["verdict"]["scored"] is False
    result.stdout.fnmatch_lines(
        [
            "verdict: INCOMPLETE: gauge broke, 2 scenarios never ran or never reported*,"
            " whatever --fail-on says; exit 1"
        ]
    )
    assert "Upstream Regression" not in result.stdout.str()
