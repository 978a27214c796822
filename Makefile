# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# a Python every account can run: started by root, the services drop to an unprivileged account, which
# cannot reach an interpreter under /root (pyenv); the system's 3.11 first, else the one on the PATH
PYTHON ?= $(or $(wildcard /usr/bin/python3.11),$(shell command -v python3.11 || command -v python3))
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(UV) run --frozen --no-sync
LOGICAL_DATE ?= $(shell date -u +%F)
# the demo uses the real reference data beside the checkout when it is there (as CI does)
DEMO_REFERENCE_DIR := $(if $(wildcard ../shared/data/reference/parks),$(abspath ../shared/data/reference),)
PYTEST_ARGS ?=
# the suite runs on two workers, a whole test file each (its module fixtures built once), slowest files
# first (tests/conftest.py); TEST_WORKERS=0 runs it in one process
TEST_WORKERS ?= 2
# make bench SCALE="demo national" BENCH_ARGS="--only stages,floors" (python -m benchmarks --help)
SCALE ?= demo
BENCH_ARGS ?=

export UV_PROJECT_ENVIRONMENT := $(VENV)
# Installed packages come with their bytecode: where PYTHONDONTWRITEBYTECODE is set (CI's machines set it),
# nothing is ever cached, and every Python process (each dbt call, Airflow task, GX run, Superset start) would
# compile Airflow's, GX's and dbt's sources again: measured 11.4 s -> 4.2 s to import great_expectations
export UV_COMPILE_BYTECODE := 1

.PHONY: help setup demo test lint bench docs dbt-parse airflow-env clean superset-setup browser up down status superset-export superset-import

help:
	@echo "make demo   run the platform's DAGs once (embedded Airflow, DuckDB) and print what they produced"
	@echo "make test   run every test (after make lint)"
	@echo "make lint   ruff and the import layers (pyproject.toml), sqlfluff on the dbt project (.sqlfluff); silent when clean"
	@echo "make docs   dbt docs of the published warehouse (after make demo), with how to open them"
	@echo "make up     start Superset (127.0.0.1:8088), the Airflow UI (127.0.0.1:8080), scheduler and DAG processor"
	@echo "make status say which of those run, and where their logs are"
	@echo "make down   stop exactly what make up started"
	@echo "make superset-export  write dashboards edited in Superset's UI back into infra/superset/assets/"
	@echo "make bench  benchmarks at SCALE (default demo; also national, stress, several: SCALE=\"demo national\"), BENCH_ARGS"
	@echo "            for python -m benchmarks (--only stages,floors ...); results in benchmarks/results/ and BENCHMARKS.md"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# the interpreter the environments are built on: a different one rebuilds them
PYTHON_STAMP := $(TOOLS)/python-$(subst /,_,$(PYTHON))
$(PYTHON_STAMP): | $(UV)
	rm -f $(TOOLS)/python-*
	touch $@

$(VENV)/.synced: $(UV) $(PYTHON_STAMP) pyproject.toml uv.lock
	$(UV) sync --locked --all-groups --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced

# Superset has its own locked environment (DESIGN.md section 8: it cannot share one with Airflow 3)
SUPERSET_DIR := infra/superset
$(SUPERSET_DIR)/.venv/.synced: $(UV) $(PYTHON_STAMP) $(SUPERSET_DIR)/pyproject.toml $(SUPERSET_DIR)/uv.lock
	cd $(SUPERSET_DIR) && UV_PROJECT_ENVIRONMENT=.venv $(abspath $(UV)) sync --locked --python $(PYTHON)
	touch $@

superset-setup: $(SUPERSET_DIR)/.venv/.synced

# the browser tests drive Debian's Chromium (Playwright never downloads a browser); we run as root
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; fi

dbt-parse: setup
	$(RUN) python -m parkplatform.dbt

docs: setup
	$(RUN) python -m parkplatform.dbt docs

demo: setup
	PARK_REFERENCE_DIR="$${PARK_REFERENCE_DIR:-$(DEMO_REFERENCE_DIR)}" $(RUN) python -m park.demo \
		--logical-date $(LOGICAL_DATE) $(DEMO_ARGS)

# ruff (rules in pyproject.toml, Airflow's among them), import-linter (the layers of pyproject.toml) and sqlfluff with the dbt templater on the dbt project
# (.sqlfluff, .sqlfluffignore; dbt compiles the models on the profile's in-memory `lint` target); prints
# nothing when all is clean, else the findings and which checks failed (all four always run)
lint: setup
	@failed=""; \
	$(RUN) ruff check --quiet . || failed="$$failed, ruff check (ruff check --fix mends the [*] ones)"; \
	$(RUN) ruff format --check --quiet . || failed="$$failed, ruff format --check (ruff format mends them)"; \
	layers=$$($(RUN) lint-imports 2>&1) \
		|| { echo "$$layers"; failed="$$failed, lint-imports (an import against the layers of pyproject.toml)"; }; \
	$(RUN) sqlfluff lint dbt_project --quiet --nocolor \
		|| failed="$$failed, sqlfluff lint dbt_project (sqlfluff fix dbt_project mends the layout ones)"; \
	if [ -n "$$failed" ]; then echo "make lint FAILED, see above: $${failed#, }" >&2; exit 1; fi

# the tests find the real reference data as the demo does (without it, those that need it are skipped)
test: setup superset-setup browser lint
	PARK_REFERENCE_DIR="$${PARK_REFERENCE_DIR:-$(DEMO_REFERENCE_DIR)}" $(RUN) pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

bench: setup superset-setup
	PARK_REFERENCE_DIR="$${PARK_REFERENCE_DIR:-$(DEMO_REFERENCE_DIR)}" $(RUN) python -m benchmarks \
		$(foreach scale,$(SCALE),--scale $(scale)) $(BENCH_ARGS)

airflow-env: setup
	@$(RUN) python -c "from parkplatform.config import get_settings, runtime_environment; \
	[print(f'export {k}={v}') for k, v in runtime_environment(get_settings()).items()]"

# the services read .env when there is one (PARK_PROFILE=production and its secrets: .env.example)
WITH_DOTENV := set -a; if [ -f .env ]; then . ./.env; fi; set +a;

up: setup superset-setup
	$(WITH_DOTENV) $(RUN) python -m park.services up

down: setup
	$(WITH_DOTENV) $(RUN) python -m park.services down

status: setup
	$(WITH_DOTENV) $(RUN) python -m park.services status

superset-export: superset-setup
	$(SUPERSET_DIR)/.venv/bin/python $(SUPERSET_DIR)/export_assets.py

superset-import: superset-setup
	$(SUPERSET_DIR)/.venv/bin/python $(SUPERSET_DIR)/bootstrap.py import

clean:
	rm -rf data dbt_project/target dbt_project/logs
