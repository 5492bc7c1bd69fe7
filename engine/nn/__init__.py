"""engine.nn: layers, Sequential models, losses, optimizers and training.

    >>> from engine import nn
    >>> model = nn.digit_net()
    >>> opt = nn.Adam(model, lr=1e-3)
    >>> loss = nn.train_step(model, opt, x_batch, y_batch)   # doctest: +SKIP
    >>> history = nn.fit(model, opt, x, y, epochs=2, validation=(x_val, y_val))   # doctest: +SKIP
"""

from engine.nn import layers
from engine.nn.layers import *  # noqa: F401,F403  (Module and every registered layer type: layers.__all__)
from engine.nn.model import Sequential
from engine.nn.model_file import ModelFileError, ModelLimits
from engine.nn.losses import softmax, softmax_cross_entropy, mse
from engine.nn.optim import SGD, RMSprop, Adam
from engine.nn.step import NonFiniteLossError, train_step, evaluate
from engine.nn.loop import Callback, Cancel, EarlyStopping, LearningRateDecay, LoopState, fit
from engine.nn.zoo import digit_net

__all__ = [
    *layers.__all__, "Sequential", "ModelFileError", "ModelLimits", "softmax",
    "softmax_cross_entropy", "mse", "SGD", "RMSprop", "Adam", "NonFiniteLossError",
    "train_step", "evaluate", "fit", "Callback", "Cancel", "EarlyStopping", "LearningRateDecay",
    "LoopState", "digit_net",
]
