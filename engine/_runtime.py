"""Process-wide settings that must be in place before NumPy or Numba do any work.

Imported first by ``engine/__init__.py``.

- OpenBLAS keeps one thread: Numba's parallel kernels own the cores, and two thread
  pools fighting over two cores made a training step several times slower.
- Numba's threading layer is 'threadsafe' (OpenMP or TBB). The default 'workqueue'
  layer aborts the whole process when two threads run parallel kernels at once,
  which is exactly what a Streamlit server with many sessions does. Asking for
  'threadsafe' makes a machine without a safe layer fail loudly instead.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numba  # noqa: E402

numba.config.THREADING_LAYER = "threadsafe"
