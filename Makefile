# Every target runs from a fresh clone: `uv` is installed on first use.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY_DIRS := domain application adapters entrypoints observability tests bench

.DEFAULT_GOAL := help
.PHONY: help uv install run test check lint format typecheck layers unit integration bench openapi clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

uv:
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || python3 -m pip install --quiet --user uv

install: uv ## Create .venv from the lock file (bytecode compiled)
	@$(UV) sync --locked --compile-bytecode --quiet

run: install ## Start the local server on http://127.0.0.1:8000
	$(UV) run --no-sync app serve

test: install check ## Lint, type-check, layer contracts and the whole test suite
	$(UV) run --no-sync pytest

check: lint typecheck layers ## Static checks only

lint: install ## ruff lint + format check
	$(UV) run --no-sync ruff check $(PY_DIRS)
	$(UV) run --no-sync ruff format --check $(PY_DIRS)

format: install ## Apply ruff fixes and formatting
	$(UV) run --no-sync ruff check --fix $(PY_DIRS)
	$(UV) run --no-sync ruff format $(PY_DIRS)

typecheck: install ## mypy --strict
	$(UV) run --no-sync mypy

layers: install ## import-linter: the hexagonal dependency rule
	$(UV) run --no-sync lint-imports

unit: install ## Unit tests only
	$(UV) run --no-sync pytest -m unit

integration: install ## Integration tests only
	$(UV) run --no-sync pytest -m integration

bench: install ## Benchmarks (cold start, warm Lambda, local throughput, RSS)
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || echo "wrk unavailable: throughput row skipped"
	$(UV) run --no-sync python bench/bench.py

openapi: install ## Print the OpenAPI schema
	@$(UV) run --no-sync app openapi

clean: ## Remove caches and the virtualenv
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
