# Two entry points on a fresh machine with Python 3.11+: `make demo` and `make test`.
# Each creates .venv on first use and reinstalls when pyproject.toml changes. `make test` also
# installs the Node packages of tests/interop and tests/browser/vscode_host when node and npm
# exist (else the tests that need them skip).

PYTHON ?= python3
# The browser test drives Debian's chromium at this path (it is skipped without it).
CHROMIUM ?= /usr/bin/chromium
VENV := .venv
# The compiled engine's, replay loop's and router's sources: editing them rebuilds the extensions.
ENGINE_SOURCE := $(wildcard marketsim/core/_cengine.pyx marketsim/core/_cengine.pxd \
	marketsim/core/*.pxi marketsim/data/lobster/_cwindow.pyx marketsim/sim/_crouter.pyx)
BIN := $(VENV)/bin
INTEROP := tests/interop
# The page that shows widgets with VS Code's widget manager (tests/browser).
VSCODE_HOST := tests/browser/vscode_host

# The Node packages of the interop test and of the VS Code widget page, reinstalled when their
# package files change; nothing without node and npm.
ifneq ($(and $(shell command -v node 2>/dev/null),$(shell command -v npm 2>/dev/null)),)
NODE_MODULES := $(INTEROP)/node_modules/.installed $(VSCODE_HOST)/node_modules/.installed
endif

.PHONY: demo test lint benchmarks clean chromium-note

demo: $(VENV)/.installed
	$(BIN)/marketsim demo

test: chromium-note $(VENV)/.installed-dev $(NODE_MODULES)
	$(BIN)/python -m pytest

# Said before the run, not only in pytest's summary at the end.
chromium-note:
	@[ -x "$(CHROMIUM)" ] || echo "NOTE: $(CHROMIUM) not found, so the browser test will be\
	 skipped. Install it with: sudo apt-get install chromium"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check marketsim tests benchmarks
	$(BIN)/ruff format --check marketsim tests benchmarks

benchmarks: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/engine.py

$(VENV)/.created:
	@echo "Creating the virtual environment $(VENV) (first run only)"
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "marketsim needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: pyproject.toml setup.py $(ENGINE_SOURCE) $(VENV)/.created
	@echo "Installing marketsim and its dependencies (grpcio, pandas, matplotlib, textual, ...)"
	@echo "into $(VENV): this takes a minute or two the first time, and is skipped after."
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml setup.py $(ENGINE_SOURCE) $(VENV)/.created
	@echo "Installing marketsim with its test and notebook tools (pytest, jupyterlab, playwright,"
	@echo "...) into $(VENV): this takes a few minutes the first time, and is skipped after."
	$(BIN)/python -m pip install --quiet -e ".[dev,jupyter]"
	touch $@ $(VENV)/.installed

$(INTEROP)/node_modules/.installed: $(INTEROP)/package-lock.json
	npm ci --prefix $(INTEROP) --no-audit --no-fund
	touch $@

# npm ci, then VS Code's widget manager bundle, fetched alone (see fetch-widget-manager.mjs).
$(VSCODE_HOST)/node_modules/.installed: $(VSCODE_HOST)/package.json $(VSCODE_HOST)/package-lock.json \
		$(VSCODE_HOST)/fetch-widget-manager.mjs
	npm ci --prefix $(VSCODE_HOST) --no-audit --no-fund
	cd $(VSCODE_HOST) && node fetch-widget-manager.mjs
	touch $@

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis $(INTEROP)/node_modules $(VSCODE_HOST)/node_modules
