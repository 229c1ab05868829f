# Two entry points on a fresh machine with Python 3.11+: `make demo` and `make test`.
# Each creates .venv on first use and reinstalls when pyproject.toml changes. `make test` also
# installs the Node packages of tests/interop when node and npm exist (else that test skips).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INTEROP := tests/interop

# The interop test's Node packages, reinstalled when package-lock.json changes; nothing
# without node and npm.
ifneq ($(and $(shell command -v node 2>/dev/null),$(shell command -v npm 2>/dev/null)),)
NODE_MODULES := $(INTEROP)/node_modules/.installed
endif

.PHONY: demo test lint benchmarks clean

demo: $(VENV)/.installed
	$(BIN)/marketsim demo

test: $(VENV)/.installed-dev $(NODE_MODULES)
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check marketsim tests benchmarks
	$(BIN)/ruff format --check marketsim tests benchmarks

benchmarks: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/engine.py

$(VENV)/.created:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "marketsim needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install --quiet -e ".[dev,jupyter]"
	touch $@ $(VENV)/.installed

$(INTEROP)/node_modules/.installed: $(INTEROP)/package-lock.json
	npm ci --prefix $(INTEROP) --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis $(INTEROP)/node_modules
