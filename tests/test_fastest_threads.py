"""engine.runtime.FastestThreads: each training step on one thread or on all, whichever is
faster lately, with the same result either way."""

import numba
import numpy as np
import pytest

import engine
from engine import nn, runtime
from engine.nn import step as step_module

TWO_THREADS = numba.config.NUMBA_NUM_THREADS >= 2


class FakeClock:
    """A clock that moves on by the time the work on the current thread count takes."""

    def __init__(self, seconds_on):
        self.seconds_on = seconds_on  # thread count -> seconds a call takes
        self.now = 0.0

    def __call__(self):
        return self.now

    def work(self):
        self.now += self.seconds_on[numba.get_num_threads()]
        return numba.get_num_threads()


def run_calls(chooser, clock, calls):
    return [chooser.run(clock.work, key="step") for _ in range(calls)]


@pytest.mark.skipif(not TWO_THREADS, reason="needs a pool of two threads")
def test_it_tries_both_counts_and_keeps_the_faster():
    clock = FakeClock({1: 0.013, 2: 0.049})  # a busy machine: two threads wait for cores
    chooser = runtime.FastestThreads(warmup=2, probe=3, recheck_every=1000, clock=clock)
    used = run_calls(chooser, clock, 50)
    assert used[:2] == [2, 2]                 # warming up on all threads
    assert used[2:8] == [1, 2, 1, 2, 1, 2]    # the probe, in turn
    assert set(used[8:]) == {1} and chooser.choice == 1
    assert numba.get_num_threads() == 2       # the caller's count is put back

    clock = FakeClock({1: 0.004, 2: 0.002})  # a quiet machine
    chooser = runtime.FastestThreads(warmup=2, probe=3, recheck_every=1000, clock=clock)
    assert set(run_calls(chooser, clock, 50)[8:]) == {2}


@pytest.mark.skipif(not TWO_THREADS, reason="needs a pool of two threads")
def test_it_checks_again_and_follows_the_load_as_it_changes():
    clock = FakeClock({1: 0.004, 2: 0.002})
    chooser = runtime.FastestThreads(warmup=0, probe=2, recheck_every=20, clock=clock)
    run_calls(chooser, clock, 19)
    assert chooser.choice == 2
    clock.seconds_on = {1: 0.010, 2: 0.040}  # other programs took the cores
    used = run_calls(chooser, clock, 30)
    assert 1 in used[:3], "the re-check should try one thread again"
    assert chooser.choice == 1
    assert set(used[-5:]) == {1}


@pytest.mark.skipif(not TWO_THREADS, reason="needs a pool of two threads")
def test_one_allowed_thread_is_left_alone_and_a_new_key_starts_afresh():
    clock = FakeClock({1: 0.013, 2: 0.049})
    chooser = runtime.FastestThreads(warmup=2, probe=3, recheck_every=1000, clock=clock)
    run_calls(chooser, clock, 20)
    assert chooser.choice == 1
    assert chooser.run(clock.work, key="another size") == 2  # warming up again
    numba.set_num_threads(1)  # a busy server's step (pages/server/threads.py)
    try:
        assert chooser.run(clock.work, key="another size") == 1
    finally:
        numba.set_num_threads(2)


@pytest.mark.skipif(not TWO_THREADS, reason="needs a pool of two threads")
@pytest.mark.parametrize("batch", [64, 200])
def test_a_training_step_gives_the_same_weights_on_one_thread_as_on_two(batch):
    x, y, _, _ = engine.datasets.load_digits()
    weights = []
    for threads in (1, 2):
        model, before = nn.digit_net(seed=3), numba.get_num_threads()
        opt = nn.Adam(model, 1e-3)
        numba.set_num_threads(threads)
        try:
            for i in range(3):
                step_module._train_step(model, opt, x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch])
        finally:
            numba.set_num_threads(before)
        weights.append([layer.params[name].copy() for layer, name in model.parameters()])
    for one, two in zip(*weights):
        np.testing.assert_array_equal(one, two)


def test_train_step_goes_through_the_chooser_and_trains_alike():
    """nn.train_step (configured, as in tests/conftest.py) gives what the bare step gives."""
    x, y, _, _ = engine.datasets.load_digits()
    a, b = nn.digit_net(seed=4), nn.digit_net(seed=4)
    opt_a, opt_b = nn.Adam(a, 1e-3), nn.Adam(b, 1e-3)
    for i in range(12):  # through the warm-up and the probe of both counts
        xb, yb = x[i * 64:(i + 1) * 64], y[i * 64:(i + 1) * 64]
        assert nn.train_step(a, opt_a, xb, yb) == step_module._train_step(b, opt_b, xb, yb)
    for (la, name), (lb, _) in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(la.params[name], lb.params[name])
