"""Every number equal to the reviewed one: each ``queries.api`` result, the what-if and drift on the golden database
(tests/golden.py) against the Parquet files in tests/golden/ (costs to 1e-9 relative, counts exactly)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests import golden

GOLDEN_FILES = sorted(golden.GOLDEN_DIR.glob("*.parquet"))


@pytest.fixture(scope="module")
def today(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, pl.DataFrame]]:
    folder = tmp_path_factory.mktemp("golden")
    con: duckdb.DuckDBPyConnection = golden.build(folder)
    try:
        yield {name: golden.stable(name, frame, folder) for name, frame in golden.results(con)}
    finally:
        con.close()


def test_every_result_has_a_golden_file(today: dict[str, pl.DataFrame]) -> None:
    assert sorted(today) == sorted(path.stem for path in GOLDEN_FILES)


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda path: path.stem)
def test_result_equals_golden(today: dict[str, pl.DataFrame], path: Path) -> None:
    expected = pl.read_parquet(path)
    assert golden.equal(today[path.stem], expected), (
        f"{path.stem} differs from its golden file:\n{today[path.stem]}\n{expected}"
    )
