# The two commands of the README:
#   make run   - create .venv, install, ingest samples/ into index/, serve on http://127.0.0.1:8000/
#   make test  - create .venv, install with test extras and Debian's chromium, lint, run every test
#   make lint  - ruff over the code, tests and benchmarks; mypy over the packages (pyproject.toml)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INDEX ?= index
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install install-test system-deps ingest-samples bench clean

# The demo corpus's own settings (samples/archive.toml: the aliases of its names) apply to the demo.
DEMO_CONFIG ?= samples/archive.toml

run: install ingest-samples
	$(BIN)/archive serve --config $(DEMO_CONFIG) --index $(INDEX) --host $(HOST) --port $(PORT)

ingest-samples: install
	$(BIN)/archive ingest --config $(DEMO_CONFIG) --index $(INDEX) samples/ || [ $$? -eq 1 ]

# Lint first: a ruff or mypy finding fails the target before the tests run.
test: install-test system-deps lint
	$(BIN)/pytest -q

# Both checkers run, so one run shows every finding; the target fails when either finds something.
LINT_PATHS := archive web tests bench ingest.py
lint: install-test
	@status=0; \
	$(BIN)/ruff check $(LINT_PATHS) || status=1; \
	$(BIN)/mypy archive web || status=1; \
	exit $$status

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip "setuptools>=77"

# A normal (non-editable) install, so the tests see the package as users get it (rules as package data).
install: $(BIN)/python
	$(BIN)/python -m pip install -q .

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q '.[test]'

# Debian packages the tests use: Chromium (driven by Playwright; a browser download is not
# possible), Tesseract with English and Korean data (the OCR tests of scanned PDFs) and Sphinx
# (searchd: the cluster tests start their own daemons on loopback; docs/cluster.md).
SYSTEM_PACKAGES := chromium tesseract-ocr tesseract-ocr-eng tesseract-ocr-kor fonts-nanum sphinxsearch
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# Benchmarks beside SQLite FTS5 (bench/README.md); e.g. make bench BENCH_ARGS=--quick
bench: install-test
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache
