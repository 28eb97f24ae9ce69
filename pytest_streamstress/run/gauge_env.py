"""Gauge tests the cluster this run deployed to: the `KUBECONFIG` its scenarios read.

release-tests finds its cluster the way `oc` and client-go do, through `$KUBECONFIG` and that
config's current context. Before, gauge got the session's environment unchanged, so:

- `--kubeconfig PATH` and `--context NAME` reached the plugin's own client only: the plugin patched
  the operator of one cluster while gauge tested `$KUBECONFIG`'s (or `~/.kube/config`'s) current one,
  or none at all, and every failure was filed as an upstream regression;
- a relative `KUBECONFIG=./kc` meant another file for gauge, which runs in the suite's folder (its
  scenarios all failed with "cannot load kubeconfig").

Now gauge gets the files the session's client reads, as absolute paths. With `--context`, a first
file that sets nothing but `current-context` goes in front of them: client-go takes the current
context from the first file that sets one, and reads clusters, users and contexts from all of them,
so no credential is copied and certificate paths stay relative to the files that name them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from pytest_streamstress._infra.files import write_atomically
from pytest_streamstress.cluster.access import Access, kubeconfig_files

CONTEXT_FILE: Final = "kubeconfig-context.yaml"


def gauge_cluster_env(access: Access, *, cwd: Path, folder: Path) -> dict[str, str]:
    """`{"KUBECONFIG": ...}` for gauge; {} when the session reads no kubeconfig (in a pod, or none).

    `cwd` is where relative paths were meant from; `folder` receives the context file."""
    files = [f if f.is_absolute() else cwd / f for f in kubeconfig_files(access)]
    if not files:
        return {}
    if access.context:
        folder.mkdir(parents=True, exist_ok=True)
        context_file = folder / CONTEXT_FILE
        text = (
            "# written by pytest-streamstress: --context for gauge (no credentials here)\n"
            f"apiVersion: v1\nkind: Config\ncurrent-context: {_quoted(access.context)}\n"
        )
        # atomically: each xdist worker writes it while another worker's gauge may be reading it
        write_atomically(context_file, text.encode("utf-8"))
        files.insert(0, context_file)
    return {"KUBECONFIG": os.pathsep.join(str(f) for f in files)}


def _quoted(name: str) -> str:
    """A YAML double-quoted scalar: a context name may hold ':' or '@' (`admin@cluster:6443`)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
