# waterdesk developer commands (GNU make).
#
#   make demo    create .venv, migrate, load demo data, serve http://127.0.0.1:8000
#   make test    run the whole test suite (browser tests included)
#
# Variables (set on the command line or in the environment):
#   PYTHON=python3       interpreter that creates .venv (3.11 or newer)
#   PYTEST_WORKERS=2     pytest-xdist workers ("auto" = one per core)
#   PYTEST_ARGS=         extra pytest arguments, e.g. PYTEST_ARGS="-k sla -x"
#   DEBUG=1              default of `make demo` and `make run` (Django debug pages, no SECRET_KEY needed)
#   HOST=127.0.0.1 PORT=8000   address of `make demo` / `make run`

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000
# Directories that makemessages/compilemessages must not walk into.
I18N_IGNORE := --ignore=$(VENV) --ignore=var --ignore=tests --ignore=node_modules

.PHONY: help venv demo test lint migrate run worker beat messages clean compile-messages

help:
	@echo "make demo      environment + migrations + demo data, then serve http://$(HOST):$(PORT)"
	@echo "make test      the whole test suite (PYTEST_WORKERS=$(PYTEST_WORKERS))"
	@echo "make lint      ruff check and the import layers (lint-imports)"
	@echo "make venv      create/refresh .venv only"
	@echo "make migrate   apply database migrations"
	@echo "make run       development server without demo data"
	@echo "make worker    Celery worker (needs REDIS_URL)"
	@echo "make beat      Celery beat (needs REDIS_URL)"
	@echo "make messages  extract and compile translations (needs gettext)"
	@echo "make clean     remove .venv, caches and collected static files (keeps var/ data)"

# --- environment -------------------------------------------------------------------------

venv: $(STAMP)

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: '$(PYTHON)' not found. Install Python 3.11 or newer, or run: make PYTHON=/path/to/python3.11 ..." >&2; \
	  exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
	  echo "error: waterdesk needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) -c 'import platform; print(platform.python_version())')." >&2; \
	  echo "       Run with a newer interpreter: make PYTHON=python3.12 ..." >&2; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# --- running -----------------------------------------------------------------------------

# Compile translations when there are any and gettext is installed; skip silently otherwise.
# compilemessages needs no signing key; DEBUG spares it the SECRET_KEY check.
compile-messages: export DEBUG ?= 1
compile-messages: venv
	@if command -v msgfmt >/dev/null 2>&1 && [ -n "$$(find src -name '*.po' -print -quit)" ]; then \
	  $(MANAGE) compilemessages $(I18N_IGNORE) -v 0; \
	fi

migrate: venv
	@mkdir -p var
	$(MANAGE) migrate --noinput

demo: export DEBUG ?= 1
# The demo has no mail server: e-mail notices are printed on the console.
demo: export EMAIL_BACKEND ?= django.core.mail.backends.console.EmailBackend
# The demo company's letterhead; receipts point to this server's public look-up page.
demo: export WATERDESK_COMPANY_HOTLINE ?= 0000-1234567
demo: export WATERDESK_COMPANY_ADDRESS ?= 城北区解放路1号
demo: export WATERDESK_SITE_URL ?= http://$(HOST):$(PORT)
demo: migrate compile-messages
	$(MANAGE) demo_seed
	@echo "Serving http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(MANAGE) runserver $(HOST):$(PORT)

# A development server: DEBUG on, so no SECRET_KEY is needed (production refuses to start without one).
run: export DEBUG ?= 1
run: migrate compile-messages
	$(MANAGE) runserver $(HOST):$(PORT)

worker: venv
	@[ -n "$$REDIS_URL" ] || { echo "error: set REDIS_URL (e.g. redis://127.0.0.1:6379/0) for a Celery worker" >&2; exit 1; }
	$(BIN)/celery -A waterdesk.config worker --loglevel=INFO

beat: venv
	@[ -n "$$REDIS_URL" ] || { echo "error: set REDIS_URL (e.g. redis://127.0.0.1:6379/0) for Celery beat" >&2; exit 1; }
	@mkdir -p var
	$(BIN)/celery -A waterdesk.config beat --loglevel=INFO --schedule=var/celerybeat-schedule

# --- quality -----------------------------------------------------------------------------

test: compile-messages
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports

# Source strings are Simplified Chinese; only the English catalogue needs translating.
messages: venv
	@command -v msgfmt >/dev/null 2>&1 || { echo "error: gettext is not installed (apt-get install gettext)" >&2; exit 1; }
	@mkdir -p src/waterdesk/locale
	$(MANAGE) makemessages --locale=en $(I18N_IGNORE) --no-obsolete
	$(MANAGE) compilemessages $(I18N_IGNORE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache var/static build
	find src tests -name '__pycache__' -type d -prune -exec rm -rf {} +
	find src -maxdepth 1 -name '*.egg-info' -type d -exec rm -rf {} +
