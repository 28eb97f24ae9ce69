"""Build the requested components in parallel, each in isolation, shared between xdist workers.

Each component runs in its own thread (at most `build_jobs` at once in this process): lock the
cached clone, fetch and check out its ref (`gitrepo`), build its images (ko, or podman/docker for
a Containerfile), and turn every pushed ref into the in-cluster pull ref with its digest. Output
of git and the build tools streams to `<log_dir>/build-<component>.log`. A failure is caught per
component and becomes a FAILED `BuildResult` (headline, last 50 log lines, log path); the other
components go on (issue 6, failure isolation).

Under xdist, callers pass one `shared_dir` per session (run/shared.py names it). A worker
claims a component with a non-blocking file lock on `<shared_dir>/<component>.lock` and publishes
the result as `<component>.json` before releasing it. A component whose lock is held elsewhere is
skipped at first, so the worker builds others meanwhile; afterwards the worker waits (bounded)
for that lock and reads the JSON. If the JSON is missing (the other worker died), it builds the
component itself. Workers start at different offsets of the component list (`worker_id` gwN), so
two workers begin with two different components. `build_jobs` bounds each process.

This module never starts a process itself: `_proc` and `gitrepo` do (R15).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import re
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypeVar

from pytest_streamstress._infra import git as gitrepo
from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.redact import NO_REDACTION, Redactor
from pytest_streamstress.build import images as image_builds
from pytest_streamstress.build.registry import RegistryTarget, auth_environment
from pytest_streamstress.build.reuse import result_from_json, result_to_json
from pytest_streamstress.errors import StreamstressError
from pytest_streamstress.model import (
    BuildResult,
    BuildStatus,
    BuiltImage,
    ComponentRequest,
    ComponentSpec,
    ContainerTool,
    SourceCommit,
)

if TYPE_CHECKING:
    import datetime as dt


log = logging.getLogger(__name__)

K = TypeVar("K")
R = TypeVar("R")
TAIL_LINES: Final = _proc.TAIL_LINES
INTERRUPT_GRACE_S: Final = 5.0
"""How long an interrupted build step waits for its threads, whose tools a stop signal has ended."""
EventKind = Literal["start", "finish", "fail", "interrupted", "wait", "shared"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildEvent:
    """Progress for the terminal: started, finished, failed, interrupted, waiting, or shared by a worker.

    `interrupted`: a stop signal ended the build's tools; `message` is the signal's name.
    """

    kind: EventKind
    component: str
    duration_s: float = 0.0
    message: str = ""
    log_path: Path | None = None
    result: BuildResult | None = None
    """The component's result, on every event that ends it (finish, fail, interrupted, shared): a stop
    signal cuts `build_components` before it returns, and the builds that ended must not be lost."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOptions:
    """The build settings; the session makes them from its options (run/building.py)."""

    jobs: int = 1
    timeout_s: float = 1800.0
    """Seconds one component may take, fetch and every image included."""
    platform: str = ""
    container_tool: ContainerTool = "auto"
    as_of: dt.date | None = None
    wait_timeout_s: float = 4 * 3600.0
    """How long a worker waits for a component another worker is building."""
    push: bool = True
    """False: dry ko builds (`--push=false`) that need no registry; for tests and bench/build.py."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    options: BuildOptions
    registry: RegistryTarget
    work_dir: Path
    log_dir: Path
    cache_dir: Path
    env: Mapping[str, str]
    redactor: Redactor
    on_event: Callable[[BuildEvent], None] | None
    shared_dir: Path | None = None
    cert_dir: Path | None = None
    """podman's --cert-dir: the cluster CA (build/tls.py)."""

    def emit(self, event: BuildEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:  # a broken progress callback must not fail a build
            log.warning("build progress callback failed for %s", event, exc_info=True)


def build_components(
    selected: Sequence[tuple[ComponentSpec, ComponentRequest]],
    *,
    options: BuildOptions,
    registry: RegistryTarget,
    work_dir: Path,
    log_dir: Path,
    cache_dir: Path,
    env: Mapping[str, str] | None = None,
    redactor: Redactor = NO_REDACTION,
    on_event: Callable[[BuildEvent], None] | None = None,
    shared_dir: Path | None = None,
    worker_id: str | None = None,
    on_tick: Callable[[float, tuple[str, ...]], None] | None = None,
    tick_s: float = 1.0,
) -> tuple[BuildResult, ...]:
    """Build every selected component; one result per component, in the order given. Never raises for a build.

    `on_event` is called from build threads; it must be thread-safe. `on_tick(seconds so far,
    components not done)` is called every `tick_s` on the calling thread while they build (a
    heartbeat, issue 22).
    """
    if registry.password is not None:
        redactor.add(registry.password)
    base_env = dict(env) if env is not None else dict(os.environ)
    for directory in (work_dir, log_dir, cache_dir):
        directory.mkdir(parents=True, exist_ok=True)
    with auth_environment(registry, base_env=base_env) as access:
        ctx = _Context(
            options=options,
            registry=registry,
            work_dir=work_dir,
            log_dir=log_dir,
            cache_dir=cache_dir,
            env={**base_env, **access.env},
            redactor=redactor,
            on_event=on_event,
            shared_dir=shared_dir,
            cert_dir=access.cert_dir,
        )
        order = _rotated(list(selected), worker_id)
        ticks = _Ticks(on_tick, tick_s)
        done = _in_threads(
            {spec.name: functools.partial(_claim_and_build, spec, request, ctx) for spec, request in order},
            workers=options.jobs,
            prefix="build",
            ticks=ticks,
        )
        deferred = [(spec, request) for spec, request in order if done[spec.name] is None]
        if deferred:
            waits = {spec.name: functools.partial(_await_shared, spec, req, ctx) for spec, req in deferred}
            done.update(_in_threads(waits, workers=len(deferred), prefix="build-wait", ticks=ticks))
    results = tuple(done[spec.name] for spec, _ in selected)
    return tuple(r for r in results if r is not None)


@dataclass(frozen=True, slots=True)
class _Ticks:
    """The caller's heartbeat while the pool works: `call(seconds since the first build, pending)`."""

    call: Callable[[float, tuple[str, ...]], None] | None
    every_s: float
    started: float = dataclasses.field(default_factory=time.monotonic)

    def wait(self, futures: Mapping[K, Future[R]]) -> None:
        pending = set(futures.values())
        while pending:
            _done, pending = wait_futures(pending, timeout=self.every_s if self.call else None)
            if pending and self.call is not None:
                names = tuple(str(name) for name, future in futures.items() if future in pending)
                self.call(time.monotonic() - self.started, names)


def _in_threads(
    calls: Mapping[K, Callable[[], R]], *, workers: int, prefix: str, ticks: _Ticks | None = None
) -> dict[K, R]:
    """Run every call in a pool and return their results by name.

    On an interrupt (a stop signal raises in this waiting thread) it waits at most
    `INTERRUPT_GRACE_S` for the builds, never the build timeout: `_proc.stop_all` has ended their
    processes and starts no new one (issue 19), so their threads end at once and report "interrupted"
    (through `on_event`) before the session writes results.json.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=prefix)
    futures: dict[K, Future[R]] = {}
    try:
        futures = {name: pool.submit(call) for name, call in calls.items()}
        if ticks is not None:
            ticks.wait(futures)
        results = {name: future.result() for name, future in futures.items()}
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        wait_futures(futures.values(), timeout=INTERRUPT_GRACE_S)
        raise
    pool.shutdown(wait=True)
    return results


def _rotated(
    items: list[tuple[ComponentSpec, ComponentRequest]], worker_id: str | None
) -> list[tuple[ComponentSpec, ComponentRequest]]:
    """Worker gwN starts N places into the list, so workers begin with different components."""
    match = re.fullmatch(r"gw(\d+)", worker_id or "")
    if not match or not items:
        return items
    offset = int(match.group(1)) % len(items)
    return items[offset:] + items[:offset]


def _claim_and_build(spec: ComponentSpec, request: ComponentRequest, ctx: _Context) -> BuildResult | None:
    """Build unless another worker holds the component (then None: wait for it later)."""
    if ctx.shared_dir is None:
        return _build_one(spec, request, ctx)
    from filelock import FileLock, Timeout

    lock = FileLock(str(_shared_path(ctx.shared_dir, spec, ".lock")))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        ctx.emit(BuildEvent(kind="wait", component=spec.name, message="another worker is building it"))
        return None
    try:
        return _shared_or_build(spec, request, ctx)
    finally:
        lock.release()


def _await_shared(spec: ComponentSpec, request: ComponentRequest, ctx: _Context) -> BuildResult:
    """Wait (bounded) for the worker that builds `spec`, then read its result."""
    from filelock import FileLock, Timeout

    assert ctx.shared_dir is not None
    lock = FileLock(str(_shared_path(ctx.shared_dir, spec, ".lock")))
    try:
        lock.acquire(timeout=ctx.options.wait_timeout_s)
    except Timeout:
        message = (
            f"waited {ctx.options.wait_timeout_s:g}s for another worker to build {spec.name}"
            f" (lock {lock.lock_file}); it never finished"
        )
        failed = BuildResult(component=spec.name, repo=spec.repo, status=BuildStatus.FAILED, error=message)
        ctx.emit(BuildEvent(kind="fail", component=spec.name, message=message, result=failed))
        return failed
    try:
        return _shared_or_build(spec, request, ctx)
    finally:
        lock.release()


def _shared_or_build(spec: ComponentSpec, request: ComponentRequest, ctx: _Context) -> BuildResult:
    """Holding the component's lock: reuse a published result, or build and publish one."""
    assert ctx.shared_dir is not None
    record = _shared_path(ctx.shared_dir, spec, ".json")
    if record.exists():
        result = result_from_json(json.loads(record.read_text(encoding="utf-8")))
        ctx.emit(
            BuildEvent(
                kind="shared",
                component=spec.name,
                duration_s=result.duration_s,
                message=f"built by another worker: {result.status.value}",
                log_path=result.log_path,
                result=result,
            )
        )
        return result
    result = _build_one(spec, request, ctx)
    tmp = record.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(result_to_json(result)), encoding="utf-8")
    tmp.replace(record)
    return result


def _shared_path(shared_dir: Path, spec: ComponentSpec, suffix: str) -> Path:
    shared_dir.mkdir(parents=True, exist_ok=True)
    return shared_dir / f"{spec.name}{suffix}"


def _build_one(spec: ComponentSpec, request: ComponentRequest, ctx: _Context) -> BuildResult:
    log_path = ctx.log_dir / f"build-{spec.name}.log"
    log_path.write_text(f"# build of {request}\n", encoding="utf-8")
    ctx.emit(BuildEvent(kind="start", component=spec.name, message=str(request), log_path=log_path))
    started = time.monotonic()
    deadline = started + ctx.options.timeout_s
    source = None
    try:
        clone_dir = gitrepo.clone_dir_for(ctx.cache_dir, spec.repo)
        with gitrepo.locked(clone_dir, timeout=ctx.options.timeout_s):
            git = gitrepo.Git(
                url=spec.repo,
                clone_dir=clone_dir,
                timeout=ctx.options.timeout_s,
                log_to=log_path,
                env=ctx.env,
                redactor=ctx.redactor,
            )
            source = gitrepo.checkout_ref(
                git, ref=request.git_ref, default_branch=spec.default_branch, as_of=ctx.options.as_of
            )
            _note(log_path, f"# source {source.sha} {source.date} {source.subject}")
            images = image_builds.build_images(
                spec,
                source=source,
                clone_dir=clone_dir,
                tools=image_builds.Tools(
                    registry=ctx.registry,
                    env=ctx.env,
                    redactor=ctx.redactor,
                    log_path=log_path,
                    work_dir=ctx.work_dir / spec.name,
                    deadline=deadline,
                    platform=ctx.options.platform,
                    container_tool=ctx.options.container_tool,
                    push=ctx.options.push,
                    cert_dir=ctx.cert_dir,
                ),
            )
    except Exception as exc:
        duration = time.monotonic() - started
        stopping = _proc.stop_reason()
        if stopping:
            # The tool died of the stop (or was never started): its error is not the build's (issue 22).
            return _interrupted(spec, ctx, stopping, source=source, log_path=log_path, duration=duration)
        error = ctx.redactor(_failure_text(spec, exc, log_path))
        if not isinstance(exc, StreamstressError):
            log.error("unexpected error building %s", spec.name, exc_info=exc)
        event = BuildEvent(
            kind="fail",
            component=spec.name,
            duration_s=duration,
            message=error.splitlines()[0],
            log_path=log_path,
        )
        return _ended(spec, ctx, event, BuildStatus.FAILED, source=source, error=error)
    duration = time.monotonic() - started
    event = BuildEvent(
        kind="finish",
        component=spec.name,
        duration_s=duration,
        message=f"{len(images)} image(s)",
        log_path=log_path,
    )
    return _ended(spec, ctx, event, BuildStatus.BUILT, source=source, images=images)


def _ended(
    spec: ComponentSpec,
    ctx: _Context,
    event: BuildEvent,
    status: BuildStatus,
    *,
    source: SourceCommit | None,
    error: str = "",
    images: tuple[BuiltImage, ...] = (),
) -> BuildResult:
    """Every way a build ends says so once on the terminal (the event) and once in its result."""
    result = BuildResult(
        component=spec.name,
        repo=ctx.redactor(spec.repo),
        status=status,
        source=source,
        images=images,
        error=error,
        log_path=event.log_path,
        duration_s=event.duration_s,
    )
    ctx.emit(dataclasses.replace(event, result=result))
    return result


def _interrupted(
    spec: ComponentSpec,
    ctx: _Context,
    reason: str,
    *,
    source: SourceCommit | None,
    log_path: Path,
    duration: float,
) -> BuildResult:
    """A build a stop signal cut: it says so in its log, on the terminal and in its result."""
    error = f"building {spec.name} was interrupted by {reason} after {duration:.1f}s; the run is stopping"
    with contextlib.suppress(OSError):
        _note(log_path, f"# {error}")
    event = BuildEvent(
        kind="interrupted", component=spec.name, duration_s=duration, message=reason, log_path=log_path
    )
    return _ended(spec, ctx, event, BuildStatus.FAILED, source=source, error=error)


def _failure_text(spec: ComponentSpec, exc: BaseException, log_path: Path) -> str:
    """Headline (with exit code and hint), then the last 50 lines of the log and its path."""
    if isinstance(exc, StreamstressError):
        headline = exc.message.split("; last output:", 1)[0].splitlines()[0]
        hint = f"\n  hint: {exc.hint}" if exc.hint else ""
    else:
        headline = f"internal error: {''.join(traceback.format_exception_only(exc)).strip()}"
        hint = ""
    with contextlib.suppress(OSError):  # the log may not exist if nothing ran yet
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-TAIL_LINES:]
        tail = "\n".join(lines)
        return (
            f"building {spec.name} failed: {headline}{hint}\n--- last {len(lines)} lines of {log_path} ---\n"
            f"{tail}"
        )
    return f"building {spec.name} failed: {headline}{hint}"


def _note(log_path: Path, text: str) -> None:
    with log_path.open("a", encoding="utf-8") as handle:
        handle.write(text + "\n")
