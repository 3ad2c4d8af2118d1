"""Reads while another tierscope process owns the database: the owner's read endpoint and the client that uses it.

DuckDB lets one process open a database file read-write, and no other process may even read it meanwhile. The
process that owns it for a long time (the dashboard, through its ingester; ``tierscope watch``) therefore answers
read-only queries for the others on a loopback HTTP endpoint (:class:`OwnerEndpoint`), advertised in a file beside
the database (``<db>.owner.json``: url, pid, a random token, the owner's kind and config files; created 0600,
removed on a clean exit, ignored when its process is gone).

``POST /query`` takes a JSON body: ``sql``, ``parameters`` (an Arrow IPC stream of one row, a column per bound
parameter, so values keep their types) and ``tables`` (name -> Arrow IPC stream, registered on the query's cursor
only, as the what-if registers its scenarios). Every request needs ``Authorization: Bearer <token>`` (401
otherwise). The statements run on a fresh cursor of the owner's connection in a read-only transaction, and only if
DuckDB's own parser calls every one of them a SELECT (403 otherwise); the result streams back as Arrow IPC.

:class:`OwnerClient` is the part of a DuckDB connection the query layer reads through (``execute`` and its
results' ``to_arrow_table`` / ``fetchall`` / ``fetchone`` / ``pl``, ``register`` / ``unregister``, ``close``),
answered by that endpoint, so every function of ``queries.api``, ``scenario`` and ``export`` works through it
unchanged. A ``COPY (query) TO ...`` (a Parquet export) runs here, in an in-memory database, on the query's rows
streamed from the owner: files are written by the process that asked, as they are when it owns the database.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from tierscope.errors import UserError
from tierscope.queries.db import resolve_db_path
from tierscope.settings import settings

ADVERT_SUFFIX = ".owner.json"
ADDRESS = "127.0.0.1"
ARROW_STREAM = "application/vnd.apache.arrow.stream"
# Scenario tables are a few kilobytes; anything near this is not a query of tierscope's.
MAX_REQUEST_BYTES = 64 << 20
ROWS_PER_BATCH = 100_000
START_SECONDS = 10.0
# How long a closing owner lets running queries finish before it interrupts them (its connection closes next).
CLOSE_GRACE_SECONDS = 5.0
INTERRUPTED_SECONDS = 1.0
CLIENT_TIMEOUT_SECONDS = 300.0
COPY_SOURCE = "owner_rows"

KIND_DASHBOARD = "dashboard"
KIND_WATCH = "watch"
KIND_NAMES = {KIND_DASHBOARD: "the dashboard", KIND_WATCH: "tierscope watch"}


class OwnerUnavailable(UserError):
    """The process that owns the database did not answer (it stopped, or refused the token)."""


class Refused(duckdb.Error):
    """A statement the owner does not run for others: anything but a SELECT."""


# Who holds the database ------------------------------------------------------------------------------------------


def advert_path(db_path: str | os.PathLike[str] | None) -> Path:
    """``<db file>.owner.json``, beside the database."""
    return Path(os.path.abspath(resolve_db_path(db_path)) + ADVERT_SUFFIX)


@dataclass(frozen=True)
class Advert:
    """What the owner's file says: where its endpoint listens, with which token, and who it is."""

    url: str
    pid: int
    token: str
    kind: str
    spool_interval: float  # it loads the spool this often (seconds)
    prices: str  # the config files it opened the database with
    routing: str


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def read_advert(db_path: str | os.PathLike[str] | None) -> Advert | None:
    """The advert of the live process that owns the database, if one is there."""
    try:
        advert = Advert(**json.loads(advert_path(db_path).read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError, TypeError):
        return None
    return advert if advert.pid != os.getpid() and pid_alive(advert.pid) else None


def is_lock_error(error: BaseException) -> bool:
    """Whether opening the database failed because another process holds it (DuckDB's file lock)."""
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


def lock_pid(error: BaseException) -> int | None:
    """The process DuckDB's lock error names (``... (PID 123) ...``)."""
    found = re.search(r"PID (\d+)", str(error))
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Holder:
    """The process holding a database: an advertised owner (with its endpoint), or just a pid from the lock."""

    pid: int | None
    advert: Advert | None = None

    @property
    def kind(self) -> str | None:
        return self.advert.kind if self.advert else None

    def __str__(self) -> str:
        name = KIND_NAMES.get(self.kind or "", "another process")
        return f"{name} (pid {self.pid})" if self.pid else name


def holder(db_path: str | os.PathLike[str] | None, error: BaseException | None = None) -> Holder:
    """Who holds the database: its advertised owner, else the process the lock error names."""
    advert = read_advert(db_path)
    if advert is not None:
        return Holder(advert.pid, advert)
    return Holder(lock_pid(error) if error is not None else None)


# The owner's side ------------------------------------------------------------------------------------------------


def _ipc(table: pa.Table | pa.RecordBatch) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write(table)
    return sink.getvalue()


def _from_ipc(data: str) -> pa.Table:
    return pa.ipc.open_stream(base64.b64decode(data)).read_all()


def _bound(statement: duckdb.Statement, parameters: dict[str, Any] | list[Any] | None) -> object:
    if isinstance(parameters, dict):
        return {name: parameters[name] for name in statement.named_parameters}
    return parameters


def _parameters(encoded: Mapping[str, Any] | None) -> dict[str, Any] | list[Any] | None:
    if not encoded:
        return None
    [row] = _from_ipc(encoded["values"]).to_pylist()
    return list(row.values()) if encoded.get("positional") else row


class _Queries:
    """The statements the owner runs for others, each on a cursor of its own, tracked until its rows are sent."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.running: set[duckdb.DuckDBPyConnection] = set()
        self.lock = threading.Lock()

    def run(self, payload: Mapping[str, Any]) -> Iterator[bytes]:
        """Check, run and start streaming one request's query (errors before the first row raise here)."""
        sql = payload["sql"]
        if not isinstance(sql, str):
            raise ValueError("sql: a string expected")
        parameters = _parameters(payload.get("parameters"))
        cursor = self.con.cursor()
        with self.lock:
            self.running.add(cursor)
        try:
            statements = cursor.extract_statements(sql)
            if not statements or any(statement.type != duckdb.StatementType.SELECT for statement in statements):
                kinds = ", ".join(statement.type.name for statement in statements) or "nothing"
                raise Refused(f"only SELECT statements are answered here, not {kinds}")
            if not isinstance(parameters, dict) and len(statements) > 1:
                raise Refused("positional parameters bind one statement only")
            cursor.execute("set enable_progress_bar_print = false")
            # Defence in depth beyond the parser's verdict: a SELECT that writes (nextval) fails in this transaction.
            cursor.execute("begin transaction read only")
            for name, data in (payload.get("tables") or {}).items():
                cursor.register(name, _from_ipc(data))
            for statement in statements:
                cursor.execute(statement.query, _bound(statement, parameters))
            reader = cursor.to_arrow_reader(ROWS_PER_BATCH)
        except BaseException:
            self._done(cursor)
            raise
        return self._stream(cursor, reader)

    def _stream(self, cursor: duckdb.DuckDBPyConnection, reader: pa.RecordBatchReader) -> Iterator[bytes]:
        try:
            sink = io.BytesIO()
            with pa.ipc.new_stream(sink, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
                    yield sink.getvalue()
                    sink.seek(0)
                    sink.truncate()
            yield sink.getvalue()
        finally:
            self._done(cursor)

    def _done(self, cursor: duckdb.DuckDBPyConnection) -> None:
        with self.lock:
            self.running.discard(cursor)
        cursor.close()

    def interrupt(self, grace: float) -> None:
        """Let running queries finish for ``grace`` seconds, then interrupt them and wait (a moment) until they let
        go."""
        deadline = time.monotonic() + grace
        while self.running and time.monotonic() < deadline:
            time.sleep(0.05)
        with self.lock:
            left = list(self.running)
        for cursor in left:
            cursor.interrupt()
        while self.running and time.monotonic() < deadline + INTERRUPTED_SECONDS:
            time.sleep(0.05)


def _error(status: int, kind: str, message: str) -> Any:
    from starlette.responses import JSONResponse

    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"type": kind, "error": message}, status_code=status, headers=headers)


def endpoint_app(queries: _Queries, token: str) -> Any:
    """The Starlette app: ``POST /query`` only."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    expected = f"Bearer {token}".encode()

    async def query(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not secrets.compare_digest(given, expected):
            return _error(401, "Unauthorized", "Authorization: Bearer <token from the owner file> required")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_REQUEST_BYTES:
                return _error(413, "TooLarge", f"a request body of at most {MAX_REQUEST_BYTES:,} bytes")
        try:
            payload = json.loads(body)
            stream = await run_in_threadpool(queries.run, payload)
        except Refused as refused:
            return _error(403, "Refused", str(refused))
        except duckdb.Error as error:
            return _error(400, type(error).__name__, str(error))
        except (ValueError, KeyError, TypeError) as error:
            return _error(400, "BadRequest", f"a JSON object with sql, parameters and tables expected ({error})")
        return StreamingResponse(stream, media_type=ARROW_STREAM)

    return Starlette(routes=[Route("/query", query, methods=["POST"])])


def _write_private(path: Path, text: str) -> None:
    """Write ``path`` readable by this user only, atomically (the token is in it)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class OwnerEndpoint:
    """The owner's read endpoint on 127.0.0.1 (a free port), served by uvicorn in a thread, and its advert."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        db_path: str,
        kind: str,
        spool_interval: float,
        prices: str | os.PathLike[str] | None = None,
        routing: str | os.PathLike[str] | None = None,
    ) -> None:
        import uvicorn

        self.queries = _Queries(con)
        self.token = secrets.token_urlsafe(32)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind((ADDRESS, 0))
        port = self.socket.getsockname()[1]
        chosen = settings(prices=prices, routing=routing)
        self.advert = Advert(
            url=f"http://{ADDRESS}:{port}",
            pid=os.getpid(),
            token=self.token,
            kind=kind,
            spool_interval=spool_interval,
            prices=str(Path(chosen.prices).resolve()),
            routing=str(Path(chosen.routing).resolve()),
        )
        self.path = advert_path(db_path)
        config = uvicorn.Config(
            endpoint_app(self.queries, self.token),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=int(CLOSE_GRACE_SECONDS),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name="tierscope-owner-reads", daemon=True
        )

    @classmethod
    def start(
        cls,
        con: duckdb.DuckDBPyConnection,
        db_path: str,
        kind: str,
        spool_interval: float,
        prices: str | os.PathLike[str] | None = None,
        routing: str | os.PathLike[str] | None = None,
    ) -> OwnerEndpoint:
        """Serve reads on ``con`` and advertise it beside ``db_path``."""
        endpoint = cls(con, db_path, kind, spool_interval, prices, routing)
        endpoint.thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not endpoint.server.started:
            if not endpoint.thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"the read endpoint for {db_path} did not start")
            time.sleep(0.01)
        _write_private(endpoint.path, json.dumps(asdict(endpoint.advert)))
        return endpoint

    def close(self) -> None:
        """Withdraw the advert (if it is still this one), stop serving and wait for running queries: the caller
        closes the connection next, which must not happen under a running statement."""
        with contextlib.suppress(FileNotFoundError, ValueError, TypeError):
            if json.loads(self.path.read_text(encoding="utf-8")).get("token") == self.token:
                self.path.unlink()
        self.server.should_exit = True
        self.thread.join(CLOSE_GRACE_SECONDS * 2)
        self.queries.interrupt(CLOSE_GRACE_SECONDS)
        self.socket.close()


# The client's side -----------------------------------------------------------------------------------------------


def _encode_parameters(parameters: object) -> dict[str, Any] | None:
    if not parameters:
        return None
    if isinstance(parameters, Mapping):
        row, positional = dict(parameters), False
    elif isinstance(parameters, Sequence) and not isinstance(parameters, str):
        row, positional = {str(index): value for index, value in enumerate(parameters, start=1)}, True
    else:
        raise TypeError(f"parameters: a mapping or a sequence expected, not {type(parameters).__name__}")
    values = base64.b64encode(_ipc(pa.Table.from_pylist([row]))).decode()
    return {"values": values, "positional": positional}


def _error_class(name: str) -> type[duckdb.Error]:
    found = getattr(duckdb, name, None)
    if isinstance(found, type) and issubclass(found, duckdb.Error):
        return found
    return Refused if name == "Refused" else duckdb.Error


def _copy_parts(query: str) -> tuple[str, str]:
    """``COPY (<query>) <rest>`` -> (``<query>``, ``<rest>``), found with DuckDB's tokenizer (parentheses inside
    strings and comments do not count)."""
    depth, opened = 0, -1
    tokens = duckdb.tokenize(query)
    if len(tokens) < 2 or tokens[1][1] != duckdb.token_type.operator or query[tokens[1][0]] != "(":
        raise Refused("a COPY is run for the reader only in the form COPY (<query>) TO ...")
    for index, (position, kind) in enumerate(tokens):
        if kind != duckdb.token_type.operator:
            continue
        end = tokens[index + 1][0] if index + 1 < len(tokens) else len(query)
        for offset, character in enumerate(query[position:end]):
            if character == "(":
                opened = position + offset if opened < 0 else opened
                depth += 1
            elif character == ")":
                depth -= 1
                if depth == 0:
                    return query[opened + 1 : position + offset], query[position + offset + 1 :]
    raise Refused("a COPY is run for the reader only in the form COPY (<query>) TO ...")


class OwnerClient:
    """A read-only stand-in for a DuckDB connection whose queries the owner of the database answers."""

    def __init__(self, db_path: str, advert: Advert, timeout: float = CLIENT_TIMEOUT_SECONDS) -> None:
        self.db_path = db_path
        self.advert = advert
        self.timeout = timeout
        # Parses statements, runs a COPY on streamed rows and turns Arrow results into Python values as DuckDB does.
        self._local = duckdb.connect()
        self._local.execute("set enable_progress_bar_print = false")
        self._tables: dict[str, pa.Table] = {}
        self._result: pa.RecordBatchReader | None = None
        self._response: Any = None

    def __str__(self) -> str:
        return str(Holder(self.advert.pid, self.advert))

    def _post(self, sql: str, parameters: object) -> pa.RecordBatchReader:
        payload = {
            "sql": sql,
            "parameters": _encode_parameters(parameters),
            "tables": {name: base64.b64encode(_ipc(table)).decode() for name, table in self._tables.items()},
        }
        request = urllib.request.Request(
            f"{self.advert.url}/query",
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {self.advert.token}", "Content-Type": "application/json"},
        )
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            with error:
                answer = json.loads(error.read() or b"{}")
            if error.code == 401:
                raise OwnerUnavailable(f"{self} refused this command's token for {self.db_path}") from error
            raise _error_class(str(answer.get("type")))(str(answer.get("error"))) from error
        except OSError as error:
            raise OwnerUnavailable(f"{self}, which holds {self.db_path}, did not answer: {error}") from error
        self._finish()
        self._response = response
        return pa.ipc.open_stream(response)

    def _finish(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None
        self._result = None

    def execute(self, query: str, parameters: object = None) -> OwnerClient:
        """Run ``query`` (SELECT statements at the owner; a ``COPY (query) TO ...`` here on the owner's rows)."""
        statements = self._local.extract_statements(query)
        kinds = {statement.type.name for statement in statements}
        if kinds == {"SELECT"}:
            self._result = self._post(query, parameters)
            return self
        if kinds == {"COPY"} and len(statements) == 1 and isinstance(parameters, Mapping | None):
            self._result = self._copy(statements[0].query, dict(parameters or {}))
            return self
        raise Refused(f"{self} holds {self.db_path}: only reads are answered, not {', '.join(sorted(kinds))}")

    def _copy(self, query: str, parameters: dict[str, Any]) -> pa.RecordBatchReader:
        source, rest = _copy_parts(query)
        [inner] = self._local.extract_statements(source)
        rows = self._post(source, {name: parameters[name] for name in inner.named_parameters})
        here = f"copy (select * from {COPY_SOURCE}) {rest}"
        [outer] = self._local.extract_statements(here)
        self._local.register(COPY_SOURCE, rows)
        try:
            written = self._local.execute(here, {name: parameters[name] for name in outer.named_parameters})
            table: pa.Table = written.to_arrow_table()
        finally:
            self._local.unregister(COPY_SOURCE)
            self._finish()
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())

    def _take(self) -> pa.Table:
        if self._result is None:
            raise duckdb.InvalidInputException("no open result set")
        try:
            return self._result.read_all()
        finally:
            self._finish()

    def to_arrow_table(self) -> pa.Table:
        return self._take()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._local.from_arrow(self._take()).fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def pl(self) -> pl.DataFrame:
        return self._local.from_arrow(self._take()).pl()

    def register(self, name: str, table: pa.Table) -> OwnerClient:
        """Send ``table`` with every query (until unregistered), registered on that query's cursor only."""
        self._tables[name] = table
        return self

    def unregister(self, name: str) -> OwnerClient:
        self._tables.pop(name, None)
        return self

    def close(self) -> None:
        self._finish()
        self._local.close()
