# The whole set-up: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint types dashboard bench bench-scale screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tierscope demo

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

types: $(STAMP)
	$(BIN)/mypy tierscope benchmarks

check: lint types test

docs: $(STAMP)
	$(BIN)/python -m tierscope.cli.reference > docs/cli.md

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py

bench-scale: $(STAMP)
	$(BIN)/python benchmarks/bench_scale.py

# docs/screenshots/*.png: every dashboard page at 1440x900 on the demo data (Chromium at /usr/bin/chromium)
screenshots: $(STAMP)
	$(BIN)/python -m tests.screenshots

clean:
	rm -rf $(VENV) demo.duckdb demo.duckdb.wal
