"""How Sequential runs its layers: as a list of steps.

A step covers one or more consecutive layers and has forward(x, training) -> output,
backward(dy) -> dx and `outputs`, the list of outputs of each layer it covers after the
last forward (for Sequential.activations). By default every layer is its own step; a faster
step may run several layers at once as long as it leaves the same gradients in each layer's
`grads`.
"""


class LayerStep:
    """One layer run on its own."""

    def __init__(self, layer):
        self.layers = [layer]
        self.outputs = [None]

    def forward(self, x, training=True):
        out = self.layers[0].forward(x, training)
        self.outputs[0] = out
        return out

    def backward(self, dy, need_dx=True):
        layer = self.layers[0]
        if not need_dx and type(layer).__name__ == "Conv2D":
            return layer.backward(dy, need_dx=False)
        return self.layers[0].backward(dy)


def group(layers):
    """The steps that run these layers in order."""
    return [LayerStep(layer) for layer in layers]
