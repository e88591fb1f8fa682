# The two commands of the README: `make run` (main job on the demo world) and `make test`.
# Both create .venv when missing and install the project into it; nothing is needed by hand.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test install world-report clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/dvc repro
	$(BIN)/icp world-report --data data/raw/synthetic --truth data/raw/synthetic_truth

test: install
	$(BIN)/python -m pytest -q

world-report: install
	$(BIN)/icp world-report --data data/raw/synthetic --truth data/raw/synthetic_truth

clean:
	rm -rf data/raw data/interim data/features data/model data/reports data/targets
