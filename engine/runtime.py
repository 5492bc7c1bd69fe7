"""engine.configure(): process-wide settings that make the engine fast on a small machine.

Importing the engine changes nothing in the process but Numba's threading layer (see
engine/_threading.py). A program that wants the engine's full speed (the web app, the
benchmarks) calls configure() once, before its first kernel runs:

    import engine
    engine.configure()          # one BLAS thread, kept memory, widest vectors, short OpenMP waits,
                                # each training step on the faster of one thread and all

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
- adaptive_threads: each training step (nn.train_step) runs on one thread or on all of Numba's,
  whichever has been faster lately in the calling thread (FastestThreads). On a quiet machine
  two threads win; on a busy one a step that spreads over both cores waits for a core that
  another process holds at every parallel kernel: with other work on this two-core machine, a
  batch-64 step took 24 ms on two threads and 10 ms on one. The kernels split the work into
  the same parts whichever number of threads runs them, so the results are the same to the bit.
"""

import ctypes
import os
import statistics
import sys
import threading
import time

import numba

_configured = None


class FastestThreads:
    """Runs repeated work (a training step) on 1 thread or on `most`, whichever is faster now.

    It times every call. After `warmup` untimed calls (the first compile or load kernels) it
    tries both counts in turn, `probe` calls each, and keeps the faster (lower median). Every
    `recheck_every` calls it tries the other count again for `probe` calls and switches when
    that ran faster than the kept count did in its latest `probe` calls: the machine's load changes
    as other programs come and go. The threads' wake-ups and a core held by another process
    cost the same whatever the work, so one chooser serves work of one kind and size (a new
    size starts it afresh, see key).
    """

    def __init__(self, warmup=2, probe=3, recheck_every=300, clock=time.perf_counter):
        self.warmup, self.probe, self.recheck_every, self.clock = warmup, probe, recheck_every, clock
        self._key = None
        self.reset(None)

    def reset(self, key):
        self._key = key
        self._calls = 0
        self._plan = []          # thread counts to try next, in order
        self._tried = {}         # thread count -> times of its latest calls
        self.choice = None       # the kept count (None until the first probe ends)

    def threads_for_next(self, most):
        """The thread count for the next call when `most` threads are allowed."""
        if self._calls < self.warmup:
            return most
        if not self._plan and self.choice not in (1, most):  # first probe: both, in turn
            self._plan = [1, most] * self.probe
            self._tried = {1: [], most: []}
        elif not self._plan and self._calls % self.recheck_every == 0:
            other = 1 if self.choice == most else most
            self._tried[other] = []
            self._plan = [other] * self.probe
        return self._plan[0] if self._plan else self.choice

    def record(self, threads, seconds, most):
        """What the call just made on `threads` threads took."""
        self._calls += 1
        if self._calls <= self.warmup:
            return
        times = self._tried.setdefault(threads, [])
        times.append(seconds)
        del times[:-8]  # the latest eight
        if not self._plan:
            return
        self._plan.pop(0)
        if self._plan:
            return
        # a probe has just ended: keep the faster count
        if self.choice not in (1, most):
            self.choice = min((1, most), key=lambda t: statistics.median(self._tried[t]))
            return
        other = 1 if self.choice == most else most
        if statistics.median(self._tried[other]) < statistics.median(self._tried[self.choice][-self.probe:]):
            self.choice = other

    def run(self, work, key=None):
        """work() on the thread count chosen for it; returns what work returned.

        key: what the work's speed depends on (a batch's shape): a new key starts afresh.
        With one thread allowed (numba.set_num_threads(1), as a busy server does) it just runs.
        """
        most = numba.get_num_threads()
        if most == 1:
            return work()
        if key != self._key:
            self.reset(key)
        threads = self.threads_for_next(most)
        if threads != most:
            numba.set_num_threads(threads)
        start = self.clock()
        try:
            return work()
        finally:
            self.record(threads, self.clock() - start, most)
            if threads != most:
                numba.set_num_threads(most)


_choosers = threading.local()  # Numba's thread count is per calling thread, and so are the times


def run_on_fastest_threads(work, key=None):
    """work() through the calling thread's FastestThreads when configure() turned
    adaptive_threads on; otherwise just work()."""
    if not (_configured or {}).get("adaptive_threads"):
        return work()
    chooser = getattr(_choosers, "chooser", None)
    if chooser is None:
        chooser = _choosers.chooser = FastestThreads()
    return chooser.run(work, key)


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


def configure(blas_threads=1, keep_freed_memory=True, widest_vectors=True, short_openmp_waits=True,
              adaptive_threads=True):
    """Tune this process for the engine's speed (see the module's docstring for each setting).

    Call it once, before the first kernel runs; calling it again with the same settings does
    nothing. Returns the settings in force, as a dict. blas_threads=None leaves BLAS alone.
    """
    global _configured
    wanted = dict(blas_threads=blas_threads, keep_freed_memory=bool(keep_freed_memory),
                  widest_vectors=bool(widest_vectors), short_openmp_waits=bool(short_openmp_waits),
                  adaptive_threads=bool(adaptive_threads))
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
