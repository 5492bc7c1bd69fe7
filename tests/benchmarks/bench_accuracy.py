"""Live training, end to end: how accurate the default network gets, and how fast.

    make bench            (runs this after bench_engine.py)

Each framework trains in a fresh process, so the clock includes starting Python, loading the
digits and compiling (for the engine: loading its kernels from the on-disk cache). Settings
are the training page's defaults: Adam, learning rate 1e-3, batch 64, the same network, the
same shuffles. After every epoch the model is scored on the 10,000 test digits (that time
counts too). Prints the accuracy after each epoch, the first time 98.5% and 99.0% are reached,
the accuracy reached within 30 s, and how long each took for the same number of epochs (the
issue's PyTorch reference reached 99.0% in 7): a ratio that does not depend on how fast the
machine is that day.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 45  # train at most this long per framework, once it has done EPOCHS
EPOCHS = 7  # the epochs PyTorch took to reach 99.0% where the targets were set

CHILD = r"""
import time
T0 = time.perf_counter()
import json, os, sys
sys.path.insert(0, os.environ["CONVLAB_ROOT"])
FRAMEWORK, SECONDS, EPOCHS = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
if FRAMEWORK == "pytorch":
    import torch
    torch.set_num_threads(2)
    torch.manual_seed(0)
import numpy as np
import engine
from engine import datasets, nn

engine.configure()  # as the app does, in both frameworks' processes
x_train, y_train, x_test, y_test = datasets.load_digits()
rng = np.random.default_rng(0)

if FRAMEWORK == "engine":
    model = nn.digit_net(seed=0)
    opt = nn.Adam(model, lr=1e-3)

    def step(xb, yb):
        nn.train_step(model, opt, xb, yb)

    def accuracy():
        return nn.evaluate(model, x_test, y_test)[1]
else:
    import torch.nn.functional as F
    t = torch.nn
    model = t.Sequential(
        t.Conv2d(1, 8, 5, padding=2), t.ReLU(), t.MaxPool2d(2), t.Dropout(0.25),
        t.Conv2d(8, 16, 3, padding=1), t.ReLU(), t.MaxPool2d(2), t.Dropout(0.25),
        t.Flatten(), t.Linear(784, 256), t.ReLU(), t.Dropout(0.5), t.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    tx, ty = torch.from_numpy(x_train), torch.from_numpy(y_train)

    def step(xb, yb):
        model.train()
        opt.zero_grad()
        F.cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()
        opt.step()

    def accuracy():
        model.eval()
        with torch.no_grad():
            pred = model(torch.from_numpy(x_test)).argmax(1).numpy()
        return float((pred == y_test).mean())

history = []
while time.perf_counter() - T0 < SECONDS or len(history) < EPOCHS:
    order = rng.permutation(len(x_train))
    for i in range(0, len(order), 64):
        idx = order[i:i + 64]
        step(x_train[idx], y_train[idx])
    history.append((time.perf_counter() - T0, accuracy()))
    if history[-1][1] >= 0.992 and len(history) >= EPOCHS:
        break
print(json.dumps(history))
"""


def run(framework):
    env = {**os.environ, "CONVLAB_ROOT": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", CHILD, framework, str(SECONDS), str(EPOCHS)], env=env,
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        print(f"{framework}: failed\n{out.stderr[-2000:]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def first_time(history, target):
    return next((f"at {t:.1f} s" for t, acc in history if acc >= target), f"not within {SECONDS} s")


def within(history, seconds):
    reached = [acc for t, acc in history if t <= seconds]
    return f"{max(reached):.2%}" if reached else "no epoch finished"


def main():
    frameworks = ["engine"]
    try:
        import torch  # noqa: F401
        frameworks.append("pytorch")
    except ImportError:
        print("(PyTorch is not installed: engine only)")
    print("\nLive training of the default network (Adam, lr 1e-3, batch 64), from process start:")
    histories = {}
    for framework in frameworks:
        history = run(framework)
        if history is None:
            continue
        histories[framework] = history
        epochs = ", ".join(f"{acc:.2%} at {t:.1f} s" for t, acc in history)
        print(f"  {framework:8s} epochs: {epochs}")
        print(f"  {'':8s} 98.5% {first_time(history, 0.985)}; 99.0% {first_time(history, 0.99)}; "
              f"best within 30 s: {within(history, 30)}", flush=True)
    if len(histories) == 2:
        engine, torch = (histories[f][EPOCHS - 1][0] for f in ("engine", "pytorch"))
        print(f"  {EPOCHS} epochs, end to end: engine {engine:.1f} s, PyTorch {torch:.1f} s, "
              f"ratio {engine / torch:.2f}")


if __name__ == "__main__":
    main()
