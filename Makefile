# Two commands do all the set-up on a fresh machine: `make lab` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
PYTEST_ARGS ?=

.PHONY: lab test bench lessons check-lessons lint clean handouts

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "the workbook needs Python 3.11 or newer; set PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Jupyter refuses to start as root unless told; containers and Binder-like hosts often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=lessons $(ROOT_FLAG) $(ARGS)

# The browser test drives the system's Chromium. Where it can (Debian or Ubuntu, as root) `make
# test` installs Debian's package; elsewhere it says how, and the test skips (in CI it fails).
CHROMIUM := /usr/bin/chromium
CHROMIUM_PACKAGES := chromium chromium-driver
HAVE_CHROMIUM := [ -n "$$WORKBOOK_CHROMIUM" ] || command -v chromium >/dev/null \
	|| command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_PACKAGES) >/dev/null

$(CHROMIUM):
	@if $(HAVE_CHROMIUM); then :; \
	elif [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then \
		echo "Installing $(CHROMIUM_PACKAGES) for the browser test"; \
		$(APT_INSTALL) || { apt-get update -qq && $(APT_INSTALL); } \
			|| echo "note: could not install Chromium; the browser test will skip"; \
	else \
		echo "note: no Chromium, the browser test will skip; install it with \`sudo apt-get install $(CHROMIUM_PACKAGES)\` or set WORKBOOK_CHROMIUM"; \
	fi

test: $(STAMP) | $(CHROMIUM)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m autograder bench

# Regenerate lessons/*.ipynb from lessons/src/*.md and the registry.
lessons: $(STAMP)
	$(BIN)/python -m autograder build-lessons

# An HTML page and a PDF (printed by headless Chromium) per lesson, in handouts/.
handouts: $(STAMP) | $(CHROMIUM)
	$(BIN)/python -m autograder handouts

lint: $(STAMP)
	$(BIN)/ruff check autograder workbook solutions tests

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
