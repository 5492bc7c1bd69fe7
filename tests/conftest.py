"""Shared test set-up: the engine configured as the app configures it (one BLAS thread, the
widest vectors), so the tests run the app's kernels; the `browser` mark on the tests that drive
the real server; and the class store.

pyproject.toml puts the repository root and tests/ on the path (pytest's `pythonpath`). Pages and
servers started by the tests keep their class store in a temporary SQLite file
(CONVLAB_DATABASE_URL), never in convlab.db beside the app. `postgres_server` is a real
PostgreSQL server for the whole test session (tests/postgres.py).
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads its BLAS
os.environ.setdefault("CONVLAB_DATABASE_URL",
                      f"sqlite:///{tempfile.mkdtemp(prefix='convlab-tests-')}/classes.db")

import pytest  # noqa: E402

import engine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BROWSER_DIRS = (ROOT / "tests" / "browser", ROOT / "tests" / "deploy")

# AppTest runs page scripts with the repository root as the working directory.
os.chdir(ROOT)
engine.configure()


def pytest_collection_modifyitems(items):
    for item in items:
        path = Path(str(item.path))
        if any(d in path.parents for d in BROWSER_DIRS):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def postgres_server():
    from postgres import running_postgres

    try:
        server = running_postgres()
        started = server.__enter__()
    except FileNotFoundError as err:
        pytest.skip(str(err))
    try:
        yield started
    finally:
        server.__exit__(None, None, None)
