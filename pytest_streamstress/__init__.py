"""pytest-streamstress: one pytest session is one regression run of upstream Tekton on OpenShift Pipelines.

Import what you need from the modules named after their phase; this package root only carries the
version, so that `pytest --help` in unrelated projects stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
