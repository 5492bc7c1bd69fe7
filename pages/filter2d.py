"""2D convolution as an image filter: pick an image and a kernel, see the feature map."""

import hashlib

import numpy as np
import streamlit as st

from engine import filters
from pages.ui import images, inputs, messages, params
from pages.ui.figures import grid_html, map_image
from pages.ui.filter_views import feature_map, input_picture, step_through, uploaded_image
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
MODES = ["zero", "reflect", "replicate", "circular"]
SIZES = [3, 5, 7, 9, 11]
SETTINGS = params.Settings("filter2d", {
    "source": params.Setting("sample", "Image", "radio", choices=SOURCES,
                             format_func={"sample": "a sample", "digit": "a handwritten digit", "draw": "draw one",
                                          "upload": "your own"}.get),
    "sample": params.Setting("hopper", "Sample", "selectbox", choices=tuple(images.sample_names())),
    "digit": params.Setting(0, "Digit number (0-9999 of the test set)", "number_input", low=0, high=9999),
    "kernel": params.Setting("sobel_x", "Kernel", "selectbox", choices=KERNELS),
    "size": params.Setting(5, "Size", "select_slider", choices=SIZES),
    "sigma": params.Setting(1.0, "Sigma (blur width)", low=0.3, high=5.0),
    "theta": params.Setting(0, "Angle (degrees)", low=0, high=180),
    "wavelength": params.Setting(6.0, "Wavelength (pixels)", low=2.0, high=20.0),
    "convolve": params.Setting(False, "Flip the kernel (true convolution)", "toggle",
                               help="Deep-learning libraries do not flip: they compute cross-correlation"),
    "mode": params.Setting("zero", "Padding at the border", "selectbox", choices=MODES),
    "custom": params.Setting("0 -1 0; -1 5 -1; 0 -1 0", "Your kernel (rows separated by ';')", "text_area",
                             max_chars=2000),
    "row": params.Setting(0, "Output row", low=0, high=2),
    "col": params.Setting(0, "Output column", low=0, high=2),
})
SETTINGS.restore()


# ---------------------------------------------------------------- choose the image
left, right = st.columns(2)
with left:
    SETTINGS.widget("source", horizontal=True)
    image, image_key = None, None  # the key names the image for the cached pictures (no hashing of pixels)
    if st.session_state.source == "sample":
        SETTINGS.widget("sample")
        image, image_key = images.sample(st.session_state.sample), ("sample", st.session_state.sample)
    elif st.session_state.source == "digit":
        SETTINGS.widget("digit")
        image, label = images.digit(st.session_state.digit)
        image_key = ("digit", int(st.session_state.digit) % 10000)
        st.caption(f"This digit is a {label}.")
    elif st.session_state.source == "draw":
        from streamlit_drawable_canvas import st_canvas  # import only inside a running page

        canvas = st_canvas(stroke_width=12, stroke_color="#FFFFFF", background_color="#000000",
                           height=256, width=256, drawing_mode="freedraw", key="filter_canvas",
                           update_streamlit=True, return_image_data=True)
        drawn = canvas.image_data if canvas is not None else None
        if drawn is not None and drawn[..., :3].max() > 0:
            image = images.from_drawing(drawn)
            image_key = ("draw", hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest())
        else:
            st.info("Draw something with the mouse or a finger; its feature map appears below.")
    else:
        upload = st.file_uploader("An image file (PNG or JPEG)", type=None)
        if upload is not None:
            try:
                image = uploaded_image(upload.file_id, upload.getvalue())
                image_key = ("upload", upload.file_id)
            except images.ImageError as err:
                messages.error(err)
        else:
            st.info("Choose a file; large images are scaled down so that no side is above "
                    f"{images.current_limits().max_image_side} pixels.")

# ---------------------------------------------------------------- choose the kernel
with right:
    SETTINGS.widget("kernel")
    name = st.session_state.kernel
    kernel = None
    try:
        if name == "box":
            SETTINGS.widget("size")
            kernel = filters.box(st.session_state.size)
        elif name == "gaussian":
            SETTINGS.widget("size")
            SETTINGS.widget("sigma")
            kernel = filters.gaussian(st.session_state.size, st.session_state.sigma)
        elif name == "gabor":
            SETTINGS.widget("theta")
            SETTINGS.widget("wavelength")
            SETTINGS.widget("sigma", label="Sigma (envelope width)")
            kernel = filters.gabor(15, np.deg2rad(st.session_state.theta), st.session_state.wavelength,
                                   st.session_state.sigma)
        elif name == "custom":
            SETTINGS.widget("custom", height=90)
            kernel = inputs.number_grid(st.session_state.custom, "the kernel")
        else:
            kernel = filters.by_name(name)
    except ValueError as err:
        messages.error(err)
    SETTINGS.widget("convolve")
    SETTINGS.widget("mode")

# ---------------------------------------------------------------- the result
if image is not None and kernel is not None:
    try:
        lo, hi, out_picture = feature_map(image_key, image, kernel, st.session_state.convolve, st.session_state.mode)
    except ValueError as err:
        messages.error(err)
    else:
        c1, c2, c3 = st.columns([2, 1, 2])
        c1.image(input_picture(image_key, image), caption=f"input, {image.shape[1]} x {image.shape[0]}")
        shown = filters.flip(kernel) if st.session_state.convolve else kernel
        if kernel.shape[0] <= 7:
            c2.markdown(grid_html(shown, fmt="{:.3g}", caption="kernel as applied"), unsafe_allow_html=True)
        else:
            c2.image(map_image(shown, width=160), caption=f"kernel {kernel.shape[0]} x {kernel.shape[1]} as applied")
        c3.image(out_picture, caption=f"feature map, from {lo:.3g} (blue) to {hi:.3g} (red)"
                 if lo < 0 else f"feature map, from {lo:.3g} to {hi:.3g}")
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
SETTINGS.widget("row", s1)
SETTINGS.widget("col", s2)
grids, total = step_through(st.session_state.row, st.session_state.col)
st.markdown(grids, unsafe_allow_html=True)
st.markdown(total)

SETTINGS.publish()
