"""Gauge: the spec parser (parse/), scenarios as pytest items (collect), the gauge process (execute),
and its results: the JUnit file (junit), the console (console), merged per scenario (results).

The items do not know how a session builds or deploys: `collect.ScenarioDriver` is the seam run/
fills. This room never reaches the cluster, the build, the options or the session (import-linter).
"""

from __future__ import annotations
