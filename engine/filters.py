"""Named kernels for image filtering, as float32 (F, F) arrays.

    >>> from engine import filters
    >>> filters.sobel_x()
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]], dtype=float32)
"""

import inspect

import numpy as np

from engine.arguments import as_float_array, flag, real_number, shown
from engine.memory import check_allocation


def _odd_size(size):
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1 or size % 2 == 0:
        raise ValueError(f"the kernel size must be an odd whole number such as 3 or 5, not {shown(size)}")
    size = int(size)
    check_allocation((size, size), np.float64, "kernel")  # worked out in float64, then made float32
    return size


def _k(rows):
    return np.array(rows, dtype=np.float32)


def identity(size=3):
    """1 at the centre: the output is the input."""
    size = _odd_size(size)
    k = np.zeros((size, size), np.float32)
    k[size // 2, size // 2] = 1
    return k


def box(size=3):
    """Every weight 1/F^2: the mean of the window, a blur."""
    size = _odd_size(size)
    return np.full((size, size), 1 / size**2, np.float32)


def gaussian(size=5, sigma=1.0):
    """A Gaussian bell exp(-(r^2) / 2 sigma^2), normalised to sum 1: a smooth blur."""
    size = _odd_size(size)
    sigma = real_number(sigma, "sigma of the Gaussian", above=0)
    r = np.arange(size) - size // 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return (g / g.sum()).astype(np.float32)


def sharpen():
    """The centre minus its four neighbours, plus the centre again: edges stand out."""
    return _k([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])


def sobel_x():
    """Horizontal change (vertical edges), smoothed across rows with weights 1, 2, 1."""
    return _k([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])


def sobel_y():
    """Vertical change (horizontal edges)."""
    return sobel_x().T.copy()


def prewitt_x():
    """Horizontal change with equal weights across rows."""
    return _k([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])


def prewitt_y():
    """Vertical change with equal weights across columns."""
    return prewitt_x().T.copy()


def laplacian():
    """Second derivative in both directions: zero on flat and evenly sloped areas."""
    return _k([[0, 1, 0], [1, -4, 1], [0, 1, 0]])


def emboss():
    """Light from the top left: a relief effect."""
    return _k([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])


def x_kernel():
    """The lectures' 3x3 X-shaped kernel."""
    return _k([[1, 0, 1], [0, 1, 0], [1, 0, 1]])


def gabor(size=15, theta=0.0, wavelength=6.0, sigma=3.0, gamma=0.5, psi=0.0):
    """A Gabor filter: a cosine wave of this wavelength (pixels) at angle theta (radians),
    under a Gaussian envelope of width sigma and aspect ratio gamma; psi shifts the phase.
    It answers to stripes of one orientation and spacing, like early visual neurons."""
    size = _odd_size(size)
    wavelength = real_number(wavelength, "wavelength", above=0)
    sigma = real_number(sigma, "sigma of the envelope", above=0)
    gamma = real_number(gamma, "aspect ratio gamma", above=0)
    theta = real_number(theta, "angle theta")
    psi = real_number(psi, "phase psi")
    r = np.arange(size) - size // 2
    y, x = np.meshgrid(r, r, indexing="ij")
    xr = x * np.cos(theta) + y * np.sin(theta)
    yr = -x * np.sin(theta) + y * np.cos(theta)
    g = np.exp(-(xr**2 + gamma**2 * yr**2) / (2 * sigma**2)) * np.cos(2 * np.pi * xr / wavelength + psi)
    return g.astype(np.float32)


NAMES = ["identity", "box", "gaussian", "sharpen", "sobel_x", "sobel_y", "prewitt_x",
         "prewitt_y", "laplacian", "emboss", "gabor", "x_kernel"]


def by_name(name, **params):
    """The named kernel, e.g. by_name('gaussian', size=5, sigma=1.5)."""
    if not isinstance(name, str) or name not in NAMES:
        raise ValueError(f"unknown kernel {shown(name)}; choose one of {', '.join(NAMES)}")
    make = globals()[name]
    known = inspect.signature(make).parameters
    unknown = [k for k in params if k not in known]
    if unknown:
        takes = f"it takes {', '.join(known)}" if known else "it takes none"
        raise ValueError(f"the {name} kernel has no setting {shown(unknown[0])}; {takes}")
    return make(**params)


def flip(kernel):
    """The kernel turned by 180 degrees: convolving with k equals cross-correlating with flip(k)."""
    return np.ascontiguousarray(np.asarray(kernel)[::-1, ::-1])


def apply(image, kernel, convolve=False, mode="zero"):
    """Filter one grey image (H, W) with a kernel (F, F), keeping the size ('same' padding in
    `mode`). convolve=False is cross-correlation, as in deep learning; True flips the kernel.
    Returns the feature map (H, W)."""
    from engine.conv import conv2d, pad2d

    convolve = flag(convolve, "convolve")
    image = as_float_array(image, "image").astype(np.float32, copy=False)
    kernel = as_float_array(kernel, "kernel").astype(np.float32, copy=False)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("apply takes one grey image (H, W) and one kernel (F, F)")
    fh, fw = kernel.shape
    if fh > image.shape[0] or fw > image.shape[1]:
        raise ValueError(f"a {fh}x{fw} kernel does not fit in a {image.shape[0]}x{image.shape[1]} image")
    k = flip(kernel) if convolve else kernel
    pads = ((fh - 1) // 2, fh // 2, (fw - 1) // 2, fw // 2)
    padded = pad2d(image, pads, mode)
    return conv2d(padded[None, None], k[None, None])[0, 0]
