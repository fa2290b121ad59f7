# Lease-bot: every set-up step lives here, so a fresh machine needs only `make run` or `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PYTEST_ARGS ?=

# Tests use their own Redis databases so a running demo (db 0) is never flushed.
TEST_ENV := DJANGO_ENV=test REDIS_URL=redis://127.0.0.1:6379/1 CELERY_BROKER_URL=redis://127.0.0.1:6379/2 \
	CELERY_RESULT_BACKEND=redis://127.0.0.1:6379/2 LEASEBOT_STATE_DIR=$(CURDIR)/var/test-state

.PHONY: install browser promtool db run test lint smoke chaos bench screenshots clean help test-api test-worker test-connectors test-e2e

help:
	@echo "make run    - install everything, prepare the database, run the bot against the local sandbox"
	@echo "make test   - install everything and run lint plus the whole test suite"
	@echo "make lint   - ruff, ruff format --check, mypy, manage.py check, makemigrations --check"
	@echo "make smoke  - check every page and API route the review UI uses"
	@echo "make chaos  - the long chaos scenarios, the full connector contract matrix, the long schemathesis run"
	@echo "make bench  - the benchmarks (results in docs/performance.md)"
	@echo "make screenshots - the review UI's screenshots in docs/screenshots/ (other runs write under var/)"

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# A Chromium for Playwright: its own build when installed, else Debian's chromium package
# (as root), else Playwright's download (a laptop). LEASEBOT_BROWSER picks one explicitly.
browser: $(STAMP)
	@if ls -d $$HOME/.cache/ms-playwright/chromium-* >/dev/null 2>&1 || [ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null 2>&1; then \
		echo "browser: a Chromium is installed"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "browser: installing Debian's chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "browser: installing Playwright's Chromium"; $(PY) -m playwright install chromium; \
	fi

# promtool checks the alert rules and the scrape config (tests/security/test_alert_rules.py):
# Debian's prometheus package, unpacked under var/tools (nothing installed system-wide, no
# service started). Elsewhere put promtool on PATH, or those checks are skipped.
PROMTOOL_DIR := $(CURDIR)/var/tools/prometheus
promtool:
	@if command -v promtool >/dev/null 2>&1 || [ -x $(PROMTOOL_DIR)/usr/bin/promtool ]; then \
		echo "promtool: installed"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "promtool: unpacking Debian's prometheus package into var/tools"; \
		mkdir -p var/tools && cd var/tools && rm -f prometheus_*.deb && \
		{ apt-get download -qq prometheus 2>/dev/null || { apt-get update -qq && apt-get download -qq prometheus 2>/dev/null; }; } && \
		dpkg-deb -x prometheus_*.deb prometheus && rm -f prometheus_*.deb \
		|| echo "promtool: could not fetch Debian's prometheus package; the promtool checks will be skipped"; \
	else \
		echo "promtool: not available here; put it on PATH for the alert-rule checks"; \
	fi

db: $(STAMP)
	$(PY) manage.py ensure_database
	$(PY) manage.py migrate --noinput -v 0

run: $(STAMP) browser db
	$(PY) manage.py run_stack

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	$(TEST_ENV) $(PY) manage.py check
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

test: $(STAMP) browser promtool
	$(MAKE) --no-print-directory lint
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# The critical gates one by one (CI runs them as separate steps; `make test` runs them all).
# Each selects by its marker, which tests/conftest.py gives every test (GATE_OF_FOLDER there).
test-api: $(STAMP) browser
	$(TEST_ENV) $(PY) -m pytest -m api $(PYTEST_ARGS)

test-worker: $(STAMP) browser
	$(TEST_ENV) $(PY) -m pytest -m "worker and not chaos" $(PYTEST_ARGS)

test-connectors: $(STAMP) browser
	$(TEST_ENV) $(PY) -m pytest -m connectors $(PYTEST_ARGS)

test-e2e: $(STAMP) browser
	$(TEST_ENV) $(PY) -m pytest -m e2e $(PYTEST_ARGS)

smoke: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest tests/smoke -q

chaos: $(STAMP) browser
	$(TEST_ENV) LEASEBOT_CHAOS_FULL=1 $(PY) -m pytest tests/chaos -q -m chaos --timeout=900
	# The connectors' contract and inbox-row skip on every page setup of every site (make test: a rotation).
	$(TEST_ENV) LEASEBOT_CHAOS_FULL=1 $(PY) -m pytest tests/platforms/connectors/test_contract.py tests/platforms/connectors/test_preview_skip.py -q
	# The long schemathesis run over the OpenAPI schema (150 examples per operation and role).
	$(TEST_ENV) LEASEBOT_CHAOS_FULL=1 $(PY) -m pytest tests/security/test_schemathesis.py -q

bench: $(STAMP) browser
	$(TEST_ENV) LEASEBOT_BENCH=1 LEASEBOT_BENCH_REPORT=$(CURDIR)/docs/performance.md $(PY) -m pytest tests/benchmarks -q -s -p no:randomly

# The e2e tests, saving their screenshots into the documentation (a plain test run keeps them under var/).
screenshots: $(STAMP) browser
	$(TEST_ENV) LEASEBOT_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest -m e2e -q

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
