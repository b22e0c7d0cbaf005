# The two commands of the README:
#   make demo   create .venv if missing, install, migrate the SQLite database, load the Jaipur
#               demo district and serve http://127.0.0.1:8000
#   make test   install with test extras and run the whole suite (SQLite always; PostgreSQL too
#               when EMITRA_TEST_DATABASE_URL is set)
#   make bench  every benchmark, each figure beside its target (BENCH_ARGS='--quick' for a smoke run)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test browser-deps bench install clean i18n

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/emitra db migrate
	$(VENV)/bin/emitra demo
	$(VENV)/bin/emitra demo-cases
	$(VENV)/bin/emitra demo-month --per-day 10
	$(VENV)/bin/emitra serve --host 127.0.0.1 --port 8000

# Debian's chromium for the real-browser tests, and a Devanagari font so Hindi pages render.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/truetype/noto ]; then \
	  echo "Installing Debian's chromium and fonts-noto-core for the real-browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-core >/dev/null; \
	fi

test: install browser-deps
	EMITRA_TEST_DATABASE_URL= $(VENV)/bin/pytest $(PYTEST_ARGS)
	@if [ -n "$$EMITRA_TEST_DATABASE_URL" ]; then \
	  echo "== again against PostgreSQL: $$EMITRA_TEST_DATABASE_URL"; \
	  $(VENV)/bin/pytest $(PYTEST_ARGS); \
	fi

# The benchmarks need the bench extra too (locust, tqdm, pyinstrument); bench/README.md.
BENCH_STAMP := $(VENV)/.bench-installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	rm -f $(VENV)/.bench-installed-*
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info

# Re-extract the translatable strings, update the Hindi catalog and compile it (docs/i18n.md).
i18n: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k N_ -k gettext_ -k ngettext_:1,2 \
	    --add-location=file --sort-output --project=emitra --version=0.1.0 \
	    --copyright-holder="emitra contributors" -o web/locale/messages.pot .
	$(VENV)/bin/pybabel update -i web/locale/messages.pot -d web/locale -D messages -l hi --ignore-obsolete --previous --no-wrap
	$(VENV)/bin/pybabel compile -d web/locale -D messages --statistics

# Regenerate docs/services/catalogue.md from the installed plugins.
catalogue: install
	$(VENV)/bin/emitra plugins --markdown > docs/services/catalogue.md
