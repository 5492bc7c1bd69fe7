"""A restart does not recompile: Numba's compiled kernels come from the on-disk cache.

Two fresh Python processes import the engine and call the main kernels (convolution forward and
backward, pooling forward and backward, an Adam training step of the digit network, which runs
the fused convolution steps, dropout and the optimizer kernels). The first may
compile (and writes the cache); the second must load every kernel it calls from the cache:
Numba's own counters show no cache miss, and its first call is quick.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # fresh processes

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, time
    # CPU seconds of this process, not wall time: a busy machine stretches the wall clock, but
    # compiling would cost many CPU seconds and loading from the cache costs well under one
    t0 = time.process_time()
    import numpy as np
    import engine
    engine.configure()  # as the app does, so the kernels are the app's
    from engine._kernels import conv, dense, dropout, filter, fused, loss, optim, pool
    MODULES = (conv, pool, fused, optim, dropout, filter, dense, loss)
    t_import = time.process_time() - t0

    def calls():
        rng = np.random.default_rng(0)
        x = rng.random((2, 3, 20, 20), dtype=np.float32)
        w = rng.random((4, 3, 5, 5), dtype=np.float32)
        y = engine.conv2d(x, w, padding=2)
        engine.conv2d_backward(np.ones_like(y), x, w, padding=2)
        p = engine.max_pool2d(y, 2)
        engine.max_pool2d_backward(np.ones_like(p), y, 2, 2)
        photo = rng.random((1, 1, 128, 128), dtype=np.float32)  # wide rows: the filter kernel
        engine.conv2d(photo, rng.random((1, 1, 3, 3), dtype=np.float32), padding="same")

    def training_step():
        rng = np.random.default_rng(1)
        model = engine.nn.digit_net(seed=0)
        opt = engine.nn.Adam(model, 1e-3)
        engine.nn.train_step(model, opt, rng.random((64, 1, 28, 28), dtype=np.float32),
                             rng.integers(0, 10, 64))

    t1 = time.process_time()
    training_step()
    t_step = time.process_time() - t0  # from the start of the process
    calls()
    t_first = time.process_time() - t1
    misses, hits = {}, {}
    for module in MODULES:
        for name in dir(module):
            fn = getattr(module, name)
            stats = getattr(fn, "stats", None)
            if stats is not None and hasattr(stats, "cache_misses"):
                key = f"{module.__name__}.{name}"
                misses[key] = sum(stats.cache_misses.values())
                hits[key] = sum(stats.cache_hits.values())
    print(json.dumps({"import": t_import, "first_call": t_first, "first_step": t_step, "misses": misses, "hits": hits}))
    """
)


def run_fresh_process():
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cache_dir():
    custom = os.environ.get("NUMBA_CACHE_DIR")
    if custom:  # Numba mirrors the source tree below NUMBA_CACHE_DIR
        matches = list(Path(custom).rglob("conv.*.nbi"))
        return matches[0].parent if matches else Path(custom)
    return ROOT / "engine" / "_kernels" / "__pycache__"


def test_second_process_loads_every_kernel_from_the_disk_cache():
    first = run_fresh_process()  # may compile cold and writes the cache
    folder = cache_dir()
    for module in ("conv", "pool", "fused", "optim", "dropout", "filter", "dense", "loss"):
        assert list(folder.glob(f"{module}.*.nbi")), f"no cache index for engine/_kernels/{module}.py in {folder}"
        assert list(folder.glob(f"{module}.*.nbc")), f"no cached code for engine/_kernels/{module}.py in {folder}"

    second = run_fresh_process()
    used = {k: v for k, v in second["hits"].items() if v}
    assert used, f"no kernel was loaded from the cache: {second}"
    recompiled = {k: v for k, v in second["misses"].items() if v}
    assert not recompiled, f"these kernels were compiled again after a restart: {recompiled}"
    # Generous bound: from the cache this takes well under a CPU second; compiling takes many.
    assert second["first_call"] < 3.0, (
        f"the first call after a restart took {second['first_call']:.2f} CPU s "
        f"(the cold process took {first['first_call']:.2f} s)"
    )
    # A restarted server answers its first training step (Adam, batch 64) within 2 CPU seconds.
    assert second["first_step"] < 2.0, f"first training step {second['first_step']:.2f} CPU s after start"
