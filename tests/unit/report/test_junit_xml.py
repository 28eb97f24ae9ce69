"""JUnit is finished with the run's final verdicts: gauge's durations, plain properties, no blob."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from pytest_streamstress.model import Categorization, Confirmation, Status
from pytest_streamstress.report.junit_xml import junit_address, rewrite
from pytest_streamstress.report.results_json import ScenarioRecord

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="1">
<testcase classname="specs.pipelines.run.spec" name="Run it: PIPELINES-03-TC01[2]" time="0.001">
<properties>
<property name="streamstress_category" value="upstream-regression" />
<property name="streamstress_record" value="{&quot;nodeid&quot;: &quot;x&quot;}" />
<property name="team" value="qe" />
</properties>
<failure message="boom">boom</failure>
</testcase></testsuite></testsuites>
"""


def test_the_junit_address_is_pytests_classname_and_name() -> None:
    assert junit_address("specs/pipelines/run.spec::Run it: PIPELINES-03-TC01[2]") == (
        "specs.pipelines.run.spec",
        "Run it: PIPELINES-03-TC01[2]",
    )


def test_rewrite_sets_gauges_duration_the_final_category_and_drops_the_record_blob(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    record = ScenarioRecord(
        nodeid="specs/pipelines/run.spec::Run it: PIPELINES-03-TC01[2]",
        spec="specs/pipelines/run.spec",
        scenario="Run it: PIPELINES-03-TC01",
        line=3,
        tags=(),
        status=Status.FAILED,
        duration_s=41.25,
        category=Categorization(category="unattributed", rule="unattributed", evidence="nothing moved"),
        confirmation=Confirmation(verdict="not-checked", reason="not an upstream regression"),
    )
    assert rewrite(path, [record], suite={"emulated": "true"}) == 1
    root = ET.parse(path).getroot()
    case = root.find(".//testcase")
    assert case is not None and case.get("time") == "41.250"
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties == {
        "team": "qe",
        "streamstress_category": "unattributed",
        "streamstress_rule": "unattributed",
        "streamstress_evidence": "nothing moved",
        "streamstress_confirmation": "not-checked",
    }
    suite_properties = {p.get("name"): p.get("value") for p in root.find("testsuite").iter("property")}  # type: ignore[union-attr]
    assert suite_properties["streamstress_emulated"] == "true"


def test_rewrite_puts_the_emulated_flag_on_every_testcase(tmp_path: Path) -> None:
    """Importers that keep testcase properties (ReportPortal, Jenkins) drop the testsuite's (issue 20)."""
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    record = ScenarioRecord(
        nodeid="specs/pipelines/run.spec::Run it: PIPELINES-03-TC01[2]",
        spec="specs/pipelines/run.spec",
        scenario="Run it: PIPELINES-03-TC01",
        line=3,
        tags=(),
        status=Status.PASSED,
        duration_s=3.5,
    )
    rewrite(path, [record], suite={}, emulated=True)
    case = ET.parse(path).getroot().find(".//testcase")
    assert case is not None
    assert {p.get("name"): p.get("value") for p in case.iter("property")}["streamstress_emulated"] == "true"
