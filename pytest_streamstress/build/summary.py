"""Pure: from the build results to what deploy may use, and the one message a failed build gives.

Issue 6: the deploy is skipped when any requested build failed, unless `--deploy-partial`, in which
case the components that built (or were reused) are deployed and the failures are still reported.
The message is what every scenario item shows as its setup error, so it lists each failed
component with its log path and the first line of its error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_streamstress.model import BuildResult, BuildStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildDecision:
    deploy: tuple[BuildResult, ...]
    """Results whose images go to the operator (empty when the deploy must be skipped)."""
    error: str = ""
    """Non-empty when some build failed: the setup error of the items (also with --deploy-partial)."""
    skip_deploy: bool = False


def decide(results: Sequence[BuildResult], *, deploy_partial: bool) -> BuildDecision:
    failed = [r for r in results if r.status is BuildStatus.FAILED]
    usable = tuple(r for r in results if r.status is not BuildStatus.FAILED and r.images)
    if not failed:
        return BuildDecision(deploy=usable)
    lines = [f"{len(failed)} of {len(results)} component build(s) failed:"]
    for result in failed:
        first = result.error.splitlines()[0] if result.error else "failed"
        where = f" (log: {result.log_path})" if result.log_path else ""
        lines.append(f"  - {result.component}: {first}{where}")
    if deploy_partial:
        lines.append(f"--deploy-partial: deploying the {len(usable)} component(s) that built")
        return BuildDecision(deploy=usable, error="\n".join(lines))
    lines.append("the deploy is skipped; pass --deploy-partial to deploy the components that built")
    return BuildDecision(deploy=(), error="\n".join(lines), skip_deploy=True)
