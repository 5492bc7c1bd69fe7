"""PyTorch and Keras export: valid code, the same predictions, and nothing unvalidated in it."""

import ast

import numpy as np
import pytest

from engine import nn
from engine.export import to_keras, to_pytorch
from engine.nn.recipe import TrainingConfig, build_model

rng = np.random.default_rng(0)


@pytest.mark.parametrize("model", [nn.digit_net(), build_model(TrainingConfig(batch_norm=True))])
def test_exported_code_is_valid_python_naming_every_layer(model):
    for code in (to_pytorch(model, "m.npz"), to_keras(model, "m.npz")):
        ast.parse(code)
        assert "np.load('m.npz')" in code
    torch_code = to_pytorch(model)
    assert torch_code.count("nn.Conv2d(") == 2 and torch_code.count("nn.Linear(") == 2
    assert "nn.Conv2d(1, 8, 5, stride=1, padding='same')" in torch_code


def test_keras_writes_explicit_padding_as_zero_padding_not_valid():
    model = nn.Sequential([nn.Conv2D(1, 2, 3, padding=1), nn.Conv2D(2, 2, 3, padding=(2, 0)),
                           nn.Conv2D(2, 2, 3, stride=2, padding="same"), nn.Conv2D(2, 2, 3)])
    code = to_keras(model)
    assert "layers.ZeroPadding2D(padding=1),\n    layers.Conv2D(2, 3, strides=1, padding='valid')" in code
    assert "layers.ZeroPadding2D(padding=(2, 0))" in code
    assert "layers.Conv2D(2, 3, strides=2, padding='same')" in code  # Keras' 'same' is ConvLab's
    assert code.count("ZeroPadding2D") == 2
    # each set_weights goes to the convolution, after the padding layers
    assert "model.layers[1].set_weights([w['0.param.w']" in code
    assert "model.layers[3].set_weights([w['1.param.w']" in code
    assert "model.layers[4].set_weights([w['2.param.w']" in code


def test_pytorch_never_writes_same_padding_with_a_stride():
    code = to_pytorch(nn.Sequential([nn.Conv2D(1, 2, 3, stride=2, padding="same")]))
    assert "padding='same'" not in code
    assert "nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(1, 2, 3, stride=2, padding=0))" in code


def test_export_names_an_input_the_model_does_not_fit():
    with pytest.raises(ValueError, match="layer 1 .* does not fit inputs of shape \\(3, 32, 32\\)"):
        to_pytorch(nn.digit_net(), input_shape=(3, 32, 32))


# -- hostile values: only validated numbers and the known words may reach the code

HOSTILE = ["same'); __import__('os').system('echo owned'); ('", "valid\n__import__('os')", "1); import os; (",
           "'same'", "same ", "__import__('os').system('x')"]
FIELDS = [  # (layer, attribute); each is given every hostile string in turn
    (lambda: nn.Conv2D(1, 2, 3), "padding"), (lambda: nn.Conv2D(1, 2, 3), "stride"),
    (lambda: nn.Conv2D(1, 2, 3), "size"), (lambda: nn.Conv2D(1, 2, 3), "in_ch"),
    (lambda: nn.Conv2D(1, 2, 3), "out_ch"), (lambda: nn.MaxPool2D(2), "size"),
    (lambda: nn.MaxPool2D(2), "stride"), (lambda: nn.AvgPool2D(2), "size"),
    (lambda: nn.Dropout(0.5), "p"), (lambda: nn.LeakyReLU(0.1), "alpha"),
    (lambda: nn.BatchNorm2D(1), "eps"), (lambda: nn.BatchNorm2D(1), "momentum"),
    (lambda: nn.BatchNorm2D(1), "channels"), (lambda: nn.Dense(4, 2), "n_in"), (lambda: nn.Dense(4, 2), "n_out"),
]


def _model_around(layer):
    """layer, in a model where it gets inputs it takes."""
    if isinstance(layer, nn.Dense):
        return nn.Sequential([nn.Flatten(), layer]), (4, 1, 1)
    return nn.Sequential([layer]), (1, 8, 8)


@pytest.mark.parametrize("make, field", FIELDS)
@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_string_in_any_field_is_refused_by_the_constructor_and_by_export(make, field, text):
    layer = make()
    config = layer.config() | {field: text} if field in layer.config() else None
    if config is not None:
        with pytest.raises(ValueError):
            type(layer).from_config(config)
    model, shape = _model_around(layer)
    setattr(layer, field, text)  # as if someone changed the layer by hand after building it
    keras_shape = (shape[1], shape[2], shape[0])
    for export in (lambda: to_pytorch(model, input_shape=shape), lambda: to_keras(model, input_shape=keras_shape)):
        try:
            code = export()
        except (ValueError, TypeError):
            continue
        raise AssertionError(f"the export wrote {field}={text!r}:\n{code}")


def test_hostile_strings_in_a_model_file_never_load(tmp_path):
    import json

    for text in HOSTILE:
        path = tmp_path / "m.npz"
        nn.Sequential([nn.Conv2D(1, 2, 3)]).save(path)
        data = dict(np.load(path))
        arch = json.loads(str(data["architecture"]))
        arch[0]["config"]["padding"] = text
        data["architecture"] = np.array(json.dumps(arch))
        np.savez(path, **data)
        with pytest.raises(nn.ModelFileError, match="padding must be"):
            nn.Sequential.load(path)


@pytest.mark.parametrize("name", ["m.npz", "it's.npz", 'q"uote.npz', "new\nline.npz", "a'); import os; ('.npz"])
def test_the_weights_file_name_is_written_as_a_string_literal(name):
    for code in (to_pytorch(nn.digit_net(), name), to_keras(nn.digit_net(), name)):
        loads = [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call)
                 and getattr(node.func, "attr", None) == "load"]
        assert len(loads) == 1 and loads[0].args[0].value == name
        assert "import os" not in code.replace(repr(name), "")


# -- the generated PyTorch code computes what the model computes

TORCH_CASES = {  # name: (layers, input shape)
    "digit network": (lambda: nn.digit_net(seed=3).layers, (1, 28, 28)),
    "padding 1, stride 2": (lambda: [nn.Conv2D(1, 3, 3, stride=2, padding=1, seed=0)], (1, 9, 9)),
    "same, stride 2, odd input": (lambda: [nn.Conv2D(2, 3, 3, stride=2, padding="same", seed=0)], (2, 9, 9)),
    "same, stride 2, even input": (lambda: [nn.Conv2D(2, 3, 4, stride=2, padding="same", seed=0)], (2, 8, 8)),
    "same, stride 3": (lambda: [nn.Conv2D(1, 2, 5, stride=3, padding="same", seed=0)], (1, 11, 10)),
    "same, even kernel": (lambda: [nn.Conv2D(1, 2, 4, padding="same", seed=0)], (1, 7, 7)),
    "valid, stride pair": (lambda: [nn.Conv2D(1, 2, 3, stride=(2, 1), padding="valid", seed=0)], (1, 9, 8)),
    "padding pair": (lambda: [nn.Conv2D(1, 2, 3, padding=(2, 0), seed=0)], (1, 6, 6)),
    "pools and activations": (lambda: [nn.Conv2D(1, 4, 3, seed=1), nn.Tanh(), nn.MaxPool2D(3, 2), nn.Sigmoid(),
                                       nn.AvgPool2D((2, 1)), nn.LeakyReLU(0.2), nn.Flatten(),
                                       nn.Dense(4 * 2 * 3, 5, seed=2)], (1, 11, 10)),
    "batch norm": (lambda: [nn.Conv2D(1, 3, 3, seed=1), nn.BatchNorm2D(3, momentum=0.8, eps=1e-3), nn.ReLU(),
                            nn.Flatten(), nn.Dense(27, 4, seed=2), nn.BatchNorm1D(4), nn.Dropout(0.3)], (1, 5, 5)),
    "global average pooling": (lambda: [nn.Conv2D(3, 6, 3, padding="same", seed=1), nn.GlobalAvgPool2D(),
                                        nn.Dense(6, 2, seed=2)], (3, 7, 9)),
}


@pytest.mark.parametrize("case", TORCH_CASES)
def test_pytorch_export_reproduces_the_predictions(case, tmp_path):
    torch = pytest.importorskip("torch")  # only where the benchmark installed it
    make, shape = TORCH_CASES[case]
    model = nn.Sequential(make())
    x = rng.random((4,) + shape).astype(np.float32)
    for _ in range(3):  # moves the batch-norm running statistics away from their start
        model.forward(x)
    path = tmp_path / "m.npz"
    model.save(path)
    scope = {}
    exec(to_pytorch(model, str(path), input_shape=shape), scope)
    with torch.no_grad():
        theirs = scope["net"](torch.from_numpy(x)).numpy()
    assert theirs.shape == model.forward(x, training=False).shape
    np.testing.assert_allclose(theirs, model.forward(x, training=False), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("case", TORCH_CASES)
def test_keras_export_reproduces_the_predictions(case, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")  # not installed by default: runs where someone added it
    make, shape = TORCH_CASES[case]
    model = nn.Sequential(make())
    x = rng.random((4,) + shape).astype(np.float32)
    for _ in range(3):
        model.forward(x)
    path = tmp_path / "m.npz"
    model.save(path)
    scope = {}
    exec(to_keras(model, str(path), input_shape=(shape[1], shape[2], shape[0])), scope)
    theirs = np.asarray(keras.ops.convert_to_numpy(scope["model"](x.transpose(0, 2, 3, 1), training=False)))
    ours = model.forward(x, training=False)
    if ours.ndim == 4:
        ours = ours.transpose(0, 2, 3, 1)
    np.testing.assert_allclose(theirs, ours, atol=1e-4, rtol=1e-4)
