"""Drawing shared by the pages: feature maps as images, small grids with their numbers.

Feature maps are turned into uint8 RGB arrays and shown with st.image (a few ms) rather than
fresh matplotlib figures (around 100 ms). Signed values use ColorBrewer's red-blue diverging
map centred on zero (readable with the common kinds of colour blindness): blue negative,
white zero, red positive. Unsigned images are grey.
"""

import html
import io

import numpy as np
from matplotlib import colormaps

DIVERGING = colormaps["RdBu_r"]
SEQUENTIAL = colormaps["gray"]


# 256-colour lookup tables: indexing a table is several times faster than calling the colormap.
_DIVERGING_LUT = (DIVERGING(np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)
_SEQUENTIAL_LUT = (SEQUENTIAL(np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)


def _lut_index(t):
    """Values in [0, 1] (clipped; NaN counts as 0) as indices 0..255."""
    return (np.nan_to_num(np.clip(t, 0, 1), nan=0.0) * 255 + 0.5).astype(np.uint8)


def to_rgb(a, signed=None, vmax=None):
    """A 2-D array as an (H, W, 3) uint8 image.

    signed=None picks the diverging map when a has negative values; vmax fixes the scale
    (by default the largest absolute value, so equal colours mean equal numbers within a map).
    """
    a = np.asarray(a, dtype=np.float32)
    if signed is None:
        signed = bool((a < 0).any())
    if signed:
        scale = vmax or float(np.abs(a).max()) or 1.0
        return _DIVERGING_LUT[_lut_index(0.5 + 0.5 * a / np.float32(scale))]
    lo = 0.0 if a.min() >= 0 else float(a.min())
    hi = vmax or float(a.max())
    if hi <= lo:
        return _SEQUENTIAL_LUT[np.zeros(a.shape, np.uint8)]
    return _SEQUENTIAL_LUT[_lut_index((a - np.float32(lo)) / np.float32(hi - lo))]


def enlarge(img, width):
    """Nearest-neighbour upscaling so small maps stay crisp pixels instead of a blur."""
    factor = max(1, int(width) // max(img.shape[1], 1))
    return img.repeat(factor, axis=0).repeat(factor, axis=1)


def map_image(a, width=280, signed=None, vmax=None):
    """to_rgb then enlarge: ready for st.image."""
    return enlarge(to_rgb(a, signed, vmax), width)


def encoded(rgb):
    """An (H, W, 3) uint8 image as the JPEG bytes st.image makes of an array (quality 100).

    A page keeps these in st.cache_data, so that a rerun that changed nothing about a picture
    hands st.image the same bytes instead of colouring and encoding the array again.
    """
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buf, format="JPEG", quality=100)
    return buf.getvalue()


def tile(maps, cols=None, gap=1, width=None, signed=None, shared_scale=False):
    """Several (H, W) maps side by side in a grid, each scaled on its own unless shared_scale.

    maps: (K, H, W). Returns an RGB uint8 image, enlarged to `width` pixels if given.
    """
    maps = np.asarray(maps, dtype=np.float64)
    k, h, w = maps.shape
    cols = cols or int(np.ceil(np.sqrt(k)))
    rows = int(np.ceil(k / cols))
    vmax = float(np.abs(maps).max()) or 1.0 if shared_scale else None
    sheet = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, 3), 255, np.uint8)
    for i in range(k):
        r, c = divmod(i, cols)
        sheet[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = to_rgb(maps[i], signed, vmax)
    return enlarge(sheet, width) if width else sheet


def channel_tiles(x, width=360, gap=2):
    """The channels of an image volume x: (C, H, W) with values in [0, 1] side by side, each in
    its own colour when C == 3 (red, green, blue) and grey otherwise. Returns RGB uint8."""
    x = np.clip(np.asarray(x, dtype=np.float32), 0, 1)
    c, h, w = x.shape
    sheet = np.full((h, c * (w + gap) - gap, 3), 255, np.uint8)
    for i in range(c):
        img = np.zeros((h, w, 3), np.float32)
        if c == 3:
            img[..., i] = x[i]
        else:
            img[...] = x[i][..., None]
        sheet[:, i * (w + gap):i * (w + gap) + w] = (img * 255 + 0.5).astype(np.uint8)
    return enlarge(sheet, width)


def _cell_colours(a, scale, signed):
    """Background and text colours ('#rrggbb') of every cell of a, from one colormap call:
    calling it cell by cell took 0.2 s for two 24x24 grids, several seconds on a busy server."""
    if scale == 0:
        return np.full(a.shape, "#ffffff", dtype=object), np.full(a.shape, "#000000", dtype=object)
    rgba = DIVERGING(0.5 + 0.5 * a / scale) if signed else colormaps["Blues"](0.85 * a / scale)
    r, g, b = rgba[..., 0], rgba[..., 1], rgba[..., 2]
    light = 0.299 * r + 0.587 * g + 0.114 * b > 0.55
    rgb = (rgba[..., :3] * 255).astype(np.int64)  # truncated, as int(x * 255) did
    bg = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        bg[idx] = "#{:02x}{:02x}{:02x}".format(*rgb[idx])
    return bg, np.where(light, "#000000", "#ffffff")


def grid_html(a, highlight=(), fmt="{:g}", caption=None, cell=34, outline=(), dim=()):
    """A small 2-D array as an HTML table showing every number, cells coloured by value.

    highlight: (row, col) cells drawn with a thick dark border (e.g. the current window);
    outline: cells with a dashed orange border (e.g. padding); dim: cells shown faded.
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    signed = bool((a < 0).any())
    scale = float(np.abs(a).max())
    highlight, outline, dim = set(map(tuple, highlight)), set(map(tuple, outline)), set(map(tuple, dim))
    backgrounds, texts = _cell_colours(a, scale, signed)
    rows = []
    for i in range(a.shape[0]):
        tds = []
        for j in range(a.shape[1]):
            bg, fg = backgrounds[i, j], texts[i, j]
            border = "1px solid #bbb"
            if (i, j) in outline:
                border = "2px dashed #e08000"
            if (i, j) in highlight:
                border = "3px solid #222"
            opacity = "opacity:0.35;" if (i, j) in dim else ""
            text = fmt.format(int(a[i, j]) if float(a[i, j]).is_integer() else a[i, j])
            tds.append(f'<td style="width:{cell}px;min-width:{cell}px;height:{cell}px;background:{bg};color:{fg};'
                       f'border:{border};text-align:center;font-size:13px;padding:0;{opacity}">{text}</td>')
        rows.append("<tr>" + "".join(tds) + "</tr>")
    style = "caption-side:bottom;font-size:12px;color:#555"
    cap = f'<caption style="{style}">{html.escape(caption)}</caption>' if caption else ""
    table = (f'<table role="img" aria-label="{html.escape(caption or "grid of numbers")}" '
             f'style="border-collapse:collapse;margin:4px 0">{cap}{"".join(rows)}</table>')
    # a row too long for the page scrolls sideways instead of squeezing its numbers together
    return f'<div style="overflow-x:auto;max-width:100%">{table}</div>'


def side_by_side(*blocks, gap=28):
    """Several HTML blocks in one row with labels between them (e.g. '*' and '=')."""
    cells = "".join(f'<div style="display:flex;align-items:center">{b}</div>' for b in blocks)
    return f'<div style="display:flex;flex-wrap:wrap;gap:{gap}px;align-items:center">{cells}</div>'


def operator(symbol):
    return f'<span style="font-size:26px;font-weight:600">{html.escape(symbol)}</span>'


def with_box(a, rows, cols, colour=(230, 120, 0), width=280):
    """A grey map with a coloured frame around rows (first, last) x cols (first, last), enlarged."""
    img = to_rgb(a, signed=False)
    factor = max(1, width // img.shape[1])
    big = img.repeat(factor, axis=0).repeat(factor, axis=1)
    r0, r1 = rows[0] * factor, (rows[1] + 1) * factor - 1
    c0, c1 = cols[0] * factor, (cols[1] + 1) * factor - 1
    t = max(2, factor // 4)
    for sl in (np.s_[r0:r0 + t, c0:c1 + 1], np.s_[r1 - t + 1:r1 + 1, c0:c1 + 1],
               np.s_[r0:r1 + 1, c0:c0 + t], np.s_[r0:r1 + 1, c1 - t + 1:c1 + 1]):
        big[sl] = colour
    return big


def picture(x, width=None):
    """An image (H, W) or (C, H, W) with values in [0, 1] as RGB uint8: grey for one channel,
    colour for three (other channel counts show their mean); enlarged to `width` if given."""
    x = np.clip(np.nan_to_num(np.asarray(x, dtype=np.float32)), 0, 1)
    if x.ndim == 3:
        x = x.transpose(1, 2, 0) if x.shape[0] == 3 else x.mean(axis=0)
    rgb = (x * 255 + 0.5).astype(np.uint8)
    rgb = rgb if rgb.ndim == 3 else np.repeat(rgb[..., None], 3, axis=2)
    return enlarge(rgb, width) if width else rgb


def overlay(x, heat, width=280, vmax=None, ink=0.6):
    """A signed map (H, W) in the diverging colours with the image x (H, W) or (C, H, W) in [0, 1]
    drawn over it in shades of grey, so that one sees where on the image the map is large.

    The image's content is what differs from the typical colour of its border (the black
    background of a digit, the white of a drawing): it darkens the map by up to `ink`. NaN in
    heat is shown white.
    """
    heat = np.asarray(heat, dtype=np.float32)
    known = np.isfinite(heat)
    scale = vmax or (float(np.abs(heat[known]).max()) if known.any() else 0.0) or 1.0
    colours = to_rgb(np.where(known, heat, 0), signed=True, vmax=scale).astype(np.float32)
    grey = picture(x).astype(np.float32).mean(axis=2) / 255
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    content = np.abs(grey - np.median(border))
    shade = 1 - ink * content / max(float(content.max()), 1e-6)
    return enlarge((colours * shade[..., None] + 0.5).astype(np.uint8), width)
