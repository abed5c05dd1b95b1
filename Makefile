# Concurrency Lab: `make run` to use it, `make test` to check it. Both install what they need first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ASSETS := node_modules/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test test-fast bench lint browser clean

install: $(STAMP) $(ASSETS)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,servers]'
	@touch $@

$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: install
	$(VENV)/bin/concurrency-lab serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium; install it when we can (root), or say what is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium'." >&2; \
	    exit 1; \
	  fi; }

# mypy first (strict, as [tool.mypy] in pyproject.toml says): a type error fails the target.
test: install browser
	$(PY) -m mypy
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not browser and not slow"

bench: install
	$(PY) -m bench

lint: install
	$(VENV)/bin/ruff check server experiments tests bench
	$(VENV)/bin/ruff format --check server experiments tests bench
	$(PY) -m mypy

clean:
	rm -rf $(VENV) node_modules .pytest_cache test-artifacts
