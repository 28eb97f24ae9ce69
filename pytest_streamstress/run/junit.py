"""`--junitxml` finished with the final verdicts, after pytest has written it (controller only).

pytest's junitxml plugin writes its file in its own `pytest_sessionfinish`; this plugin's runs last
(trylast) and hands the Recorder's final records to `report.junit_xml.rewrite`, so JUnit says what
results.json and the summary say (issue 18: they always agree).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_streamstress.options import is_worker
from pytest_streamstress.report import junit_xml

if TYPE_CHECKING:
    from pytest_streamstress.run.recorder import Recorder


class JUnitFinisher:
    def __init__(self, config: pytest.Config, recorder: Recorder) -> None:
        self.config = config
        self.recorder = recorder

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        xmlpath = getattr(self.config.option, "xmlpath", None)
        if not xmlpath or is_worker(self.config) or self.config.option.collectonly:
            return
        path = Path(self.config.invocation_params.dir, xmlpath)
        if not path.is_file():
            return
        verdict = self.recorder.verdict
        suite = {
            "run_id": self.recorder.run_id,
            "emulated": "true" if self.recorder.emulated else "false",
        }
        if verdict is not None:
            suite |= {"verdict": verdict.status, "verdict_sentence": verdict.sentence}
        if self.recorder.restore is not None:
            suite["restore"] = self.recorder.restore.state.value
        junit_xml.rewrite(path, self.recorder.sorted_records(), suite=suite, emulated=self.recorder.emulated)
