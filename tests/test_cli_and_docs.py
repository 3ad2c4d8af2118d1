"""The CLI's JSON contract, and the README documenting every command, config key and mart."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from tests.conftest import REPO, SAMPLE_LOGS
from tierscope.cli import build_parser, main
from tierscope.queries.config import (
    DriftRule,
    ModelPrices,
    PriceBook,
    PriceEntry,
    PriceVariant,
    ProfilingRule,
    Routing,
    TaskProfile,
    TaskTypeRule,
)
from tierscope.queries.db import SQL_DIR

# What the user reads: the README and the docs folder
README = "\n".join(path.read_text() for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))])


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    status = main([*argv, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_ingest_and_report_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.duckdb")
    status, ingested = run_json(capsys, "ingest", str(SAMPLE_LOGS / "requests_export.csv"), "--db", db)
    assert status == 0
    assert set(ingested) == {"rows_read", "loaded", "duplicates", "quarantined", "files"}
    assert (ingested["rows_read"], ingested["loaded"], ingested["quarantined"]) == (2003, 2000, 3)
    assert set(ingested["files"][0]) == {
        "path",
        "format",
        "status",
        "error",
        "rows_read",
        "loaded",
        "duplicates",
        "quarantined",
        "skipped",
        "seconds",
    }

    for by in ("task_type", "model", "tier", "day", "team"):
        status, report = run_json(capsys, "report", "--db", db, "--by", by)
        assert status == 0
        assert set(report) == {"rows", "total_cost_usd"}
        assert all(
            set(row) == {by, "requests", "calls", "input_tokens", "output_tokens", "cost_usd", "unpriced_calls"}
            for row in report["rows"]
        )
        assert sum(row["calls"] for row in report["rows"]) == 2000
        assert report["total_cost_usd"] == pytest.approx(sum(row["cost_usd"] or 0 for row in report["rows"]))

    _, everything = run_json(capsys, "report", "--db", db, "--by", "day")
    _, one_day = run_json(capsys, "report", "--db", db, "--by", "day", "--since", "2026-11-10", "--until", "2026-11-10")
    [day_row] = [row for row in everything["rows"] if row["day"] == "2026-11-10"]
    assert one_day["rows"] == [day_row]


def test_missing_database_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["report", "--db", str(tmp_path / "none.duckdb")])
    assert status == 2
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "none.duckdb").exists()


def test_bad_config_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    routing = tmp_path / "routing.yaml"
    routing.write_text("tiers: {t1: [a]}\ndefault_tier: t1\nextra: 1\n")
    status = main(
        [
            "ingest",
            str(SAMPLE_LOGS / "requests_export.csv"),
            "--db",
            str(tmp_path / "x.duckdb"),
            "--routing",
            str(routing),
        ]
    )
    assert status == 2
    assert f"{routing}: extra: unknown key" in capsys.readouterr().err


def _subcommands() -> list[str]:
    parser = build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(action.choices)


def _keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


@pytest.mark.parametrize("command", _subcommands())
def test_readme_documents_every_command(command: str) -> None:
    assert f"tierscope {command}" in README


@pytest.mark.parametrize(
    "key",
    sorted(
        {
            key
            for model in (
                PriceBook,
                ModelPrices,
                PriceEntry,
                PriceVariant,
                Routing,
                DriftRule,
                ProfilingRule,
                TaskProfile,
                TaskTypeRule,
            )
            for key in _keys(model)
        }
    ),
)
def test_readme_documents_every_config_key(key: str) -> None:
    assert f"`{key}`" in README


@pytest.mark.parametrize("mart", sorted(path.stem for path in (SQL_DIR / "marts").glob("*.sql")))
def test_readme_lists_every_mart(mart: str) -> None:
    assert f"`{mart}`" in README


def test_report_dimensions_are_the_query_layers() -> None:
    from tierscope.cli.commands import report
    from tierscope.queries.api import DIMENSIONS

    assert report.DIMENSIONS == DIMENSIONS


def test_help_loads_no_query_stack() -> None:
    """`tierscope --help` builds only the command list: no DuckDB, Polars or Arrow is imported for it."""
    import subprocess
    import sys

    probe = (
        "import sys\nfrom tierscope.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(name for name in ('duckdb', 'polars', 'pyarrow', 'streamlit') if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
