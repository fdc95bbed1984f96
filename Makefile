# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv with the pinned stack first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= mbench.db
ARTIFACTS ?= artifacts
REPORT ?= reports/index.html
DATA ?= data/docs

.PHONY: install demo test clean

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

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(ARTIFACTS) $(DATA) $(DB) reports/*.html .pytest_cache
