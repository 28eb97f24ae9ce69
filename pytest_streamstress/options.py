"""Every option, declared once (STYLE R26), and the one `Settings` value built from them (R12).

Each `Opt` entry gives the command-line flag, the ini key, the parse function, the default and the
help text. One loop registers them all for the CLI and the ini file, so a single scenario can run
from an IDE with no arguments. `Settings.from_config` resolves CLI, then ini, then default, checks
every value, and is stored in `config.stash`; nothing else reads `config.getoption`. An option whose
feature is not built yet is declared with `supported=False` and is a usage error when set.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.model import ComponentRequest

if TYPE_CHECKING:
    from pytest_streamstress.components import ComponentCatalog

T = TypeVar("T")

GROUP: Final = "streamstress"
DEFAULT_RELEASE_TESTS_REPO: Final = "https://github.com/openshift-pipelines/release-tests.git"


# --- parse functions: pure, str in, value out, ValueError with a sentence on bad input -------------


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def parse_str(text: str) -> str:
    return text.strip()


def parse_path(text: str) -> Path | None:
    text = text.strip()
    return Path(text).expanduser() if text else None


def parse_positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number of seconds") from None
    if value <= 0:
        raise ValueError("expected a number greater than 0")
    return value


def parse_non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value < 0:
        raise ValueError("expected 0 or more")
    return value


def parse_positive_int(text: str) -> int:
    value = parse_non_negative_int(text)
    if value == 0:
        raise ValueError("expected 1 or more")
    return value


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("expected a date as YYYY-MM-DD") from None


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?i?b?)?\s*$", re.IGNORECASE)
_SIZE_FACTORS: Final = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "ki": 2**10,
    "kib": 2**10,
    "m": 10**6,
    "mb": 10**6,
    "mi": 2**20,
    "mib": 2**20,
    "g": 10**9,
    "gb": 10**9,
    "gi": 2**30,
    "gib": 2**30,
}


def parse_size(text: str) -> int:
    """`50MB`, `1.5GiB`, `200k`, plain bytes."""
    match = _SIZE.match(text)
    if not match or (match.group(2) or "").lower() not in _SIZE_FACTORS:
        raise ValueError("expected a size such as 50MB, 1GiB or 500000")
    return int(float(match.group(1)) * _SIZE_FACTORS[(match.group(2) or "").lower()])


def parse_csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


_COMPONENT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PR = re.compile(r"^pr/(\d+)$")


def parse_components(text: str) -> tuple[ComponentRequest, ...]:
    """`pipeline,triggers:v0.34.0,chains:pr/123`; syntax only, names are checked against the catalog later."""
    requests: list[ComponentRequest] = []
    seen: set[str] = set()
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        name, sep, ref = entry.partition(":")
        name = name.strip()
        ref = ref.strip()
        if not _COMPONENT_NAME.match(name):
            raise ValueError(f"{entry!r} is not 'name', 'name:ref' or 'name:pr/N'")
        if sep and not ref:
            raise ValueError(
                f"empty ref in {entry!r}; write '{name}' for the default branch or '{name}:<ref>'"
            )
        if name in seen:
            raise ValueError(f"component {name!r} is given twice")
        seen.add(name)
        pr = _PR.match(ref)
        if pr:
            requests.append(ComponentRequest(name=name, pull_request=int(pr.group(1))))  # type: ignore[arg-type]  # NewType
        elif ref.startswith("pr/"):
            raise ValueError(f"{entry!r}: a pull request is written pr/<number>")
        else:
            requests.append(ComponentRequest(name=name, ref=ref or None))  # type: ignore[arg-type]  # NewType
    return tuple(requests)


def parse_image_assignment(text: str) -> tuple[str, str]:
    """`NAME=REF` for `--image`, e.g. `pipeline-controller=reg/ns/x@sha256:...`."""
    name, sep, ref = text.partition("=")
    if not sep or not name.strip() or not ref.strip():
        raise ValueError("expected NAME=REF, e.g. pipeline-controller=registry/ns/img@sha256:...")
    return name.strip(), ref.strip()


def choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip()
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return value

    return parse


def parse_parallel(text: str) -> int | None:
    """`auto` (None: take the last profile's recommendation) or a number of workers."""
    if text.strip() == "auto":
        return None
    return parse_positive_int(text)


# --- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Opt(Generic[T]):
    """One option: its flag, ini key, parser, default and help, declared once."""

    name: str
    parse: Callable[[str], T]
    default: T
    help: str
    switch: bool = False
    """A CLI switch without a value (`--skip-build`); its ini form takes true/false."""
    multiple: bool = False
    """The CLI flag may repeat; the ini form is one value per line."""
    supported: bool = True
    issue: int = 0
    """The issue that implements it, named in the "not supported yet" error."""
    metavar: str = ""
    flag_override: str = ""

    @property
    def flag(self) -> str:
        return self.flag_override or "--" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        return self.name if self.name == "streamstress" else "streamstress_" + self.name

    @property
    def dest(self) -> str:
        return self.ini


OPTIONS: Final[tuple[Opt[Any], ...]] = (
    # activation and sources
    Opt(
        "streamstress",
        parse_bool,
        False,
        "Run the Gauge release-tests suite as one streamstress regression run",
        switch=True,
    ),
    Opt(
        "cluster",
        choice("kubeconfig", "emulated"),
        "kubeconfig",
        "Cluster to use: 'kubeconfig' (a real cluster) or 'emulated' (the built-in OpenShift emulator)",
        metavar="KIND",
    ),
    Opt(
        "kubeconfig",
        parse_path,
        None,
        "Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)",
        metavar="PATH",
    ),
    Opt("context", parse_str, "", "Kubeconfig context (default: the current context)", metavar="NAME"),
    Opt(
        "components",
        parse_components,
        (),
        "Components to build and deploy, e.g. 'pipeline,triggers:v0.34.0,chains:pr/123' (default: all)",
        metavar="LIST",
    ),
    Opt(
        "components_config",
        parse_path,
        None,
        "Components file to use instead of the shipped components.toml",
        metavar="PATH",
    ),
    Opt(
        "release_tests_repo",
        parse_str,
        DEFAULT_RELEASE_TESTS_REPO,
        "Git URL of the release-tests suite",
        metavar="URL",
    ),
    Opt(
        "release_tests_ref",
        parse_str,
        "master",
        "Branch, tag or commit of release-tests to clone",
        metavar="REF",
    ),
    Opt(
        "release_tests_dir",
        parse_path,
        None,
        "Use this release-tests checkout instead of cloning --release-tests-repo",
        metavar="PATH",
    ),
    # gauge
    Opt(
        "gauge_tags",
        parse_str,
        "",
        "Gauge tag expression selecting scenarios, e.g. 'e2e & !tls'",
        metavar="EXPR",
    ),
    Opt(
        "gauge_env",
        parse_str,
        "default",
        "Gauge environment (env/<NAME>/*.properties) passed as --env",
        metavar="NAME",
    ),
    Opt("gauge_binary", parse_str, "gauge", "The gauge executable", metavar="PATH"),
    Opt(
        "gauge_timeout",
        parse_positive_float,
        3600.0,
        "Seconds one gauge run (all selected scenarios of one spec) may take before it is killed",
        metavar="SECONDS",
    ),
    Opt(
        "gauge_retries",
        parse_non_negative_int,
        0,
        "Retries for a failed scenario (gauge --max-retries-count=N+1); a pass on retry is flaky",
        metavar="N",
    ),
    # triage
    Opt(
        "categories",
        parse_path,
        None,
        "Failure rules file (default: the shipped categories.toml)",
        metavar="PATH",
    ),
    Opt(
        "fail_on",
        parse_csv,
        ("all",),
        "Categories whose failures fail the session: 'all' (default), 'none' or a list such as"
        " 'upstream-regression'; add '-known' to excuse known failures",
        metavar="LIST",
    ),
    Opt(
        "known_failures",
        parse_path,
        None,
        "Known failures file listing failures with issue links and expiry dates",
        metavar="PATH",
    ),
    Opt(
        "history",
        parse_path,
        None,
        "History directory (runs/<id>/results.json, e.g. a checkout of the"
        " published site) for new/known/flaky classification and regressions",
        metavar="PATH",
    ),
    # results and publishing
    Opt(
        "results_dir",
        parse_path,
        Path("results"),
        "Where results.json, logs and the site are written",
        metavar="PATH",
    ),
    Opt("run_label", parse_str, "", "Label of this run on the dashboard, e.g. 'nightly'", metavar="TEXT"),
    Opt(
        "publish",
        parse_bool,
        False,
        "Publish the run to the dashboard's gh-pages branch at session end",
        switch=True,
        supported=True,
        issue=7,
    ),
    Opt(
        "publish_repo",
        parse_str,
        "",
        "Git remote (URL or path) that holds the dashboard branch",
        metavar="URL",
        supported=True,
        issue=7,
    ),
    Opt(
        "publish_branch",
        parse_str,
        "gh-pages",
        "Branch the dashboard is published to",
        metavar="NAME",
        supported=True,
        issue=7,
    ),
    Opt(
        "history_budget",
        parse_size,
        50_000_000,
        "Byte budget of the published history; older runs lose messages and traces first",
        metavar="SIZE",
        supported=True,
        issue=7,
    ),
    # build
    Opt(
        "skip_build",
        parse_bool,
        False,
        "Do not build; deploy --image/--images-from images or none",
        switch=True,
    ),
    Opt(
        "registry",
        parse_str,
        "",
        "Registry to push to (default: the cluster's internal registry route)",
        metavar="HOST[/NS]",
    ),
    Opt(
        "image",
        parse_image_assignment,
        (),
        "Deploy this image, NAME=REF (repeatable), for a component this run does not build",
        multiple=True,
        metavar="NAME=REF",
    ),
    Opt(
        "images_from",
        parse_path,
        None,
        "Deploy an earlier results.json's images of the components this run does not build",
        metavar="PATH",
    ),
    Opt(
        "as_of",
        parse_date,
        None,
        "Build components without an explicit ref at their last commit on this date",
        metavar="YYYY-MM-DD",
    ),
    Opt(
        "build_jobs",
        parse_positive_int,
        os.cpu_count() or 1,
        "Components built at the same time",
        metavar="N",
    ),
    Opt(
        "build_timeout",
        parse_positive_float,
        1800.0,
        "Seconds one component's build may take",
        metavar="SECONDS",
    ),
    Opt(
        "platform",
        parse_str,
        "",
        "Platforms for ko builds, e.g. linux/amd64,linux/arm64 (default: ko's)",
        metavar="LIST",
    ),
    Opt(
        "container_tool",
        choice("auto", "docker", "podman"),
        "auto",
        "Tool for Containerfile builds (console-plugin): auto picks podman, then docker",
        metavar="TOOL",
    ),
    Opt(
        "deploy_partial",
        parse_bool,
        False,
        "Deploy the components that built even when another failed",
        switch=True,
    ),
    Opt(
        "since_last_run",
        parse_bool,
        False,
        "Build, deploy and test only when a component moved since the last run in the history",
        switch=True,
    ),
    # cluster setup and deploy
    Opt(
        "skip_deploy",
        parse_bool,
        False,
        "Do not touch the operator; test what the cluster runs now",
        switch=True,
    ),
    Opt(
        "no_auto_setup",
        parse_bool,
        False,
        "Do not prepare a bare cluster (registry route, namespace, operator subscription)",
        switch=True,
    ),
    Opt(
        "deploy_strategy",
        choice("auto", "csv", "deployment"),
        "auto",
        "How images reach the operator: 'csv' (OLM rolls it), 'deployment' (direct edit) or 'auto' (CSV,"
        " verified, falling back to the Deployment)",
        metavar="HOW",
    ),
    Opt(
        "deploy_timeout",
        parse_positive_float,
        900.0,
        "Seconds to wait for TektonConfig Ready and the operands on the new images",
        metavar="SECONDS",
    ),
    Opt(
        "olm_timeout",
        parse_positive_float,
        180.0,
        "Seconds to wait for OLM to roll a CSV change into the operator before falling back",
        metavar="SECONDS",
    ),
    Opt(
        "setup_timeout",
        parse_positive_float,
        600.0,
        "Seconds auto-setup may wait for the operator install and TektonConfig Ready",
        metavar="SECONDS",
    ),
    Opt(
        "api_timeout",
        parse_positive_float,
        30.0,
        "Seconds one Kubernetes API request may take",
        metavar="SECONDS",
    ),
    Opt(
        "restore",
        parse_bool,
        False,
        "Put the recorded IMAGE_* values back at session end, also after failures and Ctrl-C",
        switch=True,
    ),
    Opt(
        "operator_channel",
        parse_str,
        "latest",
        "OLM channel for auto-setup's operator Subscription",
        metavar="NAME",
    ),
    Opt(
        "operator_source",
        parse_str,
        "redhat-operators",
        "OLM CatalogSource for auto-setup's Subscription",
        metavar="NAME",
    ),
    Opt(
        "target_namespace",
        parse_str,
        "openshift-pipelines",
        "Namespace the operator installs Tekton into",
        metavar="NAME",
    ),
    # in-cluster
    Opt(
        "in_cluster",
        parse_bool,
        False,
        "Launch the run as a Kubernetes Job in the cluster and return",
        switch=True,
        issue=8,
    ),
    Opt("job_image", parse_str, "", "Container image of the in-cluster Job", metavar="IMAGE", issue=8),
    Opt(
        "job_namespace",
        parse_str,
        "openshift-pipelines",
        "Namespace of the in-cluster Job",
        metavar="NAME",
        issue=8,
    ),
    # profiling and parallelism
    Opt(
        "profile",
        parse_bool,
        False,
        "Sample pod metrics while scenarios run and recommend a parallelism",
        switch=True,
    ),
    Opt(
        "profile_interval",
        parse_positive_float,
        5.0,
        "Seconds between metrics samples with --profile",
        metavar="SECONDS",
    ),
    Opt(
        "parallel",
        parse_parallel,
        1,
        "Workers for scenarios: a number, or 'auto' from the last profile",
        metavar="N|auto",
        flag_override="--streamstress-parallel",
    ),
    Opt(
        "serial_tags",
        parse_csv,
        ("admin", "install", "upgrade"),
        "Tags of scenarios that change cluster-wide state and must run alone",
        metavar="LIST",
    ),
)

OPTIONS_BY_NAME: Final = {opt.name: opt for opt in OPTIONS}


def add_options(parser: pytest.Parser) -> None:
    """Register every option for the command line and the ini file."""
    group = parser.getgroup(GROUP, "streamstress: upstream Tekton regression runs on OpenShift Pipelines")
    for opt in OPTIONS:
        help_text = opt.help + ("" if opt.supported else f" [not supported yet, issue #{opt.issue}]")
        if opt.switch:
            group.addoption(opt.flag, action="store_true", default=None, dest=opt.dest, help=help_text)
        elif opt.multiple:
            group.addoption(
                opt.flag, action="append", default=None, dest=opt.dest, metavar=opt.metavar, help=help_text
            )
        else:
            group.addoption(
                opt.flag, action="store", default=None, dest=opt.dest, metavar=opt.metavar, help=help_text
            )
        if opt.multiple:
            parser.addini(opt.ini, help_text, type="linelist", default=None)
        else:
            parser.addini(opt.ini, help_text, type="string", default=None)


def _raw_values(config: pytest.Config, opt: Opt[Any]) -> tuple[str, list[str] | None]:
    """(where it came from, raw text values) for one option: CLI first, then ini; None when unset."""
    cli = config.getoption(opt.dest, default=None)
    if cli is not None:
        if opt.switch:
            return opt.flag, ["true"]
        return opt.flag, list(cli) if opt.multiple else [cli]
    ini = config.getini(opt.ini)
    if ini is None or ini in ("", []):
        return opt.ini, None
    if opt.multiple:
        return f"ini {opt.ini}", [str(line) for line in ini]
    return f"ini {opt.ini}", [str(ini)]


def is_active(config: pytest.Config) -> bool:
    """The plugin acts only with `--streamstress` or `streamstress = true`: installing it changes nothing."""
    where, raw = _raw_values(config, OPTIONS_BY_NAME["streamstress"])
    if raw is None:
        return False
    try:
        return parse_bool(raw[0])
    except ValueError:
        raise pytest.UsageError(f"{where}: {raw[0]!r} is not a boolean; expected true or false") from None


def is_worker(config: pytest.Config) -> bool:
    """True inside a pytest-xdist worker: only the controller writes results and prints summaries (R27)."""
    return hasattr(config, "workerinput")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every option's resolved value; built once per session in `pytest_configure`."""

    streamstress: bool
    cluster: str
    kubeconfig: Path | None
    context: str
    components: tuple[ComponentRequest, ...]
    components_config: Path | None
    release_tests_repo: str
    release_tests_ref: str
    release_tests_dir: Path | None
    gauge_tags: str
    gauge_env: str
    gauge_binary: str
    gauge_timeout: float
    gauge_retries: int
    categories: Path | None
    fail_on: tuple[str, ...]
    known_failures: Path | None
    history: Path | None
    results_dir: Path
    run_label: str
    publish: bool
    publish_repo: str
    publish_branch: str
    history_budget: int
    skip_build: bool
    registry: str
    image: tuple[tuple[str, str], ...]
    images_from: Path | None
    as_of: dt.date | None
    build_jobs: int
    build_timeout: float
    platform: str
    container_tool: str
    deploy_partial: bool
    since_last_run: bool
    skip_deploy: bool
    no_auto_setup: bool
    deploy_strategy: str
    deploy_timeout: float
    olm_timeout: float
    setup_timeout: float
    api_timeout: float
    restore: bool
    operator_channel: str
    operator_source: str
    target_namespace: str
    in_cluster: bool
    job_image: str
    job_namespace: str
    profile: bool
    profile_interval: float
    parallel: int | None
    serial_tags: tuple[str, ...]
    rootdir: Path
    full_trace: bool
    """pytest's own `--full-trace`: show Python tracebacks instead of the Gauge failure view (R22)."""

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        """Resolve CLI, then ini, then default for every option; a bad value is one UsageError."""
        values: dict[str, Any] = {}
        for opt in OPTIONS:
            where, raw = _raw_values(config, opt)
            if raw is None:
                values[opt.name] = opt.default
                continue
            try:
                parsed = [opt.parse(text) for text in raw]
            except ValueError as exc:
                shown = raw[0] if len(raw) == 1 else ", ".join(raw)
                raise pytest.UsageError(f"{where}: {shown!r}: {exc}") from None
            value = tuple(parsed) if opt.multiple else parsed[0]
            if not opt.supported and value != opt.default:
                raise pytest.UsageError(
                    f"{opt.flag} (ini {opt.ini}) is not supported yet; it arrives with issue #{opt.issue}."
                    " See 'Not done yet' in the README."
                )
            values[opt.name] = value
        results_dir = values["results_dir"]
        if not results_dir.is_absolute():
            values["results_dir"] = Path(config.invocation_params.dir) / results_dir
        return cls(
            rootdir=Path(config.rootpath), full_trace=bool(config.getoption("fulltrace", False)), **values
        )

    def check_components(self, catalog: ComponentCatalog) -> None:
        """Unknown component names are a usage error listing the known ones (R21)."""
        for request in self.components:
            if request.name not in catalog.names:
                raise pytest.UsageError(
                    f"--components: unknown component {request.name!r};"
                    f" known: {', '.join(sorted(catalog.names))}"
                    + (f" (from {catalog.source})" if catalog.source else "")
                )


_SETTINGS_FIELDS: Final = {f.name for f in fields(Settings)}
assert {opt.name for opt in OPTIONS} | {"rootdir", "full_trace"} == _SETTINGS_FIELDS, (
    "OPTIONS and Settings disagree"
)

settings_key: Final = pytest.StashKey[Settings]()


def settings_of(config: pytest.Config) -> Settings:
    """The session's Settings; raises if the plugin is not active (a wiring bug, never user input)."""
    return config.stash[settings_key]


def options_markdown(options: Sequence[Opt[Any]] = OPTIONS) -> str:
    """The README's option table, generated so the docs cannot drift from the code."""
    lines = ["| Option | ini key | Default | What it does |", "| --- | --- | --- | --- |"]
    for opt in options:
        flag = opt.flag + ("" if opt.switch else f" {opt.metavar or 'VALUE'}")
        default = _shown_default(opt)
        status = "" if opt.supported else f" **Not supported yet** (issue #{opt.issue})."
        lines.append(f"| `{flag}` | `{opt.ini}` | {default} | {opt.help}.{status} |")
    return "\n".join(lines)


def _shown_default(opt: Opt[Any]) -> str:
    if opt.name == "build_jobs":
        return "CPU count"
    value = opt.default
    if value is None or value in ((), ""):
        return "—"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, tuple):
        return "`" + ",".join(str(v) for v in value) + "`"
    return f"`{value}`"


def config_error_to_usage(exc: ConfigError) -> pytest.UsageError:
    """A bad config file found at start-up is a usage error with the file and line (R21)."""
    return pytest.UsageError(str(exc))
