"""Shared test set-up: the repository root on sys.path, and the engine configured as the app
configures it (one BLAS thread, the widest vectors), so the tests run the app's kernels."""

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
# AppTest runs page scripts with the repository root as the working directory.
os.chdir(ROOT)

import engine  # noqa: E402

engine.configure()
