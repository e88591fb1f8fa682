# The two commands of the README: `make run` (main job on the demo world) and `make test`.
# Both create .venv when missing and install the project into it; nothing is needed by hand.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test install browser world-report clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/dvc repro
	$(BIN)/icp targets --top 10
	$(BIN)/icp registry

# Debian's chromium for the browser test of the HTML target list (Playwright's own browsers are never
# downloaded); when it cannot be installed, that one test is skipped and make goes on.
browser:
	@test -x /usr/bin/chromium || { echo "installing Debian's chromium for the HTML browser test (a minute or two)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; } \
		|| echo "chromium not installed: the HTML browser test (tests/test_lists.py) will be skipped"

test: install browser
	$(BIN)/python -m pytest -q

world-report: install
	$(BIN)/icp world-report

clean:
	rm -rf data/raw data/interim data/features data/model data/reports data/targets
