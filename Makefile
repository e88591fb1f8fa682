# The two commands of the README: `make run` (main job on the demo world) and `make test`.
# Both create .venv when missing and install the locked versions into it; nothing is needed by hand.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements.lock
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test lint install lock browser world-report clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exactly the versions of the lock, so every machine runs the same code: --no-deps lets nothing outside the
# lock in, and the project itself goes in last without resolving again. pip check catches a pyproject.toml
# that asks for something the lock does not have.
$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check || { echo "$(LOCK) is out of step with pyproject.toml: make lock"; exit 1; }
	touch $(STAMP)

install: $(STAMP)

# The lock: pyproject.toml's dependencies and its dev and spark extras for CI's platform (Linux x86_64,
# CPython 3.11).
# Versions already locked stay while pyproject.toml allows them; `make lock LOCK_FLAGS=--upgrade` takes the
# newest. It needs only the locked uv, not an install that a changed pyproject.toml may fail.
$(BIN)/uv: | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-deps "$$(grep '^uv==' $(LOCK))"

lock: | $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --quiet $(LOCK_FLAGS) -o $(LOCK)

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

# The locked ruff, as in pre-commit. Both checks run before make stops, one line a finding, so one run shows
# everything (`ruff format --diff .` shows what the formatter would change).
lint: install
	$(BIN)/ruff check --output-format concise . ; status=$$?; \
		$(BIN)/ruff format --check --output-format concise . && exit $$status

# On every core: a module's tests share a worker, so its fixtures are built once (tests/conftest.py). A worker
# that crashes fails the run at once: xdist 3.8 hangs replacing one under loadgroup.
test: install browser lint
	$(BIN)/python -m pytest -q -n auto --dist loadgroup --max-worker-restart 0

world-report: install
	$(BIN)/icp world-report

clean:
	rm -rf data/raw data/interim data/features data/model data/reports data/targets
