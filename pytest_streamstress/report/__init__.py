"""What a run leaves behind: results.json (versioned schema), the terminal summary, the site, publishing.

Pure writers over the values the session hands in; earlier runs are read through history.store.
This room never reaches the cluster, the build, the options or the session (import-linter).
"""

from __future__ import annotations
