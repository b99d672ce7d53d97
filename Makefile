# Nära vård indikatorvy — one task runner. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
PORT ?= 8501
export PYTHONPATH := $(CURDIR)

.PHONY: run test lint sample bench venv migrate load-sample screenshots clean health

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

# Demo mode unless DEMO is set: the sample data goes into an empty store. Outside demo mode (DEMO=0)
# load-sample refuses with exit code 4 and says how to import real data; the app starts on the store as it is.
run: venv
	@export DEMO=$${DEMO:-1}; \
	$(PY) -m data_access load-sample; status=$$?; \
	if [ $$status -ne 0 ] && [ $$status -ne 4 ]; then exit $$status; fi; \
	exec $(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true

health: venv
	DEMO=$${DEMO:-1} $(PY) -m data_access health

test: venv
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: venv
	$(PY) -m ruff check .

migrate: venv
	$(PY) -m data_access migrate

sample: venv
	$(PY) -m sample_data --out sample_data/default

bench: venv
	$(PY) -m benchmarks

clean:
	rm -rf var/*.db var/*.db-wal var/*.db-shm .pytest_cache
