"""Triage: which category a failed scenario falls in, with the evidence, and how well the rules work.

Pure code over plain values: the rules of `config/categories.toml`, the known-failures file and the
labelled corpus. Cluster facts (API discovery) arrive as data; this room never talks to the cluster,
runs gauge or reads pytest's config.
"""
