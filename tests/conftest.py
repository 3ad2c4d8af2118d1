"""Shared fixtures: real DuckDB files built through the real load path (never a mock)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import pytest

from tierscope.ingest.load import ingest_paths
from tierscope.queries.db import connect

REPO = Path(__file__).resolve().parent.parent
SAMPLE_LOGS = REPO / "tierscope" / "sample_logs"


def write_jsonl(path: Path, records: Iterable[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


BuildDb = Callable[..., duckdb.DuckDBPyConnection]


@pytest.fixture
def build_db(tmp_path: Path) -> BuildDb:
    """Build a database from records (written as a generic JSONL file) and open it; extra kwargs go to connect()."""

    def build(records: Iterable[dict[str, object]], name: str = "calls", **connect_args: object):
        source = write_jsonl(tmp_path / f"{name}.jsonl", records)
        con = connect(tmp_path / f"{name}.duckdb", **connect_args)  # type: ignore[arg-type]
        ingest_paths(con, [source])
        return con

    return build


@pytest.fixture(scope="session")
def sample_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo month (sample_logs) loaded once per test session; tests open it themselves."""
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    con = connect(path)
    ingest_paths(con, [SAMPLE_LOGS / "requests.jsonl.gz", SAMPLE_LOGS / "requests_export.csv"])
    con.close()
    return path


@pytest.fixture
def sample_db(sample_db_path: Path) -> Iterable[duckdb.DuckDBPyConnection]:
    con = connect(sample_db_path)
    yield con
    con.close()
