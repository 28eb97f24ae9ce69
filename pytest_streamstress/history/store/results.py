"""A results.json document as typed values: what `reader.py` hands every room that reads a run.

The writer is `report/results_json.py` (schema `report/results.schema.json`); these values are its
reading, for the history index, the analysis, culprit ranges, `--since-last-run`, `--images-from`
and the bisect steps (R10, R11: the dict stops at the reader). Fields a document may lack have
defaults, so a partial document (an `--images-from` file, a step that broke early) reads too; the
history admits only complete runs (`reader.history_run_from_json`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from pytest_streamstress.history.model import FAILING
from pytest_streamstress.history.store.summaries import (
    CategoryLabel,
    ClusterSummary,
    ProfileSummary,
    Trim,
    VerdictSummary,
)
from pytest_streamstress.model import RunStatus, Status

RUN_STATUSES: Final[tuple[RunStatus, ...]] = get_args(RunStatus)
ComponentStatus = Literal["built", "failed", "reused", "not-built"]
"""A component's `status` (schema enum)."""
COMPONENT_STATUSES: Final[tuple[ComponentStatus, ...]] = get_args(ComponentStatus)


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitResult:
    """`components[].commit`: the upstream commit a component was built from."""

    sha: str
    date: str = ""
    subject: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageResult:
    """`components[].images[]`: one pushed image and the operator env vars that carry it."""

    name: str
    ref: str
    env_vars: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentResult:
    """`components[]`: one component of the run, built, reused or failed."""

    name: str
    repo: str = ""
    ref: str | None = None
    status: ComponentStatus | None = None
    commit: CommitResult | None = None
    images: tuple[ImageResult, ...] = ()
    error: str = ""

    @property
    def sha(self) -> str:
        """The built commit's SHA; "" when the component was not built from source."""
        return self.commit.sha if self.commit is not None else ""

    def to_json(self) -> dict[str, Any]:
        """The `components[]` entry again, as far as this reading knows it (the `--images-from` shape)."""
        commit = self.commit
        return {
            "name": self.name,
            "repo": self.repo,
            "ref": self.ref,
            "status": self.status,
            "commit": None
            if commit is None
            else {"sha": commit.sha, "date": commit.date, "subject": commit.subject},
            "images": [{"name": i.name, "ref": i.ref, "env_vars": list(i.env_vars)} for i in self.images],
            "error": self.error,
        }


HANDED_OVER_KEY: Final = "handed_over_by"
"""Top-level key of an images file a session writes for the sessions of the same run."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImagesFile:
    """An `--images-from` file: a results.json's `components`, or a file holding only them."""

    components: tuple[ComponentResult, ...]
    handed_over_by: str = ""
    """Who built these for this same run (`--clusters`, the launching session): its sessions list
    them as built, not reused. "" for an earlier run's results.json."""


def handed_over_images(components: Sequence[Mapping[str, object]], *, by: str) -> dict[str, Any]:
    """The images file a session gives the sessions it starts for the same run (read by `ImagesFile`)."""
    return {HANDED_OVER_KEY: by, "components": list(components)}


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioResult:
    """`scenarios[]`: one scenario's outcome in the run."""

    key: str
    """Identity across runs: the writer's `id`, else `history.model.scenario_identity`."""
    status: Status
    nodeid: str = ""
    spec: str = ""
    scenario: str = ""
    tags: tuple[str, ...] = ()
    flaky: bool = False
    attempts: int | None = None
    message: str = ""
    category: str | None = None
    confirmation: str | None = None
    """What `--confirm` proved (`confirmed`, `passed-on-rerun`...); None when it did not look."""

    @property
    def is_failing(self) -> bool:
        return self.status in FAILING


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryCount:
    """`categories[]`: how many failures of the run fell in one category, and its label."""

    category: str
    count: int
    label: str
    color: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResults:
    """One results.json, read."""

    run_id: str = ""
    label: str = ""
    started_at: str = ""
    finished_at: str = ""
    duration_s: float = 0.0
    status: RunStatus | None = None
    exit_code: int | None = None
    """The session's exit code as it wrote it (None in a run that predates it or did not say)."""
    emulated: bool = False
    counts: tuple[tuple[str, int], ...] = ()
    categories: tuple[CategoryCount, ...] = ()
    components: tuple[ComponentResult, ...] = ()
    scenarios: tuple[ScenarioResult, ...] = ()
    errors: tuple[str, ...] = ()
    """The message of each `errors[]` entry (build, deploy, collection, internal)."""
    profile: ProfileSummary | None = None
    trimmed: Trim = ""
    """How much detail the history's byte budget dropped from this run (`extra.trimmed`)."""
    category_labels: tuple[CategoryLabel, ...] = ()
    """Every category the run's rules file knows, with label and colour (`category_labels[]`)."""
    verdict: VerdictSummary | None = None
    cluster: ClusterSummary = field(default_factory=ClusterSummary)
    """`cluster.name` and the versions; empty for a document that names no cluster (issue 23)."""
    selection: str = ""
    """How its scenarios were chosen (`settings.selection`, history/selection.py); "" for all."""
    restore: tuple[str, str] | None = None
    """`deploy.restore`'s state and message: how the session left the operator it patched (None: it
    patched nothing, or the document predates the field)."""

    def component(self, name: str) -> ComponentResult | None:
        return next((c for c in self.components if c.name == name), None)
