"""Profiling: what each scenario costs, and how many scenarios can safely run at once.

Pure statistics and the recommendation over samples (`stats`), and the psutil sampler of the local
gauge process tree (`local`). Cluster metrics are read by `cluster.metrics`; this room never talks
to the cluster or reads pytest's config.
"""
