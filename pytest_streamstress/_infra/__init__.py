"""The single doors to the world outside Python: processes, git, files, TOML, secrets, waits.

Every room reaches a subprocess, a git repository, an atomic file write, a TOML file, a temporary
directory for secrets or a deadline through one module here (STYLE R15), so timeouts, redaction,
cleanup after a stop signal and error wording are decided once. Nothing here knows about pytest,
the cluster or Gauge.
"""
