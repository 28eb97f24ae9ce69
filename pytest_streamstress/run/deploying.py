"""The cluster steps of a session: auto-setup, deploy, and `--restore` at the end.

Each turns the options into the cluster room's frozen parameters, calls it, and says what happened
in one line. Nothing here talks to the API itself (cluster/ is the one door, R15).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_streamstress._infra.heartbeat import DEFAULT_PACE, Pace
from pytest_streamstress._infra.waits import Cutoff
from pytest_streamstress.components import ComponentCatalog
from pytest_streamstress.errors import StreamstressError
from pytest_streamstress.model import BuildResult, Deployment, Restore, RestoreState
from pytest_streamstress.options import Settings

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster
    from pytest_streamstress.cluster.deploy import DeployParams

Say = Callable[[str], None]


def run_setup(cluster: Cluster, settings: Settings, say: Say, *, pace: Pace = DEFAULT_PACE) -> str:
    """Auto-setup of a bare cluster; returns the registry route's host."""
    from pytest_streamstress.cluster.setup import SetupParams, ensure

    say("auto-setup: checking the registry route, image namespace and operator")
    started = time.monotonic()
    with said_if_interrupted("auto-setup", started, say):
        report = ensure(
            cluster,
            SetupParams(
                channel=settings.operator_channel,
                source=settings.operator_source,
                target_namespace=settings.target_namespace,
                timeout=settings.setup_timeout,
                # The deploy waits for Ready itself, under --deploy-timeout; without a deploy, setup does.
                wait_ready=settings.skip_deploy,
                pace=pace,
            ),
            on_progress=say,
        )
    say(
        "auto-setup: "
        + ("changed " + "; ".join(report.changed) if report.changed else "nothing to do")
        + f" (operator {report.csv or 'unknown'})"
    )
    return report.registry_host


def deploy_params(settings: Settings, pace: Pace, **extra: Any) -> DeployParams:
    """The deploy, restore and --confirm's shipped images read one set of the session's options."""
    from pytest_streamstress.cluster.deploy import DeployParams

    return DeployParams(
        strategy=settings.deploy_strategy,
        olm_timeout=settings.olm_timeout,
        deploy_timeout=settings.deploy_timeout,
        target_namespace=settings.target_namespace,
        record_dir=settings.results_dir,
        pace=pace,
        **extra,
    )


def run_deploy(
    cluster: Cluster,
    builds: tuple[BuildResult, ...],
    catalog: ComponentCatalog,
    settings: Settings,
    *,
    emulated: bool,
    say: Say,
    pace: Pace = DEFAULT_PACE,
    keep_record: bool = False,
) -> Deployment:
    from pytest_streamstress.cluster.deploy import deploy

    if not any(b.images for b in builds):
        say("deploy: no images to deploy (nothing built or given with --image/--images-from)")
    params = deploy_params(
        settings, pace, cluster_kind="emulated" if emulated else cluster.kind, keep_record=keep_record
    )
    started = time.monotonic()
    with said_if_interrupted("deploy", started, say):
        result = deploy(cluster, builds, catalog, params, say=say)
    say(f"deploy: {result.status.value} in {time.monotonic() - started:.1f}s")
    return result


@contextlib.contextmanager
def said_if_interrupted(step: str, started: float, say: Say) -> Iterator[None]:
    """A stop signal during the step: one line that says it was interrupted, never a tool error (issue 22)."""
    try:
        yield
    except KeyboardInterrupt as exc:
        name = str(exc.args[0]) if exc.args else "Ctrl-C"
        say(f"{step}: interrupted ({name}) after {time.monotonic() - started:.1f}s")
        raise


def restore_record_is_ours(settings: Settings, deploy_started_at: float | None) -> Path | None:
    """The restore record this session wrote, if it deployed and `--restore` is on; else None."""
    if not settings.restore:
        return None
    return record_written_since(settings, deploy_started_at)


def record_written_since(settings: Settings, deploy_started_at: float | None) -> Path | None:
    """The restore record in the results directory if this session wrote it; else None."""
    if deploy_started_at is None:
        return None  # nothing deployed here: do not even load the Kubernetes client
    from pytest_streamstress.cluster.deploy import RESTORE_RECORD

    record = settings.results_dir / RESTORE_RECORD
    if not record.is_file():
        return None
    if record.stat().st_mtime < deploy_started_at - 1:
        return None  # an older session's record; this session patched nothing (a no-op deploy)
    return record


def left_before_restore(
    settings: Settings, deploy_started_at: float | None, *, outlives_session: bool = True
) -> Restore | None:
    """What results.json says of the operator before `--restore` has run; None: this session patched
    nothing, or, without --restore, patched an emulator that ends with it (`outlives_session`).
    Written first as `pending`, so a session that dies during the restore leaves that word."""
    record = record_written_since(settings, deploy_started_at)
    if record is None or not (settings.restore or outlives_session):
        return None
    again = f"`streamstress restore {settings.results_dir}`"
    if settings.restore:
        return Restore(
            state=RestoreState.PENDING,
            message="--restore was putting the recorded operator images back when this was written; still"
            f" pending means the session ended before the restore did: run {again}",
        )
    return Restore(
        state=RestoreState.NOT_ASKED,
        message=f"the operator runs this run's images (no --restore); {again} puts back what it ran before",
    )


def run_restore(
    connect: Callable[[], Cluster],
    record: Path,
    catalog: ComponentCatalog,
    settings: Settings,
    say: Say,
    *,
    cutoff: Cutoff | None = None,
    pace: Pace = DEFAULT_PACE,
) -> Restore:
    """Put the recorded operator images back; a failure, or a stop signal's bound, says how to finish.

    After a stop signal the waits end `--stop-timeout` seconds after it (`cutoff`); the patches
    themselves are never cut, so the operator carries the recorded values either way.
    """
    from pytest_streamstress.cluster.restore import restore

    if cutoff is not None and cutoff.armed:
        say(
            "--restore: putting the recorded operator images back"
            f" (waiting at most {cutoff.bound:g}s after {cutoff.reason})"
        )
    else:
        say("--restore: putting the recorded operator images back")
    again = f"run `streamstress restore {settings.results_dir}`"
    try:
        restore(
            connect(),
            record,
            catalog,
            deploy_params(settings, pace),
            say=say,
            cutoff=cutoff,
        )
    except StreamstressError as exc:
        if cutoff is not None and cutoff.remaining() == 0:
            state = RestoreState.CUT_OFF
            lead = (
                f"--restore stopped {cutoff.bound:g}s after {cutoff.reason} (--stop-timeout) before the"
                " cluster was back"
            )
            finish = f"{again} to finish it (the record is kept)"
        else:
            state, lead, finish = RestoreState.FAILED, "--restore failed", f"{again} to retry"
        say(f"{lead}: {exc.message if state is RestoreState.CUT_OFF else exc}\n{finish}")
        return Restore(state=state, message=f"{lead}: {gist(exc.message)}; {finish}")
    return Restore(state=RestoreState.RESTORED, message="--restore put the recorded operator images back")


GIST_LINES = 2
"""Of a wait's diagnosis, the lines results.json and the morning page keep (the terminal had them all)."""
GIST_WIDTH = 160


def gist(message: str) -> str:
    """A diagnosis in one short line: its first line and the pods' lines first (they name the image
    that does not run), GIST_LINES of GIST_WIDTH; the rest is on the terminal and in the session's log."""
    first, *rest = [line.strip(" -") for line in message.splitlines() if line.strip(" -")] or [""]
    pods = [line for line in rest if line.startswith("pod ")]
    kept = [_cut(line) for line in (pods + [line for line in rest if line not in pods])[:GIST_LINES]]
    more = len(rest) - len(kept)
    text = " ".join([first.rstrip(":") + (":" if kept else ""), "; ".join(kept)]).strip()
    return text + (f"; and {more} more line(s) on the terminal" if more > 0 else "")


def _cut(line: str) -> str:
    return line if len(line) <= GIST_WIDTH else line[: GIST_WIDTH - 1] + "…"
