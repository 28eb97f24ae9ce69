"""The values that cross module borders: components -> builds -> deployment -> outcomes -> results.

Every phase takes and returns these frozen dataclasses (STYLE R10), so each phase can run and be
tested alone. Dicts exist only at the edges (TOML, JSON, API payloads) and are turned into these
by one `from_*` function next to the code that reads them (R11). The Gauge spec tree lives in
`gauge/parse/model.py` because only the gauge package builds it; everything else meets it as `Scenario`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, NewType

ComponentName = NewType("ComponentName", str)
ImageRef = NewType("ImageRef", str)
"""A pullable reference; after a build always `registry/repo@sha256:<hex>`, never a bare tag."""
NodeId = NewType("NodeId", str)


UPSTREAM_REGRESSION: Final = "upstream-regression"
"""The verdict the plugin exists for: upstream broke this (only with an upstream change to blame)."""
HARNESS: Final = "harness"
"""Gauge or its runner broke: the scenario never ran or never reported; never an upstream verdict."""
UNATTRIBUTED: Final = "unattributed"
"""A new failure while every built component is unchanged since the scenario last passed."""
SETUP_TAGS: Final = frozenset({"install"})
"""Scenarios that configure the cluster for the others (release-tests' specs/olm.spec install)."""
AFTER_FAILED_INSTALL: Final = "after-failed-install"
"""The rule that files a failure with no evidence of its own, after the install scenario failed, as
unattributed (report/failed_install.py); its evidence starts with what the install scenario said."""


def has_setup_tag(tags: Iterable[str]) -> bool:
    """Gauge tags are case-insensitive (`Tags: Install`)."""
    return bool(SETUP_TAGS & {t.lower() for t in tags})


RunStatus = Literal["passed", "failed", "error", "incomplete", "interrupted"]
"""results.json's `status` (`report.verdict` decides it): see the schema for what each means."""

ClusterChoice = Literal["kubeconfig", "emulated"]
"""--cluster: a real cluster from a kubeconfig, or the built-in OpenShift emulator."""
DeployStrategy = Literal["auto", "csv", "deployment"]
"""How the images reach the operator (--deploy-strategy): through the CSV, the Deployment, or both."""
LifecycleScenarios = Literal["auto", "skip", "run"]
"""--lifecycle-scenarios: do the suite's upgrade/uninstall scenarios run beside others (run/lifecycle.py)."""
LEFT_OUT: Final = "left out: "
"""How the skip reason of a scenario run/lifecycle.py keeps out of the session begins."""
ContainerTool = Literal["auto", "docker", "podman"]
"""What builds Containerfiles (--container-tool); auto picks podman, then docker."""


class BuildSystem(enum.Enum):
    """How a component's images are built."""

    KO = "ko"
    CONTAINERFILE = "containerfile"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageSpec:
    """One image of a component and the operator env vars that point at it."""

    name: str
    """Unique image name in the registry namespace, e.g. `pipeline-controller` (never a bare `controller`)."""
    path: str
    """ko import path (`./cmd/controller`) or the build context for a Containerfile build (`.`)."""
    env_vars: tuple[str, ...]
    """`IMAGE_*` variables on the operator's lifecycle container that must carry this image."""
    deployment: str = ""
    """Operand Deployment in the target namespace that runs it ("" for argument-only images)."""
    container: str = ""
    """Container of that Deployment whose image (or, for `ARG__` vars, whose argument) carries it."""

    @property
    def is_argument(self) -> bool:
        """True for images that reach pods only as a controller argument (entrypoint, nop...)."""
        return all("_ARG__" in var for var in self.env_vars)


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallerSetSelector:
    """Which TektonInstallerSets belong to a component, by label (name prefixes miss some, reference §6)."""

    created_by: str
    types: tuple[str, ...] = ()
    """Values of `operator.tekton.dev/type`; empty means any type."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentSpec:
    """A component as described in components.toml."""

    name: ComponentName
    repo: str
    build: BuildSystem
    images: tuple[ImageSpec, ...]
    installer_sets: tuple[InstallerSetSelector, ...]
    description: str = ""
    default_branch: str = "main"
    tekton_config_field: str = ""
    """Field under TektonConfig.spec that enables it (empty: always on with profile `all`)."""
    source_file: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentRequest:
    """One entry of `--components`: a component at a ref."""

    name: ComponentName
    ref: str | None = None
    """Branch, tag or commit; None means the default branch."""
    pull_request: int | None = None

    @property
    def git_ref(self) -> str | None:
        """The ref to fetch: `refs/pull/N/head` for `pr/N`."""
        if self.pull_request is not None:
            return f"refs/pull/{self.pull_request}/head"
        return self.ref

    def __str__(self) -> str:
        if self.pull_request is not None:
            return f"{self.name}:pr/{self.pull_request}"
        return f"{self.name}:{self.ref}" if self.ref else str(self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceCommit:
    """The commit a component was built from, recorded for results.json and culprit ranges."""

    sha: str
    date: str
    """ISO-8601 committer date."""
    subject: str
    ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BuiltImage:
    """One image a build produced, with its digest, and the env vars it is deployed through."""

    name: str
    ref: ImageRef
    env_vars: tuple[str, ...]


class BuildStatus(enum.Enum):
    BUILT = "built"
    FAILED = "failed"
    REUSED = "reused"
    """Not built in this session: `--image`, `--images-from` or `--skip-build`."""
    NOT_BUILT = "not-built"
    """A stop signal ended the run before this component's build began or reported."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    """What building one component produced (or why it did not)."""

    component: ComponentName
    repo: str
    status: BuildStatus
    source: SourceCommit | None = None
    images: tuple[BuiltImage, ...] = ()
    error: str = ""
    log_path: Path | None = None
    duration_s: float = 0.0


class DeployStatus(enum.Enum):
    DEPLOYED = "deployed"
    NOOP = "noop"
    """The operator already carried every image: nothing patched, nothing rolled."""
    SKIPPED = "skipped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    """A stop signal cut the deploy: the operator may carry some of the new images."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunningImage:
    """An image verified as running: where, and through which env var."""

    component: ComponentName
    env_var: str
    expected: ImageRef
    actual: str
    where: str
    """`Deployment/name container c` or `Deployment/name arg -entrypoint-image`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterInfo:
    """What we know about the cluster a run used; every field may be unknown on a foreign cluster."""

    kind: Literal["emulated", "kubeconfig", "in-cluster", "none"]
    server: str = ""
    """API server URL, never with credentials."""
    openshift_version: str = ""
    operator_csv: str = ""
    operator_version: str = ""

    @property
    def is_emulated(self) -> bool:
        return self.kind == "emulated"


@dataclass(frozen=True, slots=True, kw_only=True)
class Deployment:
    """The outcome of swapping built images into the operator."""

    status: DeployStatus
    strategy: str = ""
    """`csv` or `deployment`: how the env vars actually reached the operator."""
    cluster: ClusterInfo = field(default_factory=lambda: ClusterInfo(kind="none"))
    running: tuple[RunningImage, ...] = ()
    message: str = ""
    restore_record: Path | None = None


class RestoreState(enum.Enum):
    """How a session left the operator it patched: results.json's `deploy.restore.state`."""

    PENDING = "pending"
    """Written just before `--restore` starts; a results.json that still says it outlived its session."""
    RESTORED = "restored"
    FAILED = "failed"
    CUT_OFF = "cut-off"
    """A stop signal's `--stop-timeout` ended the restore's waits before the operator was Ready."""
    NOT_ASKED = "not-asked"
    """No `--restore`: the operator runs this run's images on purpose (a nightly's choice)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Restore:
    """The operator as a session left it; `message` says how to put the recorded images back."""

    state: RestoreState
    message: str

    @property
    def left_patched(self) -> bool:
        """Anything but restored: the cluster may still run this run's images."""
        return self.state is not RestoreState.RESTORED


class Status(enum.Enum):
    """A scenario's outcome, as pytest reports it."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class ResultSource(enum.Enum):
    """Where a scenario's outcome was read from."""

    JUNIT = "junit"
    STDOUT = "stdout"
    NONE = "none"
    """Gauge never reported it (crash, timeout, BeforeSpec failure)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FailingStep:
    text: str
    line: int | None = None
    """Line in the spec; None for a step inside a concept (gauge prints no line for those)."""


HarnessKind = Literal[
    "not-started", "timeout", "signal", "exit", "unreported", "nothing-selected", "parse-error"
]
"""How gauge failed a scenario it never ran or never reported (issue 18 part 1)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HarnessFailure:
    """Gauge or its runner broke, so this scenario's outcome says nothing about upstream."""

    kind: HarnessKind
    cause: str
    """One sentence: the exit code or signal, the timeout, or why gauge could not start."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioOutcome:
    """What gauge said about one scenario."""

    status: Status
    duration_s: float = 0.0
    failing_step: FailingStep | None = None
    message: str = ""
    trace: str = ""
    attempts: int = 1
    flaky: bool = False
    """Passed only after a retry."""
    source: ResultSource = ResultSource.NONE
    log_path: Path | None = None
    started_at: float | None = None
    finished_at: float | None = None
    namespaces: tuple[str, ...] = ()
    """Namespaces the scenario named in its output (`releasetest-...`): profiling attributes pods by them."""
    local_cpu_s: float | None = None
    """With --profile: CPU seconds of the gauge process tree inside the scenario's window."""
    local_peak_rss_b: int | None = None
    harness: HarnessFailure | None = None
    """Set when gauge never ran or never reported the scenario: the run decides its category."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Categorization:
    """Which category a failure falls in, and the evidence: the rule and the text it matched."""

    category: str
    rule: str
    evidence: str = ""
    field: str = ""
    """Which field the evidence came from: message, trace, spec, scenario or tags."""
    known_issue: str = ""


ConfirmationVerdict = Literal["confirmed", "passed-on-rerun", "fails-on-shipped", "not-checked"]
"""What `--confirm` proved about an upstream regression (issue 18 part 3)."""
ImagesUsed = Literal["upstream", "shipped"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmAttempt:
    """One rerun of a scenario during confirmation."""

    images: ImagesUsed
    """The images the operands ran: this run's upstream builds, or the operator's shipped ones."""
    status: Status
    message: str = ""
    duration_s: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Confirmation:
    verdict: ConfirmationVerdict
    reason: str
    attempts: tuple[ConfirmAttempt, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "attempts": [
                {
                    "images": a.images,
                    "status": a.status.value,
                    "message": a.message,
                    "duration_s": a.duration_s,
                }
                for a in self.attempts
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Confirmation:
        raw = data.get("attempts")
        attempts = raw if isinstance(raw, list) else []
        return cls(
            verdict=str(data["verdict"]),  # type: ignore[arg-type]  # checked by the schema on the way out
            reason=str(data.get("reason", "")),
            attempts=tuple(
                ConfirmAttempt(
                    images=str(a["images"]),  # type: ignore[arg-type]  # same
                    status=Status(str(a["status"])),
                    message=str(a.get("message", "")),
                    duration_s=float(a.get("duration_s", 0.0)),
                )
                for a in attempts
                if isinstance(a, dict)
            ),
        )
