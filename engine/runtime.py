"""engine.configure(): process-wide settings that make the engine fast on a small machine.

Importing the engine changes nothing in the process but Numba's threading layer (see
engine/_threading.py). A program that wants the engine's full speed (the web app, the
benchmarks) calls configure() once, before its first kernel runs:

    import engine
    engine.configure()          # one BLAS thread, kept memory, widest vectors, short OpenMP waits

What each setting does and why:

- blas_threads: OpenBLAS (NumPy's and SciPy's) keeps this many threads. Numba's parallel kernels
  own the cores; two thread pools fighting over two cores made a training step several times
  slower. A notebook that uses NumPy's big matrix products on their own may prefer to leave it.
- keep_freed_memory: freed memory stays with the process (glibc's malloc: arrays up to 32 MB
  come from its heap, which keeps up to 256 MB of free space). By default glibc hands big freed
  blocks back to the system, and every new array of a training step then starts on fresh
  pages: at batch 256 a step took about 250 page faults (0.2-0.5 ms of an 8.8 ms step). Left
  alone when the environment already tunes malloc.
- widest_vectors: kernels are vectorised with the CPU's widest vectors. LLVM holds back to 256
  bits on CPUs with AVX-512 by default; the sparse gradient updates of the fused convolution
  kernels ran 8-18% faster with 512. Kernels compiled this way are cached apart from the
  default ones. NUMBA_CPU_FEATURES, when set, has the last word.
- short_openmp_waits: OpenMP threads wait for new work only briefly before they sleep
  (OMP_WAIT_POLICY=PASSIVE with GOMP_SPINCOUNT=20000, a few hundred microseconds). Threads that
  spin without end steal the cores from every other session and kernel: with other work on the
  machine, a training step of the digit network took 31-42 ms with them and 6.3 ms with
  sleeping ones. But waking a sleeping thread takes 50-80 us on this kind of virtual machine,
  and a training step launches a few parallel kernels a few hundred microseconds apart: the
  short wait keeps the second thread awake through a step (batch 64: 3.9 ms instead of 4.5 ms).
  This only counts before OpenMP starts (the first parallel kernel), and values already in the
  environment are kept.
"""

import ctypes
import os
import sys

import numba

_configured = None


def _keep_freed_memory():
    """Ask glibc's malloc to keep freed memory for the next arrays; False where it cannot."""
    tuned = any(name == "GLIBC_TUNABLES" or name.startswith("MALLOC_") for name in os.environ)
    if not sys.platform.startswith("linux") or tuned:
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # another C library: nothing to tune
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    # both together: setting either turns off glibc's own sliding threshold
    mallopt(M_MMAP_THRESHOLD, 32 << 20)
    mallopt(M_TRIM_THRESHOLD, 256 << 20)
    return True


def _limit_blas(threads):
    """BLAS to `threads` threads: NumPy's, and SciPy's, which Numba's np.dot calls."""
    from threadpoolctl import threadpool_limits

    try:
        import scipy.linalg.cython_blas  # noqa: F401  (loaded so that the limit reaches it too)
    except ImportError:
        pass
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))  # for BLAS libraries loaded later
    threadpool_limits(threads, user_api="blas")


def _widest_vectors():
    if numba.config.CPU_FEATURES is not None:
        return False
    import llvmlite.binding as llvm

    numba.config.CPU_FEATURES = llvm.get_host_cpu_features().flatten() + ",-prefer-256-bit"
    return True


def configure(blas_threads=1, keep_freed_memory=True, widest_vectors=True, short_openmp_waits=True):
    """Tune this process for the engine's speed (see the module's docstring for each setting).

    Call it once, before the first kernel runs; calling it again with the same settings does
    nothing. Returns the settings in force, as a dict. blas_threads=None leaves BLAS alone.
    """
    global _configured
    wanted = dict(blas_threads=blas_threads, keep_freed_memory=bool(keep_freed_memory),
                  widest_vectors=bool(widest_vectors), short_openmp_waits=bool(short_openmp_waits))
    if _configured is not None:
        if wanted != _configured:
            raise ValueError(f"the engine is already configured with {_configured}; configure() "
                             "takes effect once per process, before the first kernel runs")
        return dict(_configured)
    if blas_threads is not None:
        if isinstance(blas_threads, bool) or not isinstance(blas_threads, int) or blas_threads < 1:
            raise ValueError(f"blas_threads must be a whole number of at least 1 or None, not {blas_threads!r}")
    if short_openmp_waits:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        os.environ.setdefault("GOMP_SPINCOUNT", "20000")
    if keep_freed_memory:
        _keep_freed_memory()
    if widest_vectors:
        _widest_vectors()
    if blas_threads is not None:
        _limit_blas(blas_threads)
    _configured = wanted
    return dict(wanted)
