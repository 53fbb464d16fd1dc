# The two commands of the README. Everything else is set up on the way.
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 12)))' 2>/dev/null; \
	then command -v $$p; break; fi; done)
VENV := .venv
STAMP := $(VENV)/.installed
# Every version pinned, with hashes: `make lock` writes them from pyproject.toml.
LOCK := requirements/development.txt

CATALOGS := platform/renkei/i18n/catalogs
POT := $(CATALOGS)/renkei.pot
MO := $(CATALOGS)/ja/LC_MESSAGES/renkei.mo $(CATALOGS)/en/LC_MESSAGES/renkei.mo

.PHONY: run test lint schema documents clean messages browser lock

$(STAMP): pyproject.toml $(LOCK)
	@if [ -z "$(PYTHON)" ]; then \
		echo "Renkei needs CPython 3.11 or 3.12 (its embedded PostgreSQL and Redis ship wheels for those only)."; \
		echo "Install one, or run: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)"; exit 1; fi
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(VENV)/bin/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# After a change of the dependencies in pyproject.toml: pin them again (both files, for CPython
# 3.11 and 3.12). The image installs requirements/production.txt, without the dev and embedded
# extras; `make` installs requirements/development.txt.
UV_COMPILE := $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes
lock: $(STAMP)
	$(UV_COMPILE) pyproject.toml -o requirements/production.txt
	$(UV_COMPILE) --extra dev pyproject.toml -o requirements/development.txt

# The compiled catalogs are built, never committed (pip install builds them too: hatch_build.py).
%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -i $< -o $@

messages: $(STAMP)  ## extract the words users read, update the ja and en catalogs, compile them
	$(VENV)/bin/pybabel extract -F platform/renkei/i18n/babel.cfg -k N_ --no-location \
		--sort-output --no-wrap --project Renkei -o $(POT) platform graphql workers
	$(VENV)/bin/pybabel update -i $(POT) -d $(CATALOGS) -D renkei --no-fuzzy-matching \
		--ignore-obsolete --no-wrap
	$(VENV)/bin/pybabel compile --statistics -d $(CATALOGS) -D renkei

run: $(STAMP) $(MO)  ## serve Renkei (console at http://127.0.0.1:8000/, GraphiQL at /graphql) with embedded servers, seeded
	$(VENV)/bin/renkei run

# The console's browser tests drive the distribution's Chromium (Playwright never downloads one):
# installed here when it can be (root with apt-get), else those tests are skipped and say why.
browser:
	@if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Chromium and Japanese fonts for the browser tests (apt-get)"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1 || \
			{ apt-get update -qq >/dev/null && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }; \
		else echo "No Chromium here: the browser tests will be skipped (install the chromium package)"; fi; \
	fi

# The lint first: a test run on code that ruff or mypy refuses is not worth its time.
test: $(STAMP) lint $(MO) browser  ## lint, then run the whole test suite (one worker per core, a test file per worker)
	$(VENV)/bin/python -m pytest -n auto --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy platform/renkei graphql/renkei workers/renkei

schema: $(STAMP)  ## write graphql/schema.graphql
	$(VENV)/bin/renkei export-schema

documents: $(STAMP)  ## register the console's operations: write their manifest of persisted documents
	$(VENV)/bin/renkei export-documents

clean:
	rm -rf $(VENV) .renkei
