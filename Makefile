# `make install` is idempotent: the stamp file is newer than every input when nothing changed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench clean realset

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel setuptools
	# torch first, pinned to the local CPU build: camel-tools would otherwise pull CUDA wheels.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,geodata]'
	touch $(STAMP)

run: install
	$(BIN)/incidents run --inbox sample_inbox --db data/incidents.duckdb --summary

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data .pytest_cache

# The real-reporting set (realset/README.md): needs its texts in realset/texts (rebuild.py check).
realset: install
	$(BIN)/python realset/score.py
