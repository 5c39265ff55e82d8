# Quick start: `make demo` opens the app on a demo showroom; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench run clean screenshot

$(STAMP): pyproject.toml carcrm_tui/__init__.py  # the version is written there
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres,web]'
	$(BIN)/python -m compileall -q carcrm_tui  # as an installed wheel would be: no compiling at every start
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/carcrm demo

run: $(STAMP)
	$(BIN)/carcrm

test: $(STAMP)
	-@scripts/postgres-for-tests  # a real PostgreSQL for the storage tests, where this machine can run one
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

# The lead board in a browser (carcrm serve + headless Chromium), signed in through the PIN screen.
# Installs Debian's chromium and a Chinese font if missing. LANG_SHOT=en for English; SHOT=file.png.
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LANG_SHOT ?= zh
SHOT      ?= screenshot.png
screenshot: $(STAMP)
	@command -v chromium >/dev/null && fc-list :lang=zh family | grep -q . || { \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium fonts-wqy-zenhei; }
	$(BIN)/python tools/screenshot.py --lang $(LANG_SHOT) --out $(SHOT)

clean:
	rm -rf $(VENV) build dist *.egg-info
