"""2D convolution as an image filter: pick an image and a kernel, see the feature map."""

import numpy as np
import streamlit as st

from engine import conv2d, filters
from engine.lessons import examples
from engine.lessons.stepthrough import conv2d_window
from pages.ui import images, params
from pages.ui.figures import grid_html, map_image, operator, side_by_side
from pages.ui.lessons import run_inside_app

run_inside_app()
st.title("Image filters: 2D convolution")
st.markdown(
    "A 2D kernel slides over the image in both directions. At each position the pixels under "
    "it are multiplied by its weights and added up, giving one pixel of the **feature map**. "
    "Different weights find different things: blur, sharpen, edges in one direction."
)

KERNELS = ["identity", "box", "gaussian", "sharpen", "sobel_x", "sobel_y", "prewitt_x", "prewitt_y",
           "laplacian", "emboss", "gabor", "x_kernel", "custom"]
SOURCES = ["sample", "digit", "draw", "upload"]
DEFAULTS = {"source": "sample", "sample": "hopper", "digit": 0, "kernel": "sobel_x", "size": 5,
            "sigma": 1.0, "theta": 0, "wavelength": 6.0, "convolve": False, "mode": "zero",
            "custom": "0 -1 0; -1 5 -1; 0 -1 0", "row": 0, "col": 0}
params.restore(DEFAULTS, page="filter2d",
               choices={"source": SOURCES, "kernel": KERNELS, "sample": images.sample_names(),
                        "mode": ["zero", "reflect", "replicate", "circular"], "size": [3, 5, 7, 9, 11]},
               bounds={"digit": (0, 9999), "sigma": (0.3, 5.0), "theta": (0, 180),
                       "wavelength": (2.0, 20.0), "row": (0, 2), "col": (0, 2)})


def parse_kernel(text):
    """Rows separated by ';' or new lines, numbers by spaces or commas; a message if not square."""
    rows = [r for r in text.replace("\n", ";").split(";") if r.strip()]
    try:
        values = [[float(v) for v in r.replace(",", " ").split()] for r in rows]
    except ValueError:
        raise ValueError("the kernel must be numbers only, e.g. 0 -1 0; -1 5 -1; 0 -1 0") from None
    if not values or any(len(r) != len(values) for r in values):
        raise ValueError("the kernel must be square: the same number of values in every row, "
                         "as many rows as columns")
    k = np.array(values, dtype=np.float64)  # checked before float32 could overflow
    if k.shape[0] > 15:
        raise ValueError("keep the kernel at most 15 x 15")
    if not np.all(np.isfinite(k)) or np.abs(k).max() > 1e6:
        raise ValueError("keep the kernel's numbers between -1,000,000 and 1,000,000")
    return k.astype(np.float32)


@st.cache_data(show_spinner=False, max_entries=64)
def feature_map(image, kernel, convolve, mode):
    out = filters.apply(image, kernel, convolve, mode)
    return out, map_image(out, width=360)


# ---------------------------------------------------------------- choose the image
left, right = st.columns(2)
with left:
    st.radio("Image", SOURCES, key="source", horizontal=True,
             format_func={"sample": "a sample", "digit": "a handwritten digit", "draw": "draw one",
                          "upload": "your own"}.get)
    image = None
    if st.session_state.source == "sample":
        st.selectbox("Sample", images.sample_names(), key="sample")
        image = images.sample(st.session_state.sample)
    elif st.session_state.source == "digit":
        st.number_input("Digit number (0-9999 of the test set)", 0, 9999, key="digit")
        image, label = images.digit(st.session_state.digit)
        st.caption(f"This digit is a {label}.")
    elif st.session_state.source == "draw":
        from streamlit_drawable_canvas import st_canvas  # import only inside a running page

        canvas = st_canvas(stroke_width=12, stroke_color="#FFFFFF", background_color="#000000",
                           height=256, width=256, drawing_mode="freedraw", key="filter_canvas",
                           update_streamlit=True, return_image_data=True)
        drawn = canvas.image_data if canvas is not None else None
        if drawn is not None and drawn[..., :3].max() > 0:
            image = images.from_drawing(drawn)
        else:
            st.info("Draw something with the mouse or a finger; its feature map appears below.")
    else:
        upload = st.file_uploader("An image file (PNG or JPEG)", type=None)
        if upload is not None:
            try:
                image = images.load_upload(upload.getvalue())
            except images.ImageError as err:
                st.error(f"{str(err)[0].upper()}{str(err)[1:]}.")
        else:
            st.info("Choose a file; large images are scaled down so that no side is above "
                    f"{images.current_limits().max_image_side} pixels.")

# ---------------------------------------------------------------- choose the kernel
with right:
    st.selectbox("Kernel", KERNELS, key="kernel")
    name = st.session_state.kernel
    kernel = None
    try:
        if name == "box":
            st.select_slider("Size", [3, 5, 7, 9, 11], key="size")
            kernel = filters.box(st.session_state.size)
        elif name == "gaussian":
            st.select_slider("Size", [3, 5, 7, 9, 11], key="size")
            st.slider("Sigma (blur width)", 0.3, 5.0, key="sigma")
            kernel = filters.gaussian(st.session_state.size, st.session_state.sigma)
        elif name == "gabor":
            st.slider("Angle (degrees)", 0, 180, key="theta")
            st.slider("Wavelength (pixels)", 2.0, 20.0, key="wavelength")
            st.slider("Sigma (envelope width)", 0.3, 5.0, key="sigma")
            kernel = filters.gabor(15, np.deg2rad(st.session_state.theta), st.session_state.wavelength,
                                   st.session_state.sigma)
        elif name == "custom":
            st.text_area("Your kernel (rows separated by ';')", key="custom", height=90)
            kernel = parse_kernel(st.session_state.custom)
        else:
            kernel = filters.by_name(name)
    except ValueError as err:
        st.error(f"{str(err)[0].upper()}{str(err)[1:]}.")
    st.toggle("Flip the kernel (true convolution)", key="convolve",
              help="Deep-learning libraries do not flip: they compute cross-correlation")
    st.selectbox("Padding at the border", ["zero", "reflect", "replicate", "circular"], key="mode")

# ---------------------------------------------------------------- the result
if image is not None and kernel is not None:
    try:
        out, out_img = feature_map(image, kernel, st.session_state.convolve, st.session_state.mode)
    except ValueError as err:
        st.error(f"{str(err)[0].upper()}{str(err)[1:]}.")
    else:
        c1, c2, c3 = st.columns([2, 1, 2])
        c1.image(map_image(image, width=360, signed=False), caption=f"input, {image.shape[1]} x {image.shape[0]}")
        shown = filters.flip(kernel) if st.session_state.convolve else kernel
        if kernel.shape[0] <= 7:
            c2.markdown(grid_html(shown, fmt="{:.3g}", caption="kernel as applied"), unsafe_allow_html=True)
        else:
            c2.image(map_image(shown, width=160), caption=f"kernel {kernel.shape[0]} x {kernel.shape[1]} as applied")
        c3.image(out_img, caption=f"feature map, from {out.min():.3g} (blue) to {out.max():.3g} (red)"
                 if out.min() < 0 else f"feature map, from {out.min():.3g} to {out.max():.3g}")
        symmetric = np.allclose(kernel, filters.flip(kernel))
        st.caption("This kernel is symmetric under a half turn, so convolution and cross-correlation "
                   "give the same map." if symmetric else
                   "This kernel is not symmetric under a half turn: flipping it changes the map "
                   "(for Sobel, the sign of the edges flips).")

# ---------------------------------------------------------------- step through a small example
st.subheader("Step through a small example")
st.markdown("The lecture's 5 x 5 binary image and the 3 x 3 X-shaped kernel: move the window "
            "and see the nine products that make each output.")
s1, s2 = st.columns(2)
s1.slider("Output row", 0, 2, key="row")
s2.slider("Output column", 0, 2, key="col")
i, j = st.session_state.row, st.session_state.col
win = conv2d_window(examples.IMAGE_5X5, examples.X_KERNEL, i, j)
out_small = conv2d(examples.IMAGE_5X5[None, None], examples.X_KERNEL[None, None])[0, 0]
cells = [(r, c) for r in win.rows for c in win.cols]
st.markdown(side_by_side(
    grid_html(examples.IMAGE_5X5, highlight=cells, caption="image"), operator("*"),
    grid_html(examples.X_KERNEL, caption="kernel"), operator("="),
    grid_html(out_small, highlight=[(i, j)], caption="feature map"),
), unsafe_allow_html=True)
terms = " + ".join(f"{a:g}·{b:g}" for a, b in zip(win.patch.ravel(), examples.X_KERNEL.ravel()))
st.markdown(f"Output ({i}, {j}) = {terms} = **{win.total:g}**")

params.publish(list(DEFAULTS))
