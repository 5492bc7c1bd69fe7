"""NaN, infinity and complex numbers are refused with a sentence wherever they would otherwise
pass silently: a NaN bias gives a NaN feature map, a complex gradient loses its imaginary part
without a word, a model file with NaN weights predicts class 0 for everything.

(Inside a network's layers, forward and backward do not scan every value on every training
step: the training step checks the loss and the gradients, see tests/nn/test_loop.py.)
"""

import io

import numpy as np
import pytest

import engine
from engine import filters, nn, preprocess
from engine.image_set import ImageSet, ImageSetError

RNG = np.random.default_rng(0)
X = RNG.random((1, 1, 6, 6)).astype(np.float32)
W = RNG.random((2, 1, 3, 3)).astype(np.float32)
DY = np.ones((1, 2, 4, 4), np.float32)
POOLED = np.ones((1, 1, 3, 3), np.float32)
DRAWING = np.zeros((28, 28))
DRAWING[8:20, 12:16] = 1
POOLS = ["max", "avg", "min", "sum", "l2"]
REFUSAL = r"NaN|infinit|must hold numbers|grey levels"


def spoiled(a, value):
    """A copy of a with one value replaced (complex values make the copy complex)."""
    out = np.array(a, dtype=np.result_type(a.dtype, type(value)))
    out.flat[len(out.flat) // 2] = value
    return out


def saved(model):
    buf = io.BytesIO()
    model.save(buf)
    buf.seek(0)
    return buf


def model_with(layer_index, name, value, kind="params"):
    model = nn.Sequential([nn.Flatten(), nn.Dense(784, 10, seed=0), nn.BatchNorm1D(10)])
    getattr(model.layers[layer_index], kind)[name].flat[3] = value
    return model


CASES = {
    "conv2d: NaN bias": lambda: engine.conv2d(X, W, b=[np.nan, 0]),
    "conv2d: infinite bias": lambda: engine.conv2d(X, W, b=[0, -np.inf]),
    "conv2d: complex bias": lambda: engine.conv2d(X, W, b=[1j, 0]),
    "conv2d: NaN kernel": lambda: engine.conv2d(X, spoiled(W, np.nan)),
    "conv2d: complex input": lambda: engine.conv2d(spoiled(X, 1j), W),
    "conv2d_backward: NaN input": lambda: engine.conv2d_backward(DY, spoiled(X, np.nan), W),
    "conv2d_backward: infinite input": lambda: engine.conv2d_backward(DY, spoiled(X, np.inf), W),
    "conv2d_backward: NaN kernel": lambda: engine.conv2d_backward(DY, X, spoiled(W, np.nan)),
    "conv2d_backward: NaN dy": lambda: engine.conv2d_backward(spoiled(DY, np.nan), X, W),
    "conv2d_backward: complex dy": lambda: engine.conv2d_backward(spoiled(DY, 2j), X, W),
    "conv2d_backward: complex input": lambda: engine.conv2d_backward(DY, spoiled(X, 1j), W),
    **{f"{k}_pool2d: NaN input": (lambda k=k: getattr(engine, f"{k}_pool2d")(spoiled(X, np.nan))) for k in POOLS},
    **{f"{k}_pool2d_backward: NaN dy": (lambda k=k: getattr(engine, f"{k}_pool2d_backward")(
        spoiled(POOLED, np.nan), X)) for k in POOLS},
    **{f"{k}_pool2d_backward: infinite dy": (lambda k=k: getattr(engine, f"{k}_pool2d_backward")(
        spoiled(POOLED, np.inf), X)) for k in POOLS},
    **{f"{k}_pool2d_backward: complex dy": (lambda k=k: getattr(engine, f"{k}_pool2d_backward")(
        spoiled(POOLED, 1j), X)) for k in POOLS},
    **{f"{k}_pool2d_backward: NaN input": (lambda k=k: getattr(engine, f"{k}_pool2d_backward")(
        POOLED, spoiled(X, np.nan))) for k in POOLS},
    "conv1d: NaN signal": lambda: engine.conv1d([0, np.nan, 2], [1, 1]),
    "conv1d: complex kernel": lambda: engine.conv1d([0, 1, 2], [1j, 1]),
    "filters.apply: NaN image": lambda: filters.apply(spoiled(X[0, 0], np.nan), filters.box(3)),
    "Sequential.forward: complex input": lambda: nn.digit_net().forward(np.ones((1, 1, 28, 28), np.complex64)),
    "Sequential.forward: NaN input": lambda: nn.digit_net().forward(spoiled(np.ones((1, 1, 28, 28)), np.nan)),
    "train_step: NaN images": lambda: (lambda m: nn.train_step(m, nn.SGD(m, 0.1), spoiled(
        np.ones((2, 1, 28, 28), np.float32), np.nan), np.array([0, 1])))(nn.digit_net()),
    "evaluate: infinite images": lambda: nn.evaluate(nn.digit_net(), spoiled(np.ones((2, 1, 28, 28)), np.inf),
                                                     np.array([0, 1])),
    "mnist_style: NaN": lambda: preprocess.mnist_style(spoiled(DRAWING, np.nan)),
    "mnist_style: infinity": lambda: preprocess.mnist_style(spoiled(DRAWING, np.inf)),
    "mnist_style: minus infinity": lambda: preprocess.mnist_style(spoiled(DRAWING, -np.inf)),
    "mnist_style: beyond float32": lambda: preprocess.mnist_style(spoiled(DRAWING, 1e300)),
    "mnist_style: complex": lambda: preprocess.mnist_style(spoiled(DRAWING, 1j)),
    "mnist_style: NaN in an RGB image": lambda: preprocess.mnist_style(spoiled(np.ones((8, 8, 3)), np.nan)),
    "mnist_style: photo with NaN": lambda: preprocess.mnist_style(spoiled(DRAWING, np.nan), photo=True),
    "to_grey: NaN": lambda: preprocess.to_grey(spoiled(DRAWING, np.nan)),
    "to_grey: complex RGBA": lambda: preprocess.to_grey(spoiled(np.ones((8, 8, 4)), 1j)),
    "photo_ink: infinity": lambda: preprocess.photo_ink(spoiled(DRAWING, np.inf)),
    "ImageSet.add_image: NaN": lambda: ImageSet(["a", "b"]).add_image("a", spoiled(DRAWING, np.nan)),
    "ImageSet.add: NaN": lambda: ImageSet(["a", "b"]).add("a", spoiled(DRAWING, np.nan)),
    "Sequential.load: NaN weight": lambda: nn.Sequential.load(saved(model_with(1, "w", np.nan))),
    "Sequential.load: infinite bias": lambda: nn.Sequential.load(saved(model_with(1, "b", np.inf))),
    "Sequential.load: NaN running variance": lambda: nn.Sequential.load(saved(
        model_with(2, "running_var", np.nan, "buffers"))),
    "predict: NaN weights in memory": lambda: model_with(1, "w", np.nan).predict(np.ones((2, 1, 28, 28))),
    "predict_proba: infinite weights in memory": lambda: model_with(1, "b", np.inf).predict_proba(
        np.ones((2, 1, 28, 28))),
}


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
def test_nan_infinity_and_complex_numbers_are_refused_with_a_sentence(call):
    with pytest.raises(ValueError, match=REFUSAL):
        call()


def test_a_model_file_with_nan_weights_is_refused_before_it_predicts():
    with pytest.raises(nn.ModelFileError, match="NaN or infinite values; a model with them cannot predict"):
        nn.Sequential.load(saved(model_with(1, "w", np.nan)))


def test_image_set_refusals_stay_image_set_errors():
    with pytest.raises(ImageSetError, match="NaN"):
        ImageSet(["a", "b"]).add_image("a", spoiled(DRAWING, np.nan))


def test_evaluate_on_an_empty_set_is_a_sentence():
    with pytest.raises(ValueError, match="at least one image"):
        nn.evaluate(nn.digit_net(), np.zeros((0, 1, 28, 28), np.float32), np.zeros(0, np.int64))


def test_finite_inputs_still_work():
    out = engine.conv2d(X, W, b=[1, 2])
    assert np.allclose(out - engine.conv2d(X, W), np.array([1, 2])[None, :, None, None])
    dx, dw, db = engine.conv2d_backward(DY, X, W)
    assert np.all(np.isfinite(dx)) and db.tolist() == [16, 16]
    assert preprocess.mnist_style(DRAWING).shape == (28, 28)
