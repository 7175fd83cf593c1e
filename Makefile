# The two commands a new user types (see README.md):
#   make report   the quarterly audit on the bundled sample -> reports/sample/pack/board-pack.html
#   make test     every test: pytest and nbval on the notebooks
# Each creates .venv in the repository root on first use and installs the project into it.
# Without make (Windows, or anywhere): README.md, "Without make". The set-up after the
# install is one Python entry point, `python -m audit.dev setup`, which both routes run.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAMPLE := data/sample/pooled_extract.csv
# The sample's own history store: synthetic figures never enter the analyst's default
# history store. --replace because a regenerated sample is a new file.
SAMPLE_HISTORY := reports/sample/history.sqlite
# The sample's pack, apart from reports/all (an analyst's own whole-extract run).
SAMPLE_OUT := reports/sample/pack

.PHONY: report test test-fast explore durations lint typecheck lab venv clean help mutate

help:
	@echo "make report   run the quarterly audit on the bundled sample"
	@echo "make test     run every test (pytest + nbval), as CI does"
	@echo "make test-fast  every test but the end-to-end, notebook and slow ones (under a minute)"
	@echo "make explore  the property-based (Hypothesis) tests on new random examples"
	@echo "make durations  re-measure which tests are slow (tests/durations.json)"
	@echo "make lint     ruff: lint (src, tests, benchmarks) and format check (src)"
	@echo "make typecheck  mypy on src/"
	@echo "make mutate   mutation testing (mutmut) of the rates, statistics and disclosure protection (hours; not in CI)"
	@echo "make lab      JupyterLab on a working copy of the notebooks (reports/lab)"
	@echo "make clean    remove .venv and the sample's reports (keeps your history store)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m audit.dev setup
	@touch $(STAMP)

# The PDF needs WeasyPrint's Pango library; without it the pack is HTML and Excel only
# (check-pdf says what to install on this platform).
report: $(STAMP)
	@pdf=$$($(BIN)/python -m audit.dev check-pdf && echo --pdf); \
	echo "$(BIN)/python -m audit run $(SAMPLE) --each-quarter --history $(SAMPLE_HISTORY) --replace --out $(SAMPLE_OUT) $$pdf"; \
	$(BIN)/python -m audit run $(SAMPLE) --each-quarter --history $(SAMPLE_HISTORY) --replace --out $(SAMPLE_OUT) $$pdf
	@echo "Open $(SAMPLE_OUT)/board-pack.html in a browser."

# Two workers (pytest-xdist), a test file each at a time: a notebook's cells stay together and
# a module's fixtures are built once; the shared packs are built once for both (tests/packs.py).
# Files go longest first by their measured seconds (tests/timing.py), not by xdist's count
# of tests: --no-loadscope-reorder keeps that order.
PYTEST_WORKERS := -n 2 --dist loadfile --no-loadscope-reorder

# make test, test-fast and durations run Hypothesis's fixed "ci" profile (tests/conftest.py):
# the same examples CI runs, in the same time every run. `make explore` (or pytest run
# directly) draws new examples each time.
export HYPOTHESIS_PROFILE ?= ci
# The tests may keep compiled files (__pycache__, ignored by git) even where the account sets
# PYTHONDONTWRITEBYTECODE: pytest then reuses its rewritten test modules instead of
# rewriting every assert in every worker each run (collection 6.6 s -> 3.3 s measured here),
# and each command a test starts reads the package compiled.
test test-fast explore durations: export PYTHONDONTWRITEBYTECODE :=

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_WORKERS)

explore: $(STAMP)
	HYPOTHESIS_PROFILE=dev $(BIN)/python -m pytest tests -m hypothesis -q $(PYTEST_WORKERS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "not e2e and not slow" -q $(PYTEST_WORKERS)

# Re-measure which tests are slow (tests/durations.json, read by tests/timing.py): the whole
# suite as `make test` runs it. Commit the file it writes.
durations: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_WORKERS) --record-durations

# Mutation testing, not run in CI (hours on 2 cores): mutmut mutates the rates, the statistics
# and disclosure protection ([tool.mutmut] in pyproject.toml), runs their tests against each
# mutant in mutants/, and lists the survivors. Each survivor is killed by a new test or
# recorded as equivalent in benchmarks/mutation.md. `mutmut show NAME` prints one.
mutate: $(STAMP)
	$(BIN)/python -m pip install --quiet 'mutmut>=3.8,<4'
	$(BIN)/python -m mutmut run --max-children 2
	$(BIN)/python -m mutmut results

lint: $(STAMP)
	$(BIN)/python -m ruff check src tests benchmarks
	$(BIN)/python -m ruff format --check src

typecheck: $(STAMP)
	$(BIN)/python -m mypy

# The lab extra, the kernel, then JupyterLab on copies of the notebooks (never the tracked
# originals: a saved notebook holds every figure of the extract it ran on).
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	$(BIN)/python -m audit.dev setup
	$(BIN)/python -m audit notebooks reports/lab --overwrite
	$(BIN)/python -m jupyter lab reports/lab

clean:
	rm -rf $(VENV) reports/sample
	@echo "removed .venv and the sample's pack and history (reports/sample)."
	@echo "kept your history store (audit history prints where) and any other folder in reports/."
	@echo "  remove a partnership's quarters with: python -m audit history --forget NAME"
	@echo "  or delete the history file by hand to start the history afresh."
