"""How the stand-ins pick their cluster from `$KUBECONFIG`: as client-go does, not as the Python client."""

from __future__ import annotations

import os
from pathlib import Path


def client_go_context(kubeconfig: str) -> str | None:
    """The context client-go uses for a `$KUBECONFIG` list: the first file that sets `current-context`
    wins (clientcmd's loading rules merge struct values first-file-first). The Python client's merger
    lets a later file win instead, so the stand-in names the context itself, as release-tests' Go
    would pick it. None: no file sets one (the client then reports it)."""
    import yaml

    for name in kubeconfig.split(os.pathsep):
        path = Path(name)
        if not name or not path.is_file():
            continue
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        context = loaded.get("current-context") if isinstance(loaded, dict) else None
        if context:
            return str(context)
    return None
