"""Reading a database another tierscope process owns (docs/streaming.md): the owner answers read-only queries on its
loopback endpoint (``queries/owner.py``), so every read command gives what it gives on a free database; writes stop
with the holder named. Real processes, a real database built through the real load path, real HTTP.
"""

from __future__ import annotations

import base64
import json
import math
import shutil
import stat
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from tests.conftest import SAMPLE_LOGS
from tests.streaming_support import REPO, TIERSCOPE, dashboard_owner, lines, records, wait_until, watch
from tierscope.cli import main
from tierscope.queries.db import connect
from tierscope.queries.owner import KIND_WATCH, OwnerClient, OwnerEndpoint, Refused, advert_path, read_advert

SCENARIO = "tiers: {tier1: [gpt-4o-mini], tier2: [gpt-4o]}\ndefault_tier: tier1\n"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample CSV export (2,000 calls) loaded by `tierscope ingest`."""
    db = tmp_path_factory.mktemp("owner") / "calls.duckdb"
    subprocess.run(
        [TIERSCOPE, "ingest", str(SAMPLE_LOGS / "requests_export.csv"), "--db", str(db)], check=True, cwd=REPO
    )
    return db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """One CLI command in this process: exit status, stdout, stderr."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def reads(db: Path, out: Path) -> dict[str, list[str]]:
    """Every read command, with its files written under ``out``."""
    scenario = out / "cheap.yaml"
    scenario.write_text(SCENARIO)
    database = ["--db", str(db)]
    return {
        "report": ["report", "--json", *database],
        "report by model (text)": ["report", "--by", "model", "--since", "2026-11-10", *database],
        "drift": ["drift", "--json", *database],
        "whatif": ["whatif", "--json", "--tier-map", str(scenario), "--task-type", "extraction", *database],
        "whatif (text)": ["whatif", "--tier-map", str(scenario), *database],
        "reconcile": ["reconcile", "--json", *database],
        "export focus": ["export", "focus", "--out", str(out / "focus.csv"), *database],
        "export parquet": ["export", "parquet", "--out", str(out / "calls"), "--json", *database],
    }


def rounded(value: Any) -> Any:
    """Floats to 12 significant digits: DuckDB sums doubles in parallel, in an order that varies from run to run (the
    what-if's sums differ in their last bits between two runs on the same free database)."""
    if isinstance(value, float):
        return float(f"{value:.12g}") if math.isfinite(value) else value
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value


def parquet_rows(folder: Path) -> list[tuple[Any, ...]]:
    pattern = str(folder / "**" / "*.parquet")
    with duckdb.connect() as con:
        return con.execute(
            "select * exclude (ingest_id) from read_parquet($pattern, hive_partitioning = true) order by request_id",
            {"pattern": pattern},
        ).fetchall()


def test_reads_give_the_same_output_and_status_while_a_dashboard_holds_the_database(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "free").mkdir()
    (tmp_path / "held").mkdir()
    free = {name: run(capsys, *argv) for name, argv in reads(database, tmp_path / "free").items()}
    owner = dashboard_owner(database)
    try:
        held = {name: run(capsys, *argv) for name, argv in reads(database, tmp_path / "held").items()}
    finally:
        owner.kill()
    for name in free:
        (free_status, free_out, free_err), (held_status, held_out, held_err) = free[name], held[name]
        assert (held_status, held_err) == (free_status, free_err), name
        if name == "whatif":
            assert rounded(json.loads(held_out)) == rounded(json.loads(free_out))
        else:
            assert held_out.replace(str(tmp_path / "held"), "OUT") == free_out.replace(str(tmp_path / "free"), "OUT")
    assert (tmp_path / "held" / "focus.csv").read_bytes() == (tmp_path / "free" / "focus.csv").read_bytes()
    assert parquet_rows(tmp_path / "held" / "calls") == parquet_rows(tmp_path / "free" / "calls")
    assert json.loads(held["report"][1])["rows"] and json.loads(held["export parquet"][1])["rows"] == 2000


def test_reads_answer_while_watch_holds_the_database(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    free = run(capsys, "report", "--by", "tier", "--json", "--db", str(database))
    logs = tmp_path / "logs"
    logs.mkdir()
    watcher = watch(logs, database)
    try:
        watcher.wait_for_event(lambda event: event.get("event") == "owner")
        wait_until(lambda: read_advert(database) is not None, what="the watcher's read endpoint")
        held = run(capsys, "report", "--by", "tier", "--json", "--db", str(database))
    finally:
        assert watcher.stop() == 0
    assert held == free
    assert not advert_path(database).exists()  # removed on a clean exit


def test_writes_name_the_holder_and_exit_2(database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "prices.yaml"
    shutil.copyfile(REPO / "tierscope" / "config" / "prices.yaml", book)
    litellm = tmp_path / "litellm.json"
    litellm.write_text(json.dumps({"gpt-4o": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.2e-05}}))
    other_book = tmp_path / "other.yaml"
    owner = dashboard_owner(database, env={"TIERSCOPE_PRICES": str(book)})
    db = ["--db", str(database)]
    try:
        named = f"the dashboard (pid {owner.process.pid})"
        for argv in (
            ["profile", str(SAMPLE_LOGS / "profiling_results.jsonl"), *db],
            ["rebuild", *db],
            ["prices", "import-litellm", str(litellm), "--prices", str(book), *db],
        ):
            status, out, err = run(capsys, *argv)
            assert (status, out) == (2, ""), argv
            assert named in err and err.count("\n") == 1, argv
        assert book.read_bytes() == (REPO / "tierscope" / "config" / "prices.yaml").read_bytes()
        # another file is not the holder's price book
        status, _, _ = run(
            capsys, "prices", "import-litellm", str(litellm), "--prices", str(book), "--out", str(other_book), *db
        )
        assert status == 0 and other_book.read_bytes() != book.read_bytes()
        # a read with other prices than the holder's would not be this command's answer
        status, _, err = run(capsys, "report", "--prices", str(other_book), *db)
        assert status == 2 and named in err and "other config files" in err
        status, _, err = run(capsys, "report", "--prices", str(book), *db)
        assert (status, err) == (0, "")
    finally:
        owner.kill()


def post(url: str, body: dict[str, Any], token: str | None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{url}/query", data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_endpoint_wants_its_token_and_runs_only_selects(database: Path) -> None:
    con = connect(database)
    endpoint = OwnerEndpoint.start(con, str(database), KIND_WATCH, 1.0)
    try:
        advert = endpoint.advert
        assert stat.S_IMODE(advert_path(database).stat().st_mode) == 0o600
        assert json.loads(advert_path(database).read_text())["token"] == endpoint.token
        count = {"sql": "select count(*) as calls from calls where request_id like $pattern"}
        count["parameters"] = {
            "values": base64.b64encode(_ipc(pa.table({"pattern": ["%"]}))).decode(),
            "positional": False,
        }
        assert post(advert.url, count, None)[0] == 401
        assert post(advert.url, count, "not-the-token")[0] == 401
        status, body = post(advert.url, count, endpoint.token)
        assert status == 200 and pa.ipc.open_stream(body).read_all().to_pylist() == [{"calls": 2000}]
        for sql in (
            "delete from calls",
            "select 1; drop table calls",
            "copy calls to 'calls.csv'",
            "attach ':memory:' as other",
            "set threads = 1",
        ):
            status, body = post(advert.url, {"sql": sql}, endpoint.token)
            assert (status, json.loads(body)["type"]) == (403, "Refused"), sql
        status, body = post(advert.url, {"sql": "selec 1"}, endpoint.token)
        assert (status, json.loads(body)["type"]) == (400, "ParserException")

        client = OwnerClient(str(database), advert)
        with pytest.raises(Refused):
            client.execute("delete from calls")
        with pytest.raises(duckdb.CatalogException):
            client.execute("select * from no_such_table")
        assert client.execute("select count(*) from calls").fetchall() == [(2000,)]
        client.close()
    finally:
        endpoint.close()
        con.close()
    assert not advert_path(database).exists()


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def test_a_stale_advert_of_a_dead_owner_is_ignored(database: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(database, db)
    owner = dashboard_owner(db)
    advert = read_advert(db)
    owner.kill()
    assert advert is not None and advert_path(db).exists()
    assert read_advert(db) is None  # its process is gone
    records_file = tmp_path / "more.jsonl"
    records_file.write_bytes(lines(records("stale", 3)))
    done = subprocess.run(
        [TIERSCOPE, "ingest", str(records_file), "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert json.loads(done.stdout)["loaded"] == 3
