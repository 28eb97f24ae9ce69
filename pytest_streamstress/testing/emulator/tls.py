"""A throwaway certificate authority and server certificate for the emulator's HTTPS endpoint.

Owns key and certificate generation only (the `cryptography` package). Keys are EC P-256, so a fresh
CA per emulator costs a few milliseconds. The server certificate names `127.0.0.1` (IP SAN) and
`localhost`: Go's TLS (kubectl) rejects a certificate without an IP SAN for an IP URL. Nothing here
is fit for anything but a loopback test server.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import socket
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerTLS:
    """PEM files written for one emulator, plus the CA certificate for kubeconfigs."""

    ca_pem: bytes
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def make_server_tls(
    directory: Path,
    *,
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
    ca_name: str = "streamstress-emulator-ca",
) -> ServerTLS:
    """Generate a CA and a server certificate signed by it; write the server's PEM files (0600).

    Each call makes a new CA: the API and the registry (the cluster's ingress) get different ones,
    as on OpenShift, so a client that trusts the wrong one fails.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    not_before = now - datetime.timedelta(minutes=5)
    not_after = now + datetime.timedelta(days=7)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(issuer)
        .issuer_name(issuer)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "streamstress-emulator")]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path = directory / "server.crt"
    key_path = directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ServerTLS(
        ca_pem=ca_cert.public_bytes(serialization.Encoding.PEM), cert_path=cert_path, key_path=key_path
    )


def serve_tls(server: Any, tls: ServerTLS) -> None:
    """Wrap a listening socketserver's socket; the handshake happens in the handler thread."""
    server.socket = tls.server_context().wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False
    )


def is_client_noise() -> bool:
    """The error being handled is a client that hung up or refused our certificate: not a server bug.

    A client that does not trust the CA (the very thing some tests check) aborts the handshake;
    the standard `handle_error` would print a traceback for each one.
    """
    error = sys.exc_info()[1]
    return isinstance(error, ssl.SSLError | ConnectionError | TimeoutError | socket.timeout)
