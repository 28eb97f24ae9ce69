"""The one door to the Kubernetes API: client, auto-setup, deploy and restore, discovery, metrics, the Job.

Only this room imports `kubernetes` (an import-linter contract). It takes frozen parameters and
returns frozen values; it never reads pytest's config or the options, never runs gauge, and never
builds images. Every call has a timeout and every wait says what it waited for (STYLE R17, R18).
"""

from __future__ import annotations
