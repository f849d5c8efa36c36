# Two commands on a machine with only python3 and make: `make serve`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test bench template clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/provisioner serve

test: $(STAMP)
	@# Browser tests use Debian's chromium and chromium-driver, round trips its LibreOffice Calc, printed
	@# pages poppler-utils (pdftotext, pdftoppm); installed when missing and possible (root with apt), else
	@# those tests skip with their reason.
	@export DEBIAN_FRONTEND=noninteractive; PKGS="chromium chromium-driver libreoffice-calc-nogui poppler-utils fonts-crosextra-carlito"; \
	  (command -v chromium && command -v chromedriver && command -v soffice && command -v pdftotext && \
	   fc-match Calibri | grep -q Carlito) >/dev/null || \
	  (command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && (apt-get install -y -qq $$PKGS >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq $$PKGS >/dev/null 2>&1))) || true
	$(BIN)/ruff check provisioner tests bench
	$(BIN)/mypy
	@# One worker per core: most end-to-end time is waiting on real processes, polls and servers.
	$(BIN)/python -m pytest -q -n auto

bench: $(STAMP)
	$(BIN)/python bench/check_bench.py
	$(BIN)/python bench/apply_bench.py
	$(BIN)/python bench/serve_bench.py
	$(BIN)/python bench/web_bench.py
	$(BIN)/python bench/portal_bench.py
	$(BIN)/python bench/imap_bench.py

template: $(STAMP)
	$(BIN)/provisioner template -o templates/bordereau-teleservices.xlsx

clean:
	rm -rf $(VENV) var .pytest_cache
