"""The secrets the Recorder seeds its Redactor with, before anything reaches results.json or a log (R25)."""

from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.run.secrets import find_secrets

KEY_PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1y2z3KeyMaterialLine\n-----END RSA PRIVATE KEY-----\n"
)


@pytest.fixture(autouse=True)
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """~/.kube/config and ~/.docker/config.json of the machine running the tests stay out."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def kubeconfig(tmp_path: Path) -> Path:
    path = tmp_path / "kubeconfig"
    key_data = base64.b64encode(KEY_PEM.encode()).decode()
    path.write_text(
        textwrap.dedent(f"""\
            apiVersion: v1
            kind: Config
            users:
            - name: token-user
              user:
                token: sha256~tokenFromKubeconfig
            - name: cert-user
              user:
                client-certificate-data: Y2VydGlmaWNhdGU=
                client-key-data: {key_data}
            - name: oidc
              user:
                auth-provider:
                  name: oidc
                  config:
                    id-token: eyJhbGciOiJSUzI1NiJ9.oidcIdToken
                    refresh-token: oidcRefreshToken42
            """)
    )
    return path


def masked(text: str, *, kubeconfig_path: Path | None = None, environ: dict[str, str] | None = None) -> str:
    return Redactor(find_secrets(kubeconfig_path, environ or {}))(text)


def test_kubeconfig_token_client_key_and_oidc_tokens_are_secrets(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path)
    text = (
        "token sha256~tokenFromKubeconfig, key line MIIEowIBAAKCAQEAx1y2z3KeyMaterialLine,"
        " id eyJhbGciOiJSUzI1NiJ9.oidcIdToken, refresh oidcRefreshToken42"
    )
    assert masked(text, kubeconfig_path=path) == "token ***, key line ***, id ***, refresh ***"


def test_client_certificate_is_not_a_secret(tmp_path: Path) -> None:
    assert masked("cert Y2VydGlmaWNhdGU=", kubeconfig_path=kubeconfig(tmp_path)) == "cert Y2VydGlmaWNhdGU="


def test_kubeconfig_from_the_environment_is_read_when_no_option_names_one(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path)
    assert masked("t=sha256~tokenFromKubeconfig", environ={"KUBECONFIG": str(path)}) == "t=***"


def test_registry_auth_its_decoded_password_and_identity_token_are_secrets(tmp_path: Path) -> None:
    auth = base64.b64encode(b"kubeadmin:registryPassw0rd").decode()
    (tmp_path / "config.json").write_text(
        json.dumps(
            {"auths": {"quay.io": {"auth": auth}, "r.example.com": {"identitytoken": "idTokenValue99"}}}
        )
    )
    environ = {"DOCKER_CONFIG": str(tmp_path)}
    assert (
        masked(f"auth {auth} pw registryPassw0rd id idTokenValue99", environ=environ)
        == "auth *** pw *** id ***"
    )


def test_token_environment_variables_are_secrets_and_others_are_not() -> None:
    environ = {"GITHUB_TOKEN": "ghp_abcdef123456", "GH_TOKEN": "gho_zyxwv98765", "CHANNEL": "latest"}
    assert masked("ghp_abcdef123456 gho_zyxwv98765 latest", environ=environ) == "*** *** latest"


def test_unreadable_or_malformed_credential_files_give_no_secrets_and_no_error(tmp_path: Path) -> None:
    (tmp_path / "kubeconfig").write_text("users: [unclosed")
    (tmp_path / "config.json").write_text("{not json")
    assert find_secrets(tmp_path / "kubeconfig", {"DOCKER_CONFIG": str(tmp_path)}) == []
