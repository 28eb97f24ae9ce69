"""The one `Settings` value built from the options (STYLE R12), and where the plugin runs.

`Settings.from_config` resolves CLI, then ini, then default for every entry of options/table.py,
checks every value, and is stored in `config.stash`; nothing else reads `config.getoption`. Only
run/ reads Settings: it turns them into each phase's frozen parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.model import (
    ClusterChoice,
    ComponentRequest,
    ContainerTool,
    DeployStrategy,
    LifecycleScenarios,
)
from pytest_streamstress.options.opt import Opt
from pytest_streamstress.options.parse import parse_bool
from pytest_streamstress.options.render import shown_default
from pytest_streamstress.options.table import GROUP, OPTIONS, OPTIONS_BY_NAME

if TYPE_CHECKING:
    from pytest_streamstress.components import ComponentCatalog


def add_options(parser: pytest.Parser) -> None:
    """Register every option for the command line and the ini file, each with its default and type."""
    group = parser.getgroup(GROUP, "streamstress: upstream Tekton regression runs on OpenShift Pipelines")
    for opt in OPTIONS:
        help_text = help_with_default(opt)
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
        elif opt.switch:
            parser.addini(opt.ini, help_text, type="bool", default=None)
        else:
            parser.addini(opt.ini, help_text, type="string", default=None)


def help_with_default(opt: Opt[Any]) -> str:
    """The help text as `pytest --help` and the README show it: the default named (R26)."""
    text = opt.help + ("" if opt.supported else f" [not supported yet, issue #{opt.issue}]")
    shown = shown_default(opt).strip("`")
    return text if opt.switch or shown == "—" else f"{text} (default: {shown})"


def _raw_values(config: pytest.Config, opt: Opt[Any]) -> tuple[str, list[str] | None]:
    """(where it came from, raw text values) for one option: CLI first, then ini; None when unset."""
    cli = config.getoption(opt.dest, default=None)
    if cli is not None:
        if opt.switch:
            return opt.flag, ["true"]
        return opt.flag, list(cli) if opt.multiple else [cli]
    try:
        ini = config.getini(opt.ini)
    except ValueError:  # a bool ini key pytest could not read: say which and what it takes
        raw = str(config.inicfg.get(opt.ini, ""))
        raise pytest.UsageError(f"ini {opt.ini}: {raw!r} is not a boolean; expected true or false") from None
    if ini is None or (not isinstance(ini, bool) and ini in ("", [])):
        return opt.ini, None
    if opt.multiple:
        return f"ini {opt.ini}", [str(line) for line in ini]
    return f"ini {opt.ini}", [str(ini)]


def is_given(config: pytest.Config, name: str) -> bool:
    """Did the user set this option (command line or ini), rather than leave it at its default?"""
    return _raw_values(config, OPTIONS_BY_NAME[name])[1] is not None


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
    cluster: ClusterChoice
    kubeconfig: Path | None
    context: str
    components: tuple[ComponentRequest, ...]
    components_config: Path | None
    release_tests_repo: str
    release_tests_ref: str
    release_tests_dir: Path | None
    gauge_tags: str
    lifecycle_scenarios: LifecycleScenarios
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
    allure_results: Path | None
    publish: bool
    publish_repo: str
    publish_branch: str
    publish_timeout: float
    history_budget: int
    skip_build: bool
    registry: str
    registry_insecure: bool
    image: tuple[tuple[str, str], ...]
    images_from: Path | None
    as_of: dt.date | None
    build_jobs: int
    build_timeout: float
    platform: str
    container_tool: ContainerTool
    deploy_partial: bool
    since_last_run: bool
    skip_deploy: bool
    no_auto_setup: bool
    deploy_strategy: DeployStrategy
    deploy_timeout: float
    olm_timeout: float
    setup_timeout: float
    api_timeout: float
    restore: bool
    confirm: bool
    confirm_max: int
    confirm_timeout: float
    stop_timeout: float
    cluster_wait: float
    heartbeat: float
    operator_channel: str
    operator_source: str
    target_namespace: str
    in_cluster: bool
    job_image: str
    job_namespace: str
    shards: int
    shard: tuple[int, int] | None
    """(index, count) with `--shard INDEX/COUNT`: this session runs that shard of the plan."""
    clusters: Path | None
    cluster_name: str
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


def config_error_to_usage(exc: ConfigError) -> pytest.UsageError:
    """A bad config file found at start-up is a usage error with the file and line (R21)."""
    return pytest.UsageError(str(exc))
