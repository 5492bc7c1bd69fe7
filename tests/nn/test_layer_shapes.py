"""Every layer type, and the fused steps, called with wrong shapes: each call must raise
ValueError with a sentence. The calls run in a child process, so that a kernel writing out of
bounds (a segfault) fails the test instead of killing the test run.

Run as a script, this file makes the calls and prints a JSON summary.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wrong_gradients(out):
    """Shapes a gradient for an output of shape `out` must not have, and other wrong dy."""
    import numpy as np

    shapes = [(1,) * len(out), out + (1,), out[:-1], (out[0] + 1,) + out[1:], out[:-1] + (out[-1] + 1,),
              (0,) + out[1:], ()]
    if len(out) == 4:
        shapes.append(out[:2] + (400, 400))  # far bigger than the maps: the pooling segfault
    cases = [np.ones(s, np.float32) for s in shapes if s != out]
    cases += [np.ones(out, np.complex64), np.full(out, "x")]
    return cases


def wrong_inputs(cls, layer, shape):
    """Inputs the layer must refuse, for a layer built for one input of `shape`."""
    import numpy as np

    n = 2
    cases = [np.ones((n,) + shape, np.complex64), np.full((n,) + shape, "x")]
    if cls.input_kind == "image":
        c, h, w = shape
        cases += [np.ones((n, c * h * w), np.float32), np.ones(shape, np.float32),
                  np.ones((n, 1) + shape, np.float32)]
        try:
            layer.output_shape((c, 1, 1))
        except ValueError:  # the layer says a 1x1 image is too small for it: forward must agree
            cases.append(np.ones((n, c, 1, 1), np.float32))
        if hasattr(layer, "in_ch") or hasattr(layer, "channels"):
            cases.append(np.ones((n, c + 1, h, w), np.float32))
    if cls.input_kind == "vector":
        cases += [np.ones((n, 1, 2, shape[0] // 2), np.float32), np.ones(shape, np.float32),
                  np.ones((n, shape[0] + 1), np.float32)]
    return cases


def run_all():
    import numpy as np

    import engine
    from engine import nn

    engine.configure()
    tried, failures = 0, []

    def expect_refusal(what, call):
        nonlocal tried
        tried += 1
        try:
            call()
        except ValueError as err:
            if not str(err) or "Traceback" in str(err):
                failures.append(f"{what}: an empty or odd message {err!r}")
        except Exception as err:  # noqa: BLE001  anything but a ValueError is the bug
            failures.append(f"{what}: {type(err).__name__}: {err}")
        else:
            failures.append(f"{what}: accepted")

    layers = []
    for name, cls in nn.LAYER_TYPES.items():
        for shape in ((3, 8, 8),) if cls.input_kind == "image" else ((12,),) if cls.input_kind == "vector" \
                else ((3, 8, 8), (12,)):
            layers.append((name, cls, cls.for_input(shape), shape))
    layers.append(("Dense(3000, 400)", nn.Dense, nn.Dense(3000, 400), (3000,)))  # the kernels' size
    layers.append(("MaxPool2D(3, 2)", nn.MaxPool2D, nn.MaxPool2D(3, 2), (2, 9, 9)))
    for name, cls, layer, shape in layers:
        x = np.random.default_rng(0).standard_normal((2,) + shape).astype(np.float32)
        for i, bad in enumerate(wrong_inputs(cls, layer, shape)):
            expect_refusal(f"{name}.forward(x of {bad.shape} {bad.dtype})", lambda: layer.forward(bad))
        out = layer.forward(x)
        for bad in wrong_gradients(out.shape):
            expect_refusal(f"{name}.backward(dy of {bad.shape} {bad.dtype})", lambda: layer.backward(bad))

    # the fused steps and the whole model, through Sequential
    for model, shape in [(nn.digit_net(), (1, 28, 28)),
                         (nn.Sequential([nn.ReLU(), nn.Dropout(0.5)]), (12,))]:
        x = np.random.default_rng(1).random((3,) + shape).astype(np.float32)
        out = model.forward(x)
        for bad in wrong_gradients(out.shape):
            expect_refusal(f"{model!r}.backward(dy of {bad.shape})", lambda: model.backward(bad))
        for bad in [np.ones((3,) + shape, np.complex128), np.ones(shape, np.float32), np.full((3,) + shape, np.nan)]:
            expect_refusal(f"{model!r}.forward(x of {bad.shape} {bad.dtype})", lambda: model.forward(bad))
    return {"tried": tried, "failures": failures}


def test_every_layer_refuses_wrong_shapes_with_a_value_error_and_never_crashes():
    child = subprocess.run([sys.executable, __file__], cwd=ROOT, capture_output=True, text=True, timeout=600,
                           env={"PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert child.returncode == 0, f"the child process died ({child.returncode}):\n{child.stderr[-3000:]}"
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["tried"] >= 290
    assert not result["failures"], "\n".join(result["failures"])


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(run_all()))
