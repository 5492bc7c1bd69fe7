"""One real epoch on the shipped digits: the engine learns MNIST, not just small examples."""

import time

import numpy as np

from engine import datasets, nn


def test_one_epoch_of_adam_at_batch_64_reads_98_percent_of_the_test_digits():
    x_train, y_train, x_test, y_test = datasets.load_digits()
    model = nn.digit_net(seed=0)
    opt = nn.Adam(model, lr=3e-3)
    order = np.random.default_rng(0).permutation(len(x_train))
    start = time.perf_counter()
    for i in range(0, len(order), 64):
        batch = order[i:i + 64]
        nn.train_step(model, opt, x_train[batch], y_train[batch])
    seconds = time.perf_counter() - start
    _, accuracy = nn.evaluate(model, x_test, y_test)
    print(f"one epoch: {seconds:.1f} s, test accuracy {accuracy:.2%}")
    assert accuracy >= 0.98
