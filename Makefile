# AugLab set-up and tasks. Every target is idempotent: a second run only checks stamps.
#   make run    set up, then start the app
#   make test   set up (plus the test-only tools), then run the whole suite
#   make bench  side-by-side benchmarks (not part of the tests)

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test bench lint setup setup-dev data browser clean

run: setup data
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: setup-dev data browser
	$(PY) -m ruff check .
	$(PY) -m pytest -q

bench: setup-dev data browser
	$(PY) bench/bench_image_aug.py --update-readme
	$(PY) bench/bench_text_aug.py --update-readme
	$(PY) bench/text_quality.py --update-readme
	$(PY) bench/bench_gan.py --update-readme
	$(PY) bench/bench_lstm.py --update-readme
	$(PY) bench/bench_export.py --update-readme
	$(PY) bench/bench_jobs.py --update-readme
	$(PY) bench/bench_experiment.py --update-readme
	$(PY) bench/bench_load.py --update-readme
	$(PY) bench/bench_scale.py --update-readme

lint: setup-dev
	$(PY) -m ruff check .

setup: $(VENV)/.stamp-runtime
setup-dev: $(VENV)/.stamp-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# A stamp per requirements file: editing the file reinstalls, an unchanged one costs nothing.
$(VENV)/.stamp-runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# The tests also need the project installed with its `scale` extra (Ray Data, datasets, pyarrow: the
# Parquet exports and their engines), which `make run` does not.
$(VENV)/.stamp-dev: requirements-dev.txt pyproject.toml $(VENV)/.stamp-runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet -e '.[scale]'
	touch $@

# The data the app needs. The image samples ship inside scikit-learn and scikit-image (this checks
# they load offline); WordNet comes from NLTK's downloader where the network allows, else from
# Debian's wordnet-base and wordnet-sense-index packages (installed here when missing).
data: $(VENV)/.stamp-runtime
	$(PY) -m core check-data
	@$(PY) -m core wordnet status >/dev/null 2>&1 || $(PY) -m core wordnet install 2>/dev/null || { \
	  echo "Installing Debian's wordnet-base and wordnet-sense-index for WordNet..."; \
	  (apt-get update -q -o DPkg::Lock::Timeout=300 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 wordnet-base wordnet-sense-index) \
	    >/dev/null && $(PY) -m core wordnet install; }

# Debian's Chromium for the real-browser tests (Playwright's own browser download does not work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -q -o DPkg::Lock::Timeout=300 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 chromium) >/dev/null \
	  || { echo "Could not install Debian's chromium; browser tests need /usr/bin/chromium." >&2; exit 1; }; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
