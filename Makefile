# The two commands a newcomer needs: `make serve` and `make tests`. `make help` lists the rest.
# Everything installs itself from the lock files in requirements/, idempotently.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STATE := .state
TOOLS := $(STATE)/tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
CHROMIUM ?= /usr/bin/chromium
VARNISHD ?= /usr/sbin/varnishd
# make serve VARNISH=1 puts a local Varnish in front of the app, on VARNISH_PORT.
VARNISH ?=
VARNISH_PORT ?= 8080
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Sources dev/environment; a variable already set in your shell keeps its value.
WITH_DEV_ENV := set -a && . ./dev/environment && set +a &&
# Options for `make bench`, e.g. BENCH_ARGS="--seconds 10 --rounds 5" (warehouse-orgs dev bench --help).
BENCH_ARGS ?=
T ?= tests
TESTARGS ?=
# Coverage (and its 90% floor) only for the whole suite, not for one file or -k selection.
COVERAGE := $(if $(and $(filter tests,$(T)),$(if $(TESTARGS),,whole)),--cov --cov-report=term,)

.DEFAULT_GOAL := help
.PHONY: help serve initdb resetdb runmigrations migration totp billing-sync sponsors-sync shell dbshell tests lint reformat deps clean browser wrk bench varnish

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STATE)/installed: requirements/dev.txt pyproject.toml | $(UV)
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements/dev.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --editable .
	touch $@

serve: $(STATE)/installed $(if $(VARNISH),varnish)  ## Run the app with demo data on http://127.0.0.1:8000 (PORT overrides; VARNISH=1: Varnish in front on :8080)
	$(WITH_DEV_ENV) $(BIN)/warehouse-orgs dev serve $(if $(VARNISH),--varnish-port $(VARNISH_PORT))

initdb: $(STATE)/installed  ## Migrate the development database and add the demo data
	$(WITH_DEV_ENV) $(BIN)/warehouse-orgs dev initdb

resetdb: $(STATE)/installed  ## Drop the development database and build it again
	$(WITH_DEV_ENV) $(BIN)/warehouse-orgs dev resetdb --yes

runmigrations: $(STATE)/installed  ## Upgrade the development database to the newest migration
	$(WITH_DEV_ENV) $(BIN)/warehouse-orgs db upgrade head

migration: $(STATE)/installed  ## Write a new migration from the models: make migration M="add teams"
	@[ -n "$(M)" ] || { echo 'Say what it does: make migration M="add teams"'; exit 2; }
	$(WITH_DEV_ENV) $(BIN)/warehouse-orgs db revision -m "$(M)"

totp: $(STATE)/installed  ## Print a demo account's current two-factor code: make totp U=alice
	@[ -n "$(U)" ] || { echo 'Say whose: make totp U=alice'; exit 2; }
	@$(WITH_DEV_ENV) $(BIN)/warehouse-orgs users totp "$(U)"

billing-sync: $(STATE)/installed  ## Push the product and prices to BILLING_BACKEND's Stripe and record them
	$(WITH_DEV_ENV) $(BIN)/warehouse-orgs billing sync-products

sponsors-sync: $(STATE)/installed  ## Sync PSF sponsors from SPONSOR_FEED_URL now (hourly on a worker)
	$(WITH_DEV_ENV) $(BIN)/warehouse-orgs sponsors sync

shell: $(STATE)/installed  ## Python with the app's settings and a database session
	$(WITH_DEV_ENV) $(BIN)/warehouse-orgs shell

dbshell: $(STATE)/installed  ## psql on the development database
	$(WITH_DEV_ENV) $(BIN)/warehouse-orgs dev dbshell

browser:  # Debian's Chromium, which the browser tests drive through Playwright
	@[ -x $(CHROMIUM) ] || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

varnish:  # Debian's Varnish and its xkey module: the shared cache of make serve VARNISH=1 and its tests
	@[ -x $(VARNISHD) ] && dpkg -s varnish-modules >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq varnish varnish-modules >/dev/null; }

wrk:  # Debian's wrk, the load generator of make bench (and of its test)
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

bench: $(STATE)/installed wrk  ## Measure the pages beside the floor on a scale database (BENCH_ARGS=...)
	$(WITH_DEV_ENV) $(BIN)/warehouse-orgs dev bench $(BENCH_ARGS)

tests: $(STATE)/installed browser wrk varnish  ## Run the whole suite (T=path and TESTARGS=... narrow it)
	$(BIN)/python -m pytest -n auto $(COVERAGE) $(TESTARGS) $(T)

lint: $(STATE)/installed  ## ruff check and ruff format --check (the migration drift check is a test)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

reformat: $(STATE)/installed  ## Fix what ruff can fix and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

deps: | $(UV)  ## Re-lock requirements/*.txt from pyproject.toml
	$(UV) pip compile pyproject.toml --python-version 3.11 --universal --generate-hashes --quiet --custom-compile-command "make deps" -o requirements/main.txt
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --universal --generate-hashes --quiet --custom-compile-command "make deps" -o requirements/dev.txt

clean:  ## Remove the virtualenv and all local state (database files, captured mail)
	rm -rf $(VENV) $(STATE) .pytest_cache .ruff_cache .hypothesis .coverage .coverage.*
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
