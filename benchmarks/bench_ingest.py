"""Ingest and mart benchmark (the scale targets of docs/benchmarks.md): tierscope's ingest against DuckDB's own
``read_json`` on one file, then every mart of ``queries.api`` on the loaded database.

    python benchmarks/bench_ingest.py [--rows 2000000] [--workdir DIR] [--keep]

1. Generates an N-row generic NDJSON file set-based with DuckDB (``COPY (select ... from range(N)) TO``)
   and caches it in the workdir, reused while the row count and generator version match.
2. After one warm-up read of the file (OS cache), times two whole processes, alternating, each on a fresh database
   file: a Python process doing ``create table raw as select * from read_json(file)`` + checkpoint, and
   ``tierscope ingest FILE`` (until it exits with every mart current); ratio = raw / tierscope (target >= 0.6, aim
   0.8), medians of ``--repeat`` runs, peak RSS of each (``/usr/bin/time``), and the storage ratio (database file
   bytes / raw database file bytes, target <= 1.5).
3. Times each mart of ``queries.api`` on the loaded database (all-time scope), 3 runs each, median
   (target 0.5 s).
4. Prints a table and writes ``benchmarks/results/latest.json``.

Each measured run is its own process, timed from outside; the marts phase prints its numbers as one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "latest.json"
DEFAULT_WORKDIR = Path("/tmp/tierscope-bench")
DEFAULT_ROWS = 2_000_000
GENERATOR_VERSION = 1
INGEST_TARGET_RATIO = 0.6
STORAGE_TARGET_RATIO = 1.5
TIME_TOOL = Path("/usr/bin/time")
MART_TARGET_SECONDS = 0.5
MART_RUNS = 3
PHASE_TIMEOUT_SECONDS = 3600
RESULT_MARKER = "BENCH-RESULT "
CALIBRATION_SQL = "select count(distinct hash(range)) from range(5000000)"

# The six task types: (share of traces, mean input tokens). Mean output tokens come from routing.yaml.
TASK_MIX: dict[str, tuple[float, int]] = {
    "classification": (0.30, 600),
    "extraction": (0.20, 2500),
    "summarization": (0.15, 6000),
    "rag_answer": (0.20, 8000),
    "reasoning": (0.08, 3000),
    "code_generation": (0.07, 5000),
}
UNKNOWN_MODELS: dict[str, str] = {
    "mistral-large-2411": "mistral",
    "llama-3.3-70b-instruct": "meta",
    "deepseek-r1": "deepseek",
}
UNKNOWN_MODEL_SHARE = 0.004
TEAMS = ("search", "support", "growth", "platform", "risk", "docs", "sales", "ml-infra")
FEATURES = (
    "ticket-triage", "email-draft", "doc-qa", "contract-extract", "meeting-notes", "code-review",
    "sql-assist", "search-rerank", "chat", "onboarding", "fraud-explain", "release-notes",
)  # fmt: skip
TRACE_GROUP = 20  # of every 20 calls, calls 0 and 1 share a trace (1 is an escalation): 5% two-call traces
START = dt.datetime(2026, 5, 1)  # every model of the price book has a price in effect from here
SPAN_DAYS = 30

JsonDict = dict[str, Any]


# ------------------------------------------------------------------------------------------ data generation
def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _list(values: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(_literal(value) for value in values) + "]"


def generator_sql(rows: int, target: Path) -> str:
    """The COPY statement writing ``rows`` calls as generic NDJSON (deterministic: values hash the row)."""
    return f"""
copy (
    select * replace (strftime(started_at, '%Y-%m-%dT%H:%M:%S.%fZ') as started_at)
    from ({calls_select(rows)})
) to {_literal(str(target))} (format json)
"""


def calls_select(rows: int, first: int = 0, stop: int | None = None) -> str:
    """A SELECT of calls ``first`` .. ``stop - 1`` of a ``rows``-call month (the columns of the generic format,
    started_at a TIMESTAMP): the same call for the same number whatever the slice, so big tables are made in parts."""
    from tierscope.queries.config import load_price_book, load_routing

    routing = load_routing()
    price_book = load_price_book()
    tiers = list(routing.tiers)
    tier_index = {tier: index for index, tier in enumerate(tiers, start=1)}
    providers = {name: spec.provider or "unknown" for name, spec in price_book.models.items()}
    providers.update(UNKNOWN_MODELS)

    def uniform(key: str, salt: int) -> str:
        return f"(hash({key}, {salt}) % 1000000) / 1e6"

    thresholds: list[str] = []
    cumulative = 0.0
    for task, (share, _) in TASK_MIX.items():
        cumulative += share
        thresholds.append(f"when {uniform('root', 1)} < {cumulative:.4f} then {_literal(task)}")
    task_case = "case " + " ".join(thresholds[:-1]) + f" else {_literal(list(TASK_MIX)[-1])} end"
    tier_case = "case task_type " + " ".join(
        f"when {_literal(task)} then {tier_index[routing.tier_of_task(task)]}" for task in TASK_MIX
    ) + " end"  # fmt: skip
    input_case = "case task_type " + " ".join(
        f"when {_literal(task)} then {mean}" for task, (_, mean) in TASK_MIX.items()
    ) + " end"  # fmt: skip
    expected = {task: profile.expected_output_tokens for task, profile in routing.tasks.items()}
    output_case = "case task_type " + " ".join(
        f"when {_literal(task)} then {expected.get(task) or 300}" for task in TASK_MIX
    ) + " end"  # fmt: skip
    tier_lists = "[" + ", ".join(_list(routing.tiers[tier]) for tier in tiers) + "]"
    provider_case = "case served_model " + " ".join(
        f"when {_literal(model)} then {_literal(provider)}" for model, provider in providers.items()
    ) + " else 'unknown' end"  # fmt: skip
    span_us = SPAN_DAYS * 86_400 * 1_000_000
    start = START.strftime("%Y-%m-%d %H:%M:%S")
    return f"""
    with ids as (
        select
            range as i,
            case when range % {TRACE_GROUP} = 1 then range - 1 else range end as root,
            range % {TRACE_GROUP} = 1 as is_retry
        from range({first}, {rows if stop is None else stop})
    ),
    shaped as (
        select
            *,
            {task_case} as task_type,
            timestamp '{start}'
                + to_microseconds((root::hugeint * {span_us} // {rows} + hash(root, 2) % 1000000)::bigint)
                + case when is_retry then to_microseconds((2000000 + hash(i, 3) % 18000000)::bigint)
                       else interval 0 second end
                as started,
            {uniform("i", 4)} as u_model,
            {uniform("i", 5)} as u_in,
            {uniform("i", 6)} as u_out,
            {uniform("i", 7)} as u_cache,
            {uniform("i", 8)} as u_misc
        from ids
    ),
    tiered as (
        select
            *,
            least({tier_case} + is_retry::int, {len(tiers)}) as tier_no,
            {tier_lists} as tier_models
        from shaped
    ),
    modelled as (
        select
            *,
            case
                when u_model < {UNKNOWN_MODEL_SHARE} then
                    {_list(list(UNKNOWN_MODELS))}[1 + (hash(i, 9) % {len(UNKNOWN_MODELS)})::int]
                when u_model < 0.7 or len(tier_models[tier_no]) = 1 then tier_models[tier_no][1]
                else tier_models[tier_no][2 + (hash(i, 10) % (len(tier_models[tier_no]) - 1))::int]
            end as served_model,
            greatest(1, round({input_case} * (0.25 + 1.5 * u_in)))::bigint as input_tokens,
            greatest(1, round({output_case} * (0.2 + 1.6 * u_out)))::bigint as output_tokens
        from tiered
    )
    select
        'req_' || md5(i::varchar) as request_id,
        'tr_' || md5(root::varchar) as trace_id,
        started as started_at,
        task_type,
        'tier' || tier_no as requested_model,
        served_model,
        {provider_case} as provider,
        input_tokens,
        output_tokens,
        case when u_cache < 0.4 then floor(input_tokens * u_cache * 2)::bigint else 0 end
            as cached_input_tokens,
        case when task_type in ('reasoning', 'code_generation')
             then floor(output_tokens * 0.6 * u_cache)::bigint else 0 end
            as reasoning_tokens,
        round(150 + output_tokens * 12 * (0.5 + u_out) + input_tokens * 0.05, 1) as latency_ms,
        case when u_misc < 0.015 then 'error' else 'success' end as status,
        is_retry as escalated,
        {_list(TEAMS)}[1 + (hash(root, 11) % {len(TEAMS)})::int] as team,
        {_list(FEATURES)}[1 + (hash(root, 12) % {len(FEATURES)})::int] as feature,
        'u_' || (hash(root, 13) % 20000) as user_id
    from modelled
"""


def ensure_data(rows: int, workdir: Path) -> tuple[Path, float | None]:
    """The cached NDJSON file for ``rows`` (generated when missing or stale) and the seconds that took."""
    target = workdir / f"generic_{rows}.jsonl"
    meta_path = target.with_suffix(".meta.json")
    if target.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if (
            meta.get("rows") == rows
            and meta.get("generator_version") == GENERATOR_VERSION
            and meta.get("bytes") == target.stat().st_size
        ):
            return target, None
    workdir.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    partial = target.with_suffix(".jsonl.partial")
    print(f"generating {rows:,} rows -> {target} ...", flush=True)
    started = time.perf_counter()
    with duckdb.connect() as con:
        con.execute(generator_sql(rows, partial))
    partial.replace(target)
    seconds = time.perf_counter() - started
    meta_path.write_text(
        json.dumps({"rows": rows, "generator_version": GENERATOR_VERSION, "bytes": target.stat().st_size})
    )
    return target, seconds


# ------------------------------------------------------------------------------------------- child processes
def _peak_rss_mb() -> float:
    """This process's peak RSS. getrusage's ru_maxrss survives execve on Linux, so a child started by a big parent
    would report the parent's peak; VmHWM (per address space, reset on exec) is used when /proc has it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _fresh(db: Path) -> None:
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)
    shutil.rmtree(db.with_name(db.name + ".tmp"), ignore_errors=True)


def phase_raw(db: Path, data: Path) -> JsonDict:
    _fresh(db)
    con = duckdb.connect(str(db))
    baseline = _rss_mb()
    started = time.perf_counter()
    con.execute("create table raw as select * from read_json($path)", {"path": str(data)})
    con.execute("checkpoint")
    seconds = time.perf_counter() - started
    row = con.execute("select count(*) from raw").fetchone()
    started = time.perf_counter()
    con.close()
    return {
        "seconds": seconds,
        "close_seconds": time.perf_counter() - started,
        "rows": int(row[0]) if row else None,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": _peak_rss_mb(),
        "threads": None,
    }


def timed_process(command: list[str]) -> JsonDict:
    """One whole process, timed from outside (wall clock, start to exit), with its peak RSS from /usr/bin/time when
    the machine has it."""
    os.sync()
    python_path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": python_path}
    rss_file = Path(tempfile.mkstemp(prefix="tierscope-bench-rss-")[1])
    wrapped = [str(TIME_TOOL), "-f", "%M", "-o", str(rss_file), *command] if TIME_TOOL.exists() else command
    started = time.perf_counter()
    completed = subprocess.run(
        wrapped, capture_output=True, text=True, env=env, timeout=PHASE_TIMEOUT_SECONDS, check=False
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"{' '.join(command)} failed (exit {completed.returncode})")
    rss_text = rss_file.read_text().strip().splitlines() if TIME_TOOL.exists() else []
    rss_file.unlink(missing_ok=True)
    peak = int(rss_text[-1]) / 1024 if rss_text and rss_text[-1].isdigit() else None
    return {"seconds": seconds, "peak_rss_mb": peak, "stdout": completed.stdout}


def raw_command(db: Path, data: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--phase", "raw", "--db", str(db), "--data", str(data)]


def tierscope_command(db: Path, data: Path) -> list[str]:
    return [str(Path(sys.executable).with_name("tierscope")), "ingest", str(data), "--db", str(db), "--json"]


def mart_calls() -> list[tuple[str, Callable[[duckdb.DuckDBPyConnection], Any]]]:
    """(label, call) for every mart function of queries.api, all-time scope; cost_by once per dimension."""
    from tierscope.queries import api

    calls: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], Any]]] = [("task_costs", api.task_costs)]
    for dimension in api.DIMENSIONS:
        calls.append((f"cost_by[{dimension}]", functools.partial(api.cost_by, dimension=dimension)))
    calls += [
        ("daily_cost", api.daily_cost),
        ("tier_mix", api.tier_mix),
        ("escalation_by_window", api.escalation_by_window),
        ("drift_flags", api.drift_flags),
        ("unpriced_models", api.unpriced_models),
        ("data_quality", api.data_quality),
        ("cost_reconciliation", api.cost_reconciliation),
    ]
    return calls


def phase_marts(db: Path) -> JsonDict:
    from tierscope.queries.db import connect

    con = connect(db)
    baseline = _rss_mb()
    marts: dict[str, JsonDict] = {}
    for label, call in mart_calls():
        runs: list[float] = []
        frame_rows = 0
        for _ in range(MART_RUNS):
            started = time.perf_counter()
            frame = call(con)
            runs.append(time.perf_counter() - started)
            frame_rows = len(frame)
        median = statistics.median(runs)
        marts[label] = {
            "median_s": median,
            "runs_s": runs,
            "result_rows": frame_rows,
            "over_target": median > MART_TARGET_SECONDS,
        }
    con.close()
    return {"marts": marts, "baseline_rss_mb": baseline, "peak_rss_mb": _peak_rss_mb()}


def run_phase(phase: str, db: Path, data: Path | None = None) -> JsonDict:
    """Run one phase in a child process (stderr captured, so no progress bar) and return its JSON line.

    Pending writes (the data file, the previous phase's database) are flushed first so they do not compete."""
    os.sync()
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--db", str(db)]
    if data is not None:
        command += ["--data", str(data)]
    python_path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": python_path}
    completed = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=PHASE_TIMEOUT_SECONDS, check=False
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"phase {phase} failed (exit {completed.returncode})")
    lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if not lines:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"phase {phase} printed no result")
    result: JsonDict = json.loads(lines[-1].removeprefix(RESULT_MARKER))
    return result


# ------------------------------------------------------------------------------------------------- reporting
def total_memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def calibrate() -> list[float]:
    """A fixed CPU-bound DuckDB query, timed three times: how fast (and how noisy) the machine is right now.
    Comparing it across runs tells a slower tierscope from a slower (e.g. shared, virtualised) machine."""
    runs = []
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        for _ in range(3):
            started = time.perf_counter()
            con.execute(CALIBRATION_SQL).fetchall()
            runs.append(time.perf_counter() - started)
    return runs


def warm_up(path: Path) -> float:
    """Read the whole file once so both contenders start from the OS page cache."""
    started = time.perf_counter()
    with path.open("rb") as handle:
        while handle.read(16 << 20):
            pass
    return time.perf_counter() - started


def print_report(report: JsonDict) -> None:
    ingest = report["ingest"]
    memory = report["machine"]["memory_total_bytes"]
    print()
    print(
        f"tierscope benchmark: {report['rows']:,} rows, {report['file_bytes'] / 2**20:,.0f} MiB NDJSON | "
        f"{report['machine']['cores']} cores, {memory / 2**30 if memory else float('nan'):.1f} GiB | "
        f"duckdb {report['duckdb_version']} | load average {report['machine']['load_average_at_start'][0]:.2f} at "
        f"start, {report['machine']['load_average_at_end'][0]:.2f} at the end"
    )
    calibration = " ".join(f"{run:.2f}" for run in report["machine"]["calibration_runs_s"])
    print(f"calibration query (machine speed, lower is faster): {calibration} s")
    print()
    heading = "ingest" + (f" (median of {ingest['repeat']})" if ingest["repeat"] > 1 else "")
    print(f"{heading:<34}{'seconds':>10}{'peak RSS MiB':>14}  runs s (whole processes)")
    for label, key in (("duckdb read_json + checkpoint", "raw"), ("tierscope ingest FILE", "tierscope")):
        runs = " ".join(f"{run:.2f}" for run in ingest[key + "_runs_s"])
        print(f"  {label:<32}{ingest[key + '_s']:>10.2f}{ingest[key + '_peak_rss_mb']:>14,.0f}  {runs}")
    verdict = "ok" if ingest["meets_target"] else "BELOW TARGET"
    print(f"  ratio raw / tierscope = {ingest['ratio']:.3f}  (target >= {INGEST_TARGET_RATIO}) {verdict}")
    print(
        f"  storage: {ingest['tierscope_db_bytes'] / 2**20:,.0f} MiB database / {ingest['raw_db_bytes'] / 2**20:,.0f} "
        f"MiB raw = {ingest['storage_ratio']:.2f}x (target <= {STORAGE_TARGET_RATIO})"
    )
    for result in ingest["results"]:
        print(
            f"  rows_read {result['rows_read']:,}  loaded {result['loaded']:,}"
            f"  duplicates {result['duplicates']:,}  quarantined {result['quarantined']:,}"
        )
    print()
    print(f"{'mart (all time, ' + str(MART_RUNS) + ' runs)':<34}{'median s':>10}{'runs s':>24}{'rows':>8}")
    for label, mart in report["marts"].items():
        runs = " ".join(f"{run:.3f}" for run in mart["runs_s"])
        flag = "  > 0.5 s" if mart["over_target"] else ""
        print(f"  {label:<32}{mart['median_s']:>10.3f}{runs:>24}{mart['result_rows']:>8}{flag}")
    slow = [label for label, mart in report["marts"].items() if mart["over_target"]]
    print(f"  marts over {MART_TARGET_SECONDS} s: {', '.join(slow) if slow else 'none'}")
    print(f"  marts phase peak RSS {report['marts_peak_rss_mb']:,.0f} MiB")


def alternate_ingests(
    data: Path, raw_db: Path, tierscope_db: Path, repeat: int
) -> tuple[list[JsonDict], list[JsonDict]]:
    """``repeat`` runs of each contender on ``data``, alternating (raw read_json, then tierscope ingest), each a whole
    process on a fresh database: the raw runs and the tierscope runs, with each run's database bytes. Compare their
    medians: on a shared machine one run of either can be off by a third."""
    raw_runs: list[JsonDict] = []
    ingest_runs: list[JsonDict] = []
    for attempt in range(1, repeat + 1):
        print(f"[{attempt}/{repeat}] duckdb read_json ...", end=" ", flush=True)
        _fresh(raw_db)
        raw_runs.append({**timed_process(raw_command(raw_db, data)), "db_bytes": raw_db.stat().st_size})
        print(f"{raw_runs[-1]['seconds']:.2f} s; tierscope ingest ...", end=" ", flush=True)
        _fresh(tierscope_db)
        run = timed_process(tierscope_command(tierscope_db, data))
        ingest_runs.append({**run, "db_bytes": tierscope_db.stat().st_size, "result": json.loads(run["stdout"])})
        print(f"{ingest_runs[-1]['seconds']:.2f} s (load average {os.getloadavg()[0]:.2f})", flush=True)
    return raw_runs, ingest_runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in the generated file")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="data file cache and databases")
    parser.add_argument("--keep", action="store_true", help="keep both databases (the data file stays)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="ingest runs per contender, alternating; medians are compared"
    )
    parser.add_argument("--phase", choices=("raw", "marts"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase:  # child process: one measurement, one JSON line
        result = phase_raw(args.db, args.data) if args.phase == "raw" else phase_marts(args.db)
        print(RESULT_MARKER + json.dumps(result))
        return 0

    if args.rows < TRACE_GROUP:
        parser.error(f"--rows must be at least {TRACE_GROUP}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    load_average = os.getloadavg()
    workdir: Path = args.workdir.resolve()
    data, generate_seconds = ensure_data(args.rows, workdir)
    origin = f"generated in {generate_seconds:.1f} s" if generate_seconds is not None else "cached"
    print(f"data: {data} ({origin})")
    raw_db = workdir / "raw.duckdb"
    tierscope_db = workdir / "tierscope.duckdb"

    calibration = calibrate()
    warm_seconds = warm_up(data)
    print(
        f"calibration query {' '.join(f'{run:.2f}' for run in calibration)} s; warm-up read {warm_seconds:.1f} s",
        flush=True,
    )
    raw_runs, ingest_runs = alternate_ingests(data, raw_db, tierscope_db, args.repeat)
    print("marts ...", flush=True)
    marts = run_phase("marts", tierscope_db)

    raw_seconds = statistics.median(run["seconds"] for run in raw_runs)
    ingest_seconds = statistics.median(run["seconds"] for run in ingest_runs)
    raw, ingest = raw_runs[-1], ingest_runs[-1]
    ratio = raw_seconds / ingest_seconds
    loaded = int(ingest["result"]["loaded"])
    storage_ratio = ingest["db_bytes"] / raw["db_bytes"]
    report: JsonDict = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rows": args.rows,
        "file": str(data),
        "file_bytes": data.stat().st_size,
        "generate_seconds": generate_seconds,
        "machine": {
            "cores": os.cpu_count(),
            "memory_total_bytes": total_memory_bytes(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_at_start": list(load_average),
            "load_average_at_end": list(os.getloadavg()),
            "calibration_query": CALIBRATION_SQL,
            "calibration_runs_s": calibration,
        },
        "duckdb_version": duckdb.__version__,
        "ingest": {
            "raw_s": raw_seconds,
            "tierscope_s": ingest_seconds,
            "repeat": args.repeat,
            "raw_runs_s": [run["seconds"] for run in raw_runs],
            "tierscope_runs_s": [run["seconds"] for run in ingest_runs],
            "ratio": ratio,
            "target_ratio": INGEST_TARGET_RATIO,
            "meets_target": ratio >= INGEST_TARGET_RATIO,
            "raw_peak_rss_mb": max((run["peak_rss_mb"] or 0) for run in raw_runs),
            "tierscope_peak_rss_mb": max((run["peak_rss_mb"] or 0) for run in ingest_runs),
            "raw_db_bytes": raw["db_bytes"],
            "tierscope_db_bytes": ingest["db_bytes"],
            "storage_ratio": storage_ratio,
            "storage_target_ratio": STORAGE_TARGET_RATIO,
            "warm_up_read_s": warm_seconds,
            "results": ingest["result"]["files"],
            "all_rows_loaded": loaded == args.rows,
        },
        "mart_target_s": MART_TARGET_SECONDS,
        "mart_runs": MART_RUNS,
        "marts": marts["marts"],
        "marts_peak_rss_mb": marts["peak_rss_mb"],
    }
    print_report(report)
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {RESULTS_PATH}")
    if not args.keep:
        _fresh(raw_db)
        _fresh(tierscope_db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
