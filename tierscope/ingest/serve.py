"""``tierscope serve``: an HTTP receiver that appends what it accepts to the spool, durably, before it answers.

Starlette (routing, requests, JSON answers) on uvicorn (HTTP/1.1 through h11). Endpoints (docs/streaming.md):

- ``POST /litellm``: LiteLLM's generic API logger (``callback_type: generic_api``, ``endpoint:
  http://HOST:PORT/litellm``). Its ``log_format`` is ``json_array`` (the default: a JSON array of
  StandardLoggingPayload objects), ``ndjson`` (one object per line) or ``single`` (one object per request); all
  three are accepted.
- ``POST /v1/traces``: OTLP/HTTP with the JSON encoding (an ``ExportTraceServiceRequest``: ``{"resourceSpans":
  [...]}``). The protobuf encoding is refused (415).
- ``GET /health``: counters since start: ``received`` / ``rejected`` requests, ``received_records``,
  ``spooled_bytes``, ``spooled_files``, ``uptime_seconds``, and the spool backlog (files and bytes not loaded yet).

A POST is decided in this order, each answer with a one-line reason: 404 for another path; 401 without the bearer
token (when there is one), before any byte of the body is asked for (so ``Expect: 100-continue`` gets no ``100
Continue``); 415 for another content type or encoding (bodies may be ``Content-Encoding: gzip``, every member of
it read); 411 without a Content-Length; 413 above ``max_body_bytes``, before and after decompression; 408 when the
request (headers and body) is not in within ``timeout`` seconds of its first byte; 400 unless the body is complete
JSON of the right shape (every record an object; nesting and numbers within what Python's parser takes, no NaN).

An accepted body is cut down to what the readers read (:mod:`tierscope.ingest.formats.allowlist`: no prompt or
completion text reaches the disk) and written to one spool file (``<utc ns>-<pid>-<seq>.<format>.ndjson``, one
record per line), flushed, ``fsync``-ed and renamed into place before the 200 answer, so an acknowledged body
survives a crash of the receiver or the machine. The receiver never opens the database: the dashboard's ingester or
``tierscope watch`` loads the spool.

Off loopback, a bearer token is required (``Authorization: Bearer <token>``); the receiver refuses to start without
one.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import math
import re
import resource
import socket
import threading
import time
import zlib
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, ClassVar

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from tierscope.ingest.formats.allowlist import Context, ShapeError, project_litellm, project_otel
from tierscope.ingest.spool import Spool
from tierscope.queries.config import load_routing

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4318  # OTLP/HTTP's well-known port: an OpenTelemetry exporter's default endpoint reaches it
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 30.0
LITELLM_PATH = "/litellm"
OTLP_TRACES_PATH = "/v1/traces"
HEALTH_PATH = "/health"
JSON_TYPES = ("application/json", "application/x-ndjson", "application/jsonl", "text/plain", "")
# The kernel caps the accept queue at net.core.somaxconn (4096 on current Linux): a burst of connections waits there.
BACKLOG = 2048
# Request line and headers together; h11 answers 400 beyond (its default is 16 KiB).
MAX_HEADER_BYTES = 64 * 1024
KEEP_ALIVE_SECONDS = 5  # an idle kept-alive connection is closed after this
# File descriptors: the soft limit is raised up to this (within the hard limit); the spare ones stay free for spool
# files and the thread pool when connections are counted against it.
MAX_DESCRIPTORS = 1 << 16
SPARE_DESCRIPTORS = 128
DEADLINE_EXTENSION = "tierscope.request_deadline"


class Rejected(Exception):
    """A request refused with an HTTP status and a reason the client can act on.

    ``close``: the body was not read (or not all of it), so the connection cannot carry another request."""

    def __init__(self, status: HTTPStatus, reason: str, *, close: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.close = close


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the receiver on this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
        except socket.gaierror:
            return False
        return bool(addresses) and all(ipaddress.ip_address(address).is_loopback for address in addresses)


def require_token(host: str, token: str | None) -> None:
    """Refuse a receiver reachable from other machines without a bearer token."""
    if not token and not is_loopback(host):
        raise ValueError(
            f"serving on {host} (beyond loopback) needs a bearer token: pass --token or set TIERSCOPE_TOKEN, "
            "and send 'Authorization: Bearer <token>' from the clients"
        )


# Bodies -----------------------------------------------------------------------------------------------------------


def gunzip(body: bytes, limit: int) -> bytes:
    """Every member of a gzip body (members one after another are one gzip stream, RFC 1952 §2.2), at most ``limit``
    bytes in all."""
    parts: list[bytes] = []
    size, member, rest = 0, 1, body
    while True:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = decompressor.decompress(rest, limit - size + 1)
        except zlib.error as error:
            raise Rejected(
                HTTPStatus.BAD_REQUEST, f"gzip member {member} of the body is not valid gzip ({error})"
            ) from None
        size += len(data)
        if size > limit:
            raise Rejected(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"decompressed body is over the {limit:,}-byte limit")
        if not decompressor.eof:
            raise Rejected(HTTPStatus.BAD_REQUEST, f"gzip body is truncated (member {member} does not end)")
        parts.append(data)
        rest = decompressor.unused_data
        if not rest:
            return b"".join(parts)
        member += 1


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


# A key repeated in an object keeps its last value here (Python's dict), its first in DuckDB's JSON functions; no
# exporter repeats keys, and a per-object hook to match would cost a quarter of the receiver's time. Records are
# written as UTF-8 (ensure_ascii off), which also finds the lone surrogates ("\ud800") DuckDB's reader refuses.
_DECODER = json.JSONDecoder(parse_constant=_no_constant)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_SPACE = re.compile(r"[ \t\r\n]*")


def _skip_space(text: str, position: int) -> int:
    found = _SPACE.match(text, position)
    return found.end() if found else position


def _value_at(text: str, position: int, where: Callable[[int], str]) -> tuple[Any, int]:
    """The JSON value starting at ``position`` and where it ends; hostile JSON (nested beyond Python's recursion
    limit, an integer of more digits than Python converts, NaN) is a 400 like any other invalid JSON."""
    try:
        return _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as error:
        raise Rejected(HTTPStatus.BAD_REQUEST, f"{where(error.pos)}: not valid JSON ({error.msg})") from None
    except RecursionError:
        raise Rejected(HTTPStatus.BAD_REQUEST, f"{where(position)}: JSON nested too deeply") from None
    except ValueError as error:  # Python's limit on integer digits, or NaN / Infinity
        reason = str(error).split(";", 1)[0]
        raise Rejected(HTTPStatus.BAD_REQUEST, f"{where(position)}: not valid JSON here ({reason})") from None


def _load_embedded(text: str) -> Any:
    """JSON held in a string inside a record, parsed as the body is (the caller drops it when it is not valid)."""
    return _DECODER.decode(text)


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Rejected(HTTPStatus.BAD_REQUEST, f"body is not UTF-8 (byte {error.start})") from None


def _line(record: dict[str, Any]) -> bytes:
    try:
        return _ENCODER.encode(record).encode()
    except UnicodeEncodeError as error:  # DuckDB refuses the whole spool file then: refuse the body instead
        reason = f"a string holds {error.object[error.start : error.end]!r}, a lone surrogate (not Unicode text)"
        raise Rejected(HTTPStatus.BAD_REQUEST, reason) from None


def _object_at(text: str, position: int, where: Callable[[int], str]) -> tuple[dict[str, Any], int]:
    """The JSON object starting at ``position`` and where it ends."""
    value, end = _value_at(text, position, where)
    if not isinstance(value, dict):
        raise Rejected(HTTPStatus.BAD_REQUEST, f"{where(position)}: a JSON object expected")
    return value, end


def _litellm_records(text: str) -> list[dict[str, Any]]:
    """The payloads of a JSON array, of NDJSON or of one (pretty-printed) object."""
    position = _skip_space(text, 0)
    if position == len(text):
        raise Rejected(HTTPStatus.BAD_REQUEST, "empty body")
    records: list[dict[str, Any]] = []
    if text[position] != "[":
        while position < len(text):
            record, end = _object_at(text, position, lambda at: f"line {text.count(chr(10), 0, at) + 1}")
            records.append(record)
            position = _skip_space(text, end)
        return records
    try:  # the common case in one call; element by element only to name what is wrong
        whole = _DECODER.decode(text)
    except (ValueError, RecursionError):
        whole = None
    if isinstance(whole, list) and all(isinstance(record, dict) for record in whole):
        return whole
    position = _skip_space(text, position + 1)
    if text.startswith("]", position):
        position += 1
    else:
        while True:
            record, end = _object_at(text, position, lambda _: f"element {len(records)} of the array")
            records.append(record)
            position = _skip_space(text, end)
            if text.startswith(",", position):
                position = _skip_space(text, position + 1)
            elif text.startswith("]", position):
                position += 1
                break
            else:
                raise Rejected(HTTPStatus.BAD_REQUEST, f"element {len(records) - 1} of the array: ',' or ']' expected")
    if _skip_space(text, position) != len(text):
        raise Rejected(HTTPStatus.BAD_REQUEST, "unexpected text after the JSON array")
    return records


def litellm_lines(body: bytes, context: Context) -> list[bytes]:
    """The body's StandardLoggingPayload records, each cut down to what the reader reads, one JSON line each."""
    return [_line(project_litellm(record, context)) for record in _litellm_records(_text(body))]


def otlp_lines(body: bytes, context: Context) -> list[bytes]:
    """An OTLP/JSON ExportTraceServiceRequest cut down to what the reader reads, as one line (the otel reader reads
    one request per line)."""
    text = _text(body)
    request, end = _value_at(text, _skip_space(text, 0), lambda at: "body")
    if _skip_space(text, end) != len(text):
        raise Rejected(HTTPStatus.BAD_REQUEST, "body: unexpected text after the JSON object")
    if not isinstance(request, dict) or "resourceSpans" not in request:
        raise Rejected(
            HTTPStatus.BAD_REQUEST, "an OTLP/JSON ExportTraceServiceRequest ({'resourceSpans': [...]}) expected"
        )
    try:
        return [_line(project_otel(request, context))]
    except ShapeError as error:
        raise Rejected(HTTPStatus.BAD_REQUEST, str(error)) from None


@dataclass(frozen=True)
class Endpoint:
    source_format: str
    lines: Callable[[bytes, Context], list[bytes]]
    answer: Callable[[int], dict[str, Any]]


ENDPOINTS = {
    LITELLM_PATH: Endpoint("litellm", litellm_lines, lambda records: {"accepted": records}),
    # ExportTraceServiceResponse: an empty partial_success means everything was accepted.
    OTLP_TRACES_PATH: Endpoint("otel", otlp_lines, lambda records: {}),
}


# The receiver -----------------------------------------------------------------------------------------------------


@dataclass
class Counters:
    """What the receiver has done since it started (updated on the event loop's thread only)."""

    started: float = field(default_factory=time.monotonic)
    received: int = 0
    received_records: int = 0
    rejected: int = 0
    spooled_bytes: int = 0
    spooled_files: int = 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "received_records": self.received_records,
            "rejected": self.rejected,
            "spooled_bytes": self.spooled_bytes,
            "spooled_files": self.spooled_files,
            "uptime_seconds": round(time.monotonic() - self.started, 3),
        }


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    spool: Spool
    token: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    # routing.yaml whose task_type_from attribute rules name the custom attributes whose values are kept (None:
    # $TIERSCOPE_ROUTING, else the shipped default), as the loader's would
    routing: str | Path | None = None


def _answer(status: HTTPStatus, payload: dict[str, Any], *, close: bool = False, **headers: str) -> JSONResponse:
    if close:
        headers["Connection"] = "close"
    return JSONResponse(payload, status_code=status, headers=headers)


class Receiver:
    """The Starlette application: checks each request, spools the accepted bodies, counts."""

    def __init__(self, options: ServeOptions) -> None:
        require_token(options.host, options.token)
        self.options = options
        self.counters = Counters()
        rules = load_routing(options.routing).task_type_from
        self.context = Context(frozenset(rule.key for rule in rules if rule.kind == "attribute"), _load_embedded)
        routes = [
            Route(HEALTH_PATH, self.health, methods=["GET"]),
            *(Route(path, self.post, methods=["POST"]) for path in ENDPOINTS),
        ]
        handlers = {HTTPStatus.NOT_FOUND.value: self.unknown, HTTPStatus.METHOD_NOT_ALLOWED.value: self.unknown}
        self.app = Starlette(routes=routes, exception_handlers=handlers)
        # a 404 naming the endpoints, not a 307 to the path without its slash (exporters do not follow it for POST)
        self.app.router.redirect_slashes = False

    async def health(self, request: Request) -> Response:
        files, size = await run_in_threadpool(self.options.spool.backlog)
        payload = {
            "status": "ok",
            **self.counters.snapshot(),
            "spool_backlog_files": files,
            "spool_backlog_bytes": size,
        }
        return _answer(HTTPStatus.OK, payload)

    async def unknown(self, request: Request, exception: Exception) -> Response:
        if request.method != "POST":
            return _answer(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint; GET {HEALTH_PATH}"})
        self.counters.rejected += 1
        return _answer(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint; POST {' or '.join(ENDPOINTS)}"}, close=True)

    async def post(self, request: Request) -> Response:
        endpoint = ENDPOINTS[request.url.path]
        try:
            # Everything that needs only the headers is decided before the body is asked for: uvicorn sends
            # "100 Continue" to a client that waits for it only then.
            self._authorize(request.headers)
            length, encoding = self._framing(request.headers)
            body = await self._body(request, length)
            lines = await run_in_threadpool(self._spool, endpoint, body, encoding)
        except Rejected as rejected:
            self.counters.rejected += 1
            headers = {"WWW-Authenticate": "Bearer"} if rejected.status == HTTPStatus.UNAUTHORIZED else {}
            return _answer(rejected.status, {"error": rejected.reason}, close=rejected.close, **headers)
        except OSError as error:  # the spool could not be written: the client keeps its data and retries
            self.counters.rejected += 1
            return _answer(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"cannot write the spool: {error}"}, close=True)
        self.counters.received += 1
        self.counters.received_records += len(lines) if endpoint.source_format == "litellm" else 1
        self.counters.spooled_files += 1
        self.counters.spooled_bytes += sum(len(line) + 1 for line in lines)
        return _answer(HTTPStatus.OK, endpoint.answer(len(lines)))

    def _authorize(self, headers: Headers) -> None:
        token = self.options.token
        if not token:
            return
        scheme, _, value = headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            raise Rejected(
                HTTPStatus.UNAUTHORIZED, "a valid 'Authorization: Bearer <token>' header is required", close=True
            )

    def _framing(self, headers: Headers) -> tuple[int, str]:
        """The body's length and content encoding, once its type, encoding and size are acceptable."""
        content_type = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type not in JSON_TYPES:
            raise Rejected(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"Content-Type {content_type!r} is not accepted; send JSON (for OTLP, the exporter's JSON encoding)",
                close=True,
            )
        encoding = headers.get("Content-Encoding", "identity").strip().lower() or "identity"
        if encoding not in ("identity", "gzip"):
            raise Rejected(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"Content-Encoding {encoding!r}: only gzip is accepted", close=True
            )
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            raise Rejected(
                HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length (chunked is not accepted)", close=True
            )
        if "Content-Length" not in headers:
            raise Rejected(HTTPStatus.LENGTH_REQUIRED, "a Content-Length header is required", close=True)
        try:
            length = int(headers["Content-Length"])
        except ValueError:  # h11 refuses a Content-Length that is not a number before the application sees it
            raise Rejected(HTTPStatus.BAD_REQUEST, "Content-Length is not a number", close=True) from None
        limit = self.options.max_body_bytes
        if length > limit:
            raise Rejected(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"body of {length:,} bytes is over the {limit:,}-byte limit",
                close=True,
            )
        return length, encoding

    async def _body(self, request: Request, length: int) -> bytes:
        """The body, read before the request's deadline (set by :class:`DeadlineProtocol` at its first byte)."""
        loop = asyncio.get_running_loop()
        deadline = request.scope.get("extensions", {}).get(DEADLINE_EXTENSION, {}).get("deadline")
        parts: list[bytes] = []
        try:
            async with asyncio.timeout_at(deadline or loop.time() + self.options.timeout):
                async with aclosing(request.stream()) as chunks:
                    async for chunk in chunks:
                        parts.append(chunk)
        except TimeoutError:
            raise Rejected(
                HTTPStatus.REQUEST_TIMEOUT, f"the request did not arrive within {self.options.timeout:g} s", close=True
            ) from None
        except ClientDisconnect:
            raise Rejected(HTTPStatus.BAD_REQUEST, "the client went away before the body ended", close=True) from None
        body = b"".join(parts)
        if len(body) != length:  # h11 frames the body by its Content-Length; this holds unless that changes
            raise Rejected(HTTPStatus.BAD_REQUEST, "the body's size differs from its Content-Length", close=True)
        return body

    def _spool(self, endpoint: Endpoint, body: bytes, encoding: str) -> list[bytes]:
        """Decode, check and cut down the body, then write it to one spool file (fsync-ed); its lines."""
        if encoding == "gzip":
            body = gunzip(body, self.options.max_body_bytes)
        lines = endpoint.lines(body, self.context)
        if not lines:
            raise Rejected(HTTPStatus.BAD_REQUEST, "no records in the body")
        self.options.spool.write_batch([part for line in lines for part in (line, b"\n")], endpoint.source_format)
        return lines


# The server -------------------------------------------------------------------------------------------------------


class DeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with one deadline for each request, headers and body together.

    uvicorn itself times out only the idle time between requests, and every byte that arrives restarts that: a
    client trickling its headers would hold the connection for ever. The deadline starts with the connection, or
    with the first byte after the previous answer, and ends with the answer. Until the headers are complete it is
    enforced here (408, then the connection is closed); after, the application gets it in the request's scope
    (``extensions``) and answers 408 itself when the body is late.
    """

    request_timeout: ClassVar[float] = DEFAULT_TIMEOUT_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._request_bytes = False
        self._application = self.app
        self.app = self._with_deadline

    async def _with_deadline(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("extensions", {})[DEADLINE_EXTENSION] = {"deadline": self._arm()}
        await self._application(scope, receive, send)

    def _arm(self) -> float:
        if self._deadline is None:
            self._deadline = self.loop.time() + self.request_timeout
            self._timer = self.loop.call_at(self._deadline, self._expired)
        return self._deadline

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._deadline, self._timer, self._request_bytes = None, None, False

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return  # closed already, or the application has the request and answers for it
        if self._request_bytes:
            reason = json.dumps({"error": f"the request did not arrive within {self.request_timeout:g} s"}).encode()
            head = (
                "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
                f"content-length: {len(reason)}\r\nconnection: close\r\n\r\n"
            )
            self.transport.write(head.encode() + reason)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        self._arm()
        self._request_bytes = True
        super().data_received(data)

    def on_response_complete(self) -> None:
        self._disarm()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class _Server(uvicorn.Server):
    """uvicorn's server, announcing its address once it listens and stopping when ``stop`` is set."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[], None], stop: threading.Event) -> None:
        super().__init__(config)
        self._announce = announce
        self._stop = stop

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._announce()

    async def on_tick(self, counter: int) -> bool:
        if self._stop.is_set():
            self.should_exit = True
        return await super().on_tick(counter)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without it Nagle's
    # algorithm holds each answer's body back until the client's delayed ACK (40 ms per request on Linux).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _connection_limit() -> int:
    """How many connections (and requests) at once before uvicorn answers 503: what this process's file descriptors
    allow, after raising their soft limit towards the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_DESCRIPTORS if hard == resource.RLIM_INFINITY else min(hard, MAX_DESCRIPTORS)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return max(min(soft, MAX_DESCRIPTORS) - SPARE_DESCRIPTORS, 64)


def run_receiver(options: ServeOptions, announce: Callable[[str], None], stop: threading.Event) -> None:
    """Serve until ``stop`` is set or SIGTERM / Ctrl+C; ``announce(url)`` once it listens (port 0: a free one)."""
    receiver = Receiver(options)
    sock = _listen(options.host, options.port)
    url = _url(sock)
    protocol = type("DeadlineProtocol", (DeadlineProtocol,), {"request_timeout": options.timeout})
    config = uvicorn.Config(
        receiver.app,
        http=protocol,
        lifespan="off",
        log_config=None,
        log_level="error",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        backlog=BACKLOG,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=math.ceil(options.timeout) + 1,
        limit_concurrency=_connection_limit(),
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )
    try:
        _Server(config, lambda: announce(url), stop).run(sockets=[sock])
    finally:
        sock.close()
