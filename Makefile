# eakte — the two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint clean

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

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache *.egg-info
