"""What the history index keeps of one run: its summary, and the codes of the outcome matrix.

Values only (R10) and their index JSON (R11); the matrix itself is `index.py`, the reading of a
results.json `reader.py`. The file names of the layout live here because a summary names its file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from pytest_streamstress.errors import ConfigError

INDEX_FILE: Final = "index.json"
RUNS_DIR: Final = "runs"
RESULTS_FILE: Final = "results.json"
INDEX_FORMAT: Final = 1
SUMMARY_VERSION: Final = 4
"""Version of the per-run summaries inside a format-1 index. 2 adds the profile recommendation
(issue 9), 3 the run's verdict, its confirmation counts and the category colours (issue 20), 4 the
run's cluster (issue 23). An index written with an older version is still read, then rebuilt once
from `runs/`, since its summaries lack fields that only the run files can give."""

STATUS_CODES: Final[Mapping[str, str]] = {"passed": "P", "failed": "F", "error": "E", "skipped": "S"}
"""One character per outcome in the index matrix; `K` is a flaky pass, `-` not run in that run."""
FLAKY_CODE: Final = "K"
ABSENT_CODE: Final = "-"
NO_CATEGORY: Final = "."

Trim = Literal["", "messages", "outcomes"]
TRIM_ORDER: Final[Mapping[str, int]] = {"": 0, "messages": 1, "outcomes": 2}


class HistoryError(ConfigError):
    """A results.json cannot be read, or cannot be a run of the history (malformed, foreign, clashing)."""

    def __init__(self, message: str, *, hint: str = "", path: Path | None = None, line: int | None = None):
        super().__init__(message, hint=hint, path=path, line=line)
        self.reason = message
        """The message without the file name, for callers that name the file their own way."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentCommit:
    """The upstream commit a component of a run was built from, for links and compare ranges."""

    name: str
    repo: str = ""
    ref: str | None = None
    sha: str = ""
    subject: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileSummary:
    """A run's profile as the index keeps it: enough for the recommendation chart (issue 9).

    The heaviest scenarios and the sentence stay in the run file; the chart of 365 runs must not
    need 365 fetches.
    """

    status: str
    max_parallel: int | None = None
    limiting_resource: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VerdictSummary:
    """A run's `verdict` (report/verdict.py) as the index keeps it: the morning page's first line."""

    status: str
    sentence: str = ""
    gating: int = 0
    """Scenario failures inside --fail-on."""
    excused: int = 0
    """Scenario failures outside --fail-on."""
    harness: int = 0
    scored: bool = True
    """False: no new failures are read from this run (it did not happen as asked)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryLabel:
    """A category as a run names and paints it (`category_labels[]`, `categories[]` of results.json)."""

    category: str
    label: str
    color: str = ""
    """`#rrggbb`, or "" when the run's rules file gave none (the page then picks one)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterSummary:
    """The cluster a run used, as the index keeps it: the name runs are grouped by (issue 23) and the
    versions the page shows beside it. Not the server, the kind or any credential: the page needs none."""

    name: str = ""
    """`--cluster-name`; "" for a run that names no cluster (or predates names)."""
    openshift_version: str = ""
    operator_version: str = ""

    @property
    def is_known(self) -> bool:
        return bool(self.name or self.openshift_version or self.operator_version)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """One run as the index shows it, without per-scenario detail."""

    run_id: str
    label: str
    started_at: str
    finished_at: str
    duration_s: float
    status: str
    emulated: bool
    counts: tuple[tuple[str, int], ...]
    categories: tuple[tuple[str, int], ...]
    components: tuple[ComponentCommit, ...]
    errors: int
    trimmed: Trim = ""
    profile: ProfileSummary | None = None
    """None when the run was made without `--profile`."""
    verdict: VerdictSummary | None = None
    """None for a results.json written before verdicts (issue 18)."""
    confirmations: tuple[tuple[str, int], ...] = ()
    """How many failures `--confirm` left in each state (`confirmed`: 2); empty without --confirm."""
    cluster: ClusterSummary = field(default_factory=ClusterSummary)
    selection: str = ""
    """How its scenarios were chosen ("-k TC02", "--gauge-tags e2e"); "" for the whole suite."""
    restore: tuple[str, str] | None = None
    """`deploy.restore`'s state and message: how the session left the operator it patched (None: it
    patched nothing, or the document predates the field)."""

    @property
    def file(self) -> str:
        return f"{RUNS_DIR}/{self.run_id}/{RESULTS_FILE}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestCase:
    """A test's identity and the facts the page filters it by."""

    key: str
    spec: str
    scenario: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseOutcome:
    case: TestCase
    code: str
    category: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """A parsed results.json reduced to what the index needs."""

    summary: RunSummary
    outcomes: tuple[CaseOutcome, ...]
    category_labels: tuple[CategoryLabel, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedFile:
    path: str
    reason: str


def summary_to_json(run: RunSummary) -> dict[str, Any]:
    return {
        "id": run.run_id,
        "label": run.label,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": run.duration_s,
        "status": run.status,
        "emulated": run.emulated,
        "counts": dict(run.counts),
        "categories": dict(run.categories),
        "components": [
            {
                "name": c.name,
                "repo": c.repo,
                "ref": c.ref,
                "sha": c.sha,
                "subject": c.subject,
                "status": c.status,
            }
            for c in run.components
        ],
        "errors": run.errors,
        "file": run.file,
        "trimmed": run.trimmed,
        **({} if run.profile is None else {"profile": _profile_to_json(run.profile)}),
        **({} if run.verdict is None else {"verdict": _verdict_to_json(run.verdict)}),
        **({"confirmations": dict(run.confirmations)} if run.confirmations else {}),
        **({"cluster": _cluster_to_json(run.cluster)} if run.cluster.is_known else {}),
        **({"selection": run.selection} if run.selection else {}),
        **({} if run.restore is None else {"restore": {"state": run.restore[0], "message": run.restore[1]}}),
    }


def _cluster_to_json(cluster: ClusterSummary) -> dict[str, str]:
    """Only the fields a run gives: the index stays compact (365 runs in its byte budget)."""
    fields = {
        "name": cluster.name,
        "openshift_version": cluster.openshift_version,
        "operator_version": cluster.operator_version,
    }
    return {key: value for key, value in fields.items() if value}


def _cluster_from_json(data: Any) -> ClusterSummary:
    if not isinstance(data, Mapping):
        return ClusterSummary()
    return ClusterSummary(
        name=str(data.get("name", "")),
        openshift_version=str(data.get("openshift_version", "")),
        operator_version=str(data.get("operator_version", "")),
    )


def _verdict_to_json(verdict: VerdictSummary) -> dict[str, Any]:
    return {
        "status": verdict.status,
        "sentence": verdict.sentence,
        "gating": verdict.gating,
        "excused": verdict.excused,
        "harness": verdict.harness,
        "scored": verdict.scored,
    }


def _verdict_from_json(data: Any) -> VerdictSummary | None:
    if not isinstance(data, Mapping):
        return None
    return VerdictSummary(
        status=str(data["status"]),
        sentence=str(data.get("sentence", "")),
        gating=int(data.get("gating", 0)),
        excused=int(data.get("excused", 0)),
        harness=int(data.get("harness", 0)),
        scored=bool(data.get("scored", True)),
    )


def _profile_to_json(profile: ProfileSummary) -> dict[str, Any]:
    return {
        "status": profile.status,
        "max_parallel": profile.max_parallel,
        "limiting_resource": profile.limiting_resource,
    }


def _profile_from_json(data: Any) -> ProfileSummary | None:
    if data is None:
        return None
    limit = data.get("max_parallel")
    return ProfileSummary(
        status=str(data["status"]),
        max_parallel=None if limit is None else int(limit),
        limiting_resource=str(data.get("limiting_resource") or ""),
    )


def summary_from_json(data: Mapping[str, Any]) -> RunSummary:
    trimmed = str(data.get("trimmed", ""))
    if trimmed not in TRIM_ORDER:
        raise ValueError(f"unknown trim level {trimmed!r}")
    return RunSummary(
        run_id=str(data["id"]),
        label=str(data["label"]),
        started_at=str(data["started_at"]),
        finished_at=str(data["finished_at"]),
        duration_s=float(data["duration_s"]),
        status=str(data["status"]),
        emulated=bool(data["emulated"]),
        counts=tuple((str(k), int(v)) for k, v in data["counts"].items()),
        categories=tuple((str(k), int(v)) for k, v in data["categories"].items()),
        components=tuple(
            ComponentCommit(
                name=str(c["name"]),
                repo=str(c["repo"]),
                ref=c["ref"],
                sha=str(c["sha"]),
                subject=str(c["subject"]),
                status=str(c["status"]),
            )
            for c in data["components"]
        ),
        errors=int(data["errors"]),
        trimmed=trimmed,  # type: ignore[arg-type]  # checked against TRIM_ORDER above
        profile=_profile_from_json(data.get("profile")),
        verdict=_verdict_from_json(data.get("verdict")),
        confirmations=tuple((str(k), int(v)) for k, v in (data.get("confirmations") or {}).items()),
        cluster=_cluster_from_json(data.get("cluster")),
        selection=str(data.get("selection") or ""),
        restore=_restore_from_json(data.get("restore")),
    )


def _restore_from_json(data: Any) -> tuple[str, str] | None:
    return None if data is None else (str(data["state"]), str(data["message"]))
