# The two commands a new user types (see README.md):
#   make report   the quarterly audit on the bundled sample -> reports/all/board-pack.html
#   make test     every test: pytest and nbval on the notebooks
# Each creates .venv in the repository root on first use and installs the project into it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAMPLE := data/sample/pooled_extract.csv

.PHONY: report test venv clean help

help:
	@echo "make report   run the quarterly audit on the bundled sample"
	@echo "make test     run every test (pytest + nbval)"
	@echo "make clean    remove .venv and generated reports"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name audit --display-name "audit (Python 3)" >/dev/null
	@touch $(STAMP)

# The PDF needs WeasyPrint's Pango library; without it the pack is HTML and Excel only.
report: $(STAMP)
	@pdf=$$($(BIN)/python -c "from audit.pdf import require_pdf_engine as r; r()" >/dev/null 2>&1 \
	  && echo --pdf \
	  || echo "note: no PDF engine (apt-get install libpango-1.0-0 libpangoft2-1.0-0); board pack as HTML and Excel only" >&2); \
	echo "$(BIN)/audit run $(SAMPLE) --each-quarter $$pdf"; \
	$(BIN)/audit run $(SAMPLE) --each-quarter $$pdf
	@echo "Open reports/all/board-pack.html in a browser."

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) reports/all
	@echo "kept reports/history.sqlite (the audit history); delete it by hand to start afresh"
