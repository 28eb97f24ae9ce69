"""Triage: which category a failed scenario falls in, with the evidence, and how well the rules work.

Pure code over plain values: the rules of `config/categories.toml`, the known-failures file, the
cluster facts a rule may read (`facts.ClusterFacts`: served APIs, installed components, versions)
and the labelled corpora (training and held-back). Cluster facts arrive as data; this room never
talks to the cluster, runs gauge or reads pytest's config.
"""
