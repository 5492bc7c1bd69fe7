"""Draw a digit and see what the network makes of it, layer by layer."""

import copy
from pathlib import Path

import streamlit as st

from engine import nn
from engine.preprocess import mnist_style
from pages.ui import images, messages
from pages.ui.figures import map_image
from pages.ui.graphs import bar_chart
from pages.ui.lessons import run_inside_app
from pages.ui.training_views import layer_outputs

PRETRAINED = Path(__file__).resolve().parent.parent / "assets" / "pretrained_digit_net.npz"

run_inside_app()
st.title("Draw a digit")
st.markdown(
    "Draw a digit from 0 to 9. It is prepared the way MNIST digits were (cut to its ink, scaled "
    "to fit 20 x 20 pixels, centred by its centre of mass in 28 x 28), then every layer of the "
    "network works on it in turn."
)


@st.cache_resource(show_spinner=False)
def pretrained():
    """The shipped model, trained by assets/train_pretrained.py; loaded once per server."""
    return nn.Sequential.load(PRETRAINED)


trained = st.session_state.get("trained_model")
choices = (["your trained model"] if trained is not None else []) + ["the pretrained model"]
which = st.radio("Network", choices, horizontal=True)
if "own_pretrained" not in st.session_state:
    # A layer keeps its last input and output, so sessions must not share one model object:
    # each gets its own copy of the weights read once per server.
    st.session_state.own_pretrained = copy.deepcopy(pretrained())
model = trained if which == "your trained model" else st.session_state.own_pretrained
if trained is None:
    st.caption("Train a network on the training page and it will be offered here too.")

source = st.radio("Digit", ["draw", "a test digit"], horizontal=True)
digit = None
left, right = st.columns([3, 2])
with left:
    if source == "draw":
        from streamlit_drawable_canvas import st_canvas  # import only inside a running page

        stroke = st.slider("Pen width", 8, 40, 20)
        canvas = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                           height=280, width=280, drawing_mode="freedraw", key="canvas",
                           update_streamlit=True, return_image_data=True)
        drawn = canvas.image_data if canvas is not None else None
        if drawn is not None and drawn[..., :3].max() > 0:
            try:
                digit = mnist_style(drawn)
            except ValueError as err:
                messages.warning(err)
        else:
            st.info("Draw with the mouse or a finger; the prediction follows.")
    else:
        index = st.number_input("Test digit number", 0, 9999, 0)
        digit, label = images.digit(index)
        st.caption(f"This test digit is labelled {label}.")

if digit is not None:
    probs = model.predict_proba(digit[None, None])[0]
    with right:
        st.image(map_image(digit, width=168, signed=False), caption="What the network sees (28 x 28)")
        st.metric("Prediction", int(probs.argmax()))
        st.caption(f"with probability {probs.max():.0%}")
    bar_chart(probs, range(10), "probability", height=200)
    st.subheader("Every layer's output")
    layer_outputs(model)
