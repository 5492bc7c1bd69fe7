"""Layers of a CNN, one module per kind. Each has forward(x, training=True) and backward(dy),
keeps its parameters and their gradients in plain dicts `params` and `grads` with the same
keys, and describes itself (shapes, counts, geometry, settings, export): see base.py.

A new layer type is a module of its own with a @register'ed class, and one import line here.
"""
# ruff: noqa: F401  (the imports are the package's names: __all__ is built from the registry)

from engine.nn.layers.base import LAYER_TYPES, Module, Window, layer_from_config
from engine.nn.layers.conv import Conv2D
from engine.nn.layers.pooling import AvgPool2D, MaxPool2D
from engine.nn.layers.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from engine.nn.layers.dropout import Dropout
from engine.nn.layers.batch_norm import BatchNorm1D, BatchNorm2D
from engine.nn.layers.flatten import Flatten
from engine.nn.layers.dense import Dense
from engine.nn.layers.global_pool import GlobalAvgPool2D

__all__ = ["Module", "Window", "LAYER_TYPES", "layer_from_config", *LAYER_TYPES]
