# Two commands on a fresh clone: `make run` and `make test`. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export RETAIL_DATA_DIR ?= $(CURDIR)/.data
export DAGSTER_HOME ?= $(RETAIL_DATA_DIR)/dagster_home
export PATH := $(CURDIR)/$(BIN):$(PATH)

# Default range: the 7 days ending yesterday. Override: make run START=2026-11-01 END=2026-11-07
START ?=
END ?=
RUN_ARGS := $(if $(START),--start $(START)) $(if $(END),--end $(END))

MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/tests dbt_project/snapshots dbt_project/seeds -type f 2>/dev/null) dbt_project/dbt_project.yml dbt_project/profiles.yml
DOCS_PORT ?= 8080

.PHONY: install prepare run test lint dev validate docs clean

# Bytecode compiled at install: every Dagster process (code server, each run) then loads ~2 s faster.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The dbt manifest is prepared at build time, never parsed by a production process.
$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	$(BIN)/dagster-dbt project prepare-and-package --file retail_platform/warehouse/project.py
	touch $(MANIFEST)

prepare: $(MANIFEST)

run: $(MANIFEST)
	$(BIN)/python -m retail_platform run $(RUN_ARGS)

# Two workers (the machine's cores); the `dagster dev` end-to-end modules share one worker
# (xdist_group) so that two webservers and daemons never compete for the cores.
test: $(MANIFEST)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Python: ruff (format and lint rules in pyproject.toml); dbt SQL: sqlfluff (dbt_project/.sqlfluff).
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/tests

dev: $(MANIFEST)
	$(BIN)/python -c "from retail_platform.cli import ensure_dagster_home; ensure_dagster_home()"
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg dev

validate: $(MANIFEST)
	$(BIN)/dagster definitions validate

# The dbt documentation site with lineage, over the local warehouse (run `make run` first).
docs: $(MANIFEST)
	cd dbt_project && RETAIL_WAREHOUSE_PATH=$(RETAIL_DATA_DIR)/warehouse.duckdb ../$(BIN)/dbt docs generate --profiles-dir . --target local
	cd dbt_project && ../$(BIN)/dbt docs serve --profiles-dir . --port $(DOCS_PORT) --host 127.0.0.1 --no-browser

clean:
	rm -rf $(RETAIL_DATA_DIR)
