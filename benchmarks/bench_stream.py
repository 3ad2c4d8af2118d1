"""Streaming benchmark (issue 6): LiteLLM payloads posted to ``tierscope serve`` while the owner loads the spool.

    python benchmarks/bench_stream.py [--clients 3] [--seconds 20] [--rate 6000] [--batch 100] [--baseline-rows N]

1. Builds a database with ``--baseline-rows`` generic calls (the cached file of bench_ingest.py), so the dashboard
   query has real work to do, and opens it in this process, which is the owner, as a dashboard process is.
2. Times a dashboard query (``api.task_costs`` and ``api.kpis``, all-time scope) while idle, 7 times (and 7 more
   after the stream, with its rows loaded: idle is the median of the 14, against the drift of other load). Each
   query is marked at the dashboard's reader gate (``dashboard.gate``), as ``dashboard/cache.py`` marks page queries,
   so the ingester gives way to it as it gives way to a page.
3. Starts ``tierscope serve`` (a real subprocess on loopback) and the dashboard's background ingester
   (``dashboard.ingester.Ingester``, in this process, through its own cursor: exactly what a dashboard runs).
4. ``--clients`` processes post JSON arrays of ``--batch`` StandardLoggingPayload records (about 2.9 KB each,
   realistic: the sample LiteLLM record with a fresh id and time) for ``--seconds``, together at ``--rate`` events/s
   (0: as fast as they can), each on one keep-alive connection.
5. Meanwhile this process polls ``calls`` every 0.1 s for the first record of each batch (visibility of a batch
   is one commit) and times the dashboard query again and again.
6. Reports sustained events/s accepted (by serve) and loaded (into the database), the delay from post to queryable
   (p50 / p95 / max over batches), the query's median idle vs during ingest, and checks every event is there exactly
   once (count and token sum against what was sent). Writes ``benchmarks/results/stream_latest.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench_ingest import DEFAULT_WORKDIR, ensure_data, total_memory_bytes  # noqa: E402

from tierscope.dashboard import gate  # noqa: E402
from tierscope.dashboard.ingester import Ingester  # noqa: E402
from tierscope.ingest.load import ingest_paths  # noqa: E402
from tierscope.ingest.spool import Spool, spool_dir  # noqa: E402
from tierscope.queries import api  # noqa: E402
from tierscope.queries.db import connect  # noqa: E402

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "stream_latest.json"
SAMPLE_RECORD = REPO_ROOT / "tierscope" / "sample_logs" / "formats" / "litellm.jsonl"
TIERSCOPE = Path(sys.executable).parent / "tierscope"
ID_MARK = "bench-"
TARGET_EVENTS_PER_SECOND = 5000
TARGET_VISIBLE_SECONDS = 5.0
TARGET_QUERY_SLOWDOWN = 2.0


def record_template() -> tuple[str, int, int]:
    """The sample LiteLLM record as JSON text with placeholders for id, trace id and times; its token counts."""
    record = json.loads(SAMPLE_RECORD.read_text().splitlines()[0])
    record.update(id="@ID@", trace_id="@ID@", startTime=1.0, endTime=2.0, completionStartTime=2.0)
    text = json.dumps(record).replace('"startTime": 1.0', '"startTime": @START@')
    text = text.replace('"endTime": 2.0', '"endTime": @END@').replace(
        '"completionStartTime": 2.0', '"completionStartTime": @END@'
    )
    return text, int(record["prompt_tokens"]), int(record["completion_tokens"])


def client(index: int, url: str, seconds: float, rate: float, batch: int, out: Any) -> None:
    """Post batches until ``seconds`` are up, at ``rate`` events/s (0: flat out); send back what was accepted."""
    template, _, _ = record_template()
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    posted: list[tuple[str, float, int]] = []  # (first id of the batch, time sent, records)
    started = time.time()
    sequence = 0
    while time.time() - started < seconds:
        if rate:
            due = started + sequence * batch / rate
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
        now = time.time()
        prefix = f"{ID_MARK}{index}-{sequence}-"
        body = (
            "["
            + ",".join(
                template.replace("@ID@", f"{prefix}{i}")
                .replace("@START@", f"{now:.3f}")
                .replace("@END@", f"{now + 0.5:.3f}")
                for i in range(batch)
            )
            + "]"
        ).encode()
        connection.request("POST", "/litellm", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status == 200:
            posted.append((f"{prefix}0", now, batch))
        sequence += 1
    out.put((index, posted, time.time() - started))


def time_query(cursor: Any) -> float:
    """Two page queries, each marked at the dashboard's gate as dashboard/cache.py marks them."""
    started = time.perf_counter()
    with gate.reading():
        api.task_costs(cursor)
    with gate.reading():
        api.kpis(cursor)
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=6000.0, help="events/s offered by all clients (0: flat out)")
    parser.add_argument("--batch", type=int, default=100, help="records per POST")
    parser.add_argument("--baseline-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--query-every", type=float, default=2.0, help="seconds between dashboard queries while ingesting (0: none)"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tierscope-bench-stream"))
    args = parser.parse_args(argv)

    load_before = list(os.getloadavg())
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    db = args.workdir / "stream.duckdb"
    con = connect(db)
    if args.baseline_rows:
        data, _ = ensure_data(args.baseline_rows, DEFAULT_WORKDIR)
        print(f"baseline: loading {args.baseline_rows:,} generic calls ...", flush=True)
        ingest_paths(con, [data])
    reader = con.cursor()
    time_query(reader)  # warm
    idle = [time_query(reader) for _ in range(7)]
    print(f"dashboard query idle: median {statistics.median(idle):.3f}s", flush=True)

    spool = Spool(spool_dir(db))
    serve = subprocess.Popen(
        [str(TIERSCOPE), "serve", "--db", str(db), "--port", "0", "--json"], stdout=subprocess.PIPE, text=True
    )
    assert serve.stdout is not None
    url = json.loads(serve.stdout.readline())["url"]
    ingester = Ingester(con, spool).start()  # the dashboard's own settings
    [(through,)] = reader.execute("select coalesce(max(ingest_id), 0) from ingests").fetchall()

    seen: dict[str, float] = {}
    polling = threading.Event()

    def poll() -> None:
        nonlocal through
        cursor = con.cursor()
        while not polling.is_set():
            rows = cursor.execute(
                "select request_id, ingest_id from calls where ingest_id > $through and request_id like '%-0' "
                "and starts_with(request_id, $mark)",
                {"through": through, "mark": ID_MARK},
            ).fetchall()
            now = time.time()
            for request_id, ingest_id in rows:
                seen.setdefault(request_id, now)
                through = max(through, int(ingest_id))
            polling.wait(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    results: multiprocessing.Queue[Any] = multiprocessing.Queue()
    per_client = args.rate / args.clients if args.rate else 0.0
    workers = [
        multiprocessing.Process(target=client, args=(index, url, args.seconds, per_client, args.batch, results))
        for index in range(args.clients)
    ]
    started = time.time()
    for worker in workers:
        worker.start()
    busy: list[float] = []
    while any(worker.is_alive() for worker in workers) and results.qsize() < len(workers):
        if args.query_every:
            busy.append(time_query(reader))
        time.sleep(args.query_every or 0.5)
    finished = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join()
    posted = [entry for _, entries, _ in finished for entry in entries]
    accepted_events = sum(records for _, _, records in posted)
    post_seconds = max(seconds for _, _, seconds in finished)
    deadline = time.time() + 120
    while len(seen) < len(posted) and time.time() < deadline:
        time.sleep(0.1)
    loaded_at = max(seen.values()) if seen else float("nan")
    polling.set()
    poller.join()
    ingester.stop()
    with urllib.request.urlopen(f"{url}/health", timeout=30) as answer:
        counters = json.loads(answer.read())
    serve.terminate()
    serve.wait(timeout=30)
    # idle again, with the new rows: the machine's other load drifts, so idle is the median of before and after
    idle_after = [time_query(reader) for _ in range(7)]

    _, input_tokens, output_tokens = record_template()
    [(count, distinct, tokens)] = reader.execute(
        "select count(*), count(distinct request_id), sum(input_tokens + output_tokens) from calls "
        "where starts_with(request_id, $mark)",
        {"mark": ID_MARK},
    ).fetchall()
    delays = [seen[first] - sent for first, sent, _ in posted if first in seen]
    report = {
        "machine": {
            "cores": os.cpu_count(),
            "memory_bytes": total_memory_bytes(),
            "platform": platform.platform(),
            "load_average_before": load_before,
            "load_average_after": list(os.getloadavg()),
        },
        "settings": {
            "clients": args.clients,
            "seconds": args.seconds,
            "offered_rate": args.rate,
            "batch": args.batch,
            "baseline_rows": args.baseline_rows,
        },
        "accepted_events": accepted_events,
        "rejected_requests": counters["rejected"],
        "accepted_events_per_second": accepted_events / post_seconds,
        "loaded_events_per_second": accepted_events / (loaded_at - started),
        "visible_delay_seconds": {
            "p50": percentile(delays, 0.5),
            "p95": percentile(delays, 0.95),
            "max": max(delays, default=float("nan")),
        },
        "query_seconds": {
            "idle_median": statistics.median(idle + idle_after),
            "idle_before_median": statistics.median(idle),
            "idle_after_median": statistics.median(idle_after),
            "ingesting_median": statistics.median(busy) if busy else float("nan"),
            "ingesting_p95": percentile(busy, 0.95),
            "runs_ingesting": len(busy),
            "ingester_yielded_seconds": ingester.status.yielded_seconds,
        },
        "exactly_once": {
            "rows": count,
            "distinct_ids": distinct,
            "tokens": tokens,
            "expected_rows": accepted_events,
            "expected_tokens": accepted_events * (input_tokens + output_tokens),
        },
    }
    report["query_slowdown"] = report["query_seconds"]["ingesting_median"] / report["query_seconds"]["idle_median"]
    con.close()
    RESULTS_PATH.parent.mkdir(exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    once = report["exactly_once"]
    return (
        0
        if once["rows"] == once["expected_rows"] == once["distinct_ids"] and once["tokens"] == once["expected_tokens"]
        else 1
    )


def print_report(report: dict[str, Any]) -> None:
    machine, delay, query = report["machine"], report["visible_delay_seconds"], report["query_seconds"]
    memory = f"{machine['memory_bytes'] / 2**30:.0f} GB" if machine["memory_bytes"] else "?"
    print(
        f"machine: {machine['cores']} cores, {memory}; load average before {machine['load_average_before'][0]:.1f}, "
        f"after {machine['load_average_after'][0]:.1f} (other processes share the cores)"
    )
    print(
        f"accepted: {report['accepted_events']:,} events, {report['accepted_events_per_second']:,.0f}/s, "
        f"{report['rejected_requests']:,} requests rejected "
        f"(target >= {TARGET_EVENTS_PER_SECOND:,}/s)"
    )
    print(f"loaded:   {report['loaded_events_per_second']:,.0f} events/s from the first post to the last visible")
    print(
        f"post -> queryable: p50 {delay['p50']:.2f}s, p95 {delay['p95']:.2f}s, max {delay['max']:.2f}s "
        f"(target <= {TARGET_VISIBLE_SECONDS:g}s)"
    )
    print(
        f"dashboard query (task_costs + kpis): idle {query['idle_median']:.3f}s "
        f"(before {query['idle_before_median']:.3f}s, after {query['idle_after_median']:.3f}s), while ingesting "
        f"{query['ingesting_median']:.3f}s median ({report['query_slowdown']:.2f}x; target <= "
        f"{TARGET_QUERY_SLOWDOWN:g}x), p95 {query['ingesting_p95']:.3f}s; the ingester gave way to queries for "
        f"{query['ingester_yielded_seconds']:.1f}s"
    )
    once = report["exactly_once"]
    print(
        f"exactly once: {once['rows']:,} rows ({once['distinct_ids']:,} distinct) of {once['expected_rows']:,} sent; "
        f"tokens {once['tokens']:,} of {once['expected_tokens']:,}"
    )


if __name__ == "__main__":
    sys.exit(main())
