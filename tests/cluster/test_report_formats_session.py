"""The README's emulated run in every format a team imports (issue 20 items 7 and 8).

One session for the module: the README's first command with `--junitxml`, pytest-html's `--html`,
`--allure-results=allure-results` and allure-pytest's own `--alluredir=alluredir` (both Allure plugins
installed: the options must not clash and each writes its own folder). JUnit and pytest-html carry
gauge's durations, the category and the emulated flag; the Allure 3 CLI (npm `allure`, installed by
.ci/run into tools/allure/node_modules) generates a report of our folder with our categories.json as
its categories; that test skips, saying why, on a machine without node or the CLI.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Final

import pytest

pytestmark = pytest.mark.emulator

ROOT: Final = Path(__file__).resolve().parents[2]
ALLURE_CLI: Final = Path(
    os.environ.get("STREAMSTRESS_ALLURE_CLI", ROOT / "tools/allure/node_modules/allure/cli.js")
)
TIMEOUT_S: Final = 300
FAILING: Final = ("failed", "error")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("allure_pytest", reason="allure-pytest is not installed (pip install -e '.[test]')")
    folder = tmp_path_factory.mktemp("allure-session")
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "--streamstress",
        "--cluster",
        "emulated",
        "--components",
        "pipeline",
        "--fail-on",
        "none",
        "-p",
        "no:cacheprovider",
        "--allure-results=allure-results",
        "--alluredir=alluredir",
        "--junitxml=junit.xml",
        "--html=report.html",
        "--self-contained-html",
    ]
    done = subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"allure results: 7 scenarios in {folder / 'allure-results'}" in done.stdout
    return folder


def results_of(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*-result.json"))]


def test_our_folder_and_allure_pytests_are_written_side_by_side(session: Path) -> None:
    ours = results_of(session / "allure-results")
    document = json.loads((session / "results" / "results.json").read_text())
    assert sorted(r["historyId"] for r in ours) == sorted(s["id"] for s in document["scenarios"])
    assert len(results_of(session / "alluredir")) == len(document["scenarios"])  # allure-pytest's own
    assert {p.name for p in (session / "allure-results").iterdir()} >= {
        "categories.json",
        "executor.json",
        "environment.properties",
    }


def test_each_result_says_what_results_json_says(session: Path) -> None:
    document = json.loads((session / "results" / "results.json").read_text())
    by_id = {r["historyId"]: r for r in results_of(session / "allure-results")}
    for scenario in document["scenarios"]:
        result = by_id[scenario["id"]]
        labels = {label["name"]: label["value"] for label in result["labels"]}
        assert (result["stop"] - result["start"]) == round(scenario["duration_s"] * 1000)
        assert labels["emulated"] == "true"
        if scenario["status"] in FAILING:
            assert labels["category"] == scenario["category"]
            assert result["statusDetails"]["message"] == scenario["message"]
            assert scenario["failing_step"]["text"] in [
                s["name"] for s in result["steps"] if s["status"] == "failed"
            ]
        else:
            assert {s["status"] for s in result["steps"]} == {"passed"}


def test_allure_3_builds_a_report_of_the_run_with_our_categories(session: Path, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Allure 3 CLI is a Node program (apt-get install nodejs npm)")
    if not ALLURE_CLI.is_file():
        pytest.skip(
            f"the Allure 3 CLI is not at {ALLURE_CLI}: run `npm ci --prefix tools/allure` (.ci/run does)"
        )
    categories = json.loads((session / "allure-results" / "categories.json").read_text())
    config = tmp_path / "allurerc.json"
    config.write_text(
        json.dumps({"name": "streamstress", "output": str(tmp_path / "report"), "categories": categories})
    )
    env = {**os.environ, "NO_COLOR": "1", "CI": ""}
    generated = subprocess.run(
        [node, str(ALLURE_CLI), "generate", str(session / "allure-results"), "--config", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=env,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout[-2000:] + generated.stderr[-2000:]
    report = tmp_path / "report"
    tests = [json.loads(p.read_text()) for p in (report / "data" / "test-results").glob("*.json")]
    document = json.loads((session / "results" / "results.json").read_text())
    assert sorted(t["testCase"]["externalId"] for t in tests) == sorted(
        s["id"] for s in document["scenarios"]
    )
    failing = {s["id"]: s for s in document["scenarios"] if s["status"] in FAILING}
    for test in tests:
        scenario = failing.get(test["testCase"]["externalId"])
        if scenario is not None:
            label = next(
                c["label"] for c in document["category_labels"] if c["category"] == scenario["category"]
            )
            assert [c["name"] for c in test["categories"]] == [label]
            assert test["steps"], "the steps from the spec are in the report"
    summary = json.loads((report / "summary.json").read_text())
    assert summary["stats"] == {"total": 7, "failed": 4, "passed": 3}


def document_of(session: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((session / "results" / "results.json").read_text())
    return data


def test_junit_carries_gauges_durations_and_plain_properties_not_a_blob(session: Path) -> None:
    scenarios = {s["scenario"]: s for s in document_of(session)["scenarios"]}
    cases = list(ET.parse(session / "junit.xml").getroot().iter("testcase"))
    assert len(cases) == len(scenarios)
    for case in cases:
        scenario = scenarios[case.get("name", "")]
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert float(case.get("time", "0")) == pytest.approx(scenario["duration_s"], abs=0.001)
        assert properties["streamstress_emulated"] == "true"
        assert "streamstress_record" not in properties
        assert properties.get("streamstress_category") == scenario["category"]


def pytest_html_rows(session: Path) -> dict[str, list[str]]:
    """The cells of each test's call row, from the report's embedded data (what its script renders)."""
    page = (session / "report.html").read_text()
    blob = re.search(r'data-jsonblob="([^"]*)"', page)
    assert blob is not None
    tests = json.loads(html.unescape(blob.group(1)))["tests"]
    return {nodeid: runs[-1]["resultsTableRow"] for nodeid, runs in tests.items()}


def test_pytest_html_shows_gauges_durations_the_category_and_the_final_word(session: Path) -> None:
    rows = pytest_html_rows(session)
    document = document_of(session)
    slow = max(document["scenarios"], key=lambda s: s["duration_s"])
    cells = rows[slow["nodeid"]]
    seconds = int(slow["duration_s"])
    assert f'<td class="col-duration">00:00:{seconds:02d}</td>' in cells
    label = next(c["label"] for c in document["category_labels"] if c["category"] == slow["category"])
    assert f'<td class="col-category">{label}</td>' in cells
    page = (session / "report.html").read_text()
    assert "Emulated run:" in html.unescape(page)
    assert html.escape(document["verdict"]["sentence"], quote=True) in page
