"""The history: earlier runs' results, read through one typed reader, and what they say about this one.

`store` is the only reader of results.json documents (and the dashboard's run store); the rest is
pure analysis over its values: classification against earlier runs, statistical regressions,
failure clusters, culprit ranges and the bisection engine. This room never talks to the cluster,
never reads pytest's config and never builds; git is reached through `_infra.git`.
"""
