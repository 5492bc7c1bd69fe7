"""A trained Sequential written out as the equivalent PyTorch or Keras code.

The code builds the same architecture and loads the weights from the .npz that
Sequential.save writes (plain arrays: '<layer index>.param.w', '<layer index>.param.b', ...).
Each layer writes its own part (its to_pytorch and to_keras), from validated numbers and
fixed words only; a layer or an option the other framework cannot express raises ValueError
naming it, rather than exporting something that computes another function.
"""

from engine.arguments import whole_number


def _input_shape(shape):
    """shape as a tuple of whole numbers of at least 1, with 1 or 3 of them."""
    if not isinstance(shape, (tuple, list)) or len(shape) not in (1, 3):
        raise ValueError("the input shape must be (channels, height, width) for images or (features,)")
    return tuple(whole_number(v, "input shape", 1) for v in shape)


def _layers_with_input_shapes(model, input_shape):
    """[(index, layer, the shape it receives)]; ValueError naming the first layer the input does not fit."""
    shape, result = input_shape, []
    for i, layer in enumerate(model.layers):
        result.append((i, layer, shape))
        try:
            shape = layer.output_shape(shape)
        except ValueError as err:
            raise ValueError(f"layer {i + 1} ({layer.name}) does not fit inputs of shape {tuple(input_shape)} "
                             f"({err}); give the export the model's input_shape") from None
    return result


def _file_name(weights_file):
    if not isinstance(weights_file, str):
        raise ValueError(f"the weights file must be a file name, not {type(weights_file).__name__}")
    return repr(weights_file)  # a Python string literal, whatever the name holds


def _numbers(shape):
    return ", ".join(str(v) for v in shape)  # whole numbers: see _input_shape


def to_pytorch(model, weights_file="model.npz", input_shape=(1, 28, 28)):
    """PyTorch code (a string) for the model, with the weights loaded from weights_file.

    input_shape: one input (C, H, W) without the batch axis; 'same' padding with a stride
    depends on it (PyTorch's own 'same' takes no stride, so the code pads explicitly).
    """
    input_shape = _input_shape(input_shape)
    modules, loads = [], []
    for i, layer, shape in _layers_with_input_shapes(model, input_shape):
        code = layer.to_pytorch(shape)
        modules.append(code.module + ",")
        loads += [f"net[{i}]{code.holder}.{attr}.data = torch.from_numpy(w['{i}.{key}']{suffix})"
                  for attr, key, suffix in code.weights]
    body = "\n    ".join(modules)
    loading = "\n".join(loads)
    return f'''import numpy as np
import torch
from torch import nn

net = nn.Sequential(
    {body}
)
w = np.load({_file_name(weights_file)})
{loading}
net.eval()  # inputs: float32 tensors (N, {_numbers(input_shape)}); softmax of the output gives probabilities
'''


def to_keras(model, weights_file="model.npz", input_shape=(28, 28, 1)):
    """Keras code (a string) for the model; Keras keeps images as (N, H, W, C), so input_shape
    is (H, W, C) for images (or (D,) for vectors)."""
    shape = _input_shape(input_shape)
    ours = (shape[2], shape[0], shape[1]) if len(shape) == 3 else shape  # ConvLab's (C, H, W)
    lines, loads = [f"keras.Input(shape=({_numbers(shape)}{',' if len(shape) == 1 else ''})),"], []
    for i, layer, in_shape in _layers_with_input_shapes(model, ours):
        code = layer.to_keras(in_shape)
        lines += [expression + "," for expression in code.layers]
        if code.weights:
            j = len(lines) - 2  # the last one's index among Keras layers (the Input is not a layer)
            arrays = ", ".join(f"w['{i}.{key}']{suffix}" for key, suffix in code.weights)
            loads.append(f"model.layers[{j}].set_weights([{arrays}])")
    body = "\n    ".join(lines)
    loading = "\n".join(loads)
    return f'''import numpy as np
import keras
from keras import layers

model = keras.Sequential([
    {body}
])
w = np.load({_file_name(weights_file)})
{loading}
# inputs: float32 arrays (N, {_numbers(shape)}) in [0, 1]; softmax of the output gives probabilities
'''
