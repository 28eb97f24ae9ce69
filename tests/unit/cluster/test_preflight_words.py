"""What the start-up check and the API watch say when the API does not answer (cluster/preflight.py).

A refused connection is answered at once; "did not answer within 30s" sent readers after timeouts.
A real refused port is in tests/plugin/test_options_checked_first.py.
"""

from __future__ import annotations

import ssl

import pytest

from pytest_streamstress.cluster.preflight import _unreachable

SERVER = "https://api.ocp.example.com:6443"


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        (
            ConnectionRefusedError(111, "Connection refused"),
            f"the API server at {SERVER} refused the connection",
        ),
        (
            "HTTPSConnection(host='api', port=6443): Failed to establish a new connection:"
            " [Errno 111] Connection refused",
            f"the API server at {SERVER} refused the connection",
        ),
        (TimeoutError("timed out"), f"the API server at {SERVER} did not answer within 30s"),
        (ssl.SSLError("CERTIFICATE_VERIFY_FAILED"), f"the API server at {SERVER} presented a certificate"),
    ],
    ids=["refused", "refused-in-words", "timeout", "certificate"],
)
def test_the_sentence_says_what_happened(reason: object, said: str) -> None:
    assert _unreachable(SERVER, reason, 30.0).message.startswith(said)
