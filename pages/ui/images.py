"""Images for the pages: shipped samples, MNIST digits and uploads, as grey float arrays in [0, 1]."""

import io
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image, UnidentifiedImageError

from engine import datasets
from pages.server.limits import current_limits

SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples"
MAX_PIXELS = 50_000_000  # refuse to decode more than this, whatever the file size


class ImageError(ValueError):
    """An upload that cannot be used, with a message for the learner."""


def sample_names():
    return sorted(p.stem for p in SAMPLES.glob("*.png"))


@st.cache_data(show_spinner=False)
def sample(name):
    """A shipped sample image (H, W) float32 in [0, 1]."""
    if name not in sample_names():
        raise ImageError(f"there is no sample called {name!r}")
    return np.asarray(Image.open(SAMPLES / f"{name}.png").convert("L"), dtype=np.float32) / 255


@st.cache_data(show_spinner=False)
def sample_rgb(name="hopper"):
    """A shipped colour sample (3, H, W) float32 in [0, 1] (channels red, green, blue)."""
    path = SAMPLES / "rgb" / f"{name}.png"
    if not path.exists():
        raise ImageError(f"there is no colour sample called {name!r}")
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))


@st.cache_resource(show_spinner=False)
def _digits():
    _, _, x_test, y_test = datasets.load_digits()
    return x_test, y_test


def test_set():
    """The 10,000 test digits (10000, 1, 28, 28) float32 in [0, 1] and their labels (10000,),
    loaded once per server: treat them as read-only."""
    return _digits()


def digit(index):
    """Test digit number `index` (28, 28) and its label."""
    x_test, y_test = _digits()
    index = int(index) % len(x_test)
    return x_test[index, 0], int(y_test[index])


def from_drawing(rgba):
    """A canvas drawing (H, W, 4) uint8, light strokes on black, as a grey (H, W) float32 in [0, 1]."""
    rgba = np.asarray(rgba, dtype=np.float32)
    return np.ascontiguousarray(rgba[..., :3].mean(axis=2) / 255, dtype=np.float32)


def load_upload(data, max_side=None, max_mb=None):
    """Decode uploaded bytes into a grey image (H, W) float32 in [0, 1], no side above max_side.

    Raises ImageError with a learner's sentence for files that are too big, not images,
    or images with too many pixels.
    """
    limits = current_limits()
    max_side = max_side or limits.max_image_side
    max_mb = max_mb or limits.max_upload_mb
    if len(data) > max_mb * 1024 * 1024:
        raise ImageError(f"this file is {len(data) / 2**20:.1f} MB; the limit is {max_mb} MB")
    try:
        img = Image.open(io.BytesIO(data))
        w, h = img.size
        if w * h > MAX_PIXELS:
            raise ImageError(f"this image is {w} x {h} pixels, too many pixels to open here; "
                             f"please upload one below {MAX_PIXELS // 1_000_000} million pixels")
        img.draft("L", (max_side, max_side))  # JPEGs decode straight at a smaller size
        img = img.convert("L")
        img.thumbnail((max_side, max_side))
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError("this image has too many pixels to open here; please upload one below "
                         f"{MAX_PIXELS // 1_000_000} million pixels") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise ImageError("this file is not an image that can be read (try a PNG or a JPEG)") from None
    return np.asarray(img, dtype=np.float32) / 255
