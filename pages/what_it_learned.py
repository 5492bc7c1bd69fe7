"""What the network learned: what each filter responds to, which parts of an image a decision
rests on, and how the network's last features arrange the classes."""

import numpy as np
import streamlit as st

from engine import explain, nn
from engine.preprocess import mnist_style
from pages.ui import explain_views as views
from pages.ui import messages, params
from pages.ui.lessons import run_inside_app
from pages.ui.models import model_choices, remember

run_inside_app()
st.title("What the network learned")
st.markdown(
    "A trained network is not a black box: its numbers can be asked what they do. Here you look "
    "at a filter's favourite patches among thousands of images (Zeiler and Fergus' visualisation), "
    "hide parts of one image to see which ones the answer rests on, follow the gradient of the "
    "answer back to the pixels, and see how the network's last 256 features sort the classes."
)

VIEWS = {"filters": "Filters and their top patches", "occlusion": "Occlusion and saliency",
         "features": "Feature space"}
SOURCES = {"draw": "draw a digit", "test": "one of the {}", "mistake": "a misclassified one"}
PROJECTED = 2000  # images projected into the feature space
# The bounds here are what a link may ask for; each widget narrows them to the network and image shown.
S = params.Setting
SETTINGS = params.Settings("what_it_learned", {
    "network": S("pretrained", "Network", "radio", choices=("pretrained", "trained", "own")),
    "view": S("filters", "Show", "radio", choices=tuple(VIEWS), format_func=VIEWS.get),
    "layer": S(0, "Convolution layer", "selectbox", low=0, high=999),
    "filter": S(0, "Filter", low=0, high=9999),
    "source": S("test", "Image", "radio", choices=tuple(SOURCES)),
    "index": S(0, "Number", "number_input", low=0, high=10**7),
    "explain": S("true", "Explain the probability of", "radio", choices=("true", "predicted")),
    "size": S(5, "Square size", low=1, high=999),
    "stride": S(1, "Stride", low=1, high=999),
    "grey": S(0.5, "Grey level of the square", low=0.0, high=1.0, step=0.05, help="0 is black, 1 white"),
    "shown": S(PROJECTED, "Points shown", low=10, high=PROJECTED, step=10),
})
SETTINGS.restore()
for key in SETTINGS.settings:  # the settings of the views not shown keep their values while hidden
    st.session_state[key] = st.session_state[key]


# ---------------------------------------------------------------- the network and the view
choices = {c.key: c for c in model_choices()}
if st.session_state.network not in choices:
    st.session_state.network = "pretrained"
SETTINGS.widget("network", options=list(choices), format_func=lambda k: choices[k].label, horizontal=True)
choice = choices[st.session_state.network]
if len(choices) == 1:
    st.caption("Train a network on the training page and it will be offered here too.")
SETTINGS.widget("view", horizontal=True)


def filter_summary(choice, layer):
    """Top patches and per-class average responses of every filter of one layer."""
    responses = explain.strongest_responses(choice.model, choice.images, layer)
    top = explain.top_patches(choice.model, choice.images, layer, k=min(9, len(choice.images)),
                              responses=responses)
    return top, explain.mean_response_by_class(responses.values, choice.labels, len(choice.class_names))


def filters_view(choice):
    model = choice.model
    convs = [i for i, layer in enumerate(model.layers) if isinstance(layer, nn.Conv2D)]
    if not convs:
        st.warning("This network has no convolution layer to look at.")
        return
    if st.session_state.layer not in convs:
        st.session_state.layer = convs[0]
    left, right = st.columns(2)
    SETTINGS.widget("layer", left, options=convs, format_func=lambda i: f"layer {i + 1}: {model.layers[i].name}")
    layer = st.session_state.layer
    n_filters = model.layers[layer].out_ch
    st.session_state.filter = min(st.session_state.filter, n_filters - 1)
    if n_filters > 1:
        SETTINGS.widget("filter", right, max_value=n_filters - 1)
    f = st.session_state.filter
    try:
        with st.spinner(f"Finding what excites each filter in {len(choice.images):,} {choice.images_name}…"):
            top, means = remember(choice, ("filters", layer), lambda: filter_summary(choice, layer))
    except ValueError as err:
        messages.error(err)
        return
    views.top_patch_row(top, f, choice.images, choice.images_name)
    a, b = st.columns([1, 2])
    views.filter_weights(model.layers[layer].params["w"][f], first_layer=layer == convs[0], where=a)
    b.markdown(f"**Filter {f}'s average response to each class** (the strongest value of its map, "
               f"averaged over the {choice.images_name} of each class)")
    views.class_responses(means[:, f], choice.class_names, where=b)


def pick_image(choice):
    """The image the learner picks: (image (C, H, W), label or None, a name for it), or None."""
    sources = (["draw"] if choice.drawable else []) + ["test", "mistake"]
    if st.session_state.source not in sources:
        st.session_state.source = "test"
    left, right = st.columns([3, 2])
    SETTINGS.widget("source", left, options=sources, horizontal=True,
                    format_func=lambda s: SOURCES[s].format(choice.images_name))
    names, n = choice.class_names, len(choice.images)
    if st.session_state.source == "draw":
        from streamlit_drawable_canvas import st_canvas  # import only inside a running page

        with right:  # beside the choice: the canvas's tool bar floats above it
            canvas = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", height=224,
                               width=224, drawing_mode="freedraw", key="explain_canvas", update_streamlit=True,
                               return_image_data=True)
        drawn = canvas.image_data if canvas is not None else None
        if drawn is None or drawn[..., :3].max() == 0:
            left.info("Draw a digit in the black square with the mouse or a finger; the page follows each stroke.")
            return None
        try:
            return mnist_style(drawn)[None], None, "your digit"
        except ValueError as err:
            messages.warning(err, where=left)
            return None
    if st.session_state.source == "mistake":
        try:
            predicted = remember(choice, "predictions", lambda: choice.model.predict(choice.images))
        except ValueError as err:
            messages.error(err)
            return None
        wrong = np.flatnonzero(predicted != choice.labels)
        if len(wrong) == 0:
            st.info(f"This network reads all {n:,} {choice.images_name} correctly.")
            return None
        st.session_state.index = min(st.session_state.index, len(wrong) - 1)
        SETTINGS.widget("index", right, label=f"Mistake number (0 to {len(wrong) - 1})", max_value=len(wrong) - 1)
        i = int(wrong[st.session_state.index])
        right.caption(f"{choice.image_name.capitalize()} {i}, labelled {names[choice.labels[i]]}, "
                      f"read as {names[predicted[i]]}.")
    else:
        st.session_state.index = min(st.session_state.index, n - 1)
        SETTINGS.widget("index", right, label=f"Number (0 to {n - 1})", max_value=n - 1)
        i = st.session_state.index
        right.caption(f"Labelled {names[choice.labels[i]]}.")
    return choice.images[i], int(choice.labels[i]), f"{choice.image_name} {i}"


def occlusion_view(choice):
    picked = pick_image(choice)
    if picked is None:
        return
    image, label, name = picked
    model, names = choice.model, choice.class_names
    side = min(image.shape[1:])
    try:
        probs = model.predict_proba(image[None])[0]
    except ValueError as err:
        messages.error(err)
        return
    predicted = int(probs.argmax())
    if label is not None and label != predicted:
        SETTINGS.widget("explain", horizontal=True,
                        format_func=lambda e: f"the true class, {names[label]}" if e == "true" else
                        f"the predicted class, {names[predicted]}")
    target = label if label is not None and st.session_state.explain == "true" else predicted
    a, b, c = st.columns(3)
    st.session_state.size = min(st.session_state.size, side)
    st.session_state.stride = min(st.session_state.stride, max(side // 2, 2))
    SETTINGS.widget("size", a, max_value=max(side, 2))
    SETTINGS.widget("stride", b, max_value=max(side // 2, 2))
    SETTINGS.widget("grey", c)
    try:
        occlusion = explain.occlusion_map(model, image, target, st.session_state.size, st.session_state.stride,
                                          fill=st.session_state.grey)
        saliency = explain.input_gradient(model, image[None], target)[0].sum(axis=0)
    except ValueError as err:
        messages.error(err)
        return
    st.markdown(f"The network reads {name} as **{names[predicted]}** ({probs[predicted]:.0%}). Both maps "
                f"explain its probability of **{names[target]}**.")
    views.occlusion_and_saliency(image, occlusion, saliency)
    st.markdown(
        "Occlusion measures what really happens when a whole square is hidden, so it is coarse but "
        "honest, while saliency is the slope of the score at this exact image, pixel by pixel: sharp "
        "and signed, but only a promise about tiny changes, which is why it looks noisier."
    )


def feature_space(choice):
    features = explain.penultimate_features(choice.model, choice.images[:PROJECTED])
    pca = explain.fit_pca(features, n_components=2)
    return pca, pca.transform(features), features.shape[1]


def features_view(choice):
    try:
        with st.spinner("Projecting the features…"):
            pca, coords, width = remember(choice, "features", lambda: feature_space(choice))
    except ValueError as err:
        messages.error(err)
        return
    n = len(coords)
    st.session_state.shown = min(max(st.session_state.shown, 10), n)
    if n > 10:
        SETTINGS.widget("shown", max_value=n)
    picked = pick_image(choice)
    point, label = None, ""
    if picked is not None:
        image, _, label = picked
        point = pca.transform(explain.penultimate_features(choice.model, image[None]))[0]
    shown = st.session_state.shown
    views.feature_scatter(coords, choice.labels[:n], choice.class_names, shown, point, label)
    st.caption(f"Each dot is one of the first {shown:,} {choice.images_name}, placed by the {width} features "
               f"the last layer reads, projected onto their two directions of largest variance (PCA): "
               f"they hold {pca.ratio[0]:.0%} and {pca.ratio[1]:.0%} of it. The black diamond is "
               f"{label or 'the image you pick'}.")


{"filters": filters_view, "occlusion": occlusion_view, "features": features_view}[st.session_state.view](choice)
SETTINGS.publish()
