"""The xml-report plugin as the stand-in writes it: result.xml byte for byte (reference gauge.md §5).

Owns the document text (Go `encoding/xml` MarshalIndent with tabs: no declaration, no trailing newline,
start+end tags for empty elements, Go escaping) and where it goes (`gauge_reports_dir`, `overwrite_reports`).
The plugin's version (`$GAUGE_STANDIN_PLUGINS`, default 0.5.3) picks how data-table rows are named:
0.5.2 and older ` N`, 0.5.3 ` N: [col: val] …`, 0.5.4 to 1.0.1 ` | SpecRow: N: …` / ` ScnRow: M: …`
(getgauge/xml-report builder/xmlReportBuilder.go at each tag; docs/standins.md cites the lines).
It must not decide outcomes or print console text other than returning the plugin's message.
"""

from __future__ import annotations

import logging
import random
import socket
import time
from pathlib import Path
from typing import Final, Literal

from pytest_streamstress.testing.standins.gauge_model import Row, ScenarioResult, SpecResult

log = logging.getLogger(__name__)

_ESCAPES: Final = {
    '"': "&#34;",
    "'": "&#39;",
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\t": "&#x9;",
    "\n": "&#xA;",
    "\r": "&#xD;",
}


def _legal(code: int) -> bool:
    return (
        code in (0x09, 0x0A, 0x0D)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def go_escape(text: str) -> str:
    """Go's xml.EscapeText: entities as numeric/named refs, \\t \\n \\r as char refs, illegal: U+FFFD."""
    out: list[str] = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif not _legal(ord(ch)):
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


Naming = Literal["0.5.2", "0.5.3", "0.5.4"]
"""Data-row naming by plugin version: up to 0.5.2, 0.5.3, and 0.5.4 to 1.0.1 (same code)."""


def naming_for(version: str) -> Naming:
    """The naming of an xml-report version such as `0.5.3` or `1.0.1` (unreadable: 0.5.3, RT's pin)."""
    try:
        parts = tuple(int(p) for p in version.split(".")[:3])
    except ValueError:
        return "0.5.3"
    if parts >= (0, 5, 4):
        return "0.5.4"
    return "0.5.3" if parts >= (0, 5, 3) else "0.5.2"


def _cells(row: Row) -> str:
    return " ".join(f"[{h}: {c}]" for h, c in zip(row.headers, row.cells, strict=False))


def testcase_name(result: ScenarioResult, naming: Naming = "0.5.3") -> str:
    """The heading, plus the data row as the plugin version writes it (v0.5.2:197-203, v0.5.3:195-212,
    v1.0.1:195-215). 0.5.3 numbers a scenario-table row by the spec table's row (none here: 1) and
    reads the cells from its one-row table at that index."""
    row = result.row
    if row is None:
        return result.heading
    if naming == "0.5.4":
        marker = "SpecRow" if row.table == "spec" else "ScnRow"
        return f"{result.heading} | {marker}: {row.index}: {_cells(row)}"
    number = row.index if row.table == "spec" else 1
    if naming == "0.5.2":
        return f"{result.heading} {number}"
    return f"{result.heading} {number}: {_cells(row)}"


_HOOK_WORD: Final = {"pre": "Pre Hook", "post": "Post Hook", "": "Execution"}


def _failure(result: ScenarioResult, name: str) -> tuple[str, str] | None:
    """(message, body) of the one `<failure>` of a failed scenario (xmlReportBuilder.go v1.0.1:278-327):
    a scenario hook (pre, then post) alone, else the failed context and scenario steps, each
    `<step>\\n<Step|Concept> <Pre Hook|Post Hook|Execution> Failure: '<msg>'`; teardown not read."""
    if result.status != "fail":
        return None
    for hook, word in ((result.hook_failure, "Pre"), (result.post_hook_failure, "Post")):
        if hook is not None:
            return (f"{name}\nScenario {word} Hook Failure: '{hook.message}'", hook.trace)
    failure = result.failure
    if failure is None or failure.kind == "teardown":
        return ("Multiple failures", "")
    kind = ("Concept " if failure.in_concept else "Step ") + _HOOK_WORD[failure.hook]
    return (f"{failure.text}\n{kind} Failure: '{failure.message}'", failure.trace)


def _testcase(classname: str, result: ScenarioResult, naming: Naming) -> str:
    name = testcase_name(result, naming)
    head = (
        f'\t\t<testcase classname="{go_escape(classname)}" name="{go_escape(name)}"'
        f' time="{result.duration_s:.3f}">'
    )
    failure = _failure(result, name)
    if failure is not None:
        message = go_escape(failure[0])
        child = f'\t\t\t<failure message="{message}" type="{message}">{go_escape(failure[1])}</failure>'
    elif result.status == "skip":
        child = f'\t\t\t<skipped message="{go_escape(chr(10).join(result.skip_reasons))}"></skipped>'
    else:
        return head + "</testcase>"
    return f"{head}\n{child}\n\t\t</testcase>"


def _suite(suite_id: int, spec: SpecResult, timestamp: str, hostname: str, naming: Naming) -> str:
    name = spec.heading or spec.path.name
    lines: list[str] = []
    if spec.parse_errors:
        tests, failures, skipped = 1, 1, 0
        body = go_escape("\n".join(f"[Parse Error] {e}" for e in spec.parse_errors))
        message = "Parse/Validation Errors"
        lines.append(
            f'\t\t<testcase classname="{go_escape(name)}" name="{go_escape(name)}" time="0.000">\n'
            f'\t\t\t<failure message="{message}" type="{message}">{body}</failure>\n\t\t</testcase>'
        )
    else:
        tests = len(spec.scenarios)
        skipped = sum(1 for s in spec.scenarios if s.status == "skip")
        failures = sum(1 for s in spec.scenarios if s.status == "fail") + spec.hook_failures
        lines.extend(_testcase(name, s, naming) for s in spec.scenarios)
    skipped_attr = f' skipped="{skipped}"' if skipped else ""
    system_err = f"Validation failed, {skipped} Scenarios were skipped." if skipped else ""
    open_tag = (
        f'\t<testsuite id="{suite_id}" tests="{tests}" failures="{failures}"'
        f' package="{go_escape(str(spec.path))}" time="{spec.duration_s:.3f}" timestamp="{timestamp}"'
        f' name="{go_escape(name)}" errors="0"{skipped_attr}'
        f' hostname="{go_escape(hostname)}">'
    )
    return "\n".join(
        [
            open_tag,
            "\t\t<properties></properties>",
            *lines,
            "\t\t<system-out></system-out>",
            f"\t\t<system-err>{go_escape(system_err)}</system-err>",
            "\t</testsuite>",
        ]
    )


def render(
    specs: list[SpecResult], *, order: str = "run", seed: int | None = None, naming: Naming = "0.5.3"
) -> str:
    """The whole result.xml text (no trailing newline). `order`: run, reverse or random (gauge: unordered)."""
    ordered = list(specs)
    if order == "reverse":
        ordered.reverse()
    elif order == "random":
        random.Random(seed).shuffle(ordered)
    if not ordered:
        return "<testsuites></testsuites>"
    hostname = socket.gethostname()
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime())
    suites = [_suite(i, spec, timestamp, hostname, naming) for i, spec in enumerate(ordered, start=1)]
    return "<testsuites>\n" + "\n".join(suites) + "\n</testsuites>"


def report_dir(project_root: Path, gauge_reports_dir: str, overwrite_reports: str) -> Path:
    """`<abs gauge_reports_dir>/xml-report[/<2006-01-02 15.04.05>]` (exact `true` compare, #1674)."""
    base = Path(gauge_reports_dir)
    if not base.is_absolute():
        base = project_root / base
    target = base / "xml-report"
    if overwrite_reports != "true":
        target = target / time.strftime("%Y-%m-%d %H.%M.%S", time.localtime())
    return target


def write(target_dir: Path, document: str, *, truncated: bool = False) -> Path:
    """Write result.xml (optionally cut in half, for fault tests); returns its path. Raises OSError."""
    target_dir.mkdir(parents=True, exist_ok=True)
    data = document.encode("utf-8")
    if truncated:
        data = data[: len(data) // 2]
    path = target_dir / "result.xml"
    path.write_bytes(data)
    return path
