# Two entry points for a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench bench-deps bench-probes bench-diagnosis clean bench-load bench-fuzz bench-recipes tables bench-priors

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# Reinstall when the project metadata or the pins change; the install is editable so code edits
# need no reinstall.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/advisor recommend examples/cifar10-resnet-sgd.yaml --out out/

test: $(STAMP)
	$(BIN)/ruff check advisor api probes tests benchmarks
	$(BIN)/advisor rules check
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/recommend_latency.py

# In-process recommend latency (p50/p95/p99 per example, and the first call after a load) and the
# cold start of `advisor recommend` next to `python -c pass`.
.PHONY: bench-speed
bench-speed: $(STAMP)
	$(BIN)/python benchmarks/recommend_speed.py
	$(BIN)/python benchmarks/cold_start.py

# Starting configs against published recipes (main set + held-out slices), with the LR scatter plot.
bench-recipes: $(STAMP)
	$(BIN)/python benchmarks/recipe_benchmark.py --per-recipe --plot benchmarks/results/recipe_lr.png

# Priors from public tuning data (docs/tuning-data.md). Not shipped: YAHPO_DATA is a directory
# with lcbench/ from slds-lmu/yahpo_data, GORISHNIY a checkout of
# yandex-research/tabular-dl-revisiting-models. `tables` writes the tuning tables to TABLES.
TABLES ?= tables
PRIORS_VENV ?= .venv-priors
$(PRIORS_VENV)/bin/python:
	$(PYTHON) -m venv $(PRIORS_VENV) || python3 -m venv $(PRIORS_VENV)
	$(PRIORS_VENV)/bin/python -m pip install --quiet -r benchmarks/tuning_data/requirements-yahpo.txt

tables: $(STAMP) $(PRIORS_VENV)/bin/python
	$(PRIORS_VENV)/bin/python benchmarks/tuning_data/export_lcbench.py $(YAHPO_DATA) $(TABLES)
	$(BIN)/python benchmarks/tuning_data/sweep_sklearn.py $(TABLES)

bench-priors: $(STAMP)
	$(BIN)/python benchmarks/derive_priors.py --lcbench $(TABLES)/lcbench_grid.csv.gz --gorishniy $(GORISHNIY) \
		--out benchmarks/results/priors_derivation.txt
	$(BIN)/python benchmarks/prior_benchmark.py --tables $(TABLES) --per-table $(if $(BASELINE_RULES),--baseline-rules $(BASELINE_RULES)) \
		--out benchmarks/results/prior_benchmark.txt

# The LR-finder anchors (fastai, torch-lr-finder, Lightning) go into .venv only for benchmarks.
bench-deps: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -r benchmarks/requirements-anchors.txt
	$(BIN)/python -m pip install --quiet --no-deps fastai==2.8.12  # without torchvision

bench-probes: bench-deps
	$(BIN)/python benchmarks/batch_probe.py
	$(BIN)/python benchmarks/lr_suite_benchmark.py --seeds 1 | tee benchmarks/results/lr_suite_benchmark.txt

# The labelled history set is committed; --make retrains it (resumable, ~15 min on 2 cores).
bench-diagnosis: $(STAMP)
	$(BIN)/python benchmarks/diagnosis_suite.py | tee benchmarks/results/diagnosis_suite.txt

# HTTP load test with wrk (Debian's package; installed here when missing and we may).
bench-load: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y -q wrk
	$(BIN)/python benchmarks/load_test.py --duration 60
	$(BIN)/python benchmarks/load_test.py --duration 60 --no-cache

# POST /v1/recommend (response cache off) against a bare FastAPI endpoint, wrk -t2 -c50 -d10s each.
# Profile inference (`advisor init`) on three model suites, each written blind by a separate helper
# and scored held out once before its failures shaped the inference (README, issue 14).
.PHONY: bench-init
bench-init: $(STAMP)
	$(BIN)/python benchmarks/init_accuracy.py --suite init_suite
	$(BIN)/python benchmarks/init_accuracy.py --suite init_suite2
	$(BIN)/python benchmarks/init_accuracy.py --suite init_suite3

# Issue 15: 10 minutes of mixed traffic (valid, invalid, oversize, slow-header) at 50 connections
# against one uvicorn worker: peak server RSS, p99 per class, errors, /healthz p99.
.PHONY: bench-soak
bench-soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py --minutes 10

.PHONY: bench-api
bench-api: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y -q wrk
	$(BIN)/python benchmarks/api_throughput.py

bench-fuzz: $(STAMP)
	$(BIN)/python benchmarks/api_fuzz.py --cases 1000

.PHONY: bench-search bench-prune
bench-search: $(STAMP)
	$(BIN)/python benchmarks/search_quality.py --seeds 3 --trials 20 --workers 2

bench-prune: $(STAMP)
	$(BIN)/python benchmarks/pruning_benchmark.py --seeds 3 --trials 20 --workers 2 --verify-prunes curve

clean:
	rm -rf $(VENV) out build *.egg-info
