"""The single door to the Kubernetes API (STYLE R15, R16, R17, R19).

Everything in `cluster/` calls the API through `Cluster.call`, which passes an explicit
`_request_timeout`, retries only what a retry can fix (429 honouring Retry-After, 500/502/503/504
with bounded back-off, connection resets), and translates `ApiException` into our errors with the
verb, the kind, `namespace/name` and the API's message, redacted and truncated; a certificate the
client does not trust fails at once with the host and the kubeconfig fix (issue 19). Clients are created
from an explicit kubeconfig/context or the in-cluster service account; the process-wide default
configuration of the `kubernetes` package is never touched (a bare `load_kube_config` leaks between
tests).
"""

from __future__ import annotations

import functools
import json
import logging
import ssl
from collections.abc import Callable, Iterator
from typing import Any, Final, Literal, TypeVar

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch
from kubernetes.client.exceptions import ApiException

from pytest_streamstress._infra.redact import Redactor, Secret
from pytest_streamstress._infra.waits import SYSTEM_CLOCK, Clock
from pytest_streamstress.cluster.access import Access, is_in_cluster
from pytest_streamstress.cluster.access import kubeconfig_path as _kubeconfig_path
from pytest_streamstress.errors import ClusterError, Conflict, Forbidden, NotFound

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE: Final = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS: Final = 6
MAX_BACKOFF_S: Final = 10.0
BODY_LIMIT: Final = 600
"""Characters of an API error body quoted in a message (kopf truncates the same way)."""


class Cluster:
    """Typed access to the API with timeouts, retries and translated errors."""

    def __init__(
        self,
        api_client: k8s.ApiClient,
        *,
        request_timeout: float,
        redactor: Redactor,
        clock: Clock = SYSTEM_CLOCK,
        kind: Literal["kubeconfig", "in-cluster"] = "kubeconfig",
        source: str = "",
    ) -> None:
        self.api_client = api_client
        self.source = source
        """The kubeconfig path, or "the pod's service account" (named in certificate advice)."""
        self.request_timeout = request_timeout
        self.redactor = redactor
        self.clock = clock
        self.kind = kind
        self.token = self._token()
        if self.token:
            redactor.add(self.token)

    # The API groups are made on first use: the kubernetes package imports each group's module lazily,
    # and CoreV1Api's alone costs ~0.4 s of CPU. A shard pod's serial gate talks only to Leases, and its
    # four pods start on the same cores (bench/shards.py).
    @functools.cached_property
    def core(self) -> Any:
        return k8s.CoreV1Api(self.api_client)

    @functools.cached_property
    def apps(self) -> Any:
        return k8s.AppsV1Api(self.api_client)

    @functools.cached_property
    def batch(self) -> Any:
        return k8s.BatchV1Api(self.api_client)

    @functools.cached_property
    def rbac(self) -> Any:
        return k8s.RbacAuthorizationV1Api(self.api_client)

    @functools.cached_property
    def custom(self) -> Any:
        return k8s.CustomObjectsApi(self.api_client)

    @functools.cached_property
    def coordination(self) -> Any:
        return k8s.CoordinationV1Api(self.api_client)

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def connect(cls, access: Access, *, redactor: Redactor, clock: Clock = SYSTEM_CLOCK) -> Cluster:
        """From the kubeconfig (explicit, $KUBECONFIG, ~/.kube/config) or the in-cluster service account."""
        path = _kubeconfig_path(access)
        if path is None and is_in_cluster():
            configuration = k8s.Configuration()
            k8s_config.load_incluster_config(client_configuration=configuration)
            return cls(
                k8s.ApiClient(configuration),
                request_timeout=access.request_timeout,
                redactor=redactor,
                clock=clock,
                kind="in-cluster",
                source="the pod's service account",
            )
        if path is None:
            raise ClusterError(
                "no kubeconfig found ($KUBECONFIG unset, ~/.kube/config missing) and not running in a pod",
                hint="pass --kubeconfig PATH, set KUBECONFIG, or use --cluster emulated",
            )
        try:
            api_client = k8s_config.new_client_from_config(
                config_file=str(path), context=access.context or None, persist_config=False
            )
        except k8s_config.ConfigException as exc:
            raise ClusterError(
                f"cannot use kubeconfig {path}: {redactor(str(exc))}",
                hint="check the file and --context (kubectl config get-contexts lists them)",
            ) from exc
        except FileNotFoundError as exc:
            raise ClusterError(f"kubeconfig {path} not found", hint="pass --kubeconfig PATH") from exc
        return cls(
            api_client,
            request_timeout=access.request_timeout,
            redactor=redactor,
            clock=clock,
            source=str(path),
        )

    def _token(self) -> Secret | None:
        keys = self.api_client.configuration.api_key or {}
        # The client stores a kubeconfig token under "BearerToken" (newer) or "authorization" (older).
        header = str(keys.get("BearerToken") or keys.get("authorization") or "")
        if header.lower().startswith("bearer "):
            return Secret(header[7:].strip())
        return None

    @property
    def server(self) -> str:
        """The API URL, without credentials."""
        return str(self.api_client.configuration.host)

    def close(self) -> None:
        self.api_client.close()

    # -- the door -------------------------------------------------------------------------------

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call one API function with a timeout; retry 429/5xx boundedly; translate errors."""
        kwargs.setdefault("_request_timeout", self.request_timeout)
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn(*args, **kwargs)
            except ApiException as exc:
                if exc.status == 0 and certificate_problem(exc):
                    raise self.untrusted(what, exc) from exc
                if exc.status in RETRYABLE and attempt < MAX_ATTEMPTS:
                    delay = self._retry_delay(exc, attempt)
                    log.info("%s: HTTP %s, retrying in %.1fs (attempt %d)", what, exc.status, delay, attempt)
                    self.clock.sleep(delay)
                    continue
                raise self.translate(what, exc) from exc
            except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
                if certificate_problem(exc):
                    raise self.untrusted(what, exc) from exc  # a retry cannot fix it (R19)
                if attempt < MAX_ATTEMPTS:
                    delay = min(MAX_BACKOFF_S, 0.2 * 2.0**attempt)
                    log.info("%s: %s, retrying in %.1fs", what, type(exc).__name__, delay)
                    self.clock.sleep(delay)
                    continue
                raise ClusterError(
                    f"{what}: cannot reach the API at {self.server}: {self.redactor(str(exc))}",
                    hint="check the network path to the cluster and --api-timeout",
                ) from exc

    def untrusted(self, what: str, exc: BaseException) -> ClusterError:
        """The API's certificate is not signed by a CA the client trusts: host, reason and the fix."""
        host = urllib3.util.parse_url(self.server).netloc or self.server
        if self.kind == "in-cluster":
            fix = (
                "the pod's service-account CA (/var/run/secrets/kubernetes.io/serviceaccount/ca.crt)"
                " does not sign it: is the API behind a proxy with its own certificate?"
            )
        else:
            fix = (
                f"the kubeconfig ({self.source or '--kubeconfig'}) must name the CA that signed it: set"
                " `certificate-authority-data` (base64 PEM) or `certificate-authority` (a file) on the"
                " cluster entry (`oc login --certificate-authority=ca.crt` writes it), or pass --kubeconfig"
                " with one that does"
            )
        return ClusterError(
            f"{what}: the API server's certificate at {host} is not trusted: {certificate_problem(exc)}",
            hint=fix,
        )

    def _retry_delay(self, exc: ApiException, attempt: int) -> float:
        headers: dict[str, str] = dict(exc.headers or {})
        retry_after = headers.get("Retry-After") or headers.get("retry-after")
        if retry_after:
            try:
                return min(MAX_BACKOFF_S, max(0.0, float(retry_after)))
            except ValueError:
                pass
        return min(MAX_BACKOFF_S, 0.2 * 2.0**attempt)

    def translate(self, what: str, exc: ApiException) -> ClusterError:
        """ApiException -> our error naming what we did and what the API said (R16)."""
        message = _api_message(exc)
        text = self.redactor(f"{what}: HTTP {exc.status} {exc.reason or ''}: {message}".strip())
        if exc.status == 404:
            return NotFound(text, status=404)
        if exc.status == 409:
            return Conflict(text, status=409, hint="somebody changed the object meanwhile; it is read again")
        if exc.status in (401, 403):
            return Forbidden(
                text,
                status=exc.status,
                hint="the credentials lack the RBAC this needs (cluster-admin for setup and deploy)"
                if exc.status == 403
                else "the token is wrong or expired; log in again",
            )
        return ClusterError(text, status=exc.status)

    # -- conveniences used by setup, deploy, job and metrics ------------------------------------

    def get_custom(
        self, group: str, version: str, plural: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        """A custom object, or None when it does not exist."""
        where = f"{namespace}/{name}" if namespace else name
        try:
            if namespace:
                result = self.call(
                    f"get {plural} {where}",
                    self.custom.get_namespaced_custom_object,
                    group,
                    version,
                    namespace,
                    plural,
                    name,
                )
            else:
                result = self.call(
                    f"get {plural} {where}",
                    self.custom.get_cluster_custom_object,
                    group,
                    version,
                    plural,
                    name,
                )
        except NotFound:
            return None
        return dict(result)

    def list_custom(
        self, group: str, version: str, plural: str, namespace: str | None = None, label_selector: str = ""
    ) -> list[dict[str, Any]]:
        if namespace:
            result = self.call(
                f"list {plural} in {namespace}",
                self.custom.list_namespaced_custom_object,
                group,
                version,
                namespace,
                plural,
                label_selector=label_selector,
            )
        else:
            result = self.call(
                f"list {plural}",
                self.custom.list_cluster_custom_object,
                group,
                version,
                plural,
                label_selector=label_selector,
            )
        return list(result.get("items", []))

    def api_group_versions(self) -> dict[str, tuple[str, ...]]:
        """Discovery: every served API group ("" = core) and its versions (`GET /api`, `GET /apis`)."""
        core = self.call("get /api", k8s.CoreApi(self.api_client).get_api_versions)
        groups = self.call("get /apis", k8s.ApisApi(self.api_client).get_api_versions).groups or []
        served = {"": tuple(core.versions or ())}
        served.update({g.name: tuple(v.version for v in (g.versions or [])) for g in groups})
        return served

    def kinds_at(self, group: str, version: str) -> frozenset[str]:
        """The kinds one group/version serves (`GET /apis/<group>/<version>`, `/api/<version>`)."""
        if group:
            listing = self.call(f"get /apis/{group}/{version}", self.custom.get_api_resources, group, version)
        else:
            listing = self.call(f"get /api/{version}", self.core.get_api_resources)
        return frozenset(r.kind for r in (listing.resources or []) if "/" not in r.name)

    def watch(
        self, what: str, fn: Callable[..., Any], *args: Any, timeout_s: float, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        """Watch events for up to `timeout_s`, with both server and client timeouts (R17).

        A dropped connection ends the iterator early; callers loop (re-list, re-watch) until their own
        deadline, so a watch failure costs at most a re-list, never the wait.
        """
        watcher = k8s_watch.Watch()
        server_timeout = max(1, int(timeout_s))
        try:
            yield from watcher.stream(
                fn,
                *args,
                timeout_seconds=server_timeout,
                _request_timeout=(self.request_timeout, server_timeout + 5),
                **kwargs,
            )
        except ApiException as exc:
            if exc.status == 410:
                log.info("%s: watch expired (410 Gone); re-listing", what)
                return
            raise self.translate(f"watch {what}", exc) from exc
        except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError, ValueError) as exc:
            log.info("%s: watch connection dropped (%s); re-listing", what, type(exc).__name__)
            return
        finally:
            watcher.stop()


def _api_message(exc: ApiException) -> str:
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not body:
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return str(body)[:BODY_LIMIT]
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])[:BODY_LIMIT]
    return str(body)[:BODY_LIMIT]


def certificate_problem(exc: BaseException) -> str | None:
    """The reason a TLS verification failed, if that is what `exc` is (else None)."""
    reason: object = exc
    if isinstance(exc, urllib3.exceptions.MaxRetryError):
        reason = exc.reason
    if isinstance(reason, urllib3.exceptions.SSLError):
        inner = reason.args[0] if reason.args else reason
        if isinstance(inner, ssl.SSLCertVerificationError):
            return str(inner.verify_message or inner.reason or inner)
        return str(inner) if "CERTIFICATE_VERIFY_FAILED" in str(inner) else None
    if isinstance(reason, ssl.SSLCertVerificationError):
        return str(reason.verify_message or reason.reason)
    text = str(getattr(exc, "reason", "") or "")
    if text.startswith("SSLError") and "CERTIFICATE_VERIFY_FAILED" in text:
        # The kubernetes client turns a bare urllib3 SSLError into ApiException(status=0).
        return text.split("certificate verify failed:", 1)[-1].split("(_ssl", 1)[0].strip() or text
    return None
