# Two commands do all the set-up on a fresh machine: `make lab` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
PYTEST_ARGS ?=

.PHONY: lab test bench lessons check-lessons lint clean handouts mutants

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "the workbook needs Python 3.11 or newer; set PYTHON=/path/to/python3.11"'
	@echo "Creating the workbook's environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

# A learner gets what the lessons need; `make test` adds the instructor's and the author's
# tools. Each reinstalls whenever the dependency list changes. pip's own lines show progress.
LEARNER_STAMP := $(VENV)/.installed-learner
$(LEARNER_STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing the workbook and what the lessons need (the first time takes a minute or two)"
	$(BIN)/python -m pip install --progress-bar on -e .
	@touch $(LEARNER_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing the workbook with the instructor's and the author's tools"
	$(BIN)/python -m pip install --progress-bar on -e '.[dev]'
	@touch $(STAMP) $(LEARNER_STAMP)

lab: $(LEARNER_STAMP)
	$(BIN)/python -m autograder lab $(ARGS)

# Two system packages the suite needs: Chromium (the browser test, handouts) and bubblewrap
# (classroom grading confines every answer with it). Where it can (Debian or Ubuntu, as root)
# `make test` installs Debian's packages; elsewhere it says how, and the tests that need them
# skip (in CI they fail).
CHROMIUM := /usr/bin/chromium
CHROMIUM_PACKAGES := chromium chromium-driver
HAVE_CHROMIUM := [ -n "$$WORKBOOK_CHROMIUM" ] || command -v chromium >/dev/null \
	|| command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null
BWRAP := /usr/bin/bwrap
HAVE_BWRAP := [ -n "$$WORKBOOK_BWRAP" ] || command -v bwrap >/dev/null
# apt-get update only when a first install fails: on a fresh machine the lists may be stale.
APT_INSTALL = DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null \
	|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; }
CAN_APT := [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]

$(CHROMIUM):
	@if $(HAVE_CHROMIUM); then :; \
	elif $(CAN_APT); then \
		echo "Installing $(CHROMIUM_PACKAGES) for the browser test"; \
		$(call APT_INSTALL,$(CHROMIUM_PACKAGES)) \
			|| echo "note: could not install Chromium; the browser test will skip"; \
	else \
		echo "note: no Chromium, the browser test will skip; install it with \`sudo apt-get install $(CHROMIUM_PACKAGES)\` or set WORKBOOK_CHROMIUM"; \
	fi

$(BWRAP):
	@if $(HAVE_BWRAP); then :; \
	elif $(CAN_APT); then \
		echo "Installing bubblewrap for classroom grading"; \
		$(call APT_INSTALL,bubblewrap) \
			|| echo "note: could not install bubblewrap; the grading tests will skip"; \
	else \
		echo "note: no bubblewrap, the grading tests will skip; install it with \`sudo apt-get install bubblewrap\`"; \
	fi

test: $(STAMP) | $(CHROMIUM) $(BWRAP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: $(STAMP) | $(BWRAP)
	$(BIN)/python -m autograder bench

# Regenerate lessons/*.ipynb from lessons/src/*.md and the registry.
lessons: $(STAMP)
	$(BIN)/python -m autograder build-lessons

# An HTML page and a PDF (printed by headless Chromium) per lesson, in handouts/.
handouts: $(STAMP) | $(CHROMIUM)
	$(BIN)/python -m autograder handouts

# The whole author check with every generated wrong fix: each exercise's partial fixes and the
# mutants of its reference, and the workbook's mutation score as the last line. Too long for
# `make test`, which runs the leave-one-out partial fixes only (tests/test_partial_fixes.py).
# JOBS=n checks n answers at once.
JOBS ?= 2
mutants: $(STAMP)
	$(BIN)/python -m autograder verify --jobs $(JOBS) $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check autograder workbook solutions tests

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
