"""A training recipe: the network and the training settings a learner picks on the training
page, as one frozen dataclass, and what it builds (the model, the optimizer, the callbacks).

    cfg = TrainingConfig(epochs=3, lr=3e-3, lr_decay=0.8)
    model = build_model(cfg)                        # the lectures' digit recognizer by default
    history = fit(model, make_optimizer(cfg, model), x, y, cfg.epochs, cfg.batch_size,
                  validation=(x_val, y_val), augment=augmenter(cfg), callbacks=callbacks(cfg))
"""

import math
from dataclasses import dataclass, fields

import numpy as np

from engine.augment import shift_and_rotate, shift_batch
from engine.nn.layers import AvgPool2D, BatchNorm1D, BatchNorm2D, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU
from engine.nn.loop import EarlyStopping, LearningRateDecay
from engine.nn.model import Sequential
from engine.nn.optim import SGD, Adam, RMSprop

OPTIMIZERS = {
    "sgd": lambda m, lr: SGD(m, lr),
    "momentum": lambda m, lr: SGD(m, lr, momentum=0.9),
    "rmsprop": lambda m, lr: RMSprop(m, lr),
    "adam": lambda m, lr: Adam(m, lr),
}


POOLING = {"max": MaxPool2D, "average": AvgPool2D}


@dataclass(frozen=True)
class TrainingConfig:
    """Everything a learner can set, with the training page's defaults. Sizes are counts of images.

    The defaults (Adam at 3e-3, batches of 128, the learning rate times 0.8 after every epoch)
    reached 99.08% on the test digits after 5 epochs of all 60,000 digits (nn.fit, seed 0, one
    thread), where Adam at 1e-3 in batches of 64 had 98.99% after 5 and 98.87% after 6; an
    epoch in batches of 128 takes less time than one of 64 (tests/benchmarks/bench_accuracy.py).
    """

    conv1_filters: int = 8
    conv1_size: int = 5
    conv2_filters: int = 16
    conv2_size: int = 3
    dense_units: int = 256
    dropout: bool = True
    dropout_conv: float = 0.25
    dropout_dense: float = 0.5
    batch_norm: bool = False
    pooling: str = "max"             # max or average, 2x2 after each convolution
    optimizer: str = "adam"          # sgd, momentum, rmsprop, adam
    lr: float = 3e-3
    lr_decay: float = 0.8            # multiply the learning rate by this after every epoch
    batch_size: int = 128
    epochs: int = 1
    train_size: int = 60000
    augment: bool = False            # random shifts of up to 2 pixels
    rotation: int = 0                # random rotations of up to this many degrees either way (0: none)
    early_stopping: int = 0          # stop after this many epochs without a better validation loss (0: never)
    seed: int = 0

    def validate(self):
        """self, or ValueError naming the first setting that cannot be used."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type is int and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
                raise ValueError(f"{f.name.replace('_', ' ')} must be a whole number, not {value!r}")
            if f.type is bool and not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{f.name.replace('_', ' ')} must be on or off (True or False), not {value!r}")
            if f.type is float and (isinstance(value, bool) or not isinstance(value, (int, float, np.number))
                                    or not math.isfinite(value)):
                raise ValueError(f"{f.name.replace('_', ' ')} must be a finite number, not {value!r}")
        checks = [
            (self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}"),
            (self.pooling in POOLING, f"pooling must be one of {', '.join(POOLING)}"),
            (self.lr > 0, "the learning rate must be a positive number"),
            (1 <= self.batch_size <= 4096, "the batch size must be between 1 and 4096"),
            (1 <= self.epochs <= 100, "the number of epochs must be between 1 and 100"),
            (self.batch_size <= self.train_size <= 60000,
             "the training set must hold between one batch and 60,000 images"),
            (0 <= self.dropout_conv < 1 and 0 <= self.dropout_dense < 1,
             "dropout rates must be at least 0 and below 1"),
            (self.conv1_size % 2 == 1 and self.conv2_size % 2 == 1, "kernel sizes must be odd (3, 5, 7)"),
            (1 <= self.conv1_size <= 11 and 1 <= self.conv2_size <= 11, "kernel sizes must be between 1 and 11"),
            (1 <= self.conv1_filters <= 256 and 1 <= self.conv2_filters <= 256,
             "the number of filters must be between 1 and 256"),
            (1 <= self.dense_units <= 4096, "the number of dense units must be between 1 and 4096"),
            (0 < self.lr_decay <= 1, "the learning-rate decay must be above 0 and at most 1"),
            (0 <= self.early_stopping <= 100, "the early-stopping patience must be between 0 and 100 epochs"),
            (0 <= self.seed < 2**32, "the seed must be between 0 and 4,294,967,295"),
            (0 <= self.rotation <= 45, "the rotation must be between 0 and 45 degrees"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        return self


def build_model(cfg, classes=10, in_channels=1, weights=True):
    """The network a TrainingConfig describes, for 28x28 images of `classes` classes: the
    lectures' digit recognizer by default. weights=False builds it without its weight arrays,
    to count and describe it (as the layer calculator does), not to run it."""
    s = cfg.seed
    layers = [Conv2D(in_channels, cfg.conv1_filters, cfg.conv1_size, padding="same", seed=s, weights=weights)]
    if cfg.batch_norm:
        layers.append(BatchNorm2D(cfg.conv1_filters, weights=weights))
    layers += [ReLU(), POOLING[cfg.pooling](2)]
    if cfg.dropout and cfg.dropout_conv > 0:
        layers.append(Dropout(cfg.dropout_conv, seed=s + 1))
    layers.append(Conv2D(cfg.conv1_filters, cfg.conv2_filters, cfg.conv2_size, padding="same", seed=s + 2,
                         weights=weights))
    if cfg.batch_norm:
        layers.append(BatchNorm2D(cfg.conv2_filters, weights=weights))
    layers += [ReLU(), POOLING[cfg.pooling](2)]
    if cfg.dropout and cfg.dropout_conv > 0:
        layers.append(Dropout(cfg.dropout_conv, seed=s + 3))
    layers += [Flatten(), Dense(cfg.conv2_filters * 49, cfg.dense_units, seed=s + 4, weights=weights)]
    if cfg.batch_norm:
        layers.append(BatchNorm1D(cfg.dense_units, weights=weights))
    layers.append(ReLU())
    if cfg.dropout and cfg.dropout_dense > 0:
        layers.append(Dropout(cfg.dropout_dense, seed=s + 5))
    layers.append(Dense(cfg.dense_units, classes, seed=s + 6, weights=weights))
    return Sequential(layers)


def small_set_config(train_size, **settings):
    """A TrainingConfig for a learner's own small set of train_size images (a few dozen drawings,
    say): batches of up to 16 and many epochs at one learning rate, since an epoch is only a
    few steps, and random shifts and rotations of up to 15 degrees, since so few examples show
    little of how a class may vary. `settings` change any of these."""
    defaults = dict(lr=3e-3, lr_decay=1.0, batch_size=min(16, train_size), epochs=60, augment=True, rotation=15)
    return TrainingConfig(train_size=train_size, **{**defaults, **settings}).validate()


def make_optimizer(cfg, model):
    """The optimizer the recipe names, at its learning rate."""
    return OPTIMIZERS[cfg.optimizer](model, cfg.lr)


def augmenter(cfg):
    """The batch augmentation the recipe asks for (random rotations, then shifts), or None."""
    if cfg.rotation:
        return shift_and_rotate(2 if cfg.augment else 0, cfg.rotation)
    return shift_batch if cfg.augment else None


def callbacks(cfg):
    """[EarlyStopping, LearningRateDecay] as the recipe sets them (patience 0 never stops, but
    still records the best epoch)."""
    return [EarlyStopping(cfg.early_stopping), LearningRateDecay(cfg.lr_decay)]
