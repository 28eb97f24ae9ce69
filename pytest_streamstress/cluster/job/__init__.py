"""The in-cluster Job: launch it, find it, follow its log, collect its results, cancel it (issue 8).

Owns the Job's Kubernetes objects (ServiceAccount, ClusterRole, ClusterRoleBinding, the per-Job
env Secret and the Job itself), the results archive that the Job's pod prints at the end of its
log, and the Job's entry point (`python -m pytest_streamstress.cluster.job RESULTS_DIR -- ARGS`).
It talks to the API only through `Cluster.call` (R15), takes plain values (a frozen `JobRequest`
whose pytest arguments `run/launch.py` or `cli/ci.py` already built), and must not decide what a
CI run does next (that is `cli/ci.py`) nor format terminal output (that is `cli/`).

One module per part, imported where the code lives (R4): `rbac` (who the Job runs as), `image`
(which image it runs without `--job-image`), `manifest` (the Job object), `launch`, `state` (find,
describe, cancel), `follow` (the pod log), `archive` (the results archive in the log), `collect`,
`shards` (an Indexed Job's pods and results), `kubeconfig` and `entry` (inside the pod).
"""

from __future__ import annotations
