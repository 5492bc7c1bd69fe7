"""Shared test set-up: the engine configured as the app configures it (one BLAS thread, the
widest vectors), so the tests run the app's kernels; and the `browser` mark on the tests that
drive the real server.

pyproject.toml puts the repository root and tests/ on the path (pytest's `pythonpath`).
"""

import os
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads its BLAS

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
