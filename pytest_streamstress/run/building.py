"""The build step of a session: which components to build, which given images to reuse, where to push.

Turns the options into `build.BuildOptions` and a `RegistryTarget`, says what it is about to do,
calls `build.build_components` (shared between xdist workers through `shared`) and reports each
component as it finishes. With `--skip-build` it only gathers `--image`/`--images-from` images.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_streamstress._infra.heartbeat import DEFAULT_PACE, Heartbeat, Pace
from pytest_streamstress._infra.redact import Redactor, Secret
from pytest_streamstress.build import BuildEvent, BuildOptions, RegistryTarget, build_components, manifests
from pytest_streamstress.build.reuse import images_from_assignments, images_from_results
from pytest_streamstress.components import ComponentCatalog
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.model import BuildResult, BuildStatus, ComponentRequest, ComponentSpec
from pytest_streamstress.options import Settings

log = logging.getLogger(__name__)

Say = Callable[[str], None]


def build_options(settings: Settings) -> BuildOptions:
    return BuildOptions(
        jobs=settings.build_jobs,
        timeout_s=settings.build_timeout,
        platform=settings.platform,
        container_tool=settings.container_tool,
        as_of=settings.as_of,
        wait_timeout_s=max(4 * 3600.0, 2 * settings.build_timeout),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildStep:
    """Everything the build step needs from the session."""

    settings: Settings
    catalog: ComponentCatalog
    token: Secret | None
    """The cluster's bearer token: the internal registry's password."""
    registry_host: str
    registry_ca: bytes = b""
    """The cluster's ingress CA (PEM) its registry route is signed with; b"" if it publishes none."""
    registry_ca_source: str = ""
    cache_dir: Path
    redactor: Redactor
    say: Say
    shared: Path | None = None
    worker_id: str | None = None
    pace: Pace = DEFAULT_PACE
    on_result: Callable[[BuildResult], None] | None = None
    """Called as each component's build ends (from build threads): what a stop signal must not lose."""


def run_build_step(step: BuildStep) -> tuple[BuildResult, ...]:
    """Build the requested components, or take `--image`/`--images-from` images with --skip-build."""
    settings = step.settings
    given = given_images(settings, step.catalog)
    if settings.skip_build:
        return given
    target = registry_target(
        settings, step.registry_host, step.token, ca_pem=step.registry_ca, ca_source=step.registry_ca_source
    )
    if target.insecure:
        log.warning("--registry-insecure: not verifying %s", target.push_host)
        step.say(
            f"warning: --registry-insecure: the certificate of {target.push_host} is not verified and the"
            " tools may fall back to plain HTTP; the registry credentials go to whoever answers there"
        )
    else:
        manifests.check_tls(target)  # a certificate the tools would refuse: one clear error, now
    selected = step.catalog.select(settings.components)
    reused = _reused(step, given, selected)
    if reused and settings.since_last_run and settings.images_from is not None:
        reused, gone = still_in_registry(reused, target, step.say)
        if gone:
            selected = (*selected, *step.catalog.select(gone))
    handed = [r.component for r in reused if r.status is BuildStatus.BUILT]  # this run's, built upstream
    if handed:
        step.say(
            f"build: {', '.join(handed)} built by the session that started this one:"
            f" deploying its images ({settings.images_from})"
        )
    given_here = [r.component for r in reused if r.status is not BuildStatus.BUILT]
    if given_here:
        step.say(
            f"build: not building {', '.join(given_here)}:"
            f" deploying the given images ({settings.images_from or '--image'})"
        )
    names = ", ".join(str(request) for _spec, request in selected)
    step.say(
        f"build: {len(selected)} component(s) ({names}), {settings.build_jobs} at a time,"
        f" pushing to {target.push}"
    )
    started = time.monotonic()
    shared: list[str] = []
    beat = Heartbeat(
        step.say,
        lead="build",
        what="the build",
        bound=settings.build_timeout,
        option="--build-timeout, per component",
        pace=step.pace,
    )
    results = build_components(
        selected,
        options=build_options(settings),
        registry=target,
        work_dir=settings.results_dir / "build",
        log_dir=settings.results_dir / "logs",
        cache_dir=step.cache_dir,
        redactor=step.redactor,
        on_event=_progress(step.say, step.on_result, shared),
        shared_dir=step.shared / "builds" if step.shared is not None else None,
        worker_id=step.worker_id,
        on_tick=lambda elapsed, pending: beat(elapsed, f"still building {', '.join(pending)}"),
        tick_s=step.pace.poll_s,
    )
    built = sum(1 for r in results if r.status is BuildStatus.BUILT)
    took = f"{time.monotonic() - started:.1f}s"
    if shared:  # an xdist worker that took another worker's builds did not build them itself
        step.say(
            f"build: {built}/{len(results)} component(s) ready in {took}"
            f" ({', '.join(sorted(shared))} built by another worker)"
        )
    else:
        step.say(f"build: {built}/{len(results)} component(s) built in {took}")
    return (*results, *reused)


def given_images(settings: Settings, catalog: ComponentCatalog) -> tuple[BuildResult, ...]:
    given: tuple[BuildResult, ...] = ()
    if settings.image:
        given += images_from_assignments(settings.image, catalog)
    if settings.images_from is not None:
        given += images_from_results(settings.images_from, catalog)
    return given


def registry_target(
    settings: Settings, registry_host: str, token: Secret | None, *, ca_pem: bytes = b"", ca_source: str = ""
) -> RegistryTarget:
    """Where builds push: `--registry`, else the cluster's route, verified with its ingress CA (issue 19)."""
    if settings.registry:
        return RegistryTarget.from_option(
            settings.registry, password=token, insecure=settings.registry_insecure
        )
    if registry_host:
        return RegistryTarget.cluster(
            registry_host,
            token=token,
            ca_pem=ca_pem,
            ca_source=ca_source,
            insecure=settings.registry_insecure,
        )
    raise ConfigError(
        "no registry to push the builds to: the cluster's registry route is unknown",
        hint="drop --no-auto-setup (it enables the route), or pass --registry HOST/NAMESPACE",
    )


def _reused(
    step: BuildStep,
    given: tuple[BuildResult, ...],
    selected: tuple[tuple[ComponentSpec, ComponentRequest], ...],
) -> tuple[BuildResult, ...]:
    """The given images of components this run does not build; says which given ones it shadows."""
    building = {spec.name for spec, _ in selected}
    shadowed = sorted(r.component for r in given if r.component in building)
    if shadowed:
        step.say(
            f"build: the given images of {', '.join(shadowed)} are not used: this run builds"
            " them (narrow --components to deploy them instead)"
        )
    return tuple(r for r in given if r.component not in building)


def _progress(
    say: Say, on_result: Callable[[BuildResult], None] | None, shared: list[str]
) -> Callable[[BuildEvent], None]:
    def progress(event: BuildEvent) -> None:
        if event.result is not None and on_result is not None:
            on_result(event.result)
        if event.kind == "shared":
            shared.append(event.component)
        if event.kind == "finish":
            say(f"build: {event.component} built in {event.duration_s:.1f}s")
        elif event.kind == "fail":
            say(
                f"build: {event.component} FAILED after {event.duration_s:.1f}s"
                + (f" (log {event.log_path})" if event.log_path else "")
            )
        elif event.kind == "interrupted":
            say(
                f"build: {event.component} interrupted ({event.message}) after {event.duration_s:.1f}s"
                + (f" (log {event.log_path})" if event.log_path else "")
            )
        elif event.kind == "start":
            log.info("build: %s started", event.component)

    return progress


def still_in_registry(
    reused: tuple[BuildResult, ...], target: RegistryTarget, say: Say
) -> tuple[tuple[BuildResult, ...], tuple[ComponentRequest, ...]]:
    """--since-last-run: keep the reused components whose images the registry still has.

    The others (pruned, or the registry cannot say) are built again at the commit they were
    built from last time, so a pruned image never turns into a failed deploy.
    """
    kept: list[BuildResult] = []
    gone: list[ComponentRequest] = []
    for result in reused:
        missing = [image.name for image in result.images if not _present(str(image.ref), target)]
        if not missing:
            kept.append(result)
            continue
        sha = result.source.sha if result.source is not None else None
        gone.append(ComponentRequest(name=result.component, ref=sha))
        say(
            f"build: last run's images of {result.component} ({', '.join(missing)}) are not in the"
            f" registry (pruned?) or cannot be checked: building it again at {sha or 'its branch head'}"
        )
    return tuple(kept), tuple(gone)


def _present(ref: str, target: RegistryTarget) -> bool:
    from pytest_streamstress.build.manifests import image_present

    where = target.push_ref(ref)
    return where is not None and image_present(where, target) is True
