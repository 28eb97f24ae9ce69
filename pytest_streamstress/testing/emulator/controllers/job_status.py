"""The Job controller's pure decisions: a pod's outcome, when a Job has failed, index ranges.

Kept apart from jobs.py (which runs the pods) so each stays small; nothing here touches the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

EVICTED_MESSAGE: Final = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 42Mi."
DEFAULT_BACKOFF_LIMIT: Final = 6
"""spec.backoffLimit when the Job gives none (Kubernetes' default)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    exit_code: int
    reason: str  # container terminated reason: Completed | Error | DeadlineExceeded | OOMKilled | Evicted
    message: str = ""


def failure_of(spec: Mapping[str, Any], done: Mapping[int, bool]) -> tuple[str, str] | None:
    """(reason, message) of the Job's Failed condition, or None while it has not failed.

    With `backoffLimitPerIndex` every index runs and the Job fails once all are done and one failed
    (FailedIndexes); otherwise more failures than `backoffLimit` fail it at once (retries are not
    emulated, so a non-indexed Job fails on its first failed pod, as with the plugin's backoffLimit 0).
    """
    failed = sum(1 for ok in done.values() if not ok)
    if not failed:
        return None
    if spec.get("completionMode") != "Indexed":
        return ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    if spec.get("backoffLimitPerIndex") is not None:
        if len(done) == int(spec.get("completions") or 1):
            return ("FailedIndexes", "Job has failed indexes")
        return None
    limit = spec.get("backoffLimit")
    if failed > int(DEFAULT_BACKOFF_LIMIT if limit is None else limit):
        return ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    return None


def ranges(indexes: Iterable[int]) -> str:
    """`completedIndexes` notation: "0-2,4"."""
    ordered = sorted(set(indexes))
    parts: list[str] = []
    start = prev = None
    for i in ordered:
        if start is None:
            start = prev = i
        elif prev is not None and i == prev + 1:
            prev = i
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = i
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(parts)


def terminated(reason: str) -> Outcome:
    """What the kubelet reports for a container stopped from outside (TERMINATE_ANNOTATION)."""
    if reason == "Evicted":
        return Outcome(137, "Evicted", EVICTED_MESSAGE)
    if reason == "OOMKilled":
        return Outcome(137, "OOMKilled")
    return Outcome(137, "Error", reason)
