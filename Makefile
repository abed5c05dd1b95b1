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
# A machine that has just booted may be running an apt-get of its own: wait for it (up to
# APT_WAIT s) rather than stop at "Could not get lock". DPkg::Lock::Timeout makes apt-get wait for
# dpkg's locks; not for the lock of `apt-get update`, hence the wait for the other apt first.
APT_WAIT ?= 300
APT_GET  := apt-get -o DPkg::Lock::Timeout=$(APT_WAIT)
APT_BUSY := grep -qsxE 'apt|apt-get|aptitude|dpkg' /proc/[0-9]*/comm
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    waited=0; \
	    while $(APT_BUSY) && [ $$waited -lt $(APT_WAIT) ]; do \
	      [ $$waited -gt 0 ] || echo "waiting for another apt-get to finish (up to $(APT_WAIT) s)"; \
	      sleep 2; waited=$$((waited + 2)); \
	    done; \
	    $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq chromium >/dev/null; \
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
