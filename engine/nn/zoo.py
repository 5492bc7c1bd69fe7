"""Ready-made networks."""

from engine.arguments import whole_number
from engine.nn.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU
from engine.nn.model import Sequential


def digit_net(seed=0):
    """The lectures' digit recognizer for (N, 1, 28, 28) images; 204,906 parameters.

    conv 8@5x5 same (208) -> ReLU -> max-pool 2 -> dropout 0.25 ->
    conv 16@3x3 same (1,168) -> ReLU -> max-pool 2 -> dropout 0.25 -> flatten 784 ->
    dense 256 (200,960) -> ReLU -> dropout 0.5 -> dense 10 (2,570); softmax is in the loss.
    """
    seed = whole_number(seed, "seed", 0)
    return Sequential([
        Conv2D(1, 8, 5, padding="same", seed=seed),
        ReLU(),
        MaxPool2D(2),
        Dropout(0.25, seed=seed + 1),
        Conv2D(8, 16, 3, padding="same", seed=seed + 2),
        ReLU(),
        MaxPool2D(2),
        Dropout(0.25, seed=seed + 3),
        Flatten(),
        Dense(784, 256, seed=seed + 4),
        ReLU(),
        Dropout(0.5, seed=seed + 5),
        Dense(256, 10, seed=seed + 6),
    ])
