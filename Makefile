# Two set-up commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AXE := tests/browser/node_modules/axe-core/axe.min.js
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test demo lint format bench browser-deps translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/evidence init
	$(BIN)/evidence demo --if-empty --with-accounts --as make-run
	@echo
	@echo "  evidence is serving on http://$(HOST):$(PORT)"
	@echo "  Sign in with a demo account (see README.md), e.g. demo-documenter / $${EVIDENCE_DEMO_PASSWORD:-demo-password-change-me}"
	@echo "  Change these passwords before real use: evidence users password NAME"
	@echo
	@# One background worker renders dossiers and runs link checks and captures;
	@# it is stopped with the server (Ctrl-C).
	$(BIN)/evidence worker & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
		$(BIN)/evidence serve --host $(HOST) --port $(PORT)

demo: $(STAMP)
	$(BIN)/evidence init
	$(BIN)/evidence demo --with-accounts --as make-demo

# Debian's Chromium for the browser tests (Playwright drives it; it cannot
# download its own browser here) and axe-core for accessibility checks.
browser-deps: $(AXE)
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix tests/browser
	touch $(AXE)

# One pytest process per core (pytest-xdist): each migrates databases of its own and
# starts its own browser; the tests that empty the Redis queue take turns. Each takes a
# run of consecutive tests and the idle one steals from the other's end (--dist worksteal
# in pyproject.toml), so a module's fixtures are rarely built in both.
# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: otherwise every pytest
# process and every `evidence` command the tests start compiles the package (and pytest
# rewrites the tests' asserts) again, about 3 s of CPU each.
test: $(STAMP) browser-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest --numprocesses auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# After changing an English string: extract, merge into the Belarusian and Russian
# catalogs (translate what is new, then run this again), compile.
CATALOGS := evidence/translations
translations: $(STAMP)
	$(BIN)/pybabel --quiet extract -F babel.cfg -k lazy_gettext -k translatable -k message -k plural_message:1,2 -k explained_message:2 -k plural_forms:1,2 --no-location --sort-output -o $(CATALOGS)/messages.pot .
	$(BIN)/pybabel --quiet update -i $(CATALOGS)/messages.pot -d $(CATALOGS) --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile --statistics -d $(CATALOGS)

bench: $(STAMP)
	$(BIN)/python bench/import_bench.py
