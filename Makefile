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
	@# The browser tests use Debian's chromium; installed when missing and possible, else they skip.
	@export DEBIAN_FRONTEND=noninteractive; command -v chromium >/dev/null || (command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && (apt-get install -y -qq chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null))) || true
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/check_bench.py
	$(BIN)/python bench/apply_bench.py
	$(BIN)/python bench/serve_bench.py

template: $(STAMP)
	$(BIN)/provisioner template -o templates/bordereau-teleservices.xlsx

clean:
	rm -rf $(VENV) var .pytest_cache
