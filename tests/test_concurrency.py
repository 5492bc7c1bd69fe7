"""Many sessions call the parallel kernels at once: the process must survive and stay right.

Numba's default 'workqueue' threading layer aborts the whole process when two threads run
parallel kernels at the same time, which a Streamlit server with many sessions does. The
work runs in a subprocess, so an abort shows up as a failed exit code instead of killing pytest.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import threading
    import numpy as np
    import numba
    import engine
    from engine import nn

    rng = np.random.default_rng(0)
    x = rng.random((16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    w = rng.random((4, 1, 5, 5)).astype(np.float32)
    want_conv = engine.conv2d(x, w, padding="same")
    want_pool = engine.max_pool2d(want_conv)
    errors = []

    def session(seed):
        try:
            model = nn.digit_net(seed=seed)
            opt = nn.Adam(model, 1e-3)
            for _ in range(5):
                assert np.array_equal(engine.conv2d(x, w, padding="same"), want_conv)
                assert np.array_equal(engine.max_pool2d(want_conv), want_pool)
                engine.conv2d_backward(want_conv, x, w, padding="same")
                nn.train_step(model, opt, x, y)
        except Exception as err:  # reported below
            errors.append(repr(err))

    threads = [threading.Thread(target=session, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    layer = numba.threading_layer()
    print("layer", layer, "errors", errors)
    assert layer != "workqueue", layer
    assert not errors, errors
""")


def test_parallel_kernels_from_many_threads_at_once():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "errors []" in proc.stdout


def test_a_model_shared_by_all_sessions_predicts_right_from_many_threads():
    """The pretrained network is loaded once per server and used by every session at once."""
    import threading
    from pathlib import Path

    import engine

    model = engine.nn.Sequential.load(Path(__file__).resolve().parents[1] / "assets" / "pretrained_digit_net.npz")
    rng = np.random.default_rng(2)
    inputs = [rng.random((1 + i % 3, 1, 28, 28), dtype=np.float32) for i in range(12)]
    want = [model.predict_proba(x) for x in inputs]
    wrong = []

    def run(t):
        for r in range(20):
            i = (t * 5 + r) % len(inputs)
            if not np.allclose(model.predict_proba(inputs[i]), want[i], atol=1e-5):
                wrong.append((t, r))

    threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong, f"{len(wrong)} of 160 predictions from a shared model were wrong"
