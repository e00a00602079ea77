# resync — developer entry points. `make demo` and `make test` work from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed-stamp
export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: install demo test lint dev bench clean notebooks dbt-docs

DBT_MANIFEST := dbt_project/target/manifest.json

# This machine may set PYTHONDONTWRITEBYTECODE; without a compiled cache every `resync` start
# recompiles the project's own modules (compileall skips what is up to date).
install: $(STAMP) $(DBT_MANIFEST)
	@$(PY) -m compileall -q -j 0 resync_assets

$(STAMP): requirements.lock requirements-bootstrap.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-bootstrap.lock
	$(UV) pip install --python $(PY) --require-hashes --compile-bytecode -r requirements.lock
	$(UV) pip install --python $(PY) --no-deps --no-build-isolation --compile-bytecode -e .
	touch $(STAMP)

# The manifest the Dagster code location loads the dbt assets from (`dbt parse` opens no database).
$(DBT_MANIFEST): $(STAMP) $(shell find dbt_project -path dbt_project/target -prune -o \( -name '*.sql' -o -name '*.yml' -o -name '*.md' \) -print)
	cd dbt_project && ../$(VENV)/bin/dbt parse --quiet

# Instance settings (no telemetry, no community modal, the writer pool's limit) have one owner:
# resync_assets/cli/demo_run.py, which also completes an older dagster.yaml.
$(DAGSTER_HOME)/dagster.yaml: resync_assets/cli/demo_run.py | $(STAMP)
	$(PY) -m resync_assets.cli.demo_run --ensure-home

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(VENV)/bin/resync demo

test: install $(DAGSTER_HOME)/dagster.yaml
	$(VENV)/bin/pytest -n 2 --dist loadfile

lint: install
	$(VENV)/bin/ruff format --check resync_assets tests benchmarks
	$(VENV)/bin/ruff check resync_assets tests benchmarks

# Without RESYNC_TWS_BASE_URL (environment or .env), `make dev` serves the embedded simulator on
# DEV_SIM_PORT for the 10-minute schedule and stops it when dagster dev exits. DEV_ARGS="-p 3001"
# passes options to dagster dev. Dagster 1.13 marks `dagster dev` as superseded by `dg dev`, which
# needs dagster-dg-cli (and dagster-cloud-cli, typer, cryptography, ...) to start this same
# `dagster dev`; the notice is silenced rather than adding those for one command.
DEV_SIM_PORT ?= 8765
dev: install $(DAGSTER_HOME)/dagster.yaml
	@if [ -z "$$RESYNC_TWS_BASE_URL" ] && ! grep -qs '^RESYNC_TWS_BASE_URL=.' .env; then \
	  export RESYNC_TWS_BASE_URL=http://127.0.0.1:$(DEV_SIM_PORT) RESYNC_TWS_USER=resync RESYNC_TWS_TOKEN= \
	    RESYNC_TWS_PASSWORD=$$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n'); \
	  RESYNC_SIM_USER=resync RESYNC_SIM_PASSWORD="$$RESYNC_TWS_PASSWORD" \
	    $(VENV)/bin/resync sim serve --host 127.0.0.1 --port $(DEV_SIM_PORT) & sim=$$!; \
	  trap 'kill $$sim 2>/dev/null' EXIT; \
	  echo "embedded simulator on $$RESYNC_TWS_BASE_URL (pid $$sim)"; \
	fi; \
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -W 'ignore:Function `dev_command` is superseded' \
	  -m dagster dev -w workspace.yaml $(DEV_ARGS)

# Every notebook top to bottom on the warehouse (RESYNC_WAREHOUSE_PATH, default data/warehouse.duckdb).
notebooks: install
	$(VENV)/bin/jupyter execute notebooks/*.ipynb

# dbt's documentation site (models, columns and their descriptions, lineage) on http://127.0.0.1:8080.
DBT_DOCS_PORT ?= 8080
dbt-docs: install
	cd dbt_project && ../$(VENV)/bin/dbt docs generate --quiet && \
	  ../$(VENV)/bin/dbt docs serve --host 127.0.0.1 --port $(DBT_DOCS_PORT) --no-browser

bench: install
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) data/lake data/*.duckdb $(DAGSTER_HOME)
