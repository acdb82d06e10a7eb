# The portal's everyday commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORTAL_HOST ?= 127.0.0.1
PORTAL_PORT ?= 8000
ARGS ?=
# pytest under tests/services.py: PostgreSQL and Redis for the run (throwaway ones where none answers)
PYTEST := $(BIN)/python -m tests.services $(BIN)/python -m pytest
export LITESTAR_APP := portal.app:create_app

.PHONY: help install run worker migrate migration demo test test-fast test-unit test-integration test-e2e lint messages bench clean

help: ## list the commands
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-17s %s\n", $$1, $$2}'

$(BIN)/portal: pyproject.toml geometry/_native.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/portal

install: $(BIN)/portal ## create .venv and install the portal with its development tools

run: install ## run the portal on the embedded default (SQLite, jobs in-process, demo data)
	$(BIN)/portal database upgrade --no-prompt
	$(BIN)/portal demo load
	$(BIN)/portal run --host $(PORTAL_HOST) --port $(PORTAL_PORT)

worker: install ## run the arq worker (services mode: PORTAL_REDIS_URL)
	$(BIN)/portal worker

migrate: install ## apply the database migrations
	$(BIN)/portal database upgrade --no-prompt

migration: install ## write a new migration from the models: make migration m="what changed"
	$(BIN)/portal database make-migrations --no-prompt -m "$(m)"

demo: install ## load the demo data (prints the admin password the first time)
	$(BIN)/portal demo load

test: install ## the whole suite, as CI runs it (unit, integration, e2e); make test ARGS='tests/unit -x' for a part
	$(PYTEST) -q $(ARGS); status=$$?; if [ $$status -eq 5 ]; then echo "no tests were collected"; status=0; fi; exit $$status

test-fast: install ## the inner loop: unit and integration tests, without the slow ones (bursts, real analyses)
	$(PYTEST) -q -m "not slow and not e2e" tests/unit tests/integration $(ARGS)

test-unit: install ## only the unit tests
	$(PYTEST) -q tests/unit $(ARGS)

test-integration: install ## only the integration tests
	$(PYTEST) -q tests/integration $(ARGS)

test-e2e: install ## only the browser tests
	$(PYTEST) -q tests/e2e $(ARGS)

lint: install ## ruff
	$(BIN)/ruff check portal geometry jobs tests bench migrations

messages: install ## refresh the translation catalogue after changing user-facing text
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --no-location --sort-output -o portal/locale/messages.pot .
	$(BIN)/pybabel update -i portal/locale/messages.pot -d portal/locale -D messages --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d portal/locale -D messages

bench: install ## the geometry benchmarks (see bench/README.md)
	$(BIN)/python bench/analyze_vs_admesh.py
	$(BIN)/python bench/step_sandbox.py
	$(BIN)/python bench/preview.py

clean: ## remove the virtual environment and local data
	rm -rf $(VENV) data
