"""The one process-wide setting the engine makes on import: a thread-safe Numba threading layer.

Numba's default 'workqueue' layer aborts the whole process ("Concurrent access has been
detected") when two threads run parallel kernels at once, which is exactly what a web server
with many sessions does. 'threadsafe' picks OpenMP or TBB, and a machine with neither fails
loudly instead of falling back to workqueue. Everything else that tunes the process for speed
is engine.configure(), which a program calls when it wants it.
"""

import numba

numba.config.THREADING_LAYER = "threadsafe"
