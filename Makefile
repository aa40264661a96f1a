# Khazar: two commands on a fresh machine, `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test check lint imports typecheck eval bench reliability clean

$(STAMP): pyproject.toml scripts/setup.sh scripts/setup-postgres.sh
	bash scripts/setup.sh
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/khazar demo

# The layer contracts (import-linter) are checked first: they take seconds. Then the suite
# in $(TEST_WORKERS) processes (pytest-xdist, a module's tests in one process), and after it
# the tests that assert wall-clock bounds (marked serial) alone. Fails if either run fails.
TEST_WORKERS ?= 2
test: $(STAMP) imports
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not serial"; parallel=$$?; \
	$(PY) -m pytest -q -p no:xdist -m serial; serial=$$?; \
	test $$parallel -eq 0 -a $$serial -eq 0

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench tools reliability

# Imports only go down the layers of DESIGN.md's Architecture (contracts in pyproject.toml).
imports: $(STAMP)
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check: lint imports typecheck test

eval: $(STAMP)
	$(VENV)/bin/khazar eval-seeds

bench: $(STAMP)
	bash scripts/bench-setup.sh
	$(PY) -m bench

# Kill matrix, login flood under a feed, the behaviour tests with figures → RELIABILITY.md
reliability: $(STAMP)
	$(PY) -m reliability

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
