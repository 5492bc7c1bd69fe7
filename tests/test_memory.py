"""The limit per array (engine/memory.py): every public function that allocates from its
arguments refuses, with a sentence and before allocating, an array beyond the limit.

Two kinds of hostile call: an absurd padding, size or count under the default limit of 1 GiB
(NumPy would answer with a MemoryError for terabytes), and an ordinary input a few MiB large
under a limit of 1 MiB set from Python (the buffers a function makes from its input).
"""

import io
import os
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import engine
from engine import augment, filters, memory, nn, preprocess
from engine.explain import fit_pca, mean_response_by_class, occlusion_map
from engine.image_set import ImageSet
from engine.lessons.layer_calculator import summarize

ROOT = Path(__file__).resolve().parent.parent
LIMIT = "limit per array (CONVLAB_MAX_ARRAY_MB)"


@pytest.fixture
def default_limit(monkeypatch):
    monkeypatch.delenv(memory.ENV_NAME, raising=False)
    before = memory.set_max_array_mb(None)
    yield
    memory.set_max_array_mb(before)


@pytest.fixture
def one_mib(monkeypatch):
    monkeypatch.delenv(memory.ENV_NAME, raising=False)
    before = memory.set_max_array_mb(1)
    yield
    memory.set_max_array_mb(before)


def _image(n=1, c=1, h=8, w=8):
    return np.random.default_rng(0).random((n, c, h, w)).astype(np.float32)


X8, W3 = _image(), _image(2, 1, 3, 3)

# -- absurd arguments under the default limit of 1 GiB
HUGE = {
    "conv2d padding 10**6": lambda: engine.conv2d(X8, W3, padding=10**6),
    "conv2d padding (0, 10**9)": lambda: engine.conv2d(X8, W3, padding=(0, 10**9)),
    "conv2d padding 10**5 with stride 2": lambda: engine.conv2d(X8, W3, padding=10**5, stride=2),
    "conv2d 'same' padding for a huge dilation": lambda: engine.conv2d(X8, W3, padding="same", dilation=10**6),
    "conv2d_backward padding 10**6": lambda: engine.conv2d_backward(np.ones((1, 2, 6, 6)), X8, W3, padding=10**6),
    "pad2d 10**6": lambda: engine.pad2d(X8, 10**6),
    "pad2d (top, bottom, left, right) 10**9": lambda: engine.pad2d(X8, (0, 10**9, 0, 1)),
    "pad2d replicate 10**6": lambda: engine.pad2d(X8[0, 0], 10**6, mode="replicate"),
    "gaussian size 10**5 + 1": lambda: filters.gaussian(10**5 + 1),
    "gabor size 10**5 + 1": lambda: filters.gabor(10**5 + 1),
    "box size 10**9 + 1": lambda: filters.box(10**9 + 1),
    "identity size 10**9 + 1": lambda: filters.identity(10**9 + 1),
    "by_name gaussian 2**40 + 1": lambda: filters.by_name("gaussian", size=2**40 + 1),
    "Dense(20000, 20000)": lambda: nn.Dense(20000, 20000),
    "Dense(10**9, 10)": lambda: nn.Dense(10**9, 10),
    "Conv2D(10**4, 10**4, 11)": lambda: nn.Conv2D(10**4, 10**4, 11),
    "BatchNorm2D(10**12)": lambda: nn.BatchNorm2D(10**12),
    "BatchNorm1D(10**12)": lambda: nn.BatchNorm1D(10**12),
    "calculator: padding 10**6": lambda: summarize([{"type": "Conv2D", "out_ch": 8, "size": 3, "padding": 10**6}],
                                                    (1, 28, 28)),
    "calculator: Dense 10**9": lambda: summarize([{"type": "Flatten"}, {"type": "Dense", "n_out": 10**9}],
                                                 (1, 28, 28)),
    "calculator: input 10**6 x 10**6": lambda: summarize([{"type": "ReLU"}], (1, 10**6, 10**6)),
    "image set of 10**7 examples": lambda: ImageSet(["a", "b"], max_total=10**7),
    "mean responses for class 10**12": lambda: mean_response_by_class(np.ones((2, 3)), np.array([0, 10**12])),
}


@pytest.mark.parametrize("call", HUGE.values(), ids=HUGE.keys())
def test_absurd_sizes_are_refused_with_the_shape_the_size_and_the_limit(call, default_limit):
    pattern = r"(^|: )an? \(.*\) \w+ .* would take .*, more than the 1 GiB " + re.escape(LIMIT)
    with pytest.raises(ValueError, match=pattern):
        call()


def test_the_message_names_shape_size_and_limit(default_limit):
    with pytest.raises(ValueError) as err:
        engine.conv2d(X8, _image(1, 1, 3, 3), padding=10**6)
    assert str(err.value) == ("a (1, 1, 2000008, 2000008) float32 padded input would take 14.6 TiB, "
                              "more than the 1 GiB limit per array (CONVLAB_MAX_ARRAY_MB)")


def _saved_dense_model():
    buf = io.BytesIO()
    nn.Sequential([nn.Dense(1024, 512)]).save(buf)  # 2 MiB of weights
    buf.seek(0)
    return buf


BIG_X = _image(1, 1, 1024, 1024)  # 4 MiB
POOLS = ["max", "avg", "min", "sum", "l2"]

# -- ordinary inputs, a few MiB large, under a limit of 1 MiB
LARGE = {
    "conv2d of a 1024x1024 image": lambda: engine.conv2d(BIG_X, _image(1, 1, 3, 3), padding=1),
    "conv2d with stride 2": lambda: engine.conv2d(BIG_X, _image(1, 1, 3, 3), stride=2),
    "conv2d_backward": lambda: engine.conv2d_backward(np.ones((1, 1, 1024, 1024), np.float32), BIG_X,
                                                      _image(1, 1, 1, 1)),
    "conv1d of 2 x 200,000 values": lambda: engine.conv1d(np.ones(200_000), np.ones(200_000)),
    "pad2d": lambda: engine.pad2d(BIG_X, 1),
    **{f"{k}_pool2d": (lambda k=k: getattr(engine, f"{k}_pool2d")(BIG_X, 1)) for k in POOLS},
    **{f"{k}_pool2d_backward": (lambda k=k: getattr(engine, f"{k}_pool2d_backward")(BIG_X, BIG_X, 1)) for k in POOLS},
    "rotate": lambda: augment.rotate(BIG_X[:, :, :512, :512], 10),
    "to_grey of a uint8 1100x1100 image": lambda: preprocess.to_grey(np.zeros((1100, 1100), np.uint8)),
    "mnist_style of a uint8 1100x1100 image": lambda: preprocess.mnist_style(np.zeros((1100, 1100), np.uint8)),
    "occlusion batch": lambda: occlusion_map(nn.Sequential([nn.Flatten(), nn.Dense(4096, 2)]),
                                             np.zeros((64, 64), np.float32), 0, size=1),
    "PCA of 2000 x 200 features": lambda: fit_pca(np.ones((2000, 200), np.float32)),
    "Dense(1024, 512)": lambda: nn.Dense(1024, 512),
    "a model file with a 2 MiB array": lambda: nn.Sequential.load(_saved_dense_model()),
    "calculator: Conv2D output": lambda: summarize([{"type": "Conv2D", "out_ch": 65, "size": 3, "padding": 1}],
                                                   (1, 64, 64)),
}


@pytest.mark.parametrize("name", LARGE, ids=LARGE.keys())
def test_buffers_made_from_an_input_are_held_against_the_limit(name, one_mib):
    if name == "a model file with a 2 MiB array":
        memory.set_max_array_mb(None)
        model = _saved_dense_model()  # made under the default limit
        memory.set_max_array_mb(1)
        with pytest.raises(nn.ModelFileError, match="more than the 1 MiB " + re.escape(LIMIT)):
            nn.Sequential.load(model)
        return
    with pytest.raises(ValueError, match=r"would take .*, more than the 1 MiB limit per array"):
        LARGE[name]()


def test_the_check_comes_before_the_allocation(one_mib):
    memory.set_max_array_mb(64)
    x = np.zeros((1, 1, 64, 64), np.float32)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"a \(1, 1, 64, 409600\) float32 padded input would take 100 MiB"):
            engine.pad2d(x, (0, 0, 0, 409600 - 64))  # NumPy could make it, but the limit says no
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"{peak:,} bytes were allocated before the refusal"


def test_arrays_within_the_limit_are_made(one_mib):
    assert engine.conv2d(_image(1, 1, 256, 256), _image(1, 1, 3, 3), padding=1).shape == (1, 1, 256, 256)
    assert nn.Dense(256, 256).params["w"].shape == (256, 256)


def test_the_limit_is_set_from_python_and_put_back(default_limit):
    x = _image(1, 1, 600, 600)  # 1.37 MiB
    assert engine.pad2d(x, 0).shape == x.shape
    memory.set_max_array_mb(1)
    assert memory.max_array_bytes() == 2**20
    with pytest.raises(ValueError, match="more than the 1 MiB limit"):
        engine.pad2d(x, 0)
    memory.set_max_array_mb(None)
    assert memory.max_array_mb() == memory.DEFAULT_MB
    assert engine.pad2d(x, 0).shape == x.shape


@pytest.mark.parametrize("bad", [0, -1, 1.5, "64", True])
def test_a_limit_from_python_must_be_a_whole_number_of_mib(bad, default_limit):
    with pytest.raises(ValueError, match="largest array size in MiB"):
        memory.set_max_array_mb(bad)
    assert memory.max_array_mb() == memory.DEFAULT_MB


def test_the_environment_variable_is_read_on_every_check(default_limit, monkeypatch):
    x = _image(1, 1, 600, 600)  # 1.37 MiB
    monkeypatch.setenv(memory.ENV_NAME, "1")
    with pytest.raises(ValueError, match="more than the 1 MiB limit"):
        engine.pad2d(x, 0)
    monkeypatch.setenv(memory.ENV_NAME, "2")
    assert engine.pad2d(x, 0).shape == x.shape
    memory.set_max_array_mb(1)  # Python's setting wins over the environment's
    with pytest.raises(ValueError, match="more than the 1 MiB limit"):
        engine.pad2d(x, 0)


@pytest.mark.slow
def test_the_environment_variable_sets_the_limit_and_python_overrides_it():
    script = ("import numpy as np, engine\n"
              "from engine import memory\n"
              "x = np.ones((1, 1, 600, 600), np.float32)\n"
              "print(memory.max_array_mb())\n"
              "try:\n    engine.pad2d(x, 0); print('made')\nexcept ValueError as e:\n    print(e)\n"
              "memory.set_max_array_mb(8); engine.pad2d(x, 0); print('made under 8')\n")

    def run(value):
        env = {k: v for k, v in os.environ.items() if k != memory.ENV_NAME}
        if value is not None:
            env[memory.ENV_NAME] = value
        env["PYTHONPATH"] = str(ROOT)
        child = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=300)
        assert child.returncode == 0, child.stderr[-2000:]
        return child.stdout.splitlines()

    assert run("1") == ["1", "a (1, 1, 600, 600) float32 padded input would take 1.37 MiB, more than the 1 MiB "
                             "limit per array (CONVLAB_MAX_ARRAY_MB)", "made under 8"]
    assert run(None)[:2] == ["1024", "made"]
    assert run("lots")[:2] == ["1024", "made"]  # not a number: the default, as the other limits do
    assert run("0")[0] == "1"  # at least 1 MiB


@pytest.mark.parametrize("size, text", [(0, "0 bytes"), (1023, "1023 bytes"), (1024, "1 KiB"),
                                        (3 * 2**29, "1.5 GiB"), (2**80, "1 YiB"), (10**30, "827,181 YiB")])
def test_sizes_read_in_binary_units(size, text):
    assert memory.format_bytes(size) == text
