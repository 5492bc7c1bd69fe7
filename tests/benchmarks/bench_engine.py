"""ConvLab's benchmark: the engine against plain NumPy and PyTorch CPU, in one run.

    make bench            (installs torch==2.13.0, the CPU build, first)

Prints median times and ratios (engine / PyTorch; lower is better) for
- one Adam training step of the default digit network at batch 64 and 256, each with PASS or
  MISS against the target of STEP_TARGET times PyTorch's step, timed in the same run,
- filtering one 512 x 512 image with 3x3, 5x5 and 11x11 kernels (also against scipy.ndimage),
- predicting one digit with every layer's activations,
- the training step as the batch grows,
- the first layer's convolution (1 -> 8 filters, 5x5, 'same') on one image as the image grows.
"""

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

# PyTorch first, so that it keeps its own OpenMP defaults: the engine asks OpenMP threads to
# sleep soon after their work (engine.configure()), which would slow PyTorch's many small kernels.
try:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(2)
except ImportError:  # the benchmark still runs, without the PyTorch column
    torch = None

import engine  # noqa: E402
from engine import nn  # noqa: E402
from numpy_digit_net import NumpyDigitNet  # noqa: E402

engine.configure()  # as the app does

STEP_TARGET = 0.25  # the engine's training step should take at most this much of PyTorch's time


def median_ms(fn, repeat=20, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def interleaved_ms(fns, rounds=8, repeat=10, warmup=3):
    """Median ms of each function, timed in alternating rounds of `repeat` calls: a slow spell
    of the machine (other virtual machines on the host) then slows every one of them alike,
    and the ratios stay fair."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times = [[] for _ in fns]
    for _ in range(rounds):
        for fn, ts in zip(fns, times):
            for _ in range(repeat):
                t = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t)
    return [1000 * float(np.median(ts)) for ts in times]


def torch_digit_net():
    tnn = torch.nn
    torch.manual_seed(0)
    return tnn.Sequential(
        tnn.Conv2d(1, 8, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Dropout(0.25),
        tnn.Conv2d(8, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Dropout(0.25),
        tnn.Flatten(), tnn.Linear(784, 256), tnn.ReLU(), tnn.Dropout(0.5), tnn.Linear(256, 10))


def torch_step(x, y):
    """One PyTorch Adam step of the same network on the batch (x, y), as a function."""
    model = torch_digit_net()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(tx), ty).backward()
        opt.step()
    return step


def step_ms(x, y, rounds):
    """(engine, PyTorch or None) median ms of one Adam training step on the batch (x, y)."""
    model = nn.digit_net()
    opt = nn.Adam(model, 1e-3)
    fns = [lambda: nn.train_step(model, opt, x, y)] + ([torch_step(x, y)] if torch else [])
    times = interleaved_ms(fns, rounds=rounds)
    return times[0], (times[1] if torch else None)


def row(name, ours, numpy_ms=None, torch_ms=None):
    cells = [f"{name:<28}", f"{ours:9.3f}"]
    cells.append(f"{numpy_ms:9.3f}" if numpy_ms is not None else f"{'-':>9}")
    cells.append(f"{torch_ms:9.3f}" if torch_ms is not None else f"{'-':>9}")
    cells.append(f"{ours / torch_ms:8.2f}" if torch_ms else f"{'-':>8}")
    cells.append(f"{numpy_ms / torch_ms:8.2f}" if torch_ms and numpy_ms else f"{'-':>8}")
    print(" ".join(cells), flush=True)


def main():
    x_train, y_train, _, _ = engine.datasets.load_digits()
    print(f"{'ms (median)':<28} {'engine':>9} {'numpy':>9} {'pytorch':>9} {'eng/pt':>8} {'np/pt':>8}")
    print("-" * 76)
    verdicts = []
    for batch in (64, 256):
        x, y = x_train[:batch], y_train[:batch]
        ours, torch_ms = step_ms(x, y, rounds=8)
        npnet = NumpyDigitNet()
        numpy_ms = median_ms(lambda: npnet.train_step(x, y), repeat=10)
        row(f"train step, batch {batch}", ours, numpy_ms, torch_ms)
        if torch_ms:
            ratio = ours / torch_ms
            verdicts.append(f"  {'PASS' if ratio <= STEP_TARGET else 'MISS'}: train step, batch {batch}: "
                            f"{ratio:.2f}x PyTorch (target {STEP_TARGET:g}x)")
    for line in verdicts:
        print(line)
    print("  (load average {:.2f} {:.2f} {:.2f})".format(*os.getloadavg()), flush=True)

    from scipy import ndimage

    image = np.random.default_rng(0).random((1, 1, 512, 512)).astype(np.float32)
    for f in (3, 5, 11):
        k = np.random.default_rng(f).random((1, 1, f, f)).astype(np.float32)
        ours = median_ms(lambda: engine.conv2d(image, k, padding="same"))
        sp = median_ms(lambda: ndimage.correlate(image[0, 0], k[0, 0], mode="constant"), repeat=5)
        torch_ms = None
        if torch:
            ti, tk = torch.from_numpy(image), torch.from_numpy(k)
            torch_ms = median_ms(lambda: F.conv2d(ti, tk, padding=f // 2))
        row(f"filter 512x512, {f}x{f} (scipy)", ours, sp, torch_ms)

    model = nn.Sequential.load(ROOT / "assets" / "pretrained_digit_net.npz")
    one = x_train[:1]
    ours = median_ms(lambda: (model.forward(one, training=False), model.activations), repeat=50)
    torch_ms = None
    if torch:
        tm = torch_digit_net().eval()
        with torch.no_grad():
            torch_ms = median_ms(lambda: tm(torch.from_numpy(one)), repeat=50)
    row("predict one digit + maps", ours, None, torch_ms)

    print("\nTraining step as the batch grows (ms):")
    for batch in (1, 8, 32, 128, 512):
        x, y = x_train[:batch], y_train[:batch]
        ours, torch_ms = step_ms(x, y, rounds=3)
        row(f"  batch {batch}", ours, None, torch_ms)

    print("\nconv2d forward, one image, 1 -> 8 filters 5x5 'same', as the image grows (ms):")
    rng = np.random.default_rng(1)
    k8 = rng.standard_normal((8, 1, 5, 5)).astype(np.float32)
    for size in (28, 64, 128, 256, 512):
        image = rng.random((1, 1, size, size), dtype=np.float32)
        repeat = 50 if size <= 128 else 20
        ours = median_ms(lambda: engine.conv2d(image, k8, padding="same"), repeat=repeat)
        torch_ms = None
        if torch:
            ti, tk = torch.from_numpy(image), torch.from_numpy(k8)
            torch_ms = median_ms(lambda: F.conv2d(ti, tk, padding=2), repeat=repeat)
        row(f"  {size}x{size}", ours, None, torch_ms)


if __name__ == "__main__":
    main()
