# Two commands for a new user: `make demo` (the lecture) and `make test` (the suite).
# Both set everything up themselves; re-running them is quick when nothing changed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs
OUT    ?= out/lecture

.PHONY: demo test lint bench serve docs setup system-deps browser-deps clean

demo: setup
	$(BIN)/logitlab lecture --out $(OUT) --force

test: setup browser-deps
	$(BIN)/python -m pytest -q --durations=15

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: setup browser-deps
	$(BIN)/python bench/run.py

# The API reference from the docstrings (Sphinx + numpydoc), offline, warnings as errors:
# out/docs/index.html
docs: setup $(DOCS_STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs out/docs
	@echo "The API reference: out/docs/index.html"

# The playground in the browser: http://127.0.0.1:8000/
serve: setup
	$(BIN)/logitlab serve --open

setup: system-deps $(STAMP)

# Graphviz's `dot` renders the diagrams; install it when missing and we are root.
system-deps:
	@$(call apt_install,dot,graphviz,Graphviz's 'dot')

# The playground's browser tests drive Debian's chromium (Playwright cannot download its own).
browser-deps:
	@$(call apt_install,chromium,chromium,Chromium)

# $(call apt_install,COMMAND,PACKAGE,WHAT): apt-get install PACKAGE when COMMAND is missing.
define apt_install
command -v $(1) >/dev/null 2>&1 || { \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
    echo "Installing $(3) with apt-get ..."; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
  else \
    echo "$(3) is missing: install it (Debian/Ubuntu: sudo apt-get install $(2))"; \
    exit 1; \
  fi; }
endef

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test,fast,media,web]'
	touch $(STAMP)

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[docs]'
	touch $(DOCS_STAMP)

clean:
	rm -rf $(VENV) out src/*.egg-info
