# Two commands do everything on a fresh machine: `make demo` (the main job) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint bench bench-large clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# The main job against the embedded local hub with the example config.
# The first plan runs before any checkpoint exists: it reads file identity from the committed
# release.lock, as a pull-request runner does. `release checkpoints` then plays the training
# cluster; its bytes are deterministic, and apply checks them against the lock before uploading.
demo: setup
	$(BIN)/release validate
	$(BIN)/release plan
	$(BIN)/release checkpoints
	$(BIN)/release apply --auto-approve
	$(BIN)/release plan --detailed-exitcode
	$(BIN)/release status

test: setup
	$(BIN)/python -m pytest

# Issue 7: release plan/apply against the huggingface_hub script labs write, on a local hub with
# injected latency -> bench/RESULTS.md + bench/wall_time.png. E.g. BENCH_ARGS="--sizes 10,100".
BENCH_ARGS ?=
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Issue 18: large files (4 GiB; a sharded repo with 20 run branches) against upload_folder.
bench-large: $(BENCH_STAMP)
	$(BIN)/python -m bench.large_files $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
