# Ardoise: `make run` to try it, `make test` to prove it. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/ardoise
export TEST_POSTGRES_URL

.DEFAULT_GOAL := help
.PHONY: help install run worker test check lint types imports migrations-check fmt bench lock messages

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(INSTALLED): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements.lock
	@touch $@

install: $(INSTALLED) ## Create .venv and install the locked dependencies

run: export DEBUG = 1
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install ## Migrate, load demo data once, start the task worker and serve on 127.0.0.1:8000
	@DEBUG=1 $(PY) manage.py migrate --noinput -v 0
	@DEBUG=1 $(PY) manage.py seed_demo --if-empty
	@DEBUG=1 $(PY) manage.py reconcile_payments --schedule -v 0 >/dev/null
	@DEBUG=1 $(PY) manage.py db_worker --queue-name '*' --no-reload -v 0 & worker=$$!; \
	  trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

worker: install ## Run the background task worker (statements, emails, exports)
	$(PY) manage.py db_worker --queue-name '*'

test: install ## The whole suite: SQLite, then PostgreSQL when reachable (required with CI=true)
	@bash scripts/test.sh

check: install lint types imports migrations-check test ## What CI runs: linters, types, layers, migrations, tests

lint: install ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: install ## mypy (strict on core, ledger and payments)
	DEBUG=1 $(VENV)/bin/mypy ardoise config

imports: install ## lint-imports: the contracts in pyproject.toml (the layers of DESIGN.md)
	$(VENV)/bin/lint-imports

migrations-check: install ## Fail when a model change has no migration
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

fmt: install ## Format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install ## Benchmarks against the raw database (PostgreSQL at TEST_POSTGRES_URL); prints ratios
	@bash scripts/bench.sh

lock: ## Re-lock requirements.lock from pyproject.toml
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11

messages: install ## Update and compile the French and English translations
	@bash scripts/messages.sh
