# Every target runs from a fresh clone: `uv` is installed on first use.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY_DIRS := domain application adapters entrypoints observability infra tests bench
STAGE ?= dev
CDK_CONTEXT ?=
CDK := npx --yes aws-cdk@2
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export NEXT_TELEMETRY_DISABLED := 1
NPM := $(shell command -v npm 2>/dev/null)
FRONTEND_SOURCES := $(shell find frontend/src frontend/scripts -type f 2>/dev/null) \
	frontend/package.json frontend/next.config.ts frontend/tsconfig.json

.DEFAULT_GOAL := help
.PHONY: help uv install run test check lint format typecheck layers unit integration bench openapi clean bundle synth deploy frontend client client-check grafana bench-tracers bench-compare bench-all runtime-env load load-faults mongo-latency

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

uv:
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || python3 -m pip install --quiet --user uv

install: uv ## Create .venv from the lock file (bytecode compiled)
	@$(UV) sync --locked --compile-bytecode --quiet

run: install frontend ## Start the web app and API on http://127.0.0.1:8000
	$(UV) run --no-sync app serve

test: install check frontend ## Lint, type-check, layer contracts and the whole test suite
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

# Benchmarks run in a runtime-only environment: what ships to Lambda, without the dev
# tools. (Those pull in pydantic, and Litestar loads its pydantic plugin when pydantic is
# importable: ~100 ms of cold start and ~10 MB that no deployment pays.)
RUNTIME_ENV := .venv-runtime
runtime-env: uv
	@UV_PROJECT_ENVIRONMENT=$(RUNTIME_ENV) $(UV) sync --locked --no-default-groups --compile-bytecode --quiet

bench: runtime-env ## Benchmarks (cold start, warm Lambda, local throughput, RSS) in the runtime-only env
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || echo "wrk unavailable: throughput row skipped"
	$(RUNTIME_ENV)/bin/python bench/bench.py

bundle: install ## Build the Lambda bundle (arm64, no Docker) and print its sizes
	$(UV) run --no-sync python -m infra.bundle

synth: install ## Synthesize the CDK app: STAGE=dev|prod, CDK_CONTEXT='-c alarm_email=...'
	$(UV) run --no-sync python -m infra.app --stage $(STAGE) $(CDK_CONTEXT)

deploy: frontend synth ## Check the account, deploy the synthesized stack (AWS credentials; infra/README.md)
	$(UV) run --no-sync python -m infra.preflight --stage $(STAGE) $(CDK_CONTEXT)
	$(CDK) deploy --app infra/.build/cdk.out --all --require-approval broadening

frontend: ## Build the web app into frontend/out (served at / by `make run`; skipped without npm)
ifeq ($(NPM),)
	@echo "npm not found: skipping the frontend build. 'make run' will serve only the API (its schema at /schema/openapi.json; the interactive reference needs the build); install Node.js >= 20 for the web app."
else
	@$(MAKE) --no-print-directory frontend/out/index.html
endif

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

frontend/out/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SOURCES)
	cd frontend && npm run build

client: install frontend/node_modules/.package-lock.json ## Regenerate the typed API client from the OpenAPI schema
	set -o pipefail; $(UV) run --no-sync app openapi | (cd frontend && node scripts/client.mjs -)

client-check: install frontend/node_modules/.package-lock.json ## Fail if the committed typed API client is stale
	set -o pipefail; $(UV) run --no-sync app openapi | (cd frontend && node scripts/client.mjs --check -)

bench-tracers: runtime-env ## Cold start with each tracer (none, xray, otel)
	for t in none xray otel; do $(RUNTIME_ENV)/bin/python bench/bench.py --skip-throughput --runs 9 --tracer $$t --output bench/results/tracer-$$t.json; done

bench-compare: uv ## Ours vs a minimal FastAPI + Mangum app, per-route throughput, sign-in
	UV_PROJECT_ENVIRONMENT=.venv-bench $(UV) sync --locked --no-default-groups --group bench --compile-bytecode --quiet
	.venv-bench/bin/python bench/compare.py

bench-all: bench bench-tracers mongo-latency bundle bench-compare ## Every row of bench/REPORT.md

mongo-latency: install ## Per-operation latency of the Mongo adapters on the embedded store
	$(UV) run --no-sync python bench/mongo_latency.py

load: install ## 64 clients for 30 s against `app serve` on the embedded store; verifies no lost update
	$(UV) run --no-sync python bench/load.py --duration 30 --clients 64

load-faults: install ## The load run with the store killed at 10 s and restarted 3 s later
	$(UV) run --no-sync python bench/load.py --duration 30 --clients 64 --kill-store-at 10 --restart-after 3

grafana: install ## Render Grafana dashboards + provisioning into grafana/provisioning
	$(UV) run --no-sync app grafana render --out grafana/provisioning

openapi: install ## Print the OpenAPI schema
	@$(UV) run --no-sync app openapi

clean: ## Remove caches and the virtualenv
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache .import_linter_cache infra/.build frontend/out frontend/.next .venv-runtime .venv-bench
