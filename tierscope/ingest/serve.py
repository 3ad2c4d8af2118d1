"""``tierscope serve``: an HTTP receiver that appends what it accepts to the spool, durably, before it answers.

Endpoints (DESIGN §7):

- ``POST /litellm``: LiteLLM's generic API logger (``callback_type: generic_api``, ``endpoint:
  http://HOST:PORT/litellm``). Its ``log_format`` is ``json_array`` (the default: a JSON array of
  StandardLoggingPayload objects), ``ndjson`` (one object per line) or ``single`` (one object per request); all
  three are accepted.
- ``POST /v1/traces``: OTLP/HTTP with the JSON encoding (an ``ExportTraceServiceRequest``: ``{"resourceSpans":
  [...]}``), optionally gzip-compressed (``Content-Encoding: gzip``). The protobuf encoding is refused (415).
- ``GET /health``: counters since start: ``received`` / ``rejected`` requests, ``received_records``,
  ``spooled_bytes``, ``spooled_files``, ``uptime_seconds``, and the spool backlog (files and bytes not loaded yet).

A body is accepted only when it is complete JSON of the right shape: every record an object (a reason and 400
otherwise; 413 above ``max_body_bytes``, before or after decompression; 415 for another content type or encoding).
An accepted body is written to one spool file (``<utc ns>-<pid>-<seq>.<format>.ndjson``, one record per line),
flushed, ``fsync``-ed and renamed into place before the 200 answer, so an acknowledged body survives a crash of
the receiver or the machine. The receiver never opens the database: the dashboard's ingester or ``tierscope
watch`` loads the spool.

A client has ``timeout`` seconds to send each request (headers and body); a slower one is disconnected. Off
loopback, a bearer token is required (``Authorization: Bearer <token>``); the receiver refuses to start without one.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tierscope.ingest.spool import Spool

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4318  # OTLP/HTTP's well-known port: an OpenTelemetry exporter's default endpoint reaches it
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 30.0
LITELLM_PATH = "/litellm"
OTLP_TRACES_PATH = "/v1/traces"
HEALTH_PATH = "/health"
# What LiteLLM writes in place of the messages when it redacts them (turn_off_message_logging), and the keys of a
# logged response that hold its content (chat / text completions, Responses API, embeddings).
LITELLM_REDACTED = "redacted-by-litellm"
RESPONSE_CONTENT_KEYS = frozenset({"choices", "output", "data", "content"})
JSON_TYPES = ("application/json", "application/x-ndjson", "application/jsonl", "text/plain", "")


class Rejected(Exception):
    """A request refused with an HTTP status and a reason the client can act on."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


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


def _records_litellm(body: bytes) -> list[bytes]:
    """The body's StandardLoggingPayload records, one JSON line each: a JSON array, one object, or NDJSON.

    Each record is checked to be one JSON object and kept as the client wrote it, unless it spans lines or carries
    prompt or completion text (:func:`_without_content`): then it is written again without them."""
    text = _text(body)
    position = _skip_space(text, 0)
    if position == len(text):
        raise Rejected(HTTPStatus.BAD_REQUEST, "empty body")
    if text[position] == "[":
        return _array_records(text, position + 1)
    records = []
    while position < len(text):
        record, position = _object_at(text, position, lambda at: f"line {text.count(chr(10), 0, at) + 1}")
        records.append(record)
        position = _skip_space(text, position)
    return records


def _array_records(text: str, position: int) -> list[bytes]:
    """The objects of a JSON array whose '[' ends just before ``position``."""
    records: list[bytes] = []
    position = _skip_space(text, position)
    if text.startswith("]", position):
        position += 1
    else:
        while True:
            record, position = _object_at(text, position, lambda _: f"element {len(records)} of the array")
            records.append(record)
            position = _skip_space(text, position)
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


_SPACE = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()


def _skip_space(text: str, position: int) -> int:
    found = _SPACE.match(text, position)
    return found.end() if found else position


def _object_at(text: str, position: int, where: Callable[[int], str]) -> tuple[bytes, int]:
    """The payload (a JSON object) starting at ``position`` as one line of bytes, and where it ends."""
    try:
        value, end = _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as error:
        raise Rejected(HTTPStatus.BAD_REQUEST, f"{where(error.pos)}: not valid JSON ({error.msg})") from None
    if not isinstance(value, dict):
        raise Rejected(HTTPStatus.BAD_REQUEST, f"{where(position)}: a JSON object expected")
    trimmed = _without_content(value)
    if trimmed is not None:
        return json.dumps(trimmed, separators=(",", ":")).encode(), end
    return _compact(value, text[position:end]), end


def _without_content(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The payload without prompt and completion text, or None when it carries none.

    Prompt and completion text is never stored (DESIGN §3), not even for a moment in the spool: ``messages`` is
    dropped (unless LiteLLM redacted it already) and a ``response`` with content is cut down to the model that
    answered, all that the litellm reader reads of it."""
    messages = payload.get("messages", LITELLM_REDACTED)
    response = payload.get("response")
    has_answer = isinstance(response, dict) and not RESPONSE_CONTENT_KEYS.isdisjoint(response)
    if messages == LITELLM_REDACTED and not has_answer and not isinstance(response, str | list):
        return None
    kept = {key: value for key, value in payload.items() if key != "messages"}
    if "response" in kept:
        kept["response"] = {"model": response["model"]} if isinstance(response, dict) and "model" in response else None
    return kept


def _records_otlp(body: bytes) -> list[bytes]:
    """An OTLP/JSON ExportTraceServiceRequest as one line (the otel reader reads one request per line)."""
    text = _text(body)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise Rejected(HTTPStatus.BAD_REQUEST, f"body is not valid JSON ({error.msg} at {error.pos})") from None
    if not isinstance(value, dict) or not isinstance(value.get("resourceSpans"), list):
        raise Rejected(
            HTTPStatus.BAD_REQUEST, "an OTLP/JSON ExportTraceServiceRequest ({'resourceSpans': [...]}) expected"
        )
    for index, resource_spans in enumerate(value["resourceSpans"]):
        if not isinstance(resource_spans, dict):
            raise Rejected(HTTPStatus.BAD_REQUEST, f"resourceSpans[{index}]: a JSON object expected")
    return [_compact(value, text)]


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Rejected(HTTPStatus.BAD_REQUEST, f"body is not UTF-8 (byte {error.start})") from None


def _compact(value: object, text: str) -> bytes:
    """The record as one line: the text as sent when it is one line already, else re-serialised."""
    stripped = text.strip()
    if "\n" not in stripped and "\r" not in stripped:
        return stripped.encode()
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Endpoint:
    source_format: str
    parse: Callable[[bytes], list[bytes]]
    answer: Callable[[int], dict[str, Any]]


ENDPOINTS = {
    LITELLM_PATH: Endpoint("litellm", _records_litellm, lambda records: {"accepted": records}),
    # ExportTraceServiceResponse: an empty partial_success means everything was accepted.
    OTLP_TRACES_PATH: Endpoint("otel", _records_otlp, lambda records: {}),
}


@dataclass
class Counters:
    """What the receiver has done since it started (guarded by a lock: handlers run on many threads)."""

    started: float = field(default_factory=time.monotonic)
    received: int = 0
    received_records: int = 0
    rejected: int = 0
    spooled_bytes: int = 0
    spooled_files: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self, records: int, size: int) -> None:
        with self.lock:
            self.received += 1
            self.received_records += records
            self.spooled_bytes += size
            self.spooled_files += 1

    def refused(self) -> None:
        with self.lock:
            self.rejected += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
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


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, options: ServeOptions) -> None:
        require_token(options.host, options.token)
        self.options = options
        self.counters = Counters()
        family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
        self.address_family = family
        super().__init__((options.host, options.port), Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{text}]" if ":" in text else text
        return f"http://{shown}:{port}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: LiteLLM's and OpenTelemetry's HTTP clients reuse connections
    server: Receiver
    server_version = "tierscope-serve"

    def setup(self) -> None:
        super().setup()
        # Every blocking read (request line, headers, body) gives up after this long: a stalled client is dropped.
        self.connection.settimeout(self.server.options.timeout)
        # Headers and body leave in two writes; without this, Nagle's algorithm holds the body back until the
        # client's delayed ACK (40 ms per request on Linux).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        """Quiet: the counters on /health say what happened; rejections are answered with their reason."""

    def _send(self, status: HTTPStatus, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?", 1)[0] != HEALTH_PATH:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint; GET {HEALTH_PATH}"})
            return
        files, size = self.server.options.spool.backlog()
        self._send(
            HTTPStatus.OK,
            {
                "status": "ok",
                **self.server.counters.snapshot(),
                "spool_backlog_files": files,
                "spool_backlog_bytes": size,
            },
        )

    def do_POST(self) -> None:  # noqa: N802
        try:
            endpoint = self._endpoint()
            self._authorize()
            body = self._body()
            records = endpoint.parse(body)
            if not records:
                raise Rejected(HTTPStatus.BAD_REQUEST, "no records in the body")
            chunks = [line for record in records for line in (record, b"\n")]
            self.server.options.spool.write_batch(chunks, endpoint.source_format)
        except Rejected as rejected:
            self.server.counters.refused()
            headers = {"WWW-Authenticate": "Bearer"} if rejected.status == HTTPStatus.UNAUTHORIZED else None
            self._send(rejected.status, {"error": rejected.reason}, headers)
            return
        except OSError as error:  # the spool could not be written: the client keeps its data and retries
            self.server.counters.refused()
            self.close_connection = True
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"cannot write the spool: {error}"})
            return
        self.server.counters.accepted(len(records), sum(len(chunk) for chunk in chunks))
        self._send(HTTPStatus.OK, endpoint.answer(len(records)))

    def _endpoint(self) -> Endpoint:
        endpoint = ENDPOINTS.get(self.path.split("?", 1)[0])
        if endpoint is None:
            self.close_connection = True
            raise Rejected(HTTPStatus.NOT_FOUND, f"no such endpoint; POST {' or '.join(ENDPOINTS)}")
        return endpoint

    def _authorize(self) -> None:
        token = self.server.options.token
        if not token:
            return
        given = self.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            self.close_connection = True
            raise Rejected(HTTPStatus.UNAUTHORIZED, "a valid 'Authorization: Bearer <token>' header is required")

    def _body(self) -> bytes:
        limit = self.server.options.max_body_bytes
        content_type = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type not in JSON_TYPES:
            self.close_connection = True
            raise Rejected(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"Content-Type {content_type!r} is not accepted; send JSON (for OTLP, the exporter's JSON encoding)",
            )
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            raise Rejected(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length (chunked is not accepted)")
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header) if length_header is not None else -1
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise Rejected(HTTPStatus.LENGTH_REQUIRED, "a Content-Length header is required")
        if length > limit:
            self.close_connection = True
            raise Rejected(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body of {length:,} bytes is over the {limit:,}-byte limit"
            )
        body = self._read_exactly(length)
        encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding == "gzip":
            body = _gunzip(body, limit)
        elif encoding not in ("identity", ""):
            raise Rejected(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"Content-Encoding {encoding!r}: only gzip is accepted")
        return body

    def _read_exactly(self, length: int) -> bytes:
        """The body, within the request's time limit: a client that stalls or trickles is disconnected."""
        deadline = time.monotonic() + self.server.options.timeout
        parts: list[bytes] = []
        remaining = length
        while remaining:
            if time.monotonic() > deadline:
                self.close_connection = True
                raise Rejected(HTTPStatus.REQUEST_TIMEOUT, "the body did not arrive in time")
            try:
                part = self.rfile.read1(min(remaining, 1 << 20))
            except TimeoutError:
                self.close_connection = True
                raise Rejected(HTTPStatus.REQUEST_TIMEOUT, "the body did not arrive in time") from None
            if not part:
                self.close_connection = True
                raise Rejected(HTTPStatus.BAD_REQUEST, "the body ended before its Content-Length")
            parts.append(part)
            remaining -= len(part)
        return b"".join(parts)


def _gunzip(body: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, limit + 1)
    except zlib.error as error:
        raise Rejected(HTTPStatus.BAD_REQUEST, f"body is not valid gzip ({error})") from None
    if len(data) > limit or decompressor.unconsumed_tail:
        raise Rejected(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"decompressed body is over the {limit:,}-byte limit")
    return data


def run_receiver(options: ServeOptions, announce: Callable[[str], None], stop: threading.Event) -> None:
    """Serve until ``stop`` is set (the CLI sets it on SIGTERM / Ctrl+C)."""
    receiver = Receiver(options)
    announce(receiver.url)
    worker = threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    worker.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        receiver.shutdown()
        receiver.server_close()
