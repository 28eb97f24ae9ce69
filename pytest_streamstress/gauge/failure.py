"""The failure view of one scenario, as a QE engineer reads it (STYLE R22): pure text from values.

Scenario, failing step with its `spec:line`, gauge's message, the category and the rule that matched,
the stack trace (shortened unless -v), where the result came from, the log and the scenario's last
lines of output. run/scenarios.py hands in the values; nothing here reads pytest state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from pytest_streamstress.model import Categorization, Confirmation, ScenarioOutcome, Status

TRACE_LINES: Final = 12
"""Stack trace lines shown without -v."""


def format_failure(
    *,
    heading: str,
    where: str,
    spec_rel: str,
    outcome: ScenarioOutcome,
    category: Categorization | None,
    label: Callable[[str], str] = lambda c: c,
    tail: Sequence[str] = (),
    verbose: int = 0,
) -> str:
    """Pure text of the failure view, as a QE engineer reads it (R22)."""
    lines = [f"Scenario: {heading}  ({where})"]
    step = outcome.failing_step
    if step is not None:
        location = f"{spec_rel}:{step.line}" if step.line is not None else f"{spec_rel}, inside a concept"
        lines.append(f"Failed step: {step.text}  ({location})")
    kind = {Status.ERROR: "Gauge error", Status.FAILED: "Gauge message"}.get(outcome.status, "Gauge message")
    lines.append(f"{kind}:")
    lines.append(_indent(outcome.message or "(no message)"))
    if category is not None:
        lines.append(category_line(category, label))
        if category.known_issue:
            lines.append(f"Known issue: {category.known_issue}")
    if outcome.attempts > 1:
        lines.append(f"Attempts: {outcome.attempts}")
    if outcome.trace.strip():
        trace = outcome.trace.strip("\n").splitlines()
        shown = trace if verbose > 0 else trace[:TRACE_LINES]
        lines.append("Stacktrace:")
        lines.append(_indent("\n".join(shown)) + ("\n    …" if len(shown) < len(trace) else ""))
    lines.append(f"Result source: {outcome.source.value}")
    if outcome.log_path is not None:
        lines.append(f"Log: {outcome.log_path}")
    if tail:
        lines.append(f"Last {len(tail)} lines of this scenario's output:")
        lines.append(_indent("\n".join(tail)))
    return "\n".join(lines)


def format_after_spec(*, spec_rel: str, outcome: ScenarioOutcome, verbose: int = 0) -> str:
    """The view of a failed AfterSpec hook, shown as the teardown error of the spec's last scenario.

    The scenarios ran and keep their results; what the engineer needs is that the hook failed, its
    message, and why it matters: what it undoes may stay on the cluster for the specs after it.
    """
    lines = [
        f"AfterSpec hook of {spec_rel} failed after its scenarios ran (their own results stand)",
        "Gauge message:",
        _indent(outcome.message or "(no message)"),
    ]
    if outcome.trace.strip():
        trace = outcome.trace.strip("\n").splitlines()
        shown = trace if verbose > 0 else trace[:TRACE_LINES]
        lines.append("Stacktrace:")
        lines.append(_indent("\n".join(shown)) + ("\n    …" if len(shown) < len(trace) else ""))
    lines.append(
        "gauge counts the spec as failed and exits 1; what the hook cleans up or restores (release-tests:"
        " auto-prune's TektonConfig pruner settings) may be left on the cluster for later specs"
    )
    lines.append(f"Result source: {outcome.source.value}")
    if outcome.log_path is not None:
        lines.append(f"Log: {outcome.log_path}")
    return "\n".join(lines)


def category_line(category: Categorization, label: Callable[[str], str] = lambda c: c) -> str:
    """`Category: Config Gap (rule 'secret-missing', matched message: 'secret x not found')`."""
    text = f"Category: {label(category.category)} (rule '{category.rule}'"
    if category.evidence:
        text += f", matched {category.field or 'text'}: '{category.evidence}'"
    return text + ")"


def with_final_verdict(
    view: str,
    category: Categorization,
    *,
    label: Callable[[str], str] = lambda c: c,
    confirmation: Confirmation | None = None,
) -> str:
    """The failure view again after the session moved the verdict (unattributed, --confirm).

    pytest prints failures after the session ends, so the view a person reads says what results.json
    says; the rest of the view (message, trace, log tail) is unchanged.
    """
    lines = view.splitlines()
    new = category_line(category, label)
    index = next((i for i, line in enumerate(lines) if line.startswith("Category: ")), None)
    if index is None:
        index = next((i for i, line in enumerate(lines) if line.startswith("Result source: ")), len(lines))
        lines.insert(index, new)
    else:
        lines[index] = new
    if confirmation is not None:
        lines.insert(index + 1, f"Confirmation: {confirmation.verdict} ({confirmation.reason})")
    return "\n".join(lines)


def _indent(text: str, spaces: int = 4) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())
