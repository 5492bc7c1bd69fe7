# ConvLab: one command to run the app, one to test it.
#   make run    install into .venv and start the app on http://localhost:8501
#   make test   install what the tests need (Debian's chromium included), lint, and run every test
#   make test-fast         the quick part only: no browser, no fresh processes, no long runs
#   make bench  benchmark the engine against NumPy and PyTorch CPU, and every page's rerun time
#   make loadtest          30 learners (4 training all along) through Streamlit's websocket protocol,
#                          then a class of 60 (6 training) with the teacher's board open
#   make loadtest-browser  the same with 30 headless Chromium sessions on this machine
#   make soak              200 learners come and go over an hour; the server's memory must not grow

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# Numba owns the cores; a second BLAS thread pool beside it makes everything slower.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 2

.PHONY: run test test-fast lint bench loadtest loadtest-browser soak install install-test system-packages clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The engine is installed editable too, so that `import engine` works in a notebook in this venv.
$(VENV)/.installed: requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: tests/requirements.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r tests/requirements.txt
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test system-packages

# Browser tests drive Debian's Chromium (Playwright never downloads a browser of its own);
# the multi-server test puts nginx in front of two app processes; the class store's tests start
# a PostgreSQL server of their own from Debian's binaries.
system-packages:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/nginx ] || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium nginx-light postgresql >/dev/null; \
	fi

# The kernels are compiled (or loaded from Numba's cache) before the first learner opens a page.
run: install
	$(PY) -m pages.server.warm_up
	$(PY) -m streamlit run app.py --server.headless true --server.port $(PORT) \
	  --browser.gatherUsageStats false

test: install-test
	$(PY) -m ruff check .
	$(PY) -m pytest -q --durations=15 tests

test-fast: $(VENV)/.installed-test
	$(PY) -m pytest -q -m "not slow" tests

lint: $(VENV)/.installed-test
	$(PY) -m ruff check .

bench: install-test
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) tests/benchmarks/bench_engine.py
	$(PY) tests/benchmarks/bench_explain.py
	$(PY) tests/benchmarks/bench_explain_page.py
	$(PY) tests/benchmarks/bench_pages.py
	$(PY) tests/benchmarks/bench_accuracy.py
	$(PY) tests/benchmarks/bench_own_classes.py

# The trainers get 3 epochs of all 60,000 digits so that they train for the whole test.
loadtest: install-test
	$(PY) tests/loadtest/ws_loadtest.py --sessions 30 --trainers 4 --train-size 60000 --epochs 3 --max-seconds 300
	$(PY) tests/loadtest/ws_loadtest.py --classroom --sessions 60 --trainers 6 --answerers 12 --train-size 60000 \
	  --epochs 3 --min-seconds 90 --max-seconds 300 --out tests/loadtest/class_results.md

loadtest-browser: install-test
	$(PY) tests/loadtest/loadtest.py

# Not part of `make test`: it takes an hour (a 2-minute version is tests/loadtest/test_soak_short.py).
soak: install-test
	$(PY) tests/loadtest/soak.py --sessions 200 --minutes 60 --out tests/loadtest/soak_results.md

clean:
	rm -rf $(VENV) .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
