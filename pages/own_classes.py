"""Your own classes: make a small image set in the browser and train a CNN on it, live."""

import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from engine import metrics, nn
from engine.export import to_keras, to_pytorch
from engine.image_set import ImageSet, ImageSetError
from engine.nn import transfer
from engine.nn.recipe import build_model, small_set_config
from engine.preprocess import mnist_style
from pages.server.jobs import TrainingRun
from pages.server.limits import current_limits
from pages.server.run_queue import SERVER_QUEUE
from pages.server.threads import page_run
from pages.ui import images, messages, params, runs
from pages.ui.figures import map_image
from pages.ui.graphs import bar_chart
from pages.ui.lessons import run_inside_app
from pages.ui.text import as_text
from pages.ui.training_views import confusion, curves, digits_row, filters_and_maps, job_status, layer_outputs

PRETRAINED = Path(__file__).resolve().parent.parent / "assets" / "pretrained_digit_net.npz"
STARTS = {"scratch": "from scratch", "frozen": "from the digit network, frozen",
          "fine-tune": "from the digit network, fine-tuned"}
LRS = [3e-4, 1e-3, 3e-3, 1e-2]
SOURCES = {"draw": "Draw", "camera": "Take a picture", "upload": "Upload image files"}
SETTINGS = params.Settings("own_classes", {
    "own_names": params.Setting("circle, triangle, square", "Class names, separated by commas (2 to 10)",
                                "text_input", max_chars=400),
    "own_source": params.Setting("draw", "How", "radio", choices=tuple(SOURCES), format_func=SOURCES.get),
    "own_start": params.Setting("scratch", "Start", "radio", choices=tuple(STARTS), format_func=STARTS.get,
                                help="The digit network's two convolution layers, copied in: kept as they are "
                                     "(frozen), or trained at a tenth of the learning rate (fine-tuned). The "
                                     "dense layers always start fresh."),
    "own_augment": params.Setting(True, "Augment: shifts and turns", "toggle",
                                  help="Each batch moved by up to 2 pixels and turned by up to 15 degrees, at random"),
    "own_lr": params.Setting(3e-3, "Learning rate", "select_slider", choices=LRS, format_func=lambda v: f"{v:g}"),
    "own_epochs": params.Setting(60, "Epochs", low=5, high=100),
    "own_test_share": params.Setting(20, "Held out for testing (% of each class)", low=10, high=50),
    "own_seed": params.Setting(0, "Seed (the held-out split and the start)", "number_input", low=0, high=9999),
})

run_inside_app()
st.title("Your own classes")
st.markdown(
    "Make a data set of your own: name a few classes (shapes, letters, thumbs up and down), add a few "
    "examples of each by drawing, with the camera or from image files, and train a CNN on them while you "
    "watch. Every example is prepared like the digits (grey, cut to its ink, centred in 28 x 28). Then try "
    "starting from the digit network's convolution layers instead: the strokes and corners it learned on "
    "digits serve other drawings too, and only the last layers need to learn your classes."
)
SETTINGS.restore()
s = st.session_state


def parse_names(text):
    return [n.strip() for n in text.split(",")] if text.strip() else []


def new_set(names):
    limits = current_limits()
    return ImageSet(names, max_per_class=limits.max_examples_per_class, max_total=limits.max_examples)


@st.cache_resource(show_spinner=False)
def digit_network():
    """The shipped digit network (assets/train_pretrained.py); its weights are copied, never trained."""
    return nn.Sequential.load(PRETRAINED)


def tell(kind, text):
    """A message about the last thing added or loaded, shown until the next one."""
    s.own_notes = s.get("own_notes", []) + [(kind, text)]


if "own_set" not in s:
    try:
        s.own_set = new_set(parse_names(s.own_names))
    except ImageSetError:
        s.own_set = new_set(parse_names(SETTINGS.settings["own_names"].default))
data = s.own_set

# ---------------------------------------------------------------- classes
SETTINGS.widget("own_names")
try:
    wanted = parse_names(s.own_names)
    if wanted != data.class_names:
        data.set_class_names(wanted)
except ImageSetError as err:
    messages.error(err, f"Your classes are still: {as_text(', '.join(data.class_names))}.")
names = data.class_names

# ---------------------------------------------------------------- adding examples
st.subheader("Add examples")
target = st.radio("Add to the class", names, horizontal=True, format_func=as_text)
source = SETTINGS.widget("own_source", horizontal=True)


def add(image, what, photo):
    try:
        data.add_image(target, image, photo=photo)
    except ImageSetError as err:
        tell("error", f"{what}: {err}.")
        return False
    return True


limits = current_limits()
if source == "draw":
    from streamlit_drawable_canvas import st_canvas  # import only inside a running page

    s.setdefault("own_canvas_n", 0)
    left, right = st.columns([2, 3])
    with left, st.container(key="own_draw"):
        canvas = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", height=280,
                           width=280, drawing_mode="freedraw", key=f"own_canvas_{s.own_canvas_n}",
                           update_streamlit=True, return_image_data=True)
    drawn = canvas.image_data if canvas is not None else None
    if drawn is not None and drawn[..., :3].max() > 0:
        right.image(map_image(mnist_style(drawn), width=112, signed=False),
                    caption="This drawing, prepared (28 x 28)")
    if st.button(f"Add this drawing to {as_text(target)}", type="primary"):
        s.own_notes = []
        if drawn is None or drawn[..., :3].max() == 0:
            tell("warning", "The canvas is empty: draw an example first.")
        elif add(drawn, "This drawing", photo=False):
            tell("success", f"Added a drawing to {as_text(target)} ({data.counts()[target]} now).")
            s.own_canvas_n += 1  # a fresh, empty canvas for the next example
        st.rerun()
elif source == "camera":
    photo = st.camera_input("Take a picture of one example (something dark on a light background works best)",
                            key="own_camera")
    if photo is not None and photo.file_id != s.get("own_last_photo"):
        s.own_last_photo, s.own_notes = photo.file_id, []
        try:
            grey = images.load_upload(photo.getvalue())
        except images.ImageError as err:
            tell("error", f"This picture: {err}.")
        else:
            if add(grey, "This picture", photo=True):
                tell("success", f"Added the picture to {as_text(target)} ({data.counts()[target]} now).")
else:
    files = st.file_uploader("Image files, several at once (PNG, JPEG, ...)", accept_multiple_files=True,
                             key="own_upload")
    seen = s.setdefault("own_seen_files", set())
    fresh = [f for f in files or [] if f.file_id not in seen]
    if fresh:
        seen.update(f.file_id for f in fresh)
        s.own_notes = []
        total = sum(f.size for f in fresh)
        if total > limits.max_dataset_mb * 2**20:
            tell("error", f"These files come to {total / 2**20:.1f} MB; at most {limits.max_dataset_mb} MB "
                          "can be added at once here. Upload fewer at a time.")
        else:
            added = 0
            for f in fresh:
                try:
                    grey = images.load_upload(f.getvalue())
                except images.ImageError as err:
                    tell("error", f"{as_text(f.name)}: {err}.")
                    continue
                added += add(grey, as_text(f.name), photo=True)
            if added:
                tell("success", f"Added {added} image{'s' if added > 1 else ''} to {as_text(target)} "
                                f"({data.counts()[target]} now).")
for kind, text in s.get("own_notes", []):
    getattr(st, kind)(text)

# ---------------------------------------------------------------- the data set


def delete(example_id):
    index = data.index_of(example_id)
    if index is not None:
        data.remove(index)


st.subheader("Your data set")
counts = data.counts()
st.dataframe(pd.DataFrame({"examples": list(counts.values())}, index=list(counts)).T, width="stretch")
problems = data.problems()
for warning in data.warnings():
    st.warning(warning)
show_all = st.toggle("Show every example (the 24 newest of each class otherwise)", key="own_show_all")
for c, name in enumerate(names):
    members = np.flatnonzero(data.labels == c)
    st.markdown(f"**{as_text(name)}**: {len(members)} example{'' if len(members) == 1 else 's'}")
    if not len(members):
        st.caption("No examples yet.")
        continue
    shown = members if show_all else members[-24:]
    cols = st.columns(12)
    for i, index in enumerate(shown):
        with cols[i % 12]:
            st.image(data.images[index].repeat(2, 0).repeat(2, 1), width=56)
            example_id = int(data.ids[index])
            st.button("✕", key=f"own_del_{example_id}", help="Delete this example",
                      on_click=delete, args=(example_id,))
    if len(shown) < len(members):
        st.caption(f"... and {len(members) - len(shown)} older ones.")


def load_set():
    """The data-set upload's callback: read it, and use it at once when nothing would be lost."""
    upload = s.get("own_load")
    s.pop("own_pending", None)
    if upload is None:
        return
    limit = current_limits()
    if upload.size > limit.max_dataset_mb * 2**20:
        s.own_load_error = f"This file is {upload.size / 2**20:.1f} MB; the limit is {limit.max_dataset_mb} MB."
        return
    try:
        loaded = ImageSet.load(io.BytesIO(upload.getvalue()), max_per_class=limit.max_examples_per_class,
                               max_total=limit.max_examples, max_bytes=limit.max_dataset_mb * 2**20)
    except ImageSetError as err:
        s.own_load_error = messages.sentence(err, "Your own examples are unchanged.")
        return
    s.own_load_error = None
    if len(s.own_set):
        s.own_pending = loaded  # replacing what the learner collected waits for a yes
    else:
        use_set(loaded)


def use_set(loaded):
    s.own_set, s.own_names = loaded, ", ".join(loaded.class_names)
    s.pop("own_pending", None)


with st.expander("Save or load the data set"):
    buf = io.BytesIO()
    data.save(buf)
    st.download_button("Download the data set (.npz)", buf.getvalue(), "convlab_own_classes.npz",
                       disabled=not len(data))
    st.file_uploader("Load a data set saved here (.npz)", key="own_load", on_change=load_set)
    if s.get("own_load_error"):
        st.error(s.own_load_error)
    pending = s.get("own_pending")
    if pending is not None:
        st.warning(f"This file holds {len(pending)} examples of {as_text(', '.join(pending.class_names))}.")
        st.button(f"Replace your {len(data)} examples with it", on_click=use_set, args=(pending,))

# ---------------------------------------------------------------- training
st.subheader("Train")
a, b, c = st.columns(3)
for keys, column in zip((("own_start",), ("own_augment", "own_lr", "own_epochs"), ("own_test_share", "own_seed")),
                        (a, b, c)):
    for key in keys:
        SETTINGS.widget(key, column)
if problems:
    for problem in problems:
        st.warning(f"Training is not possible yet. {problem}")
else:
    sizes = data.heldout_sizes(s.own_test_share / 100)
    n_held = sum(sizes.values())
    st.caption(f"Held out for testing: {n_held} examples (" + ", ".join(
        f"{as_text(k)}: {v}" for k, v in sizes.items()) + f"); the network learns from the other {len(data) - n_held}.")


def start_run():
    x_train, y_train, x_held, y_held = data.split(s.own_test_share / 100, seed=s.own_seed)
    cfg = small_set_config(len(x_train), lr=s.own_lr, epochs=s.own_epochs, augment=s.own_augment,
                           rotation=15 if s.own_augment else 0, seed=s.own_seed)
    model = build_model(cfg, classes=len(names))
    extra = transfer.start_from(digit_network(), model, s.own_start)
    split = hashlib.sha1(x_held.tobytes() + y_held.tobytes() + ",".join(names).encode()).hexdigest()[:6]
    s.own_run = TrainingRun(cfg, model=model, data=(x_train, y_train, x_held, y_held), classes=len(names),
                            callbacks=extra).start()
    s.own_run_info = {"start": STARTS[s.own_start], "names": tuple(names), "heldout": (x_held, y_held),
                      "evaluation": f"the {len(y_held)} held-out images of {', '.join(names)} (split {split})"}


run = s.get("own_run")
active = run is not None and run.alive
b1, b2, _ = st.columns([1, 1, 2])
if b1.button("Train", type="primary", disabled=active or bool(problems), width="stretch"):
    start_run()
    st.rerun()
if active and b2.button("Stop", width="stretch"):
    run.stop()
    run.join(timeout=5)
    st.rerun()


def live():
    run = s.get("own_run")
    if run is None:
        st.info(f"Press Train when every class has a few examples. {SERVER_QUEUE.running} of "
                f"{SERVER_QUEUE.capacity()} training places on this server are in use.")
        return
    p = run.snapshot()
    job_status(p, "yours")
    st.progress(p.step / max(p.total_steps, 1),
                text=f"step {p.step:,} of {p.total_steps:,} · epoch {p.epoch} of {run.config.epochs} · "
                     f"{p.images_per_second:,.0f} images/s · {s.own_run_info['start']} · {p.state}")
    if p.steps:
        curves(p)
    filters_and_maps(p, watched="one held-out example")
    if s.get("own_was_active") and not run.alive:
        s.own_was_active = False
        st.rerun()  # one full rerun when training ends, to show the results below
    s.own_was_active = run.alive


st.fragment(run_every=1.0 if active else None)(page_run(live))()

# ---------------------------------------------------------------- results
run = s.get("own_run")
if run is not None and not run.alive and run.snapshot().state in ("finished", "stopped"):
    info = s.own_run_info
    x_held, y_held = info["heldout"]
    classes = list(info["names"])
    probs = run.model.predict_proba(x_held)
    pred = probs.argmax(axis=1)
    s.own_model, s.own_class_names, s.own_heldout = run.model, classes, (x_held, y_held)
    name = runs.keep(runs.Run(runs.next_name(f"own classes, {info['start']}"), run.config, run.snapshot(),
                              run.model, tuple(classes), probs, y_held, info["evaluation"],
                              float((pred == y_held).mean()), start=info["start"], key=id(run)))
    st.subheader("How well it tells your classes apart")
    st.metric("Held-out accuracy", f"{(pred == y_held).mean():.0%}",
              help=f"on {info['evaluation']}, which training never saw")
    left, right = st.columns([2, 3])
    with left:
        confusion(metrics.confusion_matrix(y_held, pred, classes=len(classes)), classes)
    with right:
        idx, wrong, conf = metrics.mistakes(probs, y_held)
        if len(idx):
            st.markdown("**The held-out examples it got wrong**")
            digits_row(x_held[idx, 0], [f"{classes[y]} read as {classes[w]} ({p:.0%})"
                                        for y, w, p in zip(y_held[idx], wrong, conf)])
        else:
            st.success(f"Every one of the {len(y_held)} held-out examples is read right.")
    same = [(n, r) for n, r in runs.session_runs().items() if r.evaluation == info["evaluation"]]
    st.caption(f"Kept for the Compare runs page as “{as_text(name)}”. Runs on this same split: " + "; ".join(
        f"{as_text(n)}, {r.accuracy:.0%}" for n, r in same)
        + ". Train again with another start to compare them side by side there.")

    st.subheader("Try it")
    how = st.radio("Show it", ["draw", "camera"], horizontal=True, key="own_try_source",
                   format_func={"draw": "a drawing", "camera": "a picture"}.get)
    example = None
    if how == "draw":
        from streamlit_drawable_canvas import st_canvas  # import only inside a running page

        with st.container(key="own_try"):
            tried = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", height=280,
                              width=280, drawing_mode="freedraw", key="own_try_canvas", update_streamlit=True,
                              return_image_data=True)
        drawn = tried.image_data if tried is not None else None
        if drawn is not None and drawn[..., :3].max() > 0:
            raw, photo = drawn, False
        else:
            raw = None
            st.info("Draw one of your classes; the prediction follows.")
    else:
        shot = st.camera_input("Take a picture to classify", key="own_try_camera")
        raw, photo = None, True
        if shot is not None:
            try:
                raw = images.load_upload(shot.getvalue())
            except images.ImageError as err:
                st.error(f"This picture: {err}.")
    if raw is not None:
        try:
            example = mnist_style(raw, photo=photo)
        except ValueError:
            st.warning("Nothing stands out in this image: draw or photograph one example.")
    if example is not None:
        probs = run.model.predict_proba(example[None, None])[0]
        left, right = st.columns([1, 3])
        left.image(map_image(example, width=140, signed=False), caption="What the network sees (28 x 28)")
        left.metric("Prediction", classes[int(probs.argmax())])
        left.caption(f"with probability {probs.max():.0%}")
        bar_chart(probs, classes, "probability", where=right)
        st.markdown("**Every layer's output**")
        layer_outputs(run.model)

    st.subheader("Save the network")
    buf = io.BytesIO()
    run.model.save(buf)
    d1, d2, d3 = st.columns(3)
    d1.download_button("Model weights (.npz)", buf.getvalue(), "convlab_own_classes_model.npz")
    d2.download_button("PyTorch code", to_pytorch(run.model, "convlab_own_classes_model.npz"),
                       "convlab_own_classes_pytorch.py")
    d3.download_button("Keras code", to_keras(run.model, "convlab_own_classes_model.npz"),
                       "convlab_own_classes_keras.py")
    st.caption("The classes, in the order of the network's outputs: " + as_text(", ".join(classes)) + ".")

SETTINGS.publish()
