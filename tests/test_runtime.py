"""Importing the engine changes nothing in the process but the threading layer; configure()
makes the process-wide settings, once."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent("""
    import json, os, sys
    import numpy, numba
    from threadpoolctl import threadpool_info
    before = dict(os.environ)
    import engine
    if sys.argv[1] == "configure":
        engine.configure()
    blas = max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
    print(json.dumps({"blas": blas, "layer": numba.config.THREADING_LAYER,
                      "features": numba.config.CPU_FEATURES,
                      "new_env": sorted(set(os.environ) - set(before))}))
""")


def probe(mode):
    """Run PROBE in a fresh process that imported NumPy before the engine, as a notebook does."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT",
                        "NUMBA_CPU_FEATURES")}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-c", PROBE, mode], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_engine_only_sets_a_thread_safe_layer():
    seen = probe("import")
    assert seen["layer"] == "threadsafe"
    assert seen["new_env"] == [], "importing the engine changed the environment"
    assert seen["features"] is None, "importing the engine changed Numba's CPU features"
    if os.cpu_count() > 1:
        assert seen["blas"] > 1, "importing the engine limited NumPy's BLAS threads"


def test_configure_keeps_blas_to_one_thread_even_when_numpy_came_first():
    seen = probe("configure")
    assert seen["blas"] == 1
    assert seen["layer"] == "threadsafe"
    assert "-prefer-256-bit" in seen["features"]
    assert {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_NUM_THREADS"} <= set(seen["new_env"])


def test_configure_again_with_the_same_settings_is_harmless_and_other_settings_are_refused():
    import engine

    settings = engine.configure()  # tests/conftest.py configured already, as the app does
    assert settings["blas_threads"] == 1
    with pytest.raises(ValueError, match="already configured"):
        engine.configure(blas_threads=2)


def _page_faults_per_step(root):
    """Minor page faults per batch-256 training step of the digit network, in a fresh process."""
    script = textwrap.dedent("""
        import resource
        import numpy as np
        import engine
        from engine import nn
        engine.configure()
        rng = np.random.default_rng(0)
        x, y = rng.random((256, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 256)
        model = nn.digit_net()
        opt = nn.Adam(model, 1e-3)
        # the heap still grows now and then in the first 20 steps (some 500 faults at once)
        for _ in range(20):
            nn.train_step(model, opt, x, y)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(20):
            nn.train_step(model, opt, x, y)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
    """)
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES" and not k.startswith("MALLOC_")}
    env["PYTHONPATH"] = str(root)
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return float(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_training_steps_reuse_freed_memory_instead_of_faulting_in_fresh_pages():
    """glibc gives big freed blocks back to the system by default, and a batch-256 step then
    page-faulted 100 to 400 times; engine.configure() asks it to keep them (0 to 27 after the heap has
    settled, by step 20)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the setting is glibc's")
    assert _page_faults_per_step(ROOT) < 25
