"""The emulator's Kubernetes REST endpoint: routing, auth, faults and verbs over HTTP(S).

Owns the HTTP side only: URL -> (resource type, namespace, name, subresource), bearer-token auth
(401 Status), API-level faults, content negotiation (JSON, `Table` for kubectl), chunked streaming
for watches and followed logs, and the mapping of verbs to `Store` calls. Object semantics live in
`store.py`, patch formats in `patching.py`, watch semantics in `watch.py`, documents in
`discovery.py`. Runs a `ThreadingHTTPServer` (HTTP/1.1 keep-alive, daemon threads) on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from pytest_streamstress.testing.emulator import discovery, patching, verbs
from pytest_streamstress.testing.emulator.exchange import Backend, Route
from pytest_streamstress.testing.emulator.kinds import METRICS_GROUP
from pytest_streamstress.testing.emulator.store import ApiError, Obj, ResourceType, Store
from pytest_streamstress.testing.emulator.tls import ServerTLS, is_client_noise, serve_tls

log = logging.getLogger(__name__)

UNAUTHENTICATED_PATHS: Final = frozenset({"/healthz", "/readyz", "/livez", "/version"})


def parse_resource_path(parts: list[str], *, group: str, version: str, store: Store) -> Route:
    """`parts` after `/api/v1` or `/apis/<g>/<v>`; 404 ApiError when nothing matches."""
    legacy_watch = bool(parts) and parts[0] == "watch"
    if legacy_watch:
        parts = parts[1:]
    namespace = None
    if (
        len(parts) >= 3
        and parts[0] == "namespaces"
        and not (group == "" and parts[2] in ("status", "finalize"))
    ):
        namespace, parts = parts[1], parts[2:]
    if not parts or len(parts) > 3:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    rtype = store.rtype_for(group, version, parts[0])
    if namespace is not None and not rtype.namespaced:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    name = parts[1] if len(parts) > 1 else None
    sub = parts[2] if len(parts) > 2 else None
    if sub is not None and sub not in rtype.subresources:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    return Route(group, version, parts[0], namespace, name, sub, legacy_watch)


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, by Content-Length or chunked transfer coding (Go clients send chunked)."""
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        parts: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        super().__init__(address, ApiHandler)
        self.backend = backend

    def handle_error(self, request: Any, client_address: Any) -> None:
        if is_client_noise():
            log.debug("api: client %s went away: %s", client_address, sys.exc_info()[1])
            return
        super().handle_error(request, client_address)


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: ApiServer

    def log_message(self, format: str, *args: Any) -> None:  # the base class's name
        log.debug("api %s", format % args)

    # -- plumbing ----------------------------------------------------------------------------------
    @property
    def backend(self) -> Backend:
        return self.server.backend

    def _send_json(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_error(self, error: ApiError, headers: dict[str, str] | None = None) -> None:
        self._send_json(error.status, error.to_status(), headers)

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def _end_stream(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            log.debug("client left before the end of the stream")

    def _body(self) -> bytes:
        return read_body(self)

    def _json_body(self, raw: bytes) -> Any:
        try:
            return json.loads(raw or b"null")
        except json.JSONDecodeError as exc:
            raise ApiError.bad_request(f"the request body is not valid JSON: {exc}") from None

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        expected = self.backend.token.reveal()
        return header == f"Bearer {expected}"

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = lambda self: self._dispatch()

    def _dispatch(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        raw = self._body()
        path = url.path.rstrip("/") or "/"
        try:
            if path in ("/healthz", "/readyz", "/livez"):
                self._send_text(200, "ok")
                return
            if path not in UNAUTHENTICATED_PATHS and not self._authorized():
                self._send_error(ApiError(401, "Unauthorized", "Unauthorized"))
                return
            if self._injected_fault(path):
                return
            self._route(path, query, raw)
        except ApiError as exc:
            self._send_error(exc)
        except patching.PatchError as exc:
            reason = "Invalid" if exc.status == 422 else "BadRequest"
            self._send_error(ApiError(exc.status, reason, str(exc)))
        except OSError:
            log.debug("client connection closed during %s %s", self.command, path)
            self.close_connection = True
        except Exception as exc:
            log.exception("emulator failed on %s %s", self.command, path)
            self._send_error(ApiError(500, "InternalError", f"emulator error: {type(exc).__name__}: {exc}"))

    def _send_text(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _injected_fault(self, path: str) -> bool:
        faults = self.backend.faults
        if faults.latency_s > 0:
            self.backend.stopping.wait(faults.latency_s)
        injected = faults.decide(self.command, path)
        if injected is None:
            return False
        headers = {"Retry-After": str(injected.retry_after_s)} if injected.retry_after_s is not None else None
        error = ApiError(injected.status, injected.reason, injected.message)
        if injected.retry_after_s is not None:
            error.details = {"retryAfterSeconds": injected.retry_after_s}
        self._send_error(error, headers)
        return True

    # -- routing -----------------------------------------------------------------------------------
    def _route(self, path: str, query: dict[str, str], raw: bytes) -> None:
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")] if path != "/" else []
        if path == "/version":
            self._send_json(200, discovery.version_info(self.backend.openshift_version))
        elif path == "/openapi/v3":
            self._send_json(200, discovery.openapi_v3_index(self._visible_types()))
        elif path.startswith("/openapi/v3/"):
            group_version = path.removeprefix("/openapi/v3/")
            self._send_doc(discovery.openapi_v3_group_version(self._visible_types(), group_version))
        elif path.startswith(("/openapi", "/swagger")) or path == "/":
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        elif parts == ["api"]:
            self._send_json(200, discovery.api_versions(f"127.0.0.1:{self.server.server_port}"))
        elif parts[:2] == ["api", "v1"]:
            self._resource_or_list(parts[2:], "", "v1", query, raw)
        elif parts[:1] == ["apis"]:
            rtypes = self._visible_types()
            if len(parts) == 1:
                self._send_json(200, discovery.api_group_list(rtypes))
            elif len(parts) == 2:
                self._send_doc(discovery.api_group(rtypes, parts[1]))
            elif parts[1] == METRICS_GROUP and self._metrics_off():
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            else:
                self._resource_or_list(parts[3:], parts[1], parts[2], query, raw)
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def _send_doc(self, doc: Obj | None) -> None:
        if doc is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        self._send_json(200, doc)

    def _metrics_off(self) -> bool:
        return self.backend.faults.metrics_unavailable or self.backend.metrics_provider is None

    def _visible_types(self) -> list[ResourceType]:
        rtypes = self.backend.store.rtypes()
        if self._metrics_off():
            rtypes = [r for r in rtypes if r.group != METRICS_GROUP]
        return rtypes

    def _resource_or_list(
        self, parts: list[str], group: str, version: str, query: dict[str, str], raw: bytes
    ) -> None:
        if not parts:
            self._send_doc(discovery.api_resource_list(self._visible_types(), group, version))
            return
        route = parse_resource_path(parts, group=group, version=version, store=self.backend.store)
        rtype = self.backend.store.rtype_for(group, version, route.plural)
        verbs.handle(self, rtype, route, query, raw)


def start_server(backend: Backend, *, port: int = 0, tls: ServerTLS | None = None) -> tuple[ApiServer, str]:
    """Start the API server in a daemon thread; returns the server and its URL."""
    server = ApiServer(("127.0.0.1", port), backend)
    scheme = "http"
    if tls is not None:
        serve_tls(server, tls)
        scheme = "https"
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name=f"emulator-api-{server.server_port}",
        daemon=True,
    )
    thread.start()
    return server, f"{scheme}://127.0.0.1:{server.server_port}"
