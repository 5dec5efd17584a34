# OneVisit: every target sets up what it needs, so a fresh machine with Python 3.11+
# and make runs `make demo` or `make test` directly.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_DATA ?= demo-data

.PHONY: demo test check lint format system-deps voice clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-deps:
	@sh scripts/system-deps.sh

# Calling clips and kiosk prompts rendered with espeak-ng (pages fall back to Web Speech).
voice: $(STAMP) system-deps
	$(PY) -m display.voice.build --out display/static/voice
	$(PY) -m kiosk.voice --out kiosk/ui/voice

demo: $(STAMP) voice
	$(VENV)/bin/onevisit demo --data $(DEMO_DATA)

test: $(STAMP) system-deps
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

check: lint test

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) $(DEMO_DATA) .pytest_cache .mypy_cache .ruff_cache test-artifacts
