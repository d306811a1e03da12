# eakte — the two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint clean bench bench-storage bench-audit bench-search

# The virtualenv is rebuilt when the package metadata changes.
$(BIN)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## run: install, initialise ./instance (SQLite, key material, admin token) and serve on :8000
run: $(BIN)/.installed
	$(BIN)/eakte init
	$(BIN)/eakte serve --host $(HOST) --port $(PORT)

## test: import contracts, lint, then the whole suite on SQLite and PostgreSQL
test: $(BIN)/.installed lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(BIN)/.installed
	$(BIN)/lint-imports
	$(BIN)/ruff check eakte tests

## bench: all benchmarks (not part of `make test`); results go to docs/benchmarks.md
bench: bench-storage bench-audit bench-search

## bench-storage: encrypted up/download via a real server vs raw file store and S3 (STORAGE_ARGS="--sizes 1M,64M")
bench-storage: $(BIN)/.installed
	$(BIN)/python bench/storage.py $(STORAGE_ARGS)

## bench-audit: audit trail appends with sealing, verify and proofs over 1M events on SQLite and PostgreSQL (AUDIT_ARGS="--events 100000")
bench-audit: $(BIN)/.installed
	$(BIN)/python bench/audit.py $(AUDIT_ARGS)

## bench-search: upload until searchable and query latency via a real server, 20k and 100k documents (SEARCH_ARGS="--docs 500")
bench-search: $(BIN)/.installed
	$(BIN)/python bench/search.py $(SEARCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache *.egg-info
