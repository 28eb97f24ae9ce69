"""What `streamstress ci` does next, decided from the cluster's state alone, and the job summaries.

Pure: takes the newest Job as `JobView` (plain facts, no Kubernetes objects) and returns a
`Decision`; renders the GitHub job-summary markdown from plain values. It must not call the API,
git or the file system: `cli/ci.py` carries the decision out. Because the state lives in the
cluster (the Job, its phase and its `streamstress.io/published` annotation), every trigger of the
workflow may run the same command any number of times:

    no Job            -> launch
    newest Failed     -> launch (the summary names the failed Job)
    Pending/Running   -> wait   ("in progress" with the logs command)
    Succeeded         -> collect and publish, then mark the Job published
    Succeeded+marked  -> launch (the previous run is done and published)
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)


class Action(enum.Enum):
    LAUNCH = "launch"
    WAIT = "wait"
    COLLECT = "collect"


@dataclass(frozen=True, slots=True, kw_only=True)
class JobView:
    namespace: str
    name: str
    phase: str
    pod: str = ""
    pod_phase: str = ""
    message: str = ""
    published: str = ""
    sharded: bool = False
    """An Indexed Job (--shards): a failed one still has the other shards' results to publish."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    action: Action
    reason: str
    job: JobView | None = None


def decide(newest: JobView | None) -> Decision:
    """The next step for the newest streamstress Job of the namespace."""
    if newest is None:
        return Decision(action=Action.LAUNCH, reason="no streamstress Job in the namespace")
    where = f"{newest.namespace}/{newest.name}"
    if newest.phase in ("Pending", "Running"):
        return Decision(action=Action.WAIT, reason=f"Job {where} is {newest.phase.lower()}", job=newest)
    if newest.phase == "Failed" and newest.sharded and not newest.published:
        return Decision(
            action=Action.COLLECT,
            reason=f"sharded Job {where} ended with lost shards; the others' results are merged and"
            " published",
            job=newest,
        )
    if newest.phase == "Failed":
        detail = f" ({newest.message})" if newest.message else ""
        return Decision(action=Action.LAUNCH, reason=f"the last Job {where} failed{detail}", job=newest)
    if newest.phase == "Succeeded" and newest.published:
        return Decision(action=Action.LAUNCH, reason=f"the last Job {where} is already published", job=newest)
    if newest.phase == "Succeeded":
        return Decision(action=Action.COLLECT, reason=f"Job {where} succeeded", job=newest)
    return Decision(
        action=Action.WAIT, reason=f"Job {where} is in an unknown phase {newest.phase!r}", job=newest
    )


def logs_command(namespace: str, name: str) -> str:
    return f"streamstress logs -f --namespace {namespace} {name}"


def _md(text: str) -> str:
    """Plain text inside markdown: no tables broken by pipes, no HTML from a Job message."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def launched_summary(namespace: str, name: str, reason: str) -> str:
    return "\n".join(
        [
            "## streamstress: Job launched",
            "",
            f"Launched `{namespace}/{name}` because {_md(reason)}.",
            "",
            "Follow it:",
            "",
            "```",
            logs_command(namespace, name),
            "```",
            "",
            "Run this workflow again when it has finished to collect and publish the results.",
            "",
        ]
    )


def in_progress_summary(job: JobView) -> str:
    pod = f" (pod `{job.pod}`: {job.pod_phase or 'not started'})" if job.pod else " (no pod yet)"
    return "\n".join(
        [
            "## streamstress: in progress",
            "",
            f"Job `{job.namespace}/{job.name}` is {job.phase.lower()}{pod}.",
            "",
            "```",
            logs_command(job.namespace, job.name),
            "```",
            "",
        ]
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedView:
    run_id: str
    counts: Sequence[tuple[str, int]]
    categories: Sequence[tuple[str, int]]
    pages_url: str = ""
    commit: str = ""
    results_dir: str = ""
    skipped_reason: str = ""
    """Non-empty when publishing was skipped (no remote configured); the results were still collected."""


def published_summary(job: JobView, view: PublishedView) -> str:
    title = "results collected (publish skipped)" if view.skipped_reason else "results published"
    lines = [
        f"## streamstress: {title}",
        "",
        f"Run `{_md(view.run_id)}` from Job `{job.namespace}/{job.name}`.",
        "",
    ]
    if view.counts:
        lines += ["| Outcome | Scenarios |", "| --- | ---: |"]
        lines += [f"| {_md(name)} | {count} |" for name, count in view.counts]
        lines.append("")
    if view.categories:
        lines += ["| Failure category | Failures |", "| --- | ---: |"]
        lines += [f"| {_md(name)} | {count} |" for name, count in view.categories]
        lines.append("")
    else:
        lines += ["No categorized failures.", ""]
    if view.skipped_reason:
        lines += [f"Publish skipped: {_md(view.skipped_reason)}.", ""]
    if view.pages_url:
        lines += [f"Dashboard: [{view.pages_url}]({view.pages_url})", ""]
    if view.commit:
        lines += [f"Published as commit `{view.commit[:12]}`.", ""]
    if view.results_dir:
        lines += [f"Collected into `{_md(view.results_dir)}`.", ""]
    return "\n".join(lines)
