# SummaSaaS Ops: `make run` starts the console and a consumer on embedded defaults;
# `make test` runs the whole suite (production path on private PostgreSQL + Redis, then the
# embedded path on SQLite + SqliteHuey) with coverage.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
COVERAGE_MIN := 85
# The suite waits on real servers and subprocesses more than on the CPU: three pytest-xdist
# workers (each with its own PostgreSQL, Redis and folder) keep a 2-core machine busy (two
# left it a third idle: 14.7 minutes on a fresh clone; four ran the production pass in 522 s
# against three's 531 s on 2026-12-06, within the machine's noise).
TEST_WORKERS ?= 3

# The first Python >= 3.12 found: on the PATH, then pyenv's installs.
PYTHON_BOOT := $(shell for c in python3.13 python3.12 $$(ls -d /root/.pyenv/versions/3.1[2-9]*/bin/python3 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	  $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$c; break; }; done)

.PHONY: run test lint bench bench-deps soak fuzz system-deps venv clean

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON_BOOT)" ]; then echo "Python >= 3.12 is required: install python3.12 or python3.13 and put it on the PATH." >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	@echo "Installing the project into $(VENV) (the first time: a few minutes, progress below)"
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	set -o pipefail; $(BIN)/pip install --disable-pip-version-check -e ".[dev]" | { grep -E --line-buffered "^(Collecting|Installing|Successfully)" || true; }
	@touch $@

venv: $(VENV)/.installed

# `make run PORT=8010` serves on another port; links in emails (SITE_URL) follow it unless set.
PORT ?= 8000

run: venv
	@echo "Setting up, then serving on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}" $(PY) manage.py run_dev --setup --addr 127.0.0.1:$(PORT)

system-deps:
	@bash .ci/system-deps

# Reproducible property-based tests: Hypothesis's `ci` profile (tests/fuzz/profiles.py) for
# every test, derandomized and without an example database.
HYPOTHESIS_CI := -p tests.fuzz.profiles
# `--dist loadgroup`: the deployment smoke suite (tests/smoke, xdist_group "smoke": gunicorn
# DEBUG=0, a consumer, an SMTP sink) runs on one worker, which starts one deployment for it.

test: venv system-deps
	@rm -f .coverage .coverage.*
	$(PY) -m pytest $(HYPOTHESIS_CI) -n $(TEST_WORKERS) --dist loadgroup --cov --cov-report= $(PYTEST_ARGS)
	SUMMASAAS_TEST_PROFILE=embedded $(PY) -m pytest $(HYPOTHESIS_CI) -m embedded -n $(TEST_WORKERS) --cov --cov-append --cov-report= $(PYTEST_ARGS)
	$(BIN)/coverage report --fail-under=$(COVERAGE_MIN)
	$(BIN)/ruff check .

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The property-based tests again, random and deeper (HYPOTHESIS_PROFILE=deep: FUZZ_EXAMPLES
# examples per target, 1,000). The seed is drawn here (or HYPOTHESIS_SEED), printed before and
# after the run, so a failure is replayed with `make fuzz HYPOTHESIS_SEED=<seed>`.
fuzz: venv system-deps
	@seed=$${HYPOTHESIS_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; \
	echo "make fuzz: Hypothesis seed $$seed"; \
	HYPOTHESIS_PROFILE=deep $(PY) -m pytest -p tests.fuzz.profiles -m fuzz -n $(TEST_WORKERS) \
	  --no-cov -p no:cacheprovider --hypothesis-seed=$$seed $(PYTEST_ARGS) \
	  || { echo "make fuzz failed with Hypothesis seed $$seed: replay it with" \
	       "make fuzz HYPOTHESIS_SEED=$$seed (each failure above prints its @reproduce_failure blob)"; \
	       exit 1; }; \
	echo "make fuzz: passed with Hypothesis seed $$seed"

# Benchmarks against the peers (the `bench` extra; node's mjml into var/bench-cache/node when
# npm is on the machine), with PostgreSQL at production durability; one table at the end,
# also written to var/bench/latest.txt.
BENCH_NODE := var/bench-cache/node
$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev,bench]"
	@touch $@

bench-deps: $(VENV)/.bench-installed
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
	  test -f $(BENCH_NODE)/node_modules/mjml/package.json || \
	  npm install --silent --no-audit --no-fund --prefix $(BENCH_NODE) mjml@5 || \
	  echo "npm could not install mjml@5: the render benchmark will say so"; \
	else echo "node/npm not found: the render benchmark reports no node mjml figure"; fi

bench: venv bench-deps system-deps
	SUMMASAAS_PG_DURABLE=1 $(PY) -m pytest tests/bench -p no:cacheprovider -s \
	  -o addopts="-p tests.servers" --ds=tests.bench.settings --no-cov $(BENCH_ARGS)

# The long crash runs (issue 9): tests marked `soak` (tests/jobs/test_kills.py) with SOAK_KILLS
# SIGKILLs of a consumer mid-batch (50; `make test` runs the same test with 5, 10 embedded).
soak: venv system-deps
	SOAK_KILLS=$${SOAK_KILLS:-50} $(PY) -m pytest -m soak --no-cov -p no:cacheprovider -s $(SOAK_ARGS)

clean:
	rm -rf $(VENV) var .coverage .pytest_cache
