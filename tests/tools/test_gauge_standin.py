"""The gauge stand-in executable, run through `_proc.run` like the plugin runs the real gauge.

Expected console and XML text is written by hand from reference gauge.md §4/§5, never taken from a
parser's view of the spec (the stand-in has its own spec reader, independent of the plugin's parser).
"""

from __future__ import annotations

import json
import os
import re
import socket
import textwrap
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.errors import ToolTimedOut
from pytest_streamstress.testing.release_tests import HOW_TO_GET, release_tests_dir
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = pytest.mark.tools

C, Y, G, R, M0 = "\x1b[0;36m", "\x1b[0;33m", "\x1b[0;32m", "\x1b[0;31m", "\x1b[0m"
OK = f"{G} \u2714{M0}"
KO = f"{R} \u2718{M0}"

DEMO_SPEC = """\
PIPELINES-99

# Demo spec

* Validate Operator should be installed

## Create a thing: PIPELINES-99-TC01
Tags: e2e, sanity

* Create "a.yaml"
* Verify it

## Break & check: PIPELINES-99-TC02
Tags: e2e, tls

* Create
  |S.NO|resource_dir|
  |----|------------|
  |1   |x.yaml|
* Verify pipelinerun
"""
# line 7: TC01 heading (span 7..12), line 13: TC02 heading (span 13..20), line 20: `Verify pipelinerun`

FAIL_TC02 = """\
[run]
hook_output = false
duration_s = 1.5
[[scenario]]
match = "TC02"
step = "Verify pipelinerun"
message = "boom\\nsecond line"
trace = "frame1\\n\\tframe2"
"""

Run = Callable[..., _proc.Completed]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "env" / "default").mkdir(parents=True)
    (root / "manifest.json").write_text('{"Language": "go", "Plugins": ["xml-report"]}', encoding="utf-8")
    (root / "env" / "default" / "default.properties").write_text(
        "gauge_reports_dir = reports\noverwrite_reports = true\nlogs_directory = logs\n", encoding="utf-8"
    )
    (root / "specs" / "demo.spec").write_text(DEMO_SPEC, encoding="utf-8")
    return root


@pytest.fixture
def gauge(tmp_path: Path, project: Path) -> Run:
    """Run the stand-in `gauge` from PATH in the project dir; keyword `outcomes` writes the outcome file."""
    bin_dir = install_standins(tmp_path / "bin", ("gauge",))
    base = {k: v for k, v in os.environ.items() if not k.startswith("GAUGE_") and not k.startswith("gauge_")}
    for key in ("TERM", "overwrite_reports", "logs_directory"):
        base.pop(key, None)
    base["PATH"] = path_with(bin_dir, os.environ.get("PATH", ""))

    def run(
        *args: str,
        outcomes: str | None = None,
        cwd: Path | None = None,
        timeout: float = 30,
        env: dict[str, str] | None = None,
    ) -> _proc.Completed:
        full = dict(base)
        if outcomes is not None:
            path = tmp_path / "outcomes.toml"
            path.write_text(outcomes, encoding="utf-8")
            full["GAUGE_STANDIN_OUTCOMES"] = str(path)
        full.update(env or {})
        return _proc.run(["gauge", *args], timeout=timeout, env=full, cwd=cwd or project)

    return run


def test_default_console_writes_ansi_marks_and_the_failure_block_at_scenario_end(
    gauge: Run, project: Path
) -> None:
    done = gauge("run", "specs", outcomes=FAIL_TC02)
    block = (
        "\n        Failed Step: Verify pipelinerun\n        Specification: specs/demo.spec:20\n"
        "        Error Message: boom\n        second line\n"
        "        Stacktrace: \n        frame1\n        \tframe2\n"
    )
    assert done.stdout == (
        f"{C}# Demo spec\n{M0}"
        f"{Y}  ## Create a thing: PIPELINES-99-TC01\t{M0}{OK}{OK}{OK}\n{M0}"
        f"{Y}  ## Break & check: PIPELINES-99-TC02\t{M0}{OK}{OK}{KO}{R}{block}{M0}"
        f"\n{M0}"
        f"Successfully generated xml-report to => {project}/reports/xml-report\n\n"
        "Specifications:\t1 executed\t0 passed\t1 failed\t0 skipped\n"
        "Scenarios:\t2 executed\t1 passed\t1 failed\t0 skipped\n\n"
        "Total time taken: 3s\n"
    )
    assert done.returncode == 1


def test_term_dumb_removes_every_colour_code(gauge: Run) -> None:
    done = gauge("run", "specs", outcomes=FAIL_TC02, env={"TERM": "dumb"})
    assert "\x1b" not in done.stdout
    assert done.stdout.startswith(
        "# Demo spec\n  ## Create a thing: PIPELINES-99-TC01\t \u2714 \u2714 \u2714\n"
    )


def test_verbose_console_prints_each_step_with_pass_or_fail_and_the_inline_table(gauge: Run) -> None:
    done = gauge("run", "--verbose", "specs/demo.spec:13", outcomes=FAIL_TC02)
    step = "      * Validate Operator should be installed\t ...[PASS]\n"
    table = (
        "      * Create \n      \n"
        "         |S.NO|resource_dir|\n"
        "         |----|------------|\n"
        "         |1   |x.yaml      |\t ...[PASS]\n"
    )
    assert done.stdout.startswith(
        f"{C}# Demo spec\n{M0}{Y}  ## Break & check: PIPELINES-99-TC02\t\n{M0}"
        f"{G}{step}{M0}{G}{M0}{G}{table}{M0}{G}{M0}"
        f"{R}      * Verify pipelinerun\t ...[FAIL]\n{M0}{R}{M0}"
        f"{R}        \n        Failed Step: Verify pipelinerun\n"
    )


def test_simple_console_with_verbose_is_plain_text_and_starts_blocks_with_an_indent_only_line(
    gauge: Run,
) -> None:
    done = gauge("run", "--simple-console", "-v", "specs", outcomes=FAIL_TC02)
    assert done.stdout.split("Successfully generated")[0] == textwrap.dedent(
        """\
        # Demo spec
          ## Create a thing: PIPELINES-99-TC01
              * Validate Operator should be installed
              * Create "a.yaml"
              * Verify it
          ## Break & check: PIPELINES-99-TC02
              * Validate Operator should be installed
              * Create
              * Verify pipelinerun
                XX
                Failed Step: Verify pipelinerun
                Specification: specs/demo.spec:20
                Error Message: boom
                second line
                Stacktrace:SP
                frame1
                \tframe2

        """
    ).replace("XX", "").replace("SP", " ")


def test_parallel_prefixes_every_write_with_the_runner_stream(gauge: Run) -> None:
    done = gauge("run", "-p", "-n", "1", "specs/demo.spec:7", outcomes="[run]\nhook_output = false\n")
    assert done.stdout.startswith(
        "[runner:  1] # Demo spec\n[runner:  1]   ## Create a thing: PIPELINES-99-TC01\n[runner:  1] \n"
    )


def test_result_xml_matches_xml_report_byte_format(gauge: Run, project: Path) -> None:
    gauge("run", "specs", outcomes=FAIL_TC02)
    text = (project / "reports" / "xml-report" / "result.xml").read_text(encoding="utf-8")
    stamp = re.search(r'timestamp="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)"', text)
    assert stamp is not None
    message = "Verify pipelinerun&#xA;Step Execution Failure: &#39;boom&#xA;second line&#39;"
    assert text == (
        "<testsuites>\n"
        f'\t<testsuite id="1" tests="2" failures="1" package="{project}/specs/demo.spec" time="3.000"'
        f' timestamp="{stamp.group(1)}" name="Demo spec" errors="0" hostname="{socket.gethostname()}">\n'
        "\t\t<properties></properties>\n"
        '\t\t<testcase classname="Demo spec" name="Create a thing: PIPELINES-99-TC01" time="1.500">'
        "</testcase>\n"
        '\t\t<testcase classname="Demo spec" name="Break &amp; check: PIPELINES-99-TC02" time="1.500">\n'
        f'\t\t\t<failure message="{message}" type="{message}">frame1&#xA;&#x9;frame2</failure>\n'
        "\t\t</testcase>\n"
        "\t\t<system-out></system-out>\n"
        "\t\t<system-err></system-err>\n"
        "\t</testsuite>\n"
        "</testsuites>"
    )


def _testcases(project: Path, sub: str = "xml-report/result.xml") -> list[str]:
    return re.findall(r'<testcase classname="[^"]*" name="([^"]*)"', (project / "reports" / sub).read_text())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("specs/demo.spec:12",), ["Create a thing: PIPELINES-99-TC01"]),
        (
            ("specs/demo.spec:20", "specs/demo.spec:7"),
            ["Create a thing: PIPELINES-99-TC01", "Break &amp; check: PIPELINES-99-TC02"],
        ),
        (
            ("specs/demo.spec:13", "specs/demo.spec"),
            ["Create a thing: PIPELINES-99-TC01", "Break &amp; check: PIPELINES-99-TC02"],
        ),
    ],
    ids=["last-line-of-first-span", "two-lines-one-spec", "whole-file-wins"],
)
def test_spec_line_arguments_select_scenarios_by_span(
    gauge: Run, project: Path, args: tuple[str, ...], expected: list[str]
) -> None:
    done = gauge("run", *args, outcomes="[run]\nhook_output = false\n")
    assert done.returncode == 0
    assert _testcases(project) == expected


def test_tag_expression_filters_scenarios_and_debug_level_says_so(gauge: Run, project: Path) -> None:
    done = gauge(
        "run", "-l", "debug", "--tags", "e2e & !TLS", "specs", outcomes="[run]\nhook_output = false\n"
    )
    assert done.stdout.startswith(
        "Applying tags filter: e2e & !TLS\nThe following specifications satisfy filter criteria:\n"
        "specs/demo.spec\nRun started\n"
    )
    assert _testcases(project) == ["Create a thing: PIPELINES-99-TC01"]


def test_environment_overrides_properties_and_false_overwrite_gives_a_timestamped_dir(
    gauge: Run, tmp_path: Path
) -> None:
    reports = tmp_path / "ci-artifacts"
    done = gauge("run", "specs", env={"gauge_reports_dir": str(reports), "overwrite_reports": "false"})
    dirs = list((reports / "xml-report").iterdir())
    assert len(dirs) == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d\.\d\d\.\d\d", dirs[0].name)
    assert (dirs[0] / "result.xml").is_file()
    assert f"Successfully generated xml-report to => {dirs[0]}\n" in done.stdout


def test_trailing_space_in_overwrite_reports_property_is_not_true(gauge: Run, project: Path) -> None:
    (project / "env" / "default" / "default.properties").write_text(
        "overwrite_reports = true \n", encoding="utf-8"
    )
    gauge("run", "specs")
    assert not (project / "reports" / "xml-report" / "result.xml").exists()
    assert len(list((project / "reports" / "xml-report").iterdir())) == 1


def test_nothing_selected_exits_zero_without_summary_and_leaves_a_stale_xml_alone(
    gauge: Run, project: Path
) -> None:
    stale = project / "reports" / "xml-report" / "result.xml"
    stale.parent.mkdir(parents=True)
    stale.write_text("stale", encoding="utf-8")
    done = gauge("run", "--tags", "nomatch", "specs")
    assert (done.returncode, done.stdout) == (0, "No specifications found in specs.\n")
    assert stale.read_text() == "stale"


def test_parse_error_exits_two_and_the_other_specs_still_run(gauge: Run, project: Path) -> None:
    (project / "specs" / "broken.spec").write_text("# Broken\n\n## No steps here\n", encoding="utf-8")
    done = gauge("run", "specs", outcomes="[run]\nhook_output = false\n")
    assert done.returncode == 2
    assert re.match(rf"\[ParseError\] {re.escape(str(project))}/specs/broken.spec:3 .+", done.stdout)
    text = (project / "reports" / "xml-report" / "result.xml").read_text()
    assert 'message="Parse/Validation Errors"' in text
    assert 'name="Create a thing: PIPELINES-99-TC01"' in text


def test_before_spec_failure_gives_a_suite_with_one_failure_and_no_testcase(
    gauge: Run, project: Path
) -> None:
    outcomes = (
        '[run]\nhook_output = false\n[[spec]]\nmatch = "demo.spec$"\n'
        'before_spec_fail = "pruner config missing"\ntrace = "t1"\n'
    )
    done = gauge("run", "--simple-console", "specs", outcomes=outcomes)
    assert done.stdout.startswith(
        "# Demo spec\n  Error Message: pruner config missing\n  Stacktrace: \n  t1\n\n"
    )
    text = (project / "reports" / "xml-report" / "result.xml").read_text()
    assert 'tests="0" failures="1"' in text
    assert "<testcase" not in text
    assert done.returncode == 1


def test_scenario_hook_failure_prints_an_indent_four_block_and_a_pre_hook_xml_message(
    gauge: Run, project: Path
) -> None:
    outcomes = (
        '[run]\nhook_output = false\n[[scenario]]\nmatch = "TC01"\n'
        'status = "hook-fail"\nmessage = "no sa"\ntrace = "t"\n'
    )
    done = gauge("run", "specs/demo.spec:7", outcomes=outcomes, env={"TERM": "dumb"})
    assert done.stdout.startswith(
        "# Demo spec\n  ## Create a thing: PIPELINES-99-TC01\t\n"
        "    Error Message: no sa\n    Stacktrace: \n    t\n\n"
    )
    assert (
        "Create a thing: PIPELINES-99-TC01&#xA;Scenario Pre Hook Failure: &#39;no sa&#39;"
        in (project / "reports" / "xml-report" / "result.xml").read_text()
    )


def test_before_scenario_hook_prints_oc_new_project_output_for_a_fresh_namespace(gauge: Run) -> None:
    done = gauge("run", "specs/demo.spec:7", env={"TERM": "dumb"})
    assert re.match(
        r"# Demo spec\n  ## Create a thing: PIPELINES-99-TC01\t"
        r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d output: Now using project"
        r' "releasetest-[a-z0-9]{5}" on server "https://api\.ci\.example\.com:6443"\.\n'
        r"You can add applications to this project with the 'new-app' command\. For example, try:\n"
        "( \u2714){3}\n",
        done.stdout,
    )


def test_flaky_scenario_shows_every_attempt_on_the_console_and_only_the_last_in_xml(
    gauge: Run, project: Path, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    outcomes = FAIL_TC02 + "fail_attempts = 1\n"
    done = gauge(
        "run",
        "--max-retries-count=2",
        "--simple-console",
        "specs",
        outcomes=outcomes,
        env={"GAUGE_STANDIN_RECORD": str(record)},
    )
    assert done.stdout.count("  ## Break & check: PIPELINES-99-TC02\n") == 2
    assert done.stdout.count("Failed Step: Verify pipelinerun") == 1
    assert "<failure" not in (project / "reports" / "xml-report" / "result.xml").read_text()
    attempts = [
        (r["scenario"][-4:], r["attempt"], r["status"])
        for r in map(json.loads, record.read_text().splitlines())
    ]
    assert attempts == [("TC01", 1, "pass"), ("TC02", 1, "fail"), ("TC02", 2, "pass")]
    assert done.returncode == 0


def test_retry_only_limits_retries_to_matching_scenarios(gauge: Run) -> None:
    outcomes = FAIL_TC02 + "fail_attempts = 1\n"
    done = gauge("run", "-c", "3", "--retry-only", "sanity", "--simple-console", "specs", outcomes=outcomes)
    assert done.stdout.count("## Break & check") == 1
    assert done.returncode == 1


def test_validation_skip_prints_a_validation_error_and_a_skipped_testcase(gauge: Run, project: Path) -> None:
    outcomes = (
        '[run]\nhook_output = false\n[[scenario]]\nmatch = "TC01"\nstatus = "skip"\nstep = "Verify it"\n'
    )
    done = gauge("run", "--hide-suggestion", "specs", outcomes=outcomes, env={"TERM": "dumb"})
    assert done.stdout.startswith(
        f"[ValidationError] {project}/specs/demo.spec:11 Step implementation not found => 'Verify it'\n"
        "# Demo spec\n"
    )
    text = (project / "reports" / "xml-report" / "result.xml").read_text()
    reason = f"{project}/specs/demo.spec:11 Step implementation not found =&gt; &#39;Verify it&#39;"
    assert f'<skipped message="{reason}"></skipped>' in text
    assert 'skipped="1"' in text and "Validation failed, 1 Scenarios were skipped." in text
    assert "Scenarios:\t1 executed\t1 passed\t0 failed\t1 skipped\n" in done.stdout
    assert done.returncode == 0


def test_crash_stops_without_summary_or_xml(gauge: Run, project: Path) -> None:
    done = gauge("run", "specs", outcomes="[run]\ncrash_after_scenarios = 1\n", env={"TERM": "dumb"})
    assert done.returncode == 1
    assert "## Create a thing" in done.stdout and "Break & check" not in done.stdout
    assert "Specifications:" not in done.stdout
    assert done.stderr.startswith("panic: ")
    assert not (project / "reports").exists()


def test_hang_is_bounded_by_the_callers_timeout_and_the_group_dies(gauge: Run, project: Path) -> None:
    with pytest.raises(ToolTimedOut):
        gauge("run", "specs", outcomes="[run]\nhang_after_scenarios = 1\n", timeout=1.5)
    log = (project / "logs" / "gauge.log").read_text()
    pid = int(re.search(r"Runner process started with pid (\d+)", log).group(1))  # type: ignore[union-attr]
    assert _dies_within(pid, 5.0), f"runner child {pid} survived the process-group kill"


def _dies_within(pid: int, seconds: float) -> bool:
    """Bounded wait (R18) for a non-child pid to be gone or a zombie (its parent was killed first)."""
    try:
        proc = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return True
    gone, _alive = psutil.wait_procs([proc], timeout=seconds)
    try:
        return bool(gone) or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_truncated_xml_is_half_a_document(gauge: Run, project: Path) -> None:
    done = gauge("run", "specs", outcomes='[run]\nxml = "truncated"\n')
    text = (project / "reports" / "xml-report" / "result.xml").read_text()
    assert text.startswith("<testsuites>\n\t<testsuite") and not text.endswith("</testsuites>")
    assert "Successfully generated xml-report" in done.stdout


def test_state_files_record_counts_and_failed_items(gauge: Run, project: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    gauge("run", "specs", outcomes=FAIL_TC02, env={"GAUGE_STANDIN_STATE_DIR": str(state)})
    assert (state / ".gauge" / "executionStatus.json").read_text() == (
        '{"type":"out","specsExecuted":1,"specsPassed":0,"specsFailed":1,"specsSkipped":0,'
        '"sceExecuted":2,"scePassed":1,"sceFailed":1,"sceSkipped":0}'
    )
    assert json.loads((state / ".gauge" / "failures.json").read_text())["FailedItems"] == [
        "specs/demo.spec:13"
    ]
    assert not (project / ".gauge").exists()


@pytest.mark.parametrize(
    ("args", "code", "stream", "start"),
    [
        (
            ("run", "--bogus"),
            1,
            "stderr",
            "Error: unknown flag: --bogus\nUsage:\n  gauge run [flags] [args]\n",
        ),
        (("run", "-c", "x"), 1, "stderr", 'Error: invalid argument "x" for "-c, --max-retries-count" flag'),
        (("run", "nope"), 1, "stdout", "Specs directory nope does not exist."),
        (
            ("run", "-e", "ci", "specs"),
            1,
            "stdout",
            "Error ----------------------------------\n\n[Gauge]\n"
            'Failed to load env. "ci" environment does not exist\n',
        ),
        (
            ("run", "--tags", "a &", "specs"),
            1,
            "stdout",
            "Error ----------------------------------\n\n[Gauge]\nInvalid Expression.\n",
        ),
        (
            ("run", "--retry-only", "x", "specs"),
            1,
            "stdout",
            "Invalid Command. flag --retry-only can be used only with --max-retry-count",
        ),
        (("version",), 0, "stdout", "Gauge version: 1.6.28\nCommit Hash: "),
    ],
    ids=["unknown-flag", "bad-int", "missing-path", "unknown-env", "bad-tags", "retry-only-alone", "version"],
)
def test_command_line_errors_and_version_use_gauges_texts_and_codes(
    gauge: Run, args: tuple[str, ...], code: int, stream: str, start: str
) -> None:
    done = gauge(*args)
    assert done.returncode == code
    assert getattr(done, stream).startswith(start)


def test_version_lists_the_go_and_xml_report_plugins(gauge: Run) -> None:
    lines = gauge("-v").stdout.splitlines()
    assert lines[3:] == ["Plugins", "-------", "go (0.5.2)", "html-report (4.3.1)", "xml-report (0.5.3)"]


def test_fail_safe_exits_zero_despite_failures(gauge: Run) -> None:
    assert gauge("run", "--fail-safe", "specs", outcomes=FAIL_TC02).returncode == 0


def test_missing_project_fails_like_gauge(gauge: Run, tmp_path: Path) -> None:
    done = gauge("run", "specs", cwd=tmp_path)
    assert done.returncode == 1
    assert "Failed to find project directory" in done.stdout


def test_bad_outcome_file_names_the_entry_and_the_fix(gauge: Run) -> None:
    done = gauge("run", "specs", outcomes='[[scenario]]\nmatch = "TC01"\nstatus = "explode"\n')
    assert done.returncode == 1
    assert "[[scenario]] #1: status = 'explode'; use one of pass, fail, skip, hook-fail" in done.stderr


def _fixture_suite() -> Path:
    return release_tests_dir(Path(__file__).resolve().parents[2])


def test_stand_in_runs_the_real_release_tests_specs_from_a_read_only_checkout(
    gauge: Run, tmp_path: Path
) -> None:
    suite = _fixture_suite()
    if not (suite / "manifest.json").is_file():
        pytest.skip(f"{HOW_TO_GET}; looked in {suite}")
    out = tmp_path / "out"
    env = {
        "gauge_reports_dir": str(out / "reports"),
        "logs_directory": str(out / "logs"),
        "GAUGE_STANDIN_STATE_DIR": str(out / "state"),
    }
    done = gauge(
        "run",
        "--simple-console",
        "specs",
        cwd=suite,
        env=env,
        outcomes='[[scenario]]\nmatch = "PIPELINES-02-TC02"\nstep = "Create"\n',
    )
    specs = sorted(suite.rglob("*.spec"))
    headings = sum(1 for p in specs for line in p.read_text().splitlines() if re.match(r"\s*##(?!#)", line))
    text = (out / "reports" / "xml-report" / "result.xml").read_text()
    assert text.count("<testsuite ") == len(specs)
    assert text.count("<testcase ") == headings
    assert text.count("<failure ") == 1
    assert f"Scenarios:\t{headings} executed\t{headings - 1} passed\t1 failed\t0 skipped\n" in done.stdout
    assert (out / "logs" / "gauge.log").is_file() and (out / "state" / ".gauge" / "failures.json").is_file()
    assert done.returncode == 1


DATA_SPEC = """\
# Data driven

|name |id|
|-----|--|
|Alice|1 |
|Bob  |2 |

## Say hello
* Say hello to <name>

## Plain one
* Do plain thing
"""


def test_data_driven_scenario_runs_once_per_row_and_names_testcases_like_xml_report_0_5_3(
    gauge: Run, project: Path
) -> None:
    (project / "specs" / "demo.spec").unlink()
    (project / "specs" / "dd.spec").write_text(DATA_SPEC, encoding="utf-8")
    done = gauge("run", "specs", outcomes="[run]\nhook_output = false\n", env={"TERM": "dumb"})
    assert done.stdout.startswith(
        "# Data driven\n\n   |name |id|\n   |-----|--|\n   |Alice|1 |\n  ## Say hello\t \u2714\n"
        "\n   |name|id|\n   |----|--|\n   |Bob |2 |\n  ## Say hello\t \u2714\n  ## Plain one\t \u2714\n\n"
    )
    assert _testcases(project) == [
        "Say hello 1: [name: Alice] [id: 1]",
        "Say hello 2: [name: Bob] [id: 2]",
        "Plain one",
    ]
    assert "Scenarios:\t3 executed\t3 passed\t0 failed\t0 skipped\n" in done.stdout


def test_failure_inside_a_concept_has_no_line_and_a_concept_xml_prefix(gauge: Run, project: Path) -> None:
    (project / "specs" / "greet.cpt").write_text("# Greet everyone\n* Say hi\n* Say bye\n", encoding="utf-8")
    (project / "specs" / "c.spec").write_text(
        "# Concept spec\n\n## Uses concept\n* Greet everyone\n* Final\n"
    )
    outcomes = (
        '[run]\nhook_output = false\n[[scenario]]\nmatch = "Uses concept"\nstep = "Say bye"\nmessage = "m"\n'
    )
    done = gauge("run", "specs/c.spec", outcomes=outcomes + 'trace = "t"\n', env={"TERM": "dumb"})
    assert done.stdout.startswith(
        "# Concept spec\n  ## Uses concept\t \u2714 \u2718\n        Failed Step: Say bye\n"
        "        Specification: specs/c.spec\n        Error Message: m\n"
    )
    assert (
        'message="Say bye&#xA;Concept Execution Failure: &#39;m&#39;"'
        in (project / "reports" / "xml-report" / "result.xml").read_text()
    )


def test_failed_flag_reruns_only_the_scenarios_recorded_as_failed(gauge: Run, project: Path) -> None:
    gauge("run", "specs", outcomes=FAIL_TC02)
    done = gauge("run", "--failed", outcomes="[run]\nhook_output = false\n")
    assert _testcases(project) == ["Break &amp; check: PIPELINES-99-TC02"]
    assert done.returncode == 0
    assert gauge("run", "--failed").stdout == "No failed tests found.\n"


def test_scenario_flag_selects_by_exact_heading_and_warns_about_unknown_names(
    gauge: Run, project: Path
) -> None:
    done = gauge("run", "--scenario", "Create a thing: PIPELINES-99-TC01", "--scenario", "Nope", "specs")
    assert done.stdout.startswith('Warning: scenario name - "Nope" not found\n')
    assert _testcases(project) == ["Create a thing: PIPELINES-99-TC01"]


def test_read_only_project_is_never_written_and_each_skipped_place_is_warned_on_stderr(
    gauge: Run, project: Path
) -> None:
    before = sorted(p.name for p in project.iterdir())
    project.chmod(0o555)
    try:
        done = gauge("run", "specs", outcomes="[run]\nhook_output = false\n", env={"TERM": "dumb"})
    finally:
        project.chmod(0o755)
    assert sorted(p.name for p in project.iterdir()) == before
    assert done.stderr.count("Warning: cannot write") == 2
    assert "Failed to write xml report: open " in done.stdout
    assert "Scenarios:\t2 executed\t2 passed\t0 failed\t0 skipped\n" in done.stdout
    assert done.returncode == 0
