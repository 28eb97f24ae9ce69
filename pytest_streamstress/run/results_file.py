"""results.json at the end of a session: written once the verdict is known, and again once `--restore`
has said how it left the operator; only then do the history and the dashboard get it.

Two writes, because a restore takes minutes on a real cluster and the process can die during it (OOM,
a Job's SIGKILL after its grace period): the first keeps every result, with `deploy.restore.state`
`pending`; the second says `restored`, `failed` or `cut-off`, with the verdict `after_restore` made
of it (a failed restore's exit code is never 0). Before, the restore ran after the file, the history
and the dashboard were written, so a failed restore reached the terminal only and the morning reader
never learnt that the cluster still ran last night's upstream images.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.model import Restore, RestoreState
from pytest_streamstress.options import Settings
from pytest_streamstress.report.results_json import restore_json, write_atomically
from pytest_streamstress.report.verdict import Verdict, after_restore
from pytest_streamstress.run import deploying
from pytest_streamstress.run.selection import selection

if TYPE_CHECKING:
    from pytest_streamstress.run.preconditions import Phases

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Written:
    path: Path | None
    """None: neither write succeeded (the error is logged)."""
    restore: Restore | None
    """How the operator was left; None when the session patched nothing."""
    verdict: Verdict | None
    """The verdict as written last: a failed `--restore` raises its exit code (`after_restore`)."""


def write_run(
    target: Path,
    document: dict[str, Any],
    *,
    phases: Phases,
    redactor: Redactor,
    verdict: Verdict | None,
) -> Written:
    """Write `document` (which holds `verdict`) to `target`; around `--restore` when this session
    patched the operator."""
    own_emulator = phases.embedded is not None and phases.embedded.emulator is not None
    left = deploying.left_before_restore(
        phases.settings, phases.deployed_since, outlives_session=not own_emulator
    )
    if left is not None:
        document["deploy"]["restore"] = restore_json(left, redactor)
    first = _write(target, document)
    if left is None or left.state is not RestoreState.PENDING:
        return Written(path=first, restore=left, verdict=verdict)
    done = phases.restore_at_end() or left  # None only if it already ran: keep the word written
    document["deploy"]["restore"] = restore_json(done, redactor)
    if verdict is not None:
        verdict = after_restore(verdict, done)
        document["verdict"] = verdict.to_json()
        if document.get("exit_code") is not None:
            document["exit_code"] = document["exit_code"] or verdict.exit_code
    return Written(path=_write(target, document) or first, restore=done, verdict=verdict)


def _write(target: Path, document: dict[str, Any]) -> Path | None:
    try:
        write_atomically(target, document)
    except OSError as exc:
        log.error("could not write %s: %s", target, exc)
        return None
    return target


def public_settings(config: pytest.Config, settings: Settings) -> dict[str, Any]:
    """The options that describe the run; never a path to credentials or a token."""
    s = settings
    return {
        "components": [str(c) for c in s.components],
        "release_tests_ref": s.release_tests_ref,
        "gauge_tags": s.gauge_tags,
        "lifecycle_scenarios": s.lifecycle_scenarios,
        "gauge_env": s.gauge_env,
        "gauge_retries": s.gauge_retries,
        "gauge_timeout": s.gauge_timeout,
        "fail_on": list(s.fail_on),
        "skip_build": s.skip_build,
        "skip_deploy": s.skip_deploy,
        "selection": selection(config, s).words,
    }
