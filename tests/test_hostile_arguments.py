"""The public API called with absurd arguments: huge and negative whole numbers, fractions, NaN,
infinity, bools, None, text, lists and complex numbers in place of each argument of a call that
works. Each call must work, or raise ValueError or TypeError with a sentence, in bounded time;
never OverflowError, MemoryError, IndexError, SystemError, ZeroDivisionError or a crash.

The calls run in a child process with a time limit, so that a hang or a crash fails the test
instead of stopping the test run. Run as a script, this file makes the calls and prints a JSON
summary.
"""

import json
import math
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECONDS_PER_CALL = 20

# Python's own words for a mistake inside the engine, not a sentence to a learner
INTERNAL_WORDS = ("unhashable", "not supported between", "object is not", "NoneType", "has no attribute",
                  "only integer", "must be real number", "argument must be", "could not convert",
                  "cannot be interpreted", "unsupported operand", "inhomogeneous", "range()",
                  "need at least one array", "expected non-negative integer", "SeedSequence",
                  "can only concatenate", "has no len()", "ufunc")

HOSTILE = [2**63, 2**64, 10**18, -(2**63), -1, 0, 1.5, -0.5, math.nan, math.inf, -math.inf, True, False,
           None, "x", "", [1, 2, 3], [], [[1, 2], [3]], {}, 1j, (2**63, 1)]


def hostile_arrays():
    import numpy as np

    return [np.full((1, 1, 6, 6), np.nan, np.float32), np.ones((1, 1, 6, 6), np.complex64), np.zeros((0,)),
            np.full((1, 1, 6, 6), "x"), np.ones((1, 1, 6, 6), object), np.ones((2, 3)), np.ones((1, 1, 6, 6)) * np.inf]


def api_calls():
    """(name, function, keyword arguments of a call that works), for every public entry point."""
    import numpy as np

    import engine
    from engine import augment, datasets, filters, nn, preprocess
    from engine.image_set import ImageSet

    rng = np.random.default_rng(0)
    x = rng.random((1, 1, 6, 6)).astype(np.float32)
    w = rng.random((2, 1, 3, 3)).astype(np.float32)
    dy = np.ones((1, 2, 4, 4), np.float32)
    pooled = np.ones((1, 1, 3, 3), np.float32)
    digits = rng.random((4, 1, 28, 28)).astype(np.float32)
    labels = np.array([0, 1, 2, 3])
    drawing = np.zeros((28, 28), np.float32)
    drawing[8:20, 12:16] = 1

    def model():
        return nn.Sequential([nn.Flatten(), nn.Dense(784, 10, seed=0)])

    def image_set():
        s = ImageSet(["a", "b"])
        for c in (0, 0, 1, 1):
            s.add(c, drawing)
        return s

    calls = [
        ("conv2d", engine.conv2d, dict(x=x, w=w, b=None, stride=1, padding=0, dilation=1)),
        ("conv2d_backward", engine.conv2d_backward, dict(dy=dy, x=x, w=w, stride=1, padding=0, dilation=1)),
        ("pad2d", engine.pad2d, dict(x=x, padding=1, mode="zero")),
        ("conv1d", engine.conv1d, dict(x=[0, 1, 2, 3, 4], w=[1, -1, 2], mode="full", flip=True)),
        ("conv_output_size", engine.conv_output_size, dict(n=7, f=3, stride=1, padding=0, dilation=1)),
    ]
    for kind in ("max", "avg", "min", "sum", "l2"):
        calls.append((f"{kind}_pool2d", getattr(engine, f"{kind}_pool2d"), dict(x=x, size=2, stride=None)))
        calls.append((f"{kind}_pool2d_backward", getattr(engine, f"{kind}_pool2d_backward"),
                      dict(dy=pooled, x=x, size=2, stride=None)))
    calls += [
        ("filters.identity", filters.identity, dict(size=3)),
        ("filters.box", filters.box, dict(size=3)),
        ("filters.gaussian", filters.gaussian, dict(size=5, sigma=1.0)),
        ("filters.gabor", filters.gabor, dict(size=15, theta=0.0, wavelength=6.0, sigma=3.0, gamma=0.5, psi=0.0)),
        ("filters.by_name", filters.by_name, dict(name="sobel_x")),
        ("filters.apply", filters.apply, dict(image=x[0, 0], kernel=filters.box(3), convolve=False, mode="zero")),
        ("nn.Conv2D", nn.Conv2D, dict(in_ch=1, out_ch=2, size=3, stride=1, padding=0)),
        ("nn.MaxPool2D", nn.MaxPool2D, dict(size=2, stride=None)),
        ("nn.AvgPool2D", nn.AvgPool2D, dict(size=2, stride=None)),
        ("nn.LeakyReLU", nn.LeakyReLU, dict()),
        ("nn.Dropout", nn.Dropout, dict(p=0.5)),
        ("nn.BatchNorm2D", nn.BatchNorm2D, dict(channels=2, momentum=0.9, eps=1e-5)),
        ("nn.BatchNorm1D", nn.BatchNorm1D, dict(channels=2, momentum=0.9, eps=1e-5)),
        ("nn.Dense", nn.Dense, dict(n_in=4, n_out=3)),
        ("nn.Sequential", nn.Sequential, dict(layers=[nn.ReLU()])),
        ("Conv2D.forward", lambda x: nn.Conv2D(1, 2, 3).forward(x), dict(x=x)),
        ("Dense.forward", lambda x: nn.Dense(36, 2).forward(x), dict(x=x.reshape(1, 36))),
        ("MaxPool2D.forward", lambda x: nn.MaxPool2D(2).forward(x), dict(x=x)),
        ("MaxPool2D forward and backward", lambda size, stride: (lambda layer: layer.backward(
            np.ones_like(layer.forward(x))))(nn.MaxPool2D(size, stride)), dict(size=2, stride=None)),
        ("Conv2D forward and backward", lambda stride, padding: (lambda layer: layer.backward(
            np.ones_like(layer.forward(x))))(nn.Conv2D(1, 2, 3, stride, padding)), dict(stride=1, padding=0)),
        ("BatchNorm2D.forward", lambda x: nn.BatchNorm2D(1).forward(x), dict(x=x)),
        ("Sequential.forward", lambda x: model().forward(x), dict(x=digits)),
        ("Sequential.predict", lambda x, batch_size: model().predict(x, batch_size), dict(x=digits, batch_size=2)),
        ("nn.softmax_cross_entropy", nn.softmax_cross_entropy, dict(logits=np.zeros((4, 10)), labels=labels)),
        ("nn.mse", nn.mse, dict(pred=np.zeros(3), target=np.ones(3))),
        ("nn.SGD", lambda lr, momentum: nn.SGD(model(), lr, momentum), dict(lr=0.1, momentum=0.0)),
        ("nn.RMSprop", lambda lr, rho, eps: nn.RMSprop(model(), lr, rho, eps), dict(lr=0.1, rho=0.9, eps=1e-8)),
        ("nn.Adam", lambda lr: nn.Adam(model(), lr), dict(lr=0.1)),
        ("nn.digit_net", nn.digit_net, dict(seed=0)),
        ("nn.train_step", lambda x, y: (lambda m: nn.train_step(m, nn.SGD(m, 0.1), x, y))(model()),
         dict(x=digits, y=labels)),
        ("nn.evaluate", lambda x, y, batch_size: nn.evaluate(model(), x, y, batch_size),
         dict(x=digits, y=labels, batch_size=2)),
        ("datasets.load_digits", datasets.load_digits, dict()),
        ("preprocess.mnist_style", preprocess.mnist_style, dict(image=drawing, threshold=0.1, photo=False)),
        ("preprocess.photo_ink", preprocess.photo_ink, dict(image=drawing, floor=0.3)),
        ("augment.shift_batch", lambda x, max_shift: augment.shift_batch(x, rng, max_shift),
         dict(x=digits, max_shift=2)),
        ("augment.rotate", augment.rotate, dict(x=digits, degrees=10)),
        ("augment.rotate_batch", lambda x, max_degrees: augment.rotate_batch(x, rng, max_degrees),
         dict(x=digits, max_degrees=15)),
        ("ImageSet", ImageSet, dict(class_names=["a", "b"], max_per_class=200, max_total=1000)),
        ("ImageSet.split", lambda heldout, seed: image_set().split(heldout, seed), dict(heldout=0.5, seed=0)),
        ("ImageSet.add", lambda class_name, image: image_set().add(class_name, image),
         dict(class_name="a", image=drawing)),
    ]
    return calls


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


def run_all():
    import numpy as np

    import engine

    engine.configure()
    signal.signal(signal.SIGALRM, _alarm)
    tried, answers, failures, messages, worked = 0, {"worked": 0, "refused": 0}, [], {}, []
    for name, function, base in api_calls():
        function(**base)  # the call works as given
        for key in base:
            for value in HOSTILE + (hostile_arrays() if isinstance(base[key], np.ndarray) else []):
                tried += 1
                what = f"{name}({key}={type(value).__name__} {str(value)[:30]!r})"
                signal.alarm(SECONDS_PER_CALL)
                try:
                    function(**{**base, key: value})
                    answers["worked"] += 1
                    worked.append(what)
                except Hang:
                    failures.append(f"{what}: still running after {SECONDS_PER_CALL} s")
                except (ValueError, TypeError) as err:
                    answers["refused"] += 1
                    text = str(err)
                    messages.setdefault(f"{type(err).__name__}: {text[:150]}", what)
                    if not text or "Traceback" in text or len(text) > 400:
                        failures.append(f"{what}: an empty or odd message {text[:200]!r}")
                    elif any(word in text for word in INTERNAL_WORDS):
                        failures.append(f"{what}: {type(err).__name__} in Python's words: {text[:200]}")
                except Exception as err:  # noqa: BLE001  anything else is the bug
                    failures.append(f"{what}: {type(err).__name__}: {str(err)[:200]}")
                finally:
                    signal.alarm(0)
    return {"tried": tried, **answers, "failures": failures, "messages": messages,
            "accepted": worked}


@pytest.mark.slow
def test_the_public_api_answers_absurd_arguments_with_a_sentence():
    child = subprocess.run([sys.executable, __file__], cwd=ROOT, capture_output=True, text=True, timeout=900,
                           env={"PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert child.returncode == 0, f"the child process died ({child.returncode}):\n{child.stderr[-3000:]}"
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["tried"] >= 2000
    assert not result["failures"], f"{len(result['failures'])} failures:\n" + "\n".join(result["failures"])


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(run_all()))
