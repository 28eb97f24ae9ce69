"""The gauge stand-in's hook failures and xml-report versions (issue 21 item 3).

Expected text is written by hand from gauge v1.6.28's reporters (reporter/simpleConsole.go,
coloredConsole.go, verboseColoredConsole.go, execution/stepExecutor.go) and from getgauge/xml-report
builder/xmlReportBuilder.go at v0.5.3 and v1.0.1 (docs/standins.md cites the lines).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = pytest.mark.tools

Run = Callable[..., _proc.Completed]

DATA_SPEC = """\
# Data driven

|name |id|
|-----|--|
|Alice|1 |
|Bob  |2 |

## Say hello
* Say hello to <name>

## Own table
|size|
|----|
|S   |
|M   |
* Order <size>
"""

CONCEPT = "# Greet everyone\n* Say hi\n* Say bye\n"
CONCEPT_SPEC = "# Concept spec\n\n## Uses concept\n* Greet everyone\n* Final\n"
QUIET = "[run]\nhook_output = false\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "env" / "default").mkdir(parents=True)
    (root / "manifest.json").write_text('{"Language": "go", "Plugins": ["xml-report"]}', encoding="utf-8")
    (root / "env" / "default" / "default.properties").write_text(
        "gauge_reports_dir = reports\noverwrite_reports = true\nlogs_directory = logs\n", encoding="utf-8"
    )
    (root / "specs" / "greet.cpt").write_text(CONCEPT, encoding="utf-8")
    (root / "specs" / "c.spec").write_text(CONCEPT_SPEC, encoding="utf-8")
    return root


@pytest.fixture
def gauge(tmp_path: Path, project: Path) -> Run:
    bin_dir = install_standins(tmp_path / "bin", ("gauge",))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GAUGE_", "gauge_"))}
    for key in ("TERM", "overwrite_reports", "logs_directory"):
        base.pop(key, None)
    base["PATH"] = path_with(bin_dir, os.environ.get("PATH", ""))
    base["TERM"] = "dumb"

    def run(*args: str, outcomes: str = QUIET, env: dict[str, str] | None = None) -> _proc.Completed:
        path = tmp_path / "outcomes.toml"
        path.write_text(outcomes, encoding="utf-8")
        full = {**base, "GAUGE_STANDIN_OUTCOMES": str(path), **(env or {})}
        return _proc.run(["gauge", *args], timeout=30, env=full, cwd=project)

    return run


def xml(project: Path) -> str:
    return (project / "reports" / "xml-report" / "result.xml").read_text(encoding="utf-8")


def case_names(project: Path) -> list[str]:
    return re.findall(r'<testcase classname="[^"]*" name="([^"]*)"', xml(project))


@pytest.mark.parametrize(
    ("plugins", "names"),
    [
        (
            "xml-report:0.5.3",
            [
                "Say hello 1: [name: Alice] [id: 1]",
                "Say hello 2: [name: Bob] [id: 2]",
                "Own table 1: [size: S]",
                "Own table 1: [size: M]",
            ],
        ),
        (
            "xml-report:1.0.1",
            [
                "Say hello | SpecRow: 1: [name: Alice] [id: 1]",
                "Say hello | SpecRow: 2: [name: Bob] [id: 2]",
                "Own table | ScnRow: 1: [size: S]",
                "Own table | ScnRow: 2: [size: M]",
            ],
        ),
        ("xml-report:0.5.4", ["Say hello | SpecRow: 1: [name: Alice] [id: 1]"]),
        ("xml-report:0.5.2", ["Say hello 1", "Say hello 2", "Own table 1", "Own table 1"]),
    ],
    ids=["0.5.3", "1.0.1", "0.5.4", "0.5.2"],
)
def test_data_rows_are_named_as_the_installed_xml_report_version_names_them(
    gauge: Run, project: Path, plugins: str, names: list[str]
) -> None:
    (project / "specs" / "dd.spec").write_text(DATA_SPEC, encoding="utf-8")
    gauge("run", "specs/dd.spec", env={"GAUGE_STANDIN_PLUGINS": f"go:0.5.2,{plugins}"})
    assert case_names(project)[: len(names)] == names


def test_before_step_hook_failure_inside_a_concept_is_a_concept_pre_hook_failure(
    gauge: Run, project: Path
) -> None:
    outcomes = QUIET + '[[scenario]]\nmatch = "Uses concept"\nstatus = "hook-fail"\nhook = "before-step"\n'
    done = gauge(
        "run", "--simple-console", "--verbose", "specs/c.spec",
        outcomes=outcomes + 'step = "Say bye"\nmessage = "db down"\ntrace = "t1"\n',
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout.startswith(
        "# Concept spec\n  ## Uses concept\n      * Greet everyone\n          * Say hi\n          * Say bye\n"
        "            Error Message: db down\n            Stacktrace: \n            t1\n\n"
    )  # no `Failed Step:` block and no `* Final`: the step never ran, the scenario stopped
    assert 'message="Say bye&#xA;Concept Pre Hook Failure: &#39;db down&#39;"' in xml(project)


def test_after_step_hook_failure_follows_a_passing_step(gauge: Run, project: Path) -> None:
    outcomes = QUIET + '[[scenario]]\nmatch = "Uses concept"\nstatus = "hook-fail"\nhook = "after-step"\n'
    done = gauge("run", "--verbose", "specs/c.spec", outcomes=outcomes + 'step = "Final"\nmessage = "leak"\n')
    assert "      * Final\n        Error Message: leak\n" in done.stdout  # no ...[PASS] verdict
    assert "...[FAIL]" not in done.stdout
    assert 'message="Final&#xA;Step Post Hook Failure: &#39;leak&#39;"' in xml(project)


def test_after_scenario_hook_failure_is_a_scenario_post_hook_failure(gauge: Run, project: Path) -> None:
    outcomes = QUIET + '[[scenario]]\nmatch = "Uses concept"\nstatus = "hook-fail"\nhook = "after-scenario"\n'
    done = gauge("run", "specs/c.spec", outcomes=outcomes + 'message = "cleanup failed"\n')
    assert done.stdout.startswith(
        "# Concept spec\n  ## Uses concept\t \u2714 \u2714 \u2714\n\n    Error Message: cleanup failed\n"
    )
    assert 'message="Uses concept&#xA;Scenario Post Hook Failure: &#39;cleanup failed&#39;"' in xml(project)
    assert "Scenarios:\t1 executed\t0 passed\t1 failed\t0 skipped\n" in done.stdout


def test_after_spec_hook_failure_counts_in_the_suite_failures_and_fails_the_run(
    gauge: Run, project: Path
) -> None:
    outcomes = QUIET + '[[spec]]\nmatch = "c\\\\.spec$"\nafter_spec_fail = "restore failed"\ntrace = "t"\n'
    done = gauge("run", "--simple-console", "specs/c.spec", outcomes=outcomes)
    assert done.stdout.startswith(
        "# Concept spec\n  ## Uses concept\n  Error Message: restore failed\n  Stacktrace: \n  t\n\n"
    )
    assert 'tests="1" failures="1"' in xml(project)
    assert case_names(project) == ["Uses concept"]
    assert "<failure" not in xml(project)  # the scenario passed; only the spec's hook failed
    assert "Specifications:\t1 executed\t0 passed\t1 failed\t0 skipped\n" in done.stdout
    assert done.returncode == 1


def test_hook_key_needs_a_hook_fail_status(gauge: Run) -> None:
    done = gauge("run", "specs/c.spec", outcomes='[[scenario]]\nmatch = "."\nhook = "after-step"\n')
    assert done.returncode == 1
    assert "hook = 'after-step' needs status = 'hook-fail'" in done.stderr
