import ast

import numpy as np
import pytest

from engine import nn
from engine.export import to_keras, to_pytorch
from engine.nn.recipe import TrainingConfig, build_model


@pytest.mark.parametrize("model", [nn.digit_net(), build_model(TrainingConfig(batch_norm=True))])
def test_exported_code_is_valid_python_naming_every_layer(model):
    for code in (to_pytorch(model, "m.npz"), to_keras(model, "m.npz")):
        ast.parse(code)
        assert 'np.load("m.npz")' in code
    torch_code = to_pytorch(model)
    assert torch_code.count("nn.Conv2d(") == 2 and torch_code.count("nn.Linear(") == 2
    assert "nn.Conv2d(1, 8, 5, stride=1, padding='same')" in torch_code


def test_pytorch_export_reproduces_the_predictions(tmp_path):
    torch = pytest.importorskip("torch")  # only where the benchmark installed it
    model = nn.digit_net(seed=3)
    path = tmp_path / "m.npz"
    model.save(path)
    scope = {}
    exec(to_pytorch(model, str(path)), scope)
    x = np.random.default_rng(0).random((4, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        theirs = scope["net"](torch.from_numpy(x)).numpy()
    assert np.allclose(theirs, model.forward(x, training=False), atol=1e-4)
