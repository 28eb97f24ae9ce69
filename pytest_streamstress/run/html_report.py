"""pytest-html, when it is active: our columns in its table and the run's final word in its summary.

A plugin object registered on the controller only when pytest-html is (`hasplugin("html")`): the
hook names are unknown to pluggy otherwise. pytest-html builds a row when a test's teardown is
reported, so a row can say what was known then: the category the rules gave and the known issue.
What the session decides after the last scenario (unattributed failures, what `--confirm` proved)
and whether the cluster was emulated go into the report's summary, from the Recorder's final
records, so the report says what results.json says (issue 20). Gauge's real durations reach
pytest-html through the reports themselves (the Recorder sets them). Cells are rendered by jinja2
with autoescaping (R38).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_streamstress.model import Status

if TYPE_CHECKING:
    from pytest_streamstress.run.recorder import Recorder

_HEADERS: Final = (
    '<th class="sortable" data-column-type="category">Category</th>',
    '<th data-column-type="known">Known issue</th>',
)
_CELLS: Final = (
    '<td class="col-category">{{ label }}</td>'
    '<td class="col-known">{% if url %}<a href="{{ url }}">{{ url.rsplit("/", 1)[-1] }}</a>{% endif %}</td>'
)
_SUMMARY: Final = """\
<div class="streamstress-summary">
{% if emulated %}
<p><strong>Emulated run:</strong> the built-in OpenShift emulator, not a real cluster.</p>
{% endif %}
{% if sentence %}<p>Verdict: {{ sentence }}</p>{% endif %}
{% if rows %}
<table class="streamstress-final">
<tr><th>Scenario</th><th>Category</th><th>Confirmation</th></tr>
{% for row in rows %}<tr><td>{{ row[0] }}</td><td>{{ row[1] }}</td><td>{{ row[2] }}</td></tr>
{% endfor %}
</table>
{% endif %}
</div>"""


def _render(template: str, **values: Any) -> str:
    import jinja2  # R6: only a run with --html pays for it here

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return str(environment.from_string(template).render(**values))


class HtmlReport:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells[2:2] = list(_HEADERS)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        values = {str(k): str(v) for k, v in report.user_properties}
        category = values.get("streamstress_category", "")
        url = values.get("streamstress_known_issue", "")
        html = _render(
            _CELLS,
            label=self.recorder.label(category) if category else "",
            url=url if url.lower().startswith(("http://", "https://")) else "",
        )
        head, _, tail = html.partition("</td>")
        cells[2:2] = [head + "</td>", tail]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        # pytest-html calls this in its (trylast) sessionfinish, after the Recorder decided the verdict.
        rows = [
            (
                record.scenario,
                self.recorder.label(record.category.category) if record.category else "",
                record.confirmation.verdict if record.confirmation else "",
            )
            for record in self.recorder.sorted_records()
            if record.status in {Status.FAILED, Status.ERROR}
        ]
        verdict = self.recorder.verdict
        prefix.append(
            _render(
                _SUMMARY,
                emulated=self.recorder.settings.cluster == "emulated",
                sentence=verdict.sentence if verdict is not None else "",
                rows=rows,
            )
        )
