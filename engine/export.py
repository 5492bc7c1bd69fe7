"""A trained Sequential written out as the equivalent PyTorch or Keras code.

The code builds the same architecture and loads the weights from the .npz that
Sequential.save writes (plain arrays: '<layer index>.param.w', '<layer index>.param.b', ...).
"""

from engine import nn


def _padding(layer):
    return f"'{layer.padding}'" if isinstance(layer.padding, str) else str(layer.padding)


def to_pytorch(model, weights_file="model.npz"):
    """PyTorch code (a string) for the model, with the weights loaded from weights_file."""
    lines, loads = [], []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, nn.Conv2D):
            lines.append(f"nn.Conv2d({layer.in_ch}, {layer.out_ch}, {layer.size}, stride={layer.stride}, "
                         f"padding={_padding(layer)}),")
            loads += [f"net[{i}].weight.data = torch.from_numpy(w['{i}.param.w'])",
                      f"net[{i}].bias.data = torch.from_numpy(w['{i}.param.b'])"]
        elif isinstance(layer, nn.Dense):
            lines.append(f"nn.Linear({layer.n_in}, {layer.n_out}),")
            loads += [f"net[{i}].weight.data = torch.from_numpy(w['{i}.param.w'].T.copy())",
                      f"net[{i}].bias.data = torch.from_numpy(w['{i}.param.b'])"]
        elif isinstance(layer, (nn.MaxPool2D, nn.AvgPool2D)):
            kind = "MaxPool2d" if isinstance(layer, nn.MaxPool2D) else "AvgPool2d"
            lines.append(f"nn.{kind}({layer.size}, stride={layer.stride or layer.size}),")
        elif isinstance(layer, (nn.BatchNorm2D, nn.BatchNorm1D)):
            kind = "BatchNorm2d" if isinstance(layer, nn.BatchNorm2D) else "BatchNorm1d"
            lines.append(f"nn.{kind}({layer.channels}, eps={layer.eps}, momentum={1 - layer.momentum:g}),")
            loads += [f"net[{i}].weight.data = torch.from_numpy(w['{i}.param.gamma'])",
                      f"net[{i}].bias.data = torch.from_numpy(w['{i}.param.beta'])",
                      f"net[{i}].running_mean.data = torch.from_numpy(w['{i}.buffer.running_mean'])",
                      f"net[{i}].running_var.data = torch.from_numpy(w['{i}.buffer.running_var'])"]
        elif isinstance(layer, nn.Dropout):
            lines.append(f"nn.Dropout({layer.p}),")
        elif isinstance(layer, nn.LeakyReLU):
            lines.append(f"nn.LeakyReLU({layer.alpha}),")
        else:
            lines.append(f"nn.{ {'ReLU': 'ReLU', 'Sigmoid': 'Sigmoid', 'Tanh': 'Tanh', 'Flatten': 'Flatten'}[type(layer).__name__]}(),")
    body = "\n    ".join(lines)
    loading = "\n".join(loads)
    return f'''import numpy as np
import torch
from torch import nn

net = nn.Sequential(
    {body}
)
w = np.load("{weights_file}")
{loading}
net.eval()  # inputs: float32 tensors (N, 1, 28, 28) in [0, 1]; softmax of the output gives probabilities
'''


def to_keras(model, weights_file="model.npz", input_shape=(28, 28, 1)):
    """Keras code (a string) for the model; Keras keeps images as (N, H, W, C)."""
    lines, loads = [f"keras.Input(shape={input_shape}),"], []
    for i, layer in enumerate(model.layers):
        j = len(lines) - 1  # index among Keras layers (the Input is not a layer)
        if isinstance(layer, nn.Conv2D):
            lines.append(f"layers.Conv2D({layer.out_ch}, {layer.size}, strides={layer.stride}, "
                         f"padding='{layer.padding if isinstance(layer.padding, str) else 'valid'}'),")
            loads.append(f"model.layers[{j}].set_weights([w['{i}.param.w'].transpose(2, 3, 1, 0), w['{i}.param.b']])")
        elif isinstance(layer, nn.Dense):
            lines.append(f"layers.Dense({layer.n_out}),")
            loads.append(f"model.layers[{j}].set_weights([w['{i}.param.w'], w['{i}.param.b']])")
        elif isinstance(layer, (nn.MaxPool2D, nn.AvgPool2D)):
            kind = "MaxPooling2D" if isinstance(layer, nn.MaxPool2D) else "AveragePooling2D"
            lines.append(f"layers.{kind}({layer.size}, strides={layer.stride or layer.size}),")
        elif isinstance(layer, (nn.BatchNorm2D, nn.BatchNorm1D)):
            lines.append(f"layers.BatchNormalization(epsilon={layer.eps}, momentum={layer.momentum}),")
            loads.append(f"model.layers[{j}].set_weights([w['{i}.param.gamma'], w['{i}.param.beta'], "
                         f"w['{i}.buffer.running_mean'], w['{i}.buffer.running_var']])")
        elif isinstance(layer, nn.Dropout):
            lines.append(f"layers.Dropout({layer.p}),")
        elif isinstance(layer, nn.Flatten):
            # ConvLab flattens (C, H, W); Keras (H, W, C): permute first so the dense weights line up
            lines.append("layers.Permute((3, 1, 2)),")
            lines.append("layers.Flatten(),")
        elif isinstance(layer, nn.LeakyReLU):
            lines.append(f"layers.LeakyReLU({layer.alpha}),")
        else:
            lines.append(f"layers.Activation('{type(layer).__name__.lower()}'),")
    body = "\n    ".join(lines)
    return f'''import numpy as np
import keras
from keras import layers

model = keras.Sequential([
    {body}
])
w = np.load("{weights_file}")
{chr(10).join(loads)}
# inputs: float32 arrays (N, 28, 28, 1) in [0, 1]; softmax of the output gives probabilities
'''
