"""Our error hierarchy: every error a user reads is one of these.

Foreign errors (ApiException, TimeoutExpired, a failing git) are translated at the one door that
meets them (STYLE R16) and raised `from` the original. Every class renders message and hint the
same way, so a setup error on a scenario item reads like advice, not a traceback. Add a class only
when some code catches it (R20).
"""

from __future__ import annotations

from pathlib import Path


class StreamstressError(Exception):
    """Base of every error this plugin raises on purpose."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(StreamstressError):
    """An option, a config file (components.toml, categories.toml) or an input file is wrong."""

    def __init__(self, message: str, *, hint: str = "", path: Path | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message, hint=hint)
        self.path = path
        self.line = line


class SpecSyntaxError(StreamstressError):
    """A Gauge spec or concept file cannot be parsed; it becomes one collection error for that file."""

    def __init__(self, message: str, *, path: Path, line: int, text: str = "", hint: str = "") -> None:
        shown = f"{path}:{line}: {message}"
        if text:
            shown += f" => '{text}'"
        super().__init__(shown, hint=hint)
        self.path = path
        self.line = line
        self.reason = message


class ToolError(StreamstressError):
    """An external executable (git, ko, docker, podman, gauge) did not do its job."""


class ToolNotFound(ToolError):
    """The executable is not on PATH."""


class ToolFailed(ToolError):
    """The executable exited non-zero; the message carries the last lines of its output."""

    def __init__(self, message: str, *, hint: str = "", returncode: int = 1, log_path: Path | None = None):
        super().__init__(message, hint=hint)
        self.returncode = returncode
        self.log_path = log_path


class ToolTimedOut(ToolError):
    """The executable ran past its timeout and was killed with its whole process group."""

    def __init__(self, message: str, *, hint: str = "", log_path: Path | None = None) -> None:
        super().__init__(message, hint=hint)
        self.log_path = log_path


class ClusterError(StreamstressError):
    """The Kubernetes API refused or failed a request (translated from ApiException in cluster/)."""

    def __init__(self, message: str, *, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class NotFound(ClusterError):
    """404 from the API."""


class Conflict(ClusterError):
    """409 from the API: somebody else changed the object; read again and reapply."""


class Forbidden(ClusterError):
    """401/403 from the API: the credentials lack the RBAC the operation needs."""


class WaitTimeout(StreamstressError):
    """A wait gave up; the message says what it waited for and the last state it saw (R18)."""


class ScenarioFailed(StreamstressError):
    """A Gauge scenario failed; `repr_failure` shows it the way a QE engineer reads it (R22)."""
