"""Scale benchmark (issue 7): databases of 10M and 100M calls in the canonical schema, every mart and a what-if
scenario read through the daily rollups under a 1 GB DuckDB memory limit, peak memory, and the ingest ratio.

    python benchmarks/bench_scale.py [--rows 100000000 --rows 10000000] [--memory-limit 1GB] [--workdir DIR]

1. Builds each database once and reuses it (a meta file records the generator version): the calls are made
   set-based by DuckDB (``insert into calls ... from range(...)``, 10M at a time, the generator of
   ``bench_ingest.py``: a month of traffic, 5% two-call traces), recorded as one ingest, then ``tierscope rebuild``'s
   path (``connect(rebuild=True)``) anchors their traces and builds the rollups; both steps are timed.
2. In a child process per database (its own peak RSS): ``set memory_limit``, then every mart function of
   ``queries.api`` on three scopes (all time; the last 7 whole days for two teams; 7 days from 07:00 to 05:00),
   one warm-up then 3 runs, median; and ``scenario.whatif`` with one scenario (every task one tier cheaper).
3. The ingest ratio: ``bench_ingest.py``'s raw ``read_json`` vs tierscope load on its 2M-row file, medians of
   ``--ingest-repeat`` alternating runs each (3).
4. Prints a table and writes ``benchmarks/results/scale_latest.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import inspect
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import (  # noqa: E402  (the benchmark folder is a script folder, not a package)
    DEFAULT_ROWS,
    GENERATOR_VERSION,
    REPO_ROOT,
    RESULT_MARKER,
    START,
    _fresh,
    _peak_rss_mb,
    alternate_ingests,
    calibrate,
    calls_select,
    ensure_data,
    total_memory_bytes,
    warm_up,
)

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "scale_latest.json"
DEFAULT_WORKDIR = Path("/tmp/tierscope-scale")
DEFAULT_SIZES = (10_000_000, 100_000_000)
BUILD_PART_ROWS = 10_000_000
MART_TARGET_SECONDS = 0.5
SCENARIO_TARGET_SECONDS = 0.1
RUNS = 3
JsonDict = dict[str, Any]


# --------------------------------------------------------------------------------------------------- building
def ensure_database(rows: int, workdir: Path) -> tuple[Path, JsonDict]:
    """The cached database of ``rows`` calls (built when missing or stale) and how it was built."""
    from tierscope.queries.db import connect

    db = workdir / f"scale_{rows}.duckdb"
    meta_path = db.with_suffix(".meta.json")
    if db.is_file() and meta_path.is_file():
        meta: JsonDict = json.loads(meta_path.read_text())
        if meta.get("rows") == rows and meta.get("generator_version") == GENERATOR_VERSION:
            return db, {**meta, "cached": True}
    workdir.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    _fresh(db)
    started = time.perf_counter()
    con = connect(db)
    [(ingest_id,)] = con.execute(
        "insert into ingests (ingest_id, source, source_format, source_fingerprint, started_at) "
        "values (nextval('ingest_id_seq'), 'bench_scale', 'generated', $rows::varchar, now()) returning ingest_id",
        {"rows": rows},
    ).fetchall()
    for first in range(0, rows, BUILD_PART_ROWS):
        stop = min(first + BUILD_PART_ROWS, rows)
        con.execute(
            f"""
            insert into calls by name
            select
                calls.*,
                0::bigint as cache_write_tokens,
                'bench_scale' as source,
                row_number() over () + $first as source_line,
                $ingest_id as ingest_id,
                now()::timestamp as ingested_at
            from ({calls_select(rows, first, stop)}) as calls
            """,
            {"first": first, "ingest_id": ingest_id},
        )
        print(f"  {stop:,} / {rows:,} calls inserted ({time.perf_counter() - started:.0f} s)", flush=True)
    con.execute(
        "update ingests set rows_read = $rows, loaded = $rows, finished_at = now() where ingest_id = $ingest_id",
        {"rows": rows, "ingest_id": ingest_id},
    )
    con.close()
    insert_seconds = time.perf_counter() - started
    print("  anchoring traces, building the rollups ...", flush=True)
    started = time.perf_counter()
    connect(db, rebuild=True).close()
    meta = {
        "rows": rows,
        "generator_version": GENERATOR_VERSION,
        "insert_seconds": insert_seconds,
        "derived_seconds": time.perf_counter() - started,
        "bytes": db.stat().st_size,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    meta_path.write_text(json.dumps(meta))
    return db, {**meta, "cached": False}


# ------------------------------------------------------------------------------------------ child: the marts
def mart_calls(scope: Any) -> list[tuple[str, Callable[[duckdb.DuckDBPyConnection], Any]]]:
    """(label, call) for every function of queries.api that reads a mart for a scope; cost_by once per dimension."""
    from tierscope.queries import api

    calls: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], Any]]] = []
    for name, function in inspect.getmembers(api, inspect.isfunction):
        parameters = inspect.signature(function).parameters
        if name.startswith("_") or function.__module__ != api.__name__ or not {"con", "scope"} <= set(parameters):
            continue
        if name == "cost_by":
            calls += [
                (f"cost_by[{dimension}]", functools.partial(api.cost_by, dimension=dimension, scope=scope))
                for dimension in api.DIMENSIONS
            ]
        else:
            calls.append((name, functools.partial(function, scope=scope)))
    return calls


def one_tier_cheaper() -> Any:
    """The scenario: every task type of routing.yaml one tier down from its tier (the first tier stays)."""
    from tierscope.queries.config import load_routing
    from tierscope.queries.scenario import with_task_tiers

    routing = load_routing()
    tiers = list(routing.tiers)
    return with_task_tiers(
        routing, {task: tiers[max(tiers.index(profile.tier or routing.default_tier) - 1, 0)]
                  for task, profile in routing.tasks.items()}
    )  # fmt: skip


def timed(call: Callable[[], Any]) -> JsonDict:
    call()  # warm-up: the first run reads the rollups from disk
    runs = []
    rows = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        rows = len(call())
        runs.append(time.perf_counter() - started)
    return {"median_s": statistics.median(runs), "runs_s": runs, "result_rows": rows}


def phase_marts(db: Path, memory_limit: str) -> JsonDict:
    from tierscope.queries import api, scenario
    from tierscope.queries.db import connect

    con = connect(db)
    con.execute("set memory_limit = $limit", {"limit": memory_limit})
    [(last_day,)] = con.execute("select max(day) from call_rollup").fetchall()
    [(teams,)] = con.execute(
        "select list(team order by team)[:2] from (select distinct team from call_rollup)"
    ).fetchall()
    scopes = {
        "all time": api.Scope(),
        "last 7 days, 2 teams": api.Scope(
            start=last_day - dt.timedelta(days=6), end=last_day + dt.timedelta(days=1), teams=tuple(teams)
        ),
        # partial days at both ends (07:00 to 05:00): those hours are read from the calls themselves
        "partial days": api.Scope(
            start=dt.datetime.combine(last_day - dt.timedelta(days=7), dt.time(7)),
            end=dt.datetime.combine(last_day, dt.time(5)),
        ),
    }
    marts: dict[str, dict[str, JsonDict]] = {}
    for scope_name, scope in scopes.items():
        marts[scope_name] = {label: timed(functools.partial(call, con)) for label, call in mart_calls(scope)}
    maps = {"one tier cheaper": one_tier_cheaper()}
    whatif = {name: timed(functools.partial(scenario.whatif, con, maps, scope)) for name, scope in scopes.items()}
    [counts] = con.execute(
        "select (select count(*) from calls), (select sum(requests) from trace_rollup), "
        "(select count(*) from call_rollup), "
        "(select count(*) from trace_rollup), current_setting('memory_limit'), current_setting('threads')"
    ).fetchall()
    con.close()
    return {
        "marts": marts,
        "whatif": whatif,
        "calls": counts[0],
        "traces": counts[1],
        "call_rollup_rows": counts[2],
        "trace_rollup_rows": counts[3],
        "memory_limit": counts[4],
        "threads": counts[5],
        "peak_rss_mb": _peak_rss_mb(),
    }


PAGES = (
    "views/overview.py", "views/task_costs.py", "views/tier_mix.py", "views/drift.py", "views/whatif.py",
    "views/profiling.py", "views/audit.py", "views/data.py",
)  # fmt: skip


def phase_pages(db: Path) -> JsonDict:
    """Every dashboard page, run headless by Streamlit's AppTest in this process as a browser session would: the app
    loads once (overview), then each page is visited (its queries run: nothing of it is cached yet) and visited
    again (served from the cache)."""
    from streamlit.testing.v1 import AppTest

    os.environ["TIERSCOPE_DB"] = str(db)
    app = AppTest.from_file(str(REPO_ROOT / "tierscope" / "dashboard" / "app.py"), default_timeout=600)
    started = time.perf_counter()
    app.run()
    first_load = time.perf_counter() - started
    pages: dict[str, JsonDict] = {}
    for page in PAGES:
        visits = []
        for _ in range(2):
            started = time.perf_counter()
            app.switch_page(page).run()
            visits.append(time.perf_counter() - started)
        errors = [exception.message for exception in app.exception]
        pages[page] = {"first_visit_s": visits[0], "revisit_s": visits[1], "errors": errors}
    return {"first_load_s": first_load, "pages": pages, "peak_rss_mb": _peak_rss_mb()}


def run_child(db: Path, memory_limit: str, phase: str = "marts") -> JsonDict:
    os.sync()
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--db", str(db),
               "--memory-limit", memory_limit]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if completed.returncode != 0 or not lines:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"{phase} on {db} failed (exit {completed.returncode})")
    result: JsonDict = json.loads(lines[-1].removeprefix(RESULT_MARKER))
    return result


# ------------------------------------------------------------------------------------------------- reporting
def print_report(report: JsonDict) -> None:
    machine = report["machine"]
    print()
    print(
        f"tierscope scale benchmark | {machine['cores']} cores, {machine['memory_total_bytes'] / 2**30:.1f} GiB | "
        f"duckdb {report['duckdb_version']} | memory_limit {report['memory_limit']}"
    )
    ingest = report["ingest"]
    print(
        f"ingest ({ingest['rows']:,}-row NDJSON, median of {ingest['repeat']}): read_json {ingest['raw_s']:.2f} s, "
        f"tierscope {ingest['tierscope_s']:.2f} s -> ratio {ingest['ratio']:.2f} (target >= 0.8); "
        f"derived tables then {ingest['derived_s']:.2f} s"
    )
    sizes = report["sizes"]
    labels = list(next(iter(sizes.values()))["marts"]["all time"])
    for scope_name in next(iter(sizes.values()))["marts"]:
        print()
        header = "".join(f"{int(rows):>16,}" for rows in sizes)
        print(f"{'median s, ' + scope_name:<34}{header}")
        for label in [*labels, "whatif (1 scenario)"]:
            cells = []
            for size in sizes.values():
                entry = size["whatif"][scope_name] if label.startswith("whatif") else size["marts"][scope_name][label]
                target = SCENARIO_TARGET_SECONDS if label.startswith("whatif") else MART_TARGET_SECONDS
                flag = "*" if entry["median_s"] > target else " "
                cells.append(f"{entry['median_s']:>15.3f}{flag}")
            print(f"  {label:<32}{''.join(cells)}")
    print("  (* over the target: 0.5 s a mart, 0.1 s a scenario)")
    print()
    for rows, size in sizes.items():
        if "dashboard" not in size:
            continue
        dashboard = size["dashboard"]
        print(
            f"dashboard at {int(rows):,} calls: first load {dashboard['first_load_s']:.2f} s "
            "(target: every page under 2 s after it)"
        )
        for page, visit in dashboard["pages"].items():
            flag = "  > 2 s" if visit["first_visit_s"] > 2 else ""
            errors = f"  ERRORS: {visit['errors']}" if visit["errors"] else ""
            print(
                f"  {page:<24} first visit {visit['first_visit_s']:6.2f} s, "
                f"again {visit['revisit_s']:5.2f} s{flag}{errors}"
            )
    print()
    for rows, size in sizes.items():
        build = size["build"]
        origin = "cached" if build["cached"] else "built now"
        print(
            f"{int(rows):,} calls: {size['traces']:,} traces, rollups {size['call_rollup_rows']:,} + "
            f"{size['trace_rollup_rows']:,} rows; peak RSS {size['peak_rss_mb']:,.0f} MiB; database "
            f"{build['bytes'] / 2**30:.1f} GiB, insert {build['insert_seconds'] or float('nan'):.0f} s + derived "
            f"{build['derived_seconds']:.0f} s ({origin})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, action="append", help="database size (repeatable; default 10M and 100M)")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit for the queries (default 1GB)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="where the databases are kept")
    parser.add_argument("--ingest-rows", type=int, default=DEFAULT_ROWS, help="rows of the ingest-ratio file")
    parser.add_argument(
        "--ingest-repeat", type=int, default=3, help="ingest-ratio runs per contender, alternating (medians compared)"
    )
    parser.add_argument("--no-pages", action="store_true", help="skip the dashboard page timings")
    parser.add_argument("--phase", choices=("marts", "pages"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase:
        result = phase_marts(args.db, args.memory_limit) if args.phase == "marts" else phase_pages(args.db)
        print(RESULT_MARKER + json.dumps(result, default=str))
        return 0

    workdir: Path = args.workdir.resolve()
    load_average = os.getloadavg()
    calibration = calibrate()
    sizes: dict[str, JsonDict] = {}
    for rows in sorted(args.rows or DEFAULT_SIZES):
        print(f"{rows:,} calls: database ...", flush=True)
        db, build = ensure_database(rows, workdir)
        print(f"{rows:,} calls: marts and what-if under memory_limit {args.memory_limit} ...", flush=True)
        sizes[str(rows)] = {"build": build, **run_child(db, args.memory_limit)}
        if not args.no_pages:
            print(f"{rows:,} calls: dashboard pages ...", flush=True)
            sizes[str(rows)]["dashboard"] = run_child(db, args.memory_limit, "pages")

    print(f"ingest ratio on {args.ingest_rows:,} rows ...", flush=True)
    data, _ = ensure_data(args.ingest_rows, workdir)
    warm_up(data)
    raw_runs, ingest_runs = alternate_ingests(
        data, workdir / "raw.duckdb", workdir / "ingest.duckdb", args.ingest_repeat
    )
    for name in ("raw.duckdb", "ingest.duckdb"):
        _fresh(workdir / name)

    report: JsonDict = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "memory_total_bytes": total_memory_bytes(),
            "load_average_at_start": list(load_average),
            "calibration_runs_s": calibration,
        },
        "duckdb_version": duckdb.__version__,
        "memory_limit": args.memory_limit,
        "first_day": START.date().isoformat(),
        "ingest": {
            "rows": args.ingest_rows,
            "repeat": args.ingest_repeat,
            "raw_s": statistics.median(run["seconds"] for run in raw_runs),
            "tierscope_s": statistics.median(run["seconds"] for run in ingest_runs),
            "raw_runs_s": [run["seconds"] for run in raw_runs],
            "tierscope_runs_s": [run["seconds"] for run in ingest_runs],
            "derived_s": statistics.median(run["refresh_seconds"] for run in ingest_runs),
            "ratio": statistics.median(run["seconds"] for run in raw_runs)
            / statistics.median(run["seconds"] for run in ingest_runs),
        },
        "sizes": sizes,
    }
    print_report(report)
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwrote {RESULTS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
