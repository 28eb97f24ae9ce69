"""Secrets never show by accident."""

from __future__ import annotations

from pytest_streamstress._infra.redact import Redactor, Secret


def test_secret_hides_its_value_in_repr_and_str() -> None:
    secret = Secret("hunter2-token")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert f"{secret}" == "***"
    assert secret.reveal() == "hunter2-token"


def test_redactor_masks_every_registered_value_longest_first() -> None:
    redact = Redactor(["abcd1234", "abcd1234efgh"])
    assert redact("x abcd1234efgh y abcd1234 z") == "x *** y *** z"


def test_redactor_ignores_values_too_short_to_be_secrets() -> None:
    redact = Redactor(["ab"])
    assert redact("about") == "about"
    assert len(redact) == 0
