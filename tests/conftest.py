"""Shared test set-up: the repository root on sys.path, and one thread for BLAS."""

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
# AppTest runs page scripts with the repository root as the working directory.
os.chdir(ROOT)
