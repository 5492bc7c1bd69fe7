"""Rebuild assets/pretrained_digit_net.npz: the default digit network, trained on the shipped
MNIST digits so that the drawing page answers sensibly before a learner has trained anything.

    python assets/train_pretrained.py        # about a minute on two cores
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine  # noqa: E402
from engine import datasets, nn  # noqa: E402

engine.configure()

OUT = Path(__file__).with_name("pretrained_digit_net.npz")
EPOCHS, BATCH, LR, SEED = 8, 64, 1e-3, 0


def main():
    x_train, y_train, x_test, y_test = datasets.load_digits()
    model = nn.digit_net(seed=SEED)
    opt = nn.Adam(model, LR)
    rng = np.random.default_rng(SEED)
    start = time.perf_counter()
    for epoch in range(EPOCHS):
        order = rng.permutation(len(x_train))
        for i in range(0, len(order) - BATCH + 1, BATCH):
            idx = order[i:i + BATCH]
            nn.train_step(model, opt, x_train[idx], y_train[idx])
        loss, acc = nn.evaluate(model, x_test, y_test)
        print(f"epoch {epoch + 1}: test loss {loss:.4f}, accuracy {acc:.2%} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    model.save(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
