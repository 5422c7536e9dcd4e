PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench dist smoke clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/smallyes

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

DIST_STAMP := $(VENV)/.installed-dist

$(DIST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,dist]'
	touch $(DIST_STAMP)

# The one-folder desktop build: dist/Smallyes/Smallyes
dist: $(DIST_STAMP)
	$(BIN)/pyinstaller --noconfirm --clean build.spec

# Start the built app offscreen on a fresh database and check it shows its window.
smoke: dist
	$(BIN)/python bench/smoke_dist.py dist/Smallyes/Smallyes

clean:
	rm -rf $(VENV) build dist *.egg-info
