"""The helper thread that runs half of a dense layer's big matrix products."""

import threading

import numpy as np

from engine import _two_threads, nn


def test_both_returns_the_two_results_in_order():
    assert _two_threads.both(lambda: "first", lambda: 2) == ("first", 2)


def test_a_busy_helper_means_running_here_not_waiting():
    started, release = threading.Event(), threading.Event()
    seen = {}

    def slow():
        started.set()
        release.wait(5)
        return "slow"

    holder = threading.Thread(target=lambda: seen.update(held=_two_threads.both(slow, lambda: None)))
    holder.start()
    assert started.wait(5)
    me = threading.get_ident()
    # the helper is busy: both parts run on this thread, straight away
    assert _two_threads.both(threading.get_ident, threading.get_ident) == (me, me)
    release.set()
    holder.join(5)
    assert seen["held"] == ("slow", None)


def test_a_big_dense_layer_gives_the_one_thread_results():
    rng = np.random.default_rng(0)
    layer = nn.Dense(784, 256, seed=1)
    x = rng.standard_normal((256, 784)).astype(np.float32)
    dy = rng.standard_normal((256, 256)).astype(np.float32)
    w, b = layer.params["w"].astype(np.float64), layer.params["b"].astype(np.float64)
    out = layer.forward(x)
    dx = layer.backward(dy)
    x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
    for mine, exact in ((out, x64 @ w + b), (dx, dy64 @ w.T), (layer.grads["w"], x64.T @ dy64)):
        assert np.abs(mine - exact).max() <= 1e-5 * np.abs(exact).max()
