"""Process-wide settings that must be in place before NumPy or Numba do any work.

Imported first by ``engine/__init__.py``.

- OpenBLAS (NumPy's and SciPy's) keeps one thread: Numba's parallel kernels own the cores,
  and two thread pools fighting over two cores made a training step several times slower.
- Numba's threading layer is 'threadsafe' (OpenMP or TBB). The default 'workqueue'
  layer aborts the whole process when two threads run parallel kernels at once,
  which is exactly what a Streamlit server with many sessions does. Asking for
  'threadsafe' makes a machine without a safe layer fail loudly instead.
- OpenMP threads wait for new work only briefly before they sleep (OMP_WAIT_POLICY=PASSIVE
  with GOMP_SPINCOUNT=20000, a few hundred microseconds). Threads that spin without end
  steal the cores from every other session and kernel: with other work on the machine, a
  training step of the digit network took 31-42 ms with them and 6.3 ms with sleeping ones.
  But waking a sleeping thread takes 50-80 us on this kind of virtual machine, and a training
  step launches five parallel kernels a few hundred microseconds apart: the short wait keeps
  the second thread awake through a step (batch 64: 3.9 ms instead of 4.5 ms). When the
  process has more OpenMP threads than cores (several sessions running kernels at once),
  libgomp drops the wait by itself: with PASSIVE its spin count for that case is 0.
- Freed memory stays with the process (glibc's malloc: arrays up to 32 MB come from its heap,
  which keeps up to 256 MB of free space). By default glibc hands big freed blocks back to the
  system, and every new array of a training step then starts on fresh pages: at batch 256 a
  step took about 250 page faults (0.2-0.5 ms of an 8.8 ms step). Left alone when the
  environment already tunes malloc.
- Loops are vectorised with the CPU's widest vectors. LLVM holds back to 256 bits on CPUs
  with AVX-512 by default; the sparse gradient updates of the fused convolution kernels ran
  8-18% faster with 512 (a setting for this process's compiled kernels only, cached apart).
"""

import ctypes
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "20000")

import numba  # noqa: E402
import numpy  # noqa: E402, F401  (so that its BLAS is loaded before the limit below)
from threadpoolctl import threadpool_limits  # noqa: E402

try:  # SciPy's BLAS too, which Numba's np.dot calls (engine/_kernels_dense.py)
    import scipy.linalg.cython_blas  # noqa: E402, F401
except ImportError:
    pass


def _keep_freed_memory():
    """Ask glibc's malloc to keep freed memory for the next arrays (see above)."""
    tuned = any(name == "GLIBC_TUNABLES" or name.startswith("MALLOC_") for name in os.environ)
    if not sys.platform.startswith("linux") or tuned:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # another C library: nothing to tune
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    # both together: setting either turns off glibc's own sliding threshold
    mallopt(M_MMAP_THRESHOLD, 32 << 20)
    mallopt(M_TRIM_THRESHOLD, 256 << 20)


_keep_freed_memory()
numba.config.THREADING_LAYER = "threadsafe"
if numba.config.CPU_FEATURES is None:  # NUMBA_CPU_FEATURES, when set, has the last word
    import llvmlite.binding as llvm  # noqa: E402

    numba.config.CPU_FEATURES = llvm.get_host_cpu_features().flatten() + ",-prefer-256-bit"
# The environment variables only count if NumPy was not imported yet (a notebook often
# imports it first); this limits the BLAS that is already loaded, too.
threadpool_limits(1, user_api="blas")
