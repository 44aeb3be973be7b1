# Maillage: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# The first Python 3.12+ found: plain names first, then pyenv's installs (whose shims
# fail for versions that are not selected).
PYTHON ?= $(shell for c in python3.14 python3.13 python3.12 python3 \
	$$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) \
	/usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do \
	$$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$c; break; }; done)
HOST ?= 127.0.0.1
PORT ?= 8000
# E-mail links and the units' absolute URIs follow the address served, unless set.
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test install lint messages bench clean

$(BIN)/activate:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (python3.12, python3.13)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py seed_demo --if-empty
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Runs against PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set, against the
# embedded defaults (SQLite, in-memory layers) otherwise.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

messages: install
	cd $(CURDIR) && $(BIN)/python manage.py makemessages -l fr -l en --no-obsolete \
		--ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

bench: install
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var
