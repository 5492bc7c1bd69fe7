"""Many sessions at once: threads calling the engine's parallel Numba kernels together.

A Streamlit server runs every session's script in its own thread. With Numba's default
'workqueue' threading layer, two threads entering parallel kernels at once abort the whole
process ("Concurrent access has been detected"). These tests call convolution, pooling and
training steps from many threads at once, in a child process so that an abort shows up as a
failed exit code instead of a dead test run, and check every result against a single-threaded one.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # fresh processes hammering the kernels from many threads

ROOT = Path(__file__).resolve().parents[1]

# The child script: compute reference results in one thread, then hammer the same calls from
# many threads at once and compare. Exit code 0 only if every thread matched.
CHILD = textwrap.dedent(
    """
    import sys, threading
    import numpy as np
    import engine, numba
    engine.configure()  # as the server does

    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 40, 40)).astype(np.float32)
    w = rng.standard_normal((6, 3, 5, 5)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    xd, yd = rng.random((16, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 16)

    def work(seed):
        y = engine.conv2d(x, w, b, stride=1, padding=2)
        dx, dw, db = engine.conv2d_backward(np.ones_like(y), x, w, stride=1, padding=2)
        p = engine.max_pool2d(y, 2)
        a = engine.avg_pool2d(y, 2)
        dp = engine.max_pool2d_backward(np.ones_like(p), y, 2, 2)
        model = engine.nn.digit_net(seed=seed)
        opt = engine.nn.SGD(model, 0.05)
        losses = [engine.nn.train_step(model, opt, xd, yd) for _ in range(2)]
        return y, dx, dw, db, p, a, dp, np.array(losses)

    reference = [work(s) for s in range(3)]
    print("layer", numba.threading_layer(), flush=True)

    n_threads = int(sys.argv[1])
    rounds = int(sys.argv[2])
    failures = []
    start = threading.Barrier(n_threads)

    def run(i):
        try:
            start.wait()
            for r in range(rounds):
                seed = (i + r) % 3
                got = work(seed)
                for g, want in zip(got, reference[seed]):
                    if not np.allclose(g, want, rtol=1e-4, atol=1e-4):
                        failures.append(f"thread {i} round {r}: result differs")
                        return
        except BaseException as err:  # noqa: BLE001  (reported to the parent)
            failures.append(f"thread {i}: {type(err).__name__}: {err}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        print("\\n".join(failures), flush=True)
        sys.exit(1)
    print("ok", flush=True)
    """
)


def run_child(n_threads=12, rounds=3, timeout=600):
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(n_threads), str(rounds)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )


def test_many_threads_calling_parallel_kernels_at_once_survive_and_agree():
    proc = run_child()
    detail = f"exit code {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, detail
    assert "ok" in proc.stdout.splitlines(), detail
    layer = [line for line in proc.stdout.splitlines() if line.startswith("layer ")]
    assert layer and layer[0].split()[1] != "workqueue", detail


def test_threading_layer_is_threadsafe_after_engine_import():
    import numba

    import engine  # noqa: F401

    assert numba.config.THREADING_LAYER == "threadsafe"
    # Make sure a parallel kernel has run so the layer is chosen, then ask which one it is.
    engine.conv2d(np.ones((2, 1, 8, 8), np.float32), np.ones((1, 1, 3, 3), np.float32))
    assert numba.threading_layer() != "workqueue"


def test_threads_in_this_process_get_the_same_answers_as_one_thread():
    """The same check in-process, so a data race shows as a wrong number here too."""
    import threading

    import engine

    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 33, 33)).astype(np.float32)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    want = engine.max_pool2d(engine.conv2d(x, w, padding=1), 3, 2)
    results = [None] * 8

    def run(i):
        results[i] = engine.max_pool2d(engine.conv2d(x, w, padding=1), 3, 2)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got in results:
        np.testing.assert_array_equal(got, want)


# Eight sessions that each train with Adam while checking convolution and pooling exactly.
ADAM_SESSIONS = textwrap.dedent("""
    import threading
    import numpy as np
    import numba
    import engine
    from engine import nn
    engine.configure()  # as the server does

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


def test_eight_sessions_training_with_adam_at_once():
    proc = subprocess.run([sys.executable, "-c", ADAM_SESSIONS], cwd=ROOT, capture_output=True, text=True, timeout=300)
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
