"""Shared test setup for the whole suite."""

from __future__ import annotations

# Import cryptography before any in-process pytester run: pytester restores sys.modules afterwards,
# and a second import of cryptography's Python classes no longer matches its Rust extension
# ("curve must be an EllipticCurve instance") when a later test starts an HTTPS emulator.
from cryptography import x509  # noqa: F401
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: F401
