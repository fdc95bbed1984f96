# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv with the pinned stack first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= mbench.db
ARTIFACTS ?= artifacts
REPORT ?= reports/index.html
DATA ?= data/docs

.PHONY: install demo lint test clean board board-stop

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[test,lab]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mbench convert hed-vgg hed-mobilenetv2 --to onnx,coreml,tflite,executorch --out $(ARTIFACTS) --db $(DB)
	$(BIN)/mbench profile $(ARTIFACTS) --device host --db $(DB)
	$(BIN)/mbench data docs --n 200 --seed 1 --out $(DATA)
	$(BIN)/mbench evaluate $(ARTIFACTS) --data $(DATA) --split test --thresholds 9 --db $(DB)
	$(BIN)/mbench report --db $(DB) -o $(REPORT)

# ruff (lint and format) over the tree, mypy over the vocabulary, rows, store and measurement packages.
lint: $(STAMP)
	$(BIN)/ruff check mbench converters tests benchmarks examples
	$(BIN)/ruff format --check mbench converters tests benchmarks examples
	$(BIN)/mypy mbench/spec.py mbench/results.py mbench/store.py mbench/measure

test: lint
	$(BIN)/python -m pytest

# An emulated arm64 board on 127.0.0.1:2222 (devices.yaml: arm64-board), built once (as root) and started;
# docs/board.md says what it is and costs.
board: $(STAMP)
	PIP="$(BIN)/python -m pip" bash board/start.sh

board-stop:
	bash board/stop.sh

clean:
	rm -rf $(VENV) $(ARTIFACTS) $(DATA) $(DB) reports/*.html .pytest_cache
