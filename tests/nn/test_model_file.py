"""Model files from uploads: every crafted file is refused with nn.ModelFileError (a ValueError)
and a sentence, quickly and without reading more than the limits allow."""

import io
import json
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from engine import nn
from engine.nn.model_file import ModelLimits

DIGITS = (1, 28, 28)


def saved(model=None):
    """The bytes of the file Sequential.save writes (compressed)."""
    buf = io.BytesIO()
    (model or nn.digit_net()).save(buf)
    return buf.getvalue()


def arrays_of(model):
    """The arrays of a saved model, as a dict."""
    buf = io.BytesIO()
    model.save(buf)
    with np.load(io.BytesIO(buf.getvalue())) as data:
        return dict(data)


def npz(arrays, compressed=False):
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def with_architecture(arch, arrays=None):
    arrays = dict(arrays or arrays_of(nn.digit_net()))
    arrays["architecture"] = np.array(arch if isinstance(arch, str) else json.dumps(arch))
    return npz(arrays)


def load(content, **kwargs):
    return nn.Sequential.load(io.BytesIO(content), **kwargs)


def refused(content, match=None, **kwargs):
    """Load content; it must raise ModelFileError (with `match` in the message) quickly."""
    start = time.perf_counter()
    with pytest.raises(nn.ModelFileError) as err:
        load(content, **kwargs)
    assert time.perf_counter() - start < 5
    message = str(err.value)
    assert "Traceback" not in message and "/work" not in message and "allow_pickle" not in message
    if match:
        assert match in message, message
    return message


def test_a_saved_model_and_the_shipped_one_load():
    model = load(saved(), input_shape=DIGITS)
    assert model.n_params == 204_906
    shipped = nn.Sequential.load("assets/pretrained_digit_net.npz", input_shape=DIGITS)
    assert shipped.n_params > 0 and all(layer.grads.keys() == layer.params.keys() for layer in shipped.layers)


def corrupt_deflate():
    content = bytearray(saved())
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as zf:
        info = zf.getinfo("9.param.w.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 200, start + 400):
        content[i] ^= 0x5A
    return bytes(content)


def bad_crc():
    content = npz(arrays_of(nn.digit_net()))  # stored: the data can change without breaking deflate
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        info = zf.getinfo("12.param.w.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    broken = bytearray(content)
    broken[start + 200] ^= 0x01
    return bytes(broken)


def deep_json(depth):
    return "[" * depth + "]" * depth


def dense_weights_as_text():
    arrays = arrays_of(nn.digit_net())
    arrays["12.param.w"] = np.full((256, 10), "a")  # <U1
    return npz(arrays)


def version_as_array():
    arrays = arrays_of(nn.digit_net())
    arrays["format_version"] = np.array([1, 1])
    return npz(arrays)


# Seven crafted files that once got a traceback (the deep JSON twice: too long, and deep within the
# length), and what the page must say instead.
ISSUE_FILES = [
    ("corrupt deflate data", corrupt_deflate, "damaged"),
    ("bad CRC", bad_crc, "damaged"),
    ("architecture a JSON dict", lambda: with_architecture({"type": "Dense"}), "not a list of layers"),
    ("architecture null", lambda: with_architecture("null"), "not a list of layers"),
    ("format_version an array", version_as_array, "format version is not a whole number"),
    ("100,000-deep JSON", lambda: with_architecture(deep_json(100_000)), "far more than it should be"),
    ("5,000-deep JSON", lambda: with_architecture(deep_json(5_000)), "nested deeper"),
    ("dense weights of dtype <U1", dense_weights_as_text, "not 32- or 64-bit floats"),
    ("architecture []", lambda: with_architecture("[]"), "describes no layers"),
]


@pytest.mark.parametrize("what, make, message", ISSUE_FILES, ids=[f[0] for f in ISSUE_FILES])
def test_the_crafted_files_of_the_issue_are_refused_with_a_sentence(what, make, message):
    refused(make(), message)


def png():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("content", [b"this is a text file\n", b"", png(), b"\x93NUMPY" + b"\x00" * 200,
                                     b"PK\x03\x04" + b"\x00" * 100], ids=["text", "empty", "png", "npy", "zip head"])
def test_a_file_that_is_not_a_zip_is_not_a_model_file_and_pickle_is_never_mentioned(content):
    expected = "this is not a ConvLab model file (a .npz saved from the training page or with Sequential.save)"
    assert refused(content) == expected


def zip_of(members):
    """A zip with the given {name: bytes} members, stored."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def npy(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def zeros_bomb(declared_bytes):
    """A compressed .npz whose Dense weights decompress to declared_bytes of zeros."""
    buf = io.BytesIO()
    arrays = arrays_of(nn.digit_net())
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            if key != "9.param.w":
                zf.writestr(key + ".npy", npy(value))
        n = declared_bytes // 4
        with zf.open("9.param.w.npy", "w", force_zip64=True) as f:
            head = io.BytesIO()
            np.lib.format.write_array_header_1_0(head, {"descr": "<f4", "fortran_order": False, "shape": (n,)})
            f.write(head.getvalue())
            chunk = bytes(1 << 20)
            for _ in range(declared_bytes >> 20):
                f.write(chunk)
    return buf.getvalue()


def test_a_small_file_that_decompresses_to_far_more_is_refused_before_decompressing():
    content = zeros_bomb(256 << 20)  # 256 MiB of zeros, about 250 KB compressed
    assert len(content) < 1_000_000
    tracemalloc.start()
    try:
        refused(content, "far more than it should be")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


def test_a_huge_dense_layer_is_refused_by_its_declared_size_without_allocating_it():
    arch = [{"type": "Dense", "config": {"n_in": 20000, "n_out": 20000}}]
    content = zip_of({"format_version.npy": npy(np.int64(1)), "architecture.npy": npy(np.array(json.dumps(arch)))})
    tracemalloc.start()
    try:
        message = refused(content, "400,020,000 parameters; this server takes at most 4,000,000")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000 and message


def test_too_many_layers_and_too_much_work_per_digit_are_refused():
    arch = [{"type": "ReLU", "config": {}}] * 20_000
    refused(zip_of({"format_version.npy": npy(np.int64(1)), "architecture.npy": npy(np.array(json.dumps(arch)))}),
            "far more than it should be")
    arch = [{"type": "ReLU", "config": {}}] * 33
    refused(zip_of({"format_version.npy": npy(np.int64(1)), "architecture.npy": npy(np.array(json.dumps(arch)))}),
            "33 layers; this server takes at most 32")
    big = nn.Sequential([nn.Conv2D(1, 256, 27, padding="same", seed=0), nn.GlobalAvgPool2D(), nn.Dense(256, 10)])
    content = npz(arrays_of(big))
    assert load(content).n_params == 256 * 729 + 256 + 2570  # small enough to hold...
    refused(content, "multiply-adds for one input", input_shape=DIGITS)  # ...but 146 million per digit
    wide = nn.Sequential([nn.Conv2D(1, 512, 1, seed=0), nn.GlobalAvgPool2D(), nn.Dense(512, 10)])
    refused(npz(arrays_of(wide)), "values for one input", input_shape=DIGITS)


def test_the_default_limits_take_the_largest_network_the_training_page_builds():
    from engine.nn.recipe import TrainingConfig, build_model

    largest = build_model(TrainingConfig(conv1_filters=32, conv1_size=7, conv2_filters=64, conv2_size=5,
                                         dense_units=1024, batch_norm=True))
    assert load(saved(largest), input_shape=DIGITS).n_params == largest.n_params > 3_000_000


def test_a_teacher_can_set_the_limits():
    content = saved()
    refused(content, "this server takes at most 100,000", limits=ModelLimits(max_params=100_000))
    refused(content, "at most 5", limits=ModelLimits(max_layers=5))
    assert load(content, limits=ModelLimits(max_params=204_906, max_layers=13)).n_params == 204_906
    with pytest.raises(ValueError, match="max params must be at least 1"):
        ModelLimits(max_params=0)


def test_a_model_that_does_not_fit_the_input_is_refused():
    model = nn.Sequential([nn.Flatten(), nn.Dense(100, 10, seed=0)])
    assert load(npz(arrays_of(model))).n_params == 1010
    refused(npz(arrays_of(model)), "layer 2 (Dense(100→10)) does not fit an input of shape (1, 28, 28)",
            input_shape=DIGITS)


def test_nan_and_infinite_weights_are_refused():
    for bad in (np.nan, np.inf):
        arrays = arrays_of(nn.digit_net())
        arrays["9.param.b"][3] = bad
        refused(npz(arrays), "layer 10 (Dense(784→256)): its b holds NaN or infinite values")


def architecture_cases():
    conv = {"in_ch": 1, "out_ch": 8, "size": 5, "stride": 1, "padding": "same"}

    def first(**changes):
        return [{"type": "Conv2D", "config": conv | changes}]

    return [
        ("unknown type", [{"type": "Softmax", "config": {}}], "unknown layer type 'Softmax'"),
        ("dunder type", [{"type": "__class__", "config": {}}], "unknown layer type"),
        ("type not text", [{"type": 3, "config": {}}], "unknown layer type 3"),
        ("config a list", [{"type": "ReLU", "config": []}], "must be a table"),
        ("extra key", [{"type": "ReLU", "config": {}, "x": 1}], "not a list of layers"),
        ("unknown setting", first(dtype="object"), "has no setting 'dtype'"),
        ("missing setting", [{"type": "Conv2D", "config": {"in_ch": 1}}], "needs its out_ch, size"),
        ("float channels", first(in_ch=1.0), "whole number"),
        ("bool channels", first(in_ch=True), "whole number"),
        ("huge int", first(out_ch=10 ** 30), "parameters"),
        ("negative padding", first(padding=-2), "padding must be at least 0"),
        ("padding word", first(padding="bogus"), "padding must be"),
        ("padding triple", first(padding=[1, 2, 3]), "one number or a pair"),
        ("NaN dropout", [{"type": "Dropout", "config": {"p": float("nan")}}], "dropout probability"),
        ("dropout as text", [{"type": "Dropout", "config": {"p": "0.5"}}], "dropout probability"),
        ("infinite slope", [{"type": "LeakyReLU", "config": {"alpha": float("inf")}}], "slope"),
        ("zero stride", [{"type": "MaxPool2D", "config": {"size": 2, "stride": 0}}], "stride must be at least 1"),
        ("momentum 5", [{"type": "BatchNorm1D", "config": {"channels": 4, "momentum": 5}}], "momentum"),
        ("a list of numbers", [1, 2, 3], "not a list of layers"),
        ("a string", "\"Conv2D\"", "not a list of layers"),
        ("not JSON", "[{'type': 'ReLU'}]", "not readable JSON"),
        ("brackets inside strings", [{"type": "[" * 50, "config": {}}], "unknown layer type"),
        ("digits beyond Python's limit", '[{"type": "Dense", "config": {"n_in": ' + "9" * 5000 + ', "n_out": 1}}]',
         "not readable JSON"),
    ]


@pytest.mark.parametrize("what, arch, message", architecture_cases(), ids=[c[0] for c in architecture_cases()])
def test_every_field_of_the_architecture_is_checked(what, arch, message):
    refused(with_architecture(arch), message)


def member_cases():
    arrays = arrays_of(nn.digit_net())

    def without(key):
        return npz({k: v for k, v in arrays.items() if k != key})

    def changed(key, value):
        return npz(arrays | {key: value})

    return [
        ("no version", without("format_version"), "no format_version"),
        ("no architecture", without("architecture"), "no architecture"),
        ("missing weights", without("0.param.w"), "no '0.param.w' array"),
        ("an extra array", npz(arrays | {"junk": np.zeros(3)}), "does not have ('junk')"),
        ("a weight for a layer without any", npz(arrays | {"1.param.w": np.zeros(3)}), "does not have"),
        ("wrong shape", changed("0.param.w", np.zeros((8, 1, 3, 3), np.float32)), "has shape (8, 1, 3, 3), but"),
        ("transposed", changed("9.param.w", arrays["9.param.w"].T.copy()), "has shape (256, 784)"),
        ("ints", changed("0.param.b", np.zeros(8, np.int64)), "int64 values"),
        ("float16", changed("0.param.b", np.zeros(8, np.float16)), "float16 values"),
        ("complex", changed("0.param.b", np.zeros(8, np.complex64)), "complex64 values"),
        ("version 7", changed("format_version", np.int64(7)), "format version 7"),
        ("version as text", changed("format_version", np.array("1")), "not a whole number"),
        ("architecture as a number", changed("architecture", np.float64(3)), "architecture is not text"),
        ("a member that is not .npy", zip_of({"format_version.npy": npy(np.int64(1)), "run.sh": b"rm -rf /"}),
         "it holds 'run.sh'"),
        ("duplicate members", duplicate_members(), "it holds"),
        ("a header that lies about the size", lying_header(), "not the size its header says"),
        ("many members", zip_of({f"{i}.npy": b"" for i in range(500)}), "500 arrays"),
    ]


def duplicate_members():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        for _ in range(2):
            zf.writestr("format_version.npy", npy(np.int64(1)))
    return buf.getvalue()


def lying_header():
    arrays = arrays_of(nn.digit_net())
    members = {k + ".npy": npy(v) for k, v in arrays.items()}
    members["0.param.b.npy"] = members["0.param.b.npy"][:-8]  # the data cut short, the header unchanged
    return zip_of(members)


@pytest.mark.parametrize("what, content, message", member_cases(), ids=[c[0] for c in member_cases()])
def test_every_member_of_the_zip_is_checked(what, content, message):
    refused(content, message)


def test_fortran_order_and_big_endian_weights_load_as_native_c_order_arrays():
    model = nn.digit_net()
    arrays = arrays_of(model)
    arrays["9.param.w"] = np.asfortranarray(arrays["9.param.w"])
    arrays["12.param.w"] = arrays["12.param.w"].astype(">f4")
    loaded = load(npz(arrays))
    for layer in (loaded.layers[9], loaded.layers[12]):
        w = layer.params["w"]
        assert w.flags.c_contiguous and w.flags.writeable and w.dtype == np.float32
    x = np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32)
    np.testing.assert_array_equal(loaded.forward(x, training=False), model.forward(x, training=False))


def test_a_compressed_and_a_stored_file_give_the_same_model():
    a, b = load(saved()), load(npz(arrays_of(nn.digit_net())))
    assert [layer.name for layer in a.layers] == [layer.name for layer in b.layers]
    assert all(np.array_equal(la.params[k], lb.params[k]) for la, lb in zip(a.layers, b.layers) for k in la.params)


def test_a_file_cut_short_is_refused():
    content = saved()
    for end in (len(content) // 2, len(content) - 30):
        refused(content[:end])
