# One entry point for people and CI. `make run` and `make test` work on a fresh clone with
# only Python 3.11+ installed: they create .venv and install the locked dependencies first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed
START ?= 2013-01-01
END ?= 2013-01-07
PYTEST_ARGS ?=
BENCH_ARGS ?=
# Copies, not hard links into uv's cache: a file edited in one environment can then never
# change what the next install (a fresh clone, CI) gets from the cache.
export UV_LINK_MODE := copy

COMPOSE_STACK := bash scripts/compose-stack.sh

.PHONY: help install run up down status test test-fast test-container lint bench clean reset \
	image compose-up compose-down

help:
	@echo "make run    - install, start the embedded stack, publish $(START)..$(END), print a summary"
	@echo "make test   - install, lint, run the whole test suite"
	@echo "make down   - stop every process the embedded stack started"
	@echo "make bench  - performance benchmark (writes bench/results/)"
	@echo "make lint   - ruff, sqlfluff, Dockerfile/compose/workflow linters"
	@echo "make image  - build the images docker-compose.yaml needs (Docker), print their sizes"
	@echo "make compose-up   - .env with generated secrets if none, start the embedded profile, wait"
	@echo "make compose-down - stop the Compose stack, keep its volumes"
	@echo "make test-container - the container test alone (image, Compose stack end to end)"

$(STAMP): $(LOCK) pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.8"
	$(BIN)/uv pip sync --python $(BIN)/python --quiet $(LOCK)
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

up: install
	$(BIN)/elt up

run: up
	$(BIN)/elt run --start $(START) --end $(END)
	@echo "The stack keeps running: 'make down' stops it."

down:
	@if [ -x $(BIN)/elt ]; then $(BIN)/elt down; else echo "nothing installed, nothing running"; fi

status: install
	$(BIN)/elt status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint sql
	bash scripts/lint-infra.sh

test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not e2e and not container" $(PYTEST_ARGS)

test-container: install
	$(BIN)/python -m pytest -m container $(PYTEST_ARGS)

image: install
	$(COMPOSE_STACK) images

compose-up: install
	$(COMPOSE_STACK) up

compose-down: install
	$(COMPOSE_STACK) down

bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

reset: down
	$(BIN)/elt reset

clean: down
	rm -rf $(VENV) .elt .pytest_cache .ruff_cache
