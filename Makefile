# SME Pulse: `make help` lists every target. CI calls make targets only (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BIN ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/sme-pulse
ROWS ?= 50000
SEED ?= 42
PYTEST_ARGS ?=


.PHONY: help setup demo test test-unit test-integration test-data lint format bench redis-start redis-stop status clean

help: ## List targets and what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON_BIN) >/dev/null || { echo "Python 3.11 is required ($(PYTHON_BIN) not found); set PYTHON_BIN=..."; exit 1; }
	@command -v java >/dev/null || [ -n "$$JAVA_HOME" ] || { echo "Java 17+ is required by Spark (apt-get install openjdk-17-jre-headless)"; exit 1; }
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed ## Create the venv, install pinned dependencies, cache the Delta jars
	$(CLI) setup jars

redis-start: ## Start the local Redis online store on 127.0.0.1:6379
	@infra/redis.sh start

redis-stop: ## Stop the local Redis
	@infra/redis.sh stop

demo: setup redis-start ## Run every pipeline stage end to end on synthetic data (ROWS=50000)
	$(CLI) ingest synthetic --rows $(ROWS) --seed $(SEED)
	$(CLI) silver build
	$(CLI) features build
	$(CLI) features apply
	$(CLI) materialize
	$(CLI) train
	$(CLI) score
	$(CLI) gold build
	$(CLI) gold publish
	$(CLI) report
	$(CLI) status

status: ## Summarise what the pipeline wrote where
	$(CLI) status

test: setup redis-start ## Run every test: unit, integration (Spark, Delta, Feast, Redis, MLflow) and data-quality
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-unit: setup ## Unit tests only (fast)
	$(VENV)/bin/pytest -m unit $(PYTEST_ARGS)

test-integration: setup redis-start ## Integration tests only
	$(VENV)/bin/pytest -m integration $(PYTEST_ARGS)

test-data: setup ## Data-quality tests only
	$(VENV)/bin/pytest -m data $(PYTEST_ARGS)

lint: $(VENV)/.installed ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy sme_pulse spark_jobs training serving

format: $(VENV)/.installed ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup redis-start ## Print benchmark figures (bronze->silver throughput, ...)
	$(PY) -m benchmarks.run

clean: ## Remove the local lakehouse (bronze, silver, gold, registry, MLflow store)
	rm -rf lakehouse
