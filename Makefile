# Two commands for a newcomer: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hwsr-installed

.PHONY: demo test test-fast test-io lint format clean gallery

$(STAMP): setup.py requirements.txt requirements-dev.txt requirements-serving.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	# tensorflow-serving-api declares full `tensorflow`: install it without dependencies.
	$(BIN)/pip install --quiet --no-deps -r requirements-serving.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

## demo: venv, install, write a sentence in handwriting and read it back
demo: $(STAMP)
	$(BIN)/python -m hwsr.demo --out out

## test: venv, install, run the whole test suite (what CI runs)
test: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/python -m pytest -q tests

## test-fast: skip the tests marked slow
test-fast: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/python -m pytest -q -m "not slow" tests

## gallery: draw the README gallery (docs/gallery/*.png) with the shipped models
gallery: $(STAMP)
	$(BIN)/python scripts/make_gallery.py --out docs/gallery --readme README.md

## lint: ruff (pre-commit style: fails on any finding)
lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff check --fix .

clean:
	rm -rf build dist *.egg-info out

## test-io: a second venv (.venv-io) with the pinned hwsr[io] stack (TF 2.17 + tensorflow-io),
## then the tests marked io (S3 round trip against a local moto server)
VENV_IO ?= .venv-io
BIN_IO := $(VENV_IO)/bin
STAMP_IO := $(VENV_IO)/.hwsr-installed

$(STAMP_IO): setup.py requirements-io.txt
	$(PYTHON) -m venv $(VENV_IO)
	$(BIN_IO)/pip install --quiet --upgrade pip
	$(BIN_IO)/pip install --quiet -r requirements-io.txt
	$(BIN_IO)/pip install --quiet --no-deps -e .
	touch $(STAMP_IO)

IO_TESTS := tests/pipeline/s3_roundtrip_test.py

.PHONY: test-io
test-io: $(STAMP_IO)
	# Only the modules that hold io tests: the io venv has the io stack, not every test tool.
	TF_CPP_MIN_LOG_LEVEL=2 $(BIN_IO)/python -m pytest -q -m io $(IO_TESTS)
