"""Model files: a Sequential saved as .npz (a zip of .npy arrays, no pickle) and read back.

A file holds
    format_version.npy                  a whole number, FORMAT_VERSION
    architecture.npy                    text: JSON [{"type": "Conv2D", "config": {...}}, ...]
    <i>.param.<name>.npy, <i>.buffer.<name>.npy    layer i's arrays (float32 or float64)

Model files come from uploads, so reading one trusts nothing in it, and looks before it
reads: the zip's table of contents first (names, compression, the sizes each member declares),
then the two small members, then the architecture's JSON (its length and nesting depth before
parsing, then every field), then the layers, built without weights, whose parameter count
and work are held against ModelLimits; only then the arrays, each header's dtype and shape
checked before its data is read, and every value checked to be finite. Anything wrong raises
ModelFileError (a ValueError) with a sentence.
"""

import json
import math
import struct
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from engine.arguments import shown, whole_number
from engine.finite import all_finite
from engine.memory import check_allocation
from engine.nn.layers import LAYER_TYPES, layer_from_config

FORMAT_VERSION = 1
NOT_A_MODEL = "this is not a ConvLab model file"
SAVED_HOW = " (a .npz saved from the training page or with Sequential.save)"
MAX_NESTING = 4             # [ {layer} {config} [a pair] ]
CHARACTERS_PER_LAYER = 400  # a Conv2D's entry takes about 100
HEADER_BYTES = 4096         # an .npy header, generously


class ModelFileError(ValueError):
    """A file that is not a ConvLab model, is damaged, or describes a model beyond the limits."""


@dataclass(frozen=True)
class ModelLimits:
    """The largest model a file may describe, sized for the digit networks a learner builds:
    the training page's largest (32 and 64 filters of 7x7 and 5x5, 1,024 dense units, batch
    norm) has 3.3 million parameters and 16 layers, and takes 14.6 million multiply-adds and
    139,000 output values for one digit.

    max_multiply_adds and max_activations (the values all layers output together, for one
    input) are checked when load() is given the input shape. Scoring the 10,000 test digits
    keeps every layer's output of a batch of 256 at once, so max_activations also bounds that
    memory (200,000 values: about 200 MB).
    """

    max_params: int = 4_000_000
    max_layers: int = 32
    max_multiply_adds: int = 16_000_000
    max_activations: int = 200_000

    def __post_init__(self):
        for name in ("max_params", "max_layers", "max_multiply_adds", "max_activations"):
            whole_number(getattr(self, name), name.replace("_", " "), 1)


def save(model, path):
    """Write the architecture (JSON text) and every array to an .npz file, without pickle."""
    arch = [{"type": type(layer).__name__, "config": layer.config()} for layer in model.layers]
    arrays = {"format_version": np.int64(FORMAT_VERSION), "architecture": np.array(json.dumps(arch))}
    for i, layer in enumerate(model.layers):
        for kind, store in (("param", layer.params), ("buffer", layer.buffers)):
            for name, value in store.items():
                arrays[f"{i}.{kind}.{name}"] = value
    np.savez_compressed(path, **arrays)


def load(path, input_shape=None, limits=None):
    """The layers (with their arrays) of the model in path (a file name or a binary file).

    input_shape, one input without the batch axis such as (1, 28, 28), also checks that the
    layers fit it and that one input's work stays within the limits.
    """
    limits = limits or ModelLimits()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError):  # text, a picture, an .npy: not a zip at all
        raise ModelFileError(NOT_A_MODEL + SAVED_HOW) from None
    except OSError as err:
        raise ModelFileError(f"the model file could not be read ({err.strerror or err})") from None
    try:
        with archive:
            return _read(archive, input_shape, limits)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, struct.error, EOFError, OSError, NotImplementedError,
            RuntimeError, ValueError) as err:  # a damaged zip: bad CRC, broken deflate data, cut short
        raise ModelFileError(f"the model file is damaged ({_reason(err)})") from None


def _reason(err):
    text = str(err).split("\n")[0]
    return (text if len(text) <= 80 else text[:77] + "...") if text else type(err).__name__


def _read(archive, input_shape, limits):
    members = _table_of_contents(archive, limits)
    version = _read_array(archive, members, "format_version", 64)
    if version.shape != () or version.dtype.kind not in "iu":
        raise ModelFileError(f"{NOT_A_MODEL}: its format version is not a whole number")
    if int(version) != FORMAT_VERSION:
        raise ModelFileError(f"this model file has format version {int(version)}, but this version of "
                             f"ConvLab reads version {FORMAT_VERSION}; save it again from a matching version")
    text = _read_array(archive, members, "architecture", 4 * CHARACTERS_PER_LAYER * limits.max_layers)
    if text.shape != () or text.dtype.kind != "U":
        raise ModelFileError(f"{NOT_A_MODEL}: its architecture is not text")
    layers = _build(_parse(str(text[()]), limits), limits)
    if input_shape is not None:
        _check_work(layers, input_shape, limits)
    expected = {f"{i}.{kind}.{name}": shape for i, layer in enumerate(layers)
                for kind, shapes in (("param", layer.param_shapes()), ("buffer", layer.buffer_shapes()))
                for name, shape in shapes.items()}
    extra = sorted(set(members) - set(expected) - {"format_version", "architecture"})
    if extra:
        raise ModelFileError(f"{NOT_A_MODEL}: it holds arrays a model with these layers does not have "
                             f"({shown(extra[0])})")
    missing = [key for key in expected if key not in members]
    if missing:
        raise ModelFileError(f"the model file has no {missing[0]!r} array: it is incomplete")
    for i, layer in enumerate(layers):
        params = {name: _weights(archive, members, f"{i}.param.{name}", shape, layer, i)
                  for name, shape in layer.param_shapes().items()}
        buffers = {name: _weights(archive, members, f"{i}.buffer.{name}", shape, layer, i)
                   for name, shape in layer.buffer_shapes().items()}
        layer.take_weights(params, buffers)
    return layers


def _table_of_contents(archive, limits):
    """{array name: ZipInfo}, after checking names, compression and the number of members."""
    infos = archive.infolist()
    if len(infos) > 2 + 4 * limits.max_layers:
        raise ModelFileError(f"{NOT_A_MODEL}: it holds {len(infos):,} arrays")
    members = {}
    for info in infos:
        if not info.filename.endswith(".npy") or info.filename[:-4] in members:
            raise ModelFileError(f"{NOT_A_MODEL}: it holds {shown(info.filename)}")
        if info.flag_bits & 1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{NOT_A_MODEL}: it is encrypted or compressed in a way ConvLab does not write")
        members[info.filename[:-4]] = info
    for key in ("format_version", "architecture"):
        if key not in members:
            raise ModelFileError(f"{NOT_A_MODEL}: it has no {key}")
    return members


def _read_array(archive, members, key, max_bytes, expect=None):
    """One member's array; its declared size and its header (dtype, shape) are checked first.
    expect(dtype, shape) may refuse the header before the data is read."""
    info = members[key]
    if info.file_size > HEADER_BYTES + max_bytes:
        raise ModelFileError(f"{NOT_A_MODEL}: its {key} is {info.file_size:,} bytes, far more than it should be")
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=HEADER_BYTES)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=HEADER_BYTES)
        else:
            raise ModelFileError(f"{NOT_A_MODEL}: its {key} is in .npy version {version}")
        if dtype.hasobject or dtype.kind not in "iufU" or dtype.subdtype is not None or dtype.names:
            raise ModelFileError(f"{NOT_A_MODEL}: its {key} holds {dtype} values")
        if any(n < 0 for n in shape):
            raise ModelFileError(f"{NOT_A_MODEL}: its {key} has the shape {shown(shape)}")
        if expect is not None:
            expect(dtype, shape)
        try:  # ModelLimits keep models far below it; the limit per array holds all the same
            check_allocation(shape, dtype, f"array {key!r}")
        except ValueError as err:
            raise ModelFileError(f"{NOT_A_MODEL}: {err}") from None
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > max_bytes or info.file_size != f.tell() + nbytes:
            raise ModelFileError(f"{NOT_A_MODEL}: its {key} is not the size its header says")
        data = f.read(nbytes)
        if len(data) != nbytes or f.read(1):
            raise ModelFileError(f"{NOT_A_MODEL}: its {key} is cut short")
    values = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return np.array(values, dtype=dtype.newbyteorder("="), order="C")  # a copy: native, writable


def _weights(archive, members, key, shape, layer, i):
    """Layer i's array `key`, of the shape the layer needs, float32 or float64, all finite."""
    where = f"layer {i + 1} ({layer.name})"

    def expect(dtype, found):
        if dtype.kind != "f" or dtype.itemsize not in (4, 8):
            raise ModelFileError(f"{where}: its {key.split('.')[-1]} holds {dtype} values, not 32- or 64-bit floats")
        if tuple(found) != tuple(shape):
            raise ModelFileError(f"{where}: its saved {key.split('.')[-1]} has shape {tuple(found)}, "
                                 f"but the layer needs {tuple(shape)}")

    values = _read_array(archive, members, key, 8 * math.prod(shape), expect)
    if not all_finite(values):
        raise ModelFileError(f"{where}: its {key.split('.')[-1]} holds NaN or infinite values; "
                             "a model with them cannot predict anything")
    return values


def _parse(text, limits):
    """The architecture's JSON as a list of (type, config), after checking length and depth."""
    if len(text) > CHARACTERS_PER_LAYER * limits.max_layers:
        raise ModelFileError(f"{NOT_A_MODEL}: its architecture is {len(text):,} characters long")
    if _nesting(text) > MAX_NESTING:
        raise ModelFileError(f"{NOT_A_MODEL}: its architecture is nested deeper than a model's")
    try:
        specs = json.loads(text)
    except (ValueError, RecursionError):
        raise ModelFileError(f"{NOT_A_MODEL}: its architecture is not readable JSON") from None
    if not isinstance(specs, list) or not all(isinstance(s, dict) and set(s) == {"type", "config"} for s in specs):
        raise ModelFileError(f"{NOT_A_MODEL}: its architecture is not a list of layers, "
                             'each {"type": ..., "config": {...}}')
    if not specs:
        raise ModelFileError("the model file describes no layers")
    if len(specs) > limits.max_layers:
        raise ModelFileError(f"the model has {len(specs):,} layers; this server takes at most {limits.max_layers}")
    return [(s["type"], s["config"]) for s in specs]


def _nesting(text):
    """How deeply [ and { nest in JSON text (outside strings), in one pass."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "[" or ch == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == "]" or ch == "}":
            depth -= 1
    return deepest


def _build(specs, limits):
    """The layers, without weights, and their parameter count against the limit."""
    layers = []
    for i, (kind, config) in enumerate(specs):
        try:
            layers.append(layer_from_config(kind, config, weights=False))
        except ValueError as err:
            name = f" ({kind})" if isinstance(kind, str) and kind in LAYER_TYPES else ""
            raise ModelFileError(f"layer {i + 1}{name} in the model file: {err}") from None
    total = sum(layer.n_params for layer in layers)
    if total > limits.max_params:
        raise ModelFileError(f"the model has {total:,} parameters; this server takes at most {limits.max_params:,}")
    return layers


def _check_work(layers, input_shape, limits):
    """That the layers fit one input of input_shape, and their work for it is within the limits."""
    shape, work, values = tuple(input_shape), 0, 0
    for i, layer in enumerate(layers):
        try:
            work += layer.multiply_adds(shape)
            shape = layer.output_shape(shape)
        except ValueError as err:
            raise ModelFileError(f"layer {i + 1} ({layer.name}) does not fit an input of shape "
                                 f"{tuple(input_shape)}: {err}") from None
        values += math.prod(shape)
    if work > limits.max_multiply_adds:
        raise ModelFileError(f"the model needs {work:,} multiply-adds for one input; this server takes "
                             f"at most {limits.max_multiply_adds:,}")
    if values > limits.max_activations:
        raise ModelFileError(f"the model's layers output {values:,} values for one input; this server "
                             f"takes at most {limits.max_activations:,}")
