# Two commands on a fresh clone: `make run` and `make test`. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export RETAIL_DATA_DIR ?= $(CURDIR)/.data
export DAGSTER_HOME ?= $(RETAIL_DATA_DIR)/dagster_home

# Default range: the 7 days ending yesterday. Override: make run START=2026-11-01 END=2026-11-07
START ?=
END ?=
RUN_ARGS := $(if $(START),--start $(START)) $(if $(END),--end $(END))

.PHONY: install run test dev validate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m retail_platform run $(RUN_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

dev: $(STAMP)
	$(BIN)/python -c "from retail_platform.cli import ensure_dagster_home; ensure_dagster_home()"
	$(BIN)/dagster dev

validate: $(STAMP)
	$(BIN)/dagster definitions validate

clean:
	rm -rf $(RETAIL_DATA_DIR)
