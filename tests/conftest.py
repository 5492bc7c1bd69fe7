"""Shared test set-up: the repository root on sys.path, and one thread for BLAS.

Pages and servers started by the tests keep their class store in a temporary SQLite file
(CONVLAB_DATABASE_URL), never in convlab.db beside the app. `postgres_server` is a real
PostgreSQL server for the whole test session (tests/postgres.py).
"""

import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("CONVLAB_DATABASE_URL",
                      f"sqlite:///{tempfile.mkdtemp(prefix='convlab-tests-')}/classes.db")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
# AppTest runs page scripts with the repository root as the working directory.
os.chdir(ROOT)


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
