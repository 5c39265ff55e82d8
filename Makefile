# Quick start: `make demo` opens the app on a demo showroom; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench run clean

$(STAMP): pyproject.toml carcrm_tui/__init__.py  # the version is written there
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q carcrm_tui  # as an installed wheel would be: no compiling at every start
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/carcrm demo

run: $(STAMP)
	$(BIN)/carcrm

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info
