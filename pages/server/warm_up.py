"""Compile (or load from the on-disk cache) every kernel the app uses, before the first learner.

    python -m pages.server.warm_up

A container image runs this at build time, so a fresh server loads its kernels from the cache
(engine/_kernels/__pycache__) instead of compiling them while a class waits: the whole engine
takes about 17 s to compile cold and a quarter of a second from the cache.
"""

import time

import numpy as np

import engine
from engine import nn


def warm_up():
    """Run each kind of kernel once, in the dtypes the pages use; returns the seconds it took."""
    start = time.perf_counter()
    engine.configure()
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        x = rng.random((2, 3, 20, 20)).astype(dtype)
        w = rng.random((4, 3, 5, 5)).astype(dtype)
        for stride in (1, 2):
            y = engine.conv2d(x, w, padding=2, stride=stride)
            engine.conv2d_backward(np.ones_like(y), x, w, padding=2, stride=stride)
        for pool in (engine.max_pool2d, engine.avg_pool2d, engine.min_pool2d, engine.sum_pool2d,
                     engine.l2_pool2d):
            pool(y, 2)
        engine.max_pool2d_backward(np.ones_like(engine.max_pool2d(y, 2)), y, 2)
        photo = rng.random((1, 1, 128, 128)).astype(dtype)  # wide rows: the filter kernel
        for size in (3, 5):
            engine.conv2d(photo, rng.random((1, 1, size, size)).astype(dtype), padding="same")
    model = nn.digit_net(seed=0)
    opt = nn.Adam(model, 1e-3)
    for batch in (64, 1):
        nn.train_step(model, opt, rng.random((batch, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, batch))
    for batch in (3, 256):  # a few digits, and the occlusion view's batches (parallel ReLU and dropout)
        model.predict_proba(rng.random((batch, 1, 28, 28), dtype=np.float32))
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"kernels ready in {warm_up():.1f} s")
