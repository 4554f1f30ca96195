# One command each: `make run` serves the bundled fixtures, `make test` runs the suite.
# The newest Python >= 3.11 on PATH (a name that exists but does not run, like an inactive pyenv shim, is
# skipped); PY=/path/to/python overrides.
PYTHONS := python3.13 python3.12 python3.11 python3 python
NEED_PY := import sys; sys.exit(sys.version_info < (3, 11))
PY ?= $(shell for p in $(PYTHONS); do $$p -c '$(NEED_PY)' >/dev/null 2>&1 && { echo $$p; exit 0; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench bench-quick fuzz soak install clean

$(BIN)/python:
	@$(PY) -c '$(NEED_PY)' >/dev/null 2>&1 || { echo "mockllm needs Python >= 3.11; tried: $(or $(PY),$(PYTHONS)) (set PY=/path/to/python3.11 or newer)" >&2; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# LiteLLM pins openai<3, which would downgrade the SDK the suite tests against; it goes in without its
# pins, followed by the few packages it imports at start-up.
LITELLM_DEPS := python-dotenv fastuuid pydantic-settings jinja2 'importlib-metadata>=8' h2 click

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m pip install -q --no-deps 'litellm>=1.60,<2'
	$(BIN)/python -m pip install -q $(LITELLM_DEPS)
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/mockllm serve --host $(HOST) --port $(PORT) --fixtures fixtures

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check mockllm tests bench examples
	$(BIN)/ruff format --check mockllm tests bench examples

bench: $(STAMP)
	$(BIN)/python bench/run.py $(ARGS)

# `make fuzz` (CASES=10000): spec-driven fuzzing, counts by outcome. `make soak DURATION=30m`: mixed
# traffic at a fixed rate, RSS / descriptors / tasks sampled, drift printed (RATE requests per second).
CASES ?= 10000
DURATION ?= 2m
RATE ?= 25
fuzz: $(STAMP)
	$(BIN)/python bench/fuzz.py --cases $(CASES)

soak: $(STAMP)
	$(BIN)/python bench/soak.py --duration $(DURATION) --rate $(RATE)

bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) build *.egg-info
