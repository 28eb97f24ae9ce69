"""pytest's own `--junitxml` file, finished with the run's final word on every scenario.

pytest writes the file from the reports as they came; the session's last verdicts (unattributed,
`--confirm`) come after that, and gauge measured the real durations. So the file is rewritten
once at session end: each scenario's testcase gets gauge's duration as `time`, and plain
`streamstress_*` properties (category, rule, evidence, known issue, confirmation, flaky) that
match results.json; the record blob we use to carry results between xdist workers is dropped
(it is all in results.json). The testsuite gets the verdict and whether the cluster was emulated.
Written atomically; a file that cannot be parsed is left alone with a warning.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from pytest_streamstress._infra import files
from pytest_streamstress.report.results_json import ScenarioRecord

log = logging.getLogger(__name__)

PREFIX: Final = "streamstress_"


def junit_address(nodeid: str) -> tuple[str, str]:
    """(classname, name) as pytest's junitxml names a node id (`mangle_test_address` in pytest)."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def case_properties(record: ScenarioRecord) -> list[tuple[str, str]]:
    """The plain facts a JUnit reader (Jenkins, GitLab, ReportPortal) shows beside a testcase."""
    properties: list[tuple[str, str]] = []
    category = record.category
    if category is not None:
        properties += [(f"{PREFIX}category", category.category), (f"{PREFIX}rule", category.rule)]
        if category.evidence:
            properties.append((f"{PREFIX}evidence", category.evidence))
        if category.known_issue:
            properties.append((f"{PREFIX}known_issue", category.known_issue))
    if record.confirmation is not None:
        properties.append((f"{PREFIX}confirmation", record.confirmation.verdict))
    if record.flaky:
        properties.append((f"{PREFIX}flaky", "true"))
    return properties


def rewrite(
    path: Path, records: Sequence[ScenarioRecord], *, suite: Mapping[str, str], emulated: bool | None = None
) -> int:
    """Finish the file at `path`; returns how many testcases were updated.

    `emulated` also goes on every testcase: importers that keep testcase properties (ReportPortal,
    Jenkins) drop the testsuite's (issue 20)."""
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError) as exc:
        log.warning("--junitxml %s not finished with the final verdicts: %s", path, exc)
        return 0
    by_address = {junit_address(r.nodeid): r for r in records}
    updated = 0
    for case in tree.iter("testcase"):
        record = by_address.get((case.get("classname", ""), case.get("name", "")))
        if record is None:
            continue
        case.set("time", f"{max(0.0, record.duration_s):.3f}")
        extra = [] if emulated is None else [(f"{PREFIX}emulated", "true" if emulated else "false")]
        _set_properties(case, case_properties(record) + extra)
        updated += 1
    for testsuite in tree.iter("testsuite"):
        _set_properties(testsuite, [(f"{PREFIX}{key}", value) for key, value in suite.items()], first=True)
    ET.indent(tree)
    text = ET.tostring(tree.getroot(), encoding="utf-8", xml_declaration=True)
    files.write_atomically(path, text, mode=0o644)
    return updated


def _set_properties(
    element: ET.Element, properties: Sequence[tuple[str, str]], *, first: bool = False
) -> None:
    node = element.find("properties")
    if node is not None:
        for old in [p for p in node.findall("property") if p.get("name", "").startswith(PREFIX)]:
            node.remove(old)
    if not properties:
        if node is not None and not list(node):
            element.remove(node)
        return
    if node is None:
        node = ET.Element("properties")
        element.insert(0 if first else len(element), node)
    for name, value in properties:
        ET.SubElement(node, "property", {"name": name, "value": value})
