"""Your own classes (pages/own_classes.py): examples uploaded, trained on, tried; bad files, bad
names and bad data sets explained with nothing lost; the teacher's limits."""

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from benchmarks.drawn_shapes import CLASSES, drawings
from engine.image_set import ImageSet
from test_fuzz_pages import png_header_claiming

PAGE = "../../pages/own_classes.py"


def encoded(image, kind="PNG"):
    buf = io.BytesIO()
    Image.fromarray(image).convert("RGB" if kind == "JPEG" else "L").save(buf, kind)
    return buf.getvalue()


def page(**settings):
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in settings.items():
        at.session_state[key] = value
    return at.run()


def radio(at, label):
    return next(r for r in at.radio if r.label == label)


def button(at, label):
    return next(b for b in at.button if b.label == label)


def upload(at, class_name, files):
    radio(at, "Add to the class").set_value(class_name).run()
    at.get("file_uploader")[0].set_value(files).run()
    return at


def upload_shapes(at, per_class=8, seed=0):
    by_class = {}
    for i, (kind, image) in enumerate(drawings(per_class, seed)):
        by_class.setdefault(kind, []).append((f"{kind}_{i}.png", encoded(image), "image/png"))
    for kind in CLASSES:
        upload(at, kind, by_class[kind])
    return at


def test_uploaded_shapes_train_and_a_photo_is_predicted():
    at = page(own_source="upload", own_epochs=40)
    assert not at.exception and "Training is not possible yet" in at.warning[0].value
    assert button(at, "Train").disabled
    upload_shapes(at)
    assert not at.exception and not at.error
    assert at.session_state["own_set"].counts() == {"circle": 8, "triangle": 8, "square": 8}
    assert any("Added 8 images to square (8 now)" in m.value for m in at.success)
    assert any("Held out for testing: 6 examples (circle: 2, triangle: 2, square: 2)" in c.value for c in at.caption)
    button(at, "Train").click().run()
    run = at.session_state["own_run"]
    run.join(120)
    at.run()
    assert not at.exception and run.snapshot().state == "finished"
    assert at.metric[0].label == "Held-out accuracy"
    assert int(at.metric[0].value.rstrip("%")) >= 50  # 6 held-out shapes: far better than a third
    assert any("Rows: the true class" in c.value for c in at.caption)
    # what the other pages read
    assert at.session_state["own_class_names"] == list(CLASSES)
    x_held, y_held = at.session_state["own_heldout"]
    assert x_held.shape == (6, 1, 28, 28) and sorted(y_held.tolist()) == [0, 0, 1, 1, 2, 2]
    kept = list(at.session_state["runs"].values())
    assert len(kept) == 1 and kept[0].class_names == CLASSES and kept[0].start == "from scratch"
    # try it with a picture: a circle drawn dark on light paper
    radio(at, "Show it").set_value("camera").run()
    circle = 255 - drawings(1, seed=5, classes=("circle",))[0][1]
    at.camera_input[0].set_value(("shot.jpg", encoded(circle, "JPEG"), "image/jpeg")).run()
    assert not at.exception and not at.error
    prediction = next(m for m in at.metric if m.label == "Prediction")
    assert prediction.value in CLASSES
    assert len(at.get("image")) > 10  # what the network sees, and every layer's maps


def test_a_transfer_run_on_the_same_split_is_kept_beside_the_scratch_run():
    at = upload_shapes(page(own_source="upload", own_epochs=10), per_class=4)
    for start in ("scratch", "frozen"):
        radio(at, "Start").set_value(start).run()
        button(at, "Train").click().run()
        at.session_state["own_run"].join(120)
        at.run()
    runs = list(at.session_state["runs"].values())
    assert [r.start for r in runs] == ["from scratch", "from the digit network, frozen"]
    assert runs[0].evaluation == runs[1].evaluation
    assert "held-out images of circle, triangle, square" in runs[0].evaluation
    assert any("Runs on this same split" in c.value and "frozen" in c.value for c in at.caption)


def test_bad_files_are_explained_and_nothing_collected_is_lost():
    at = upload_shapes(page(own_source="upload"), per_class=3)
    before = at.session_state["own_set"].counts()
    bomb = png_header_claiming(20_000, 20_000)
    upload(at, "circle", [("notes.txt", b"not an image", "text/plain"), ("empty.png", b"", "image/png"),
                          ("huge.png", bomb, "image/png"),
                          ("blank.png", encoded(np.zeros((50, 50), np.uint8)), "image/png"),
                          ("good.png", encoded(drawings(1, seed=9)[0][1]), "image/png")])
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "notes\\.txt: this file is not an image" in errors and "empty\\.png: this file is not an image" in errors
    assert "huge\\.png" in errors and "pixels" in errors and "blank\\.png: nothing stands out" in errors
    assert any("Added 1 image to circle" in m.value for m in at.success)
    assert at.session_state["own_set"].counts() == {**before, "circle": before["circle"] + 1}


@pytest.mark.parametrize("names, message", [("circle, , square", "class name number 2 is empty"),
                                            ("circle, Circle", "appears twice"), ("", "at least one class")])
def test_a_bad_class_name_is_explained_and_the_classes_stay(names, message):
    at = upload_shapes(page(own_source="upload"), per_class=2)
    at.text_input[0].set_value(names).run()
    assert not at.exception and message in at.error[0].value.lower()
    assert "still: circle, triangle, square" in at.error[0].value
    assert at.session_state["own_set"].counts() == {"circle": 2, "triangle": 2, "square": 2}
    at.text_input[0].set_value("ring, triangle, square").run()  # a rename keeps the examples
    assert not at.error and at.session_state["own_set"].counts() == {"ring": 2, "triangle": 2, "square": 2}


def test_training_is_refused_with_a_sentence_until_every_class_has_two_examples():
    at = upload(page(own_source="upload", own_names="cat, dog"), "cat",
                [(f"c{i}.png", encoded(img), "image/png") for i, (_, img) in enumerate(drawings(3, 0, ("circle",)))])
    warning = " ".join(w.value for w in at.warning)
    assert "at least 2 examples" in warning and "dog (0)" in warning and button(at, "Train").disabled
    at.text_input[0].set_value("cat").run()
    assert "at least 2 classes" in " ".join(w.value for w in at.warning)


def saved(image_set):
    buf = io.BytesIO()
    image_set.save(buf)
    return buf.getvalue()


def test_a_data_set_saves_and_loads_and_a_bad_one_changes_nothing():
    teacher = ImageSet(["thumbs up", "thumbs down"])
    for kind, image in drawings(3, seed=2, classes=("circle", "square")):
        teacher.add_image("thumbs up" if kind == "circle" else "thumbs down", image)
    at = page()
    loader = next(u for u in at.get("file_uploader") if "data set" in u.label)
    loader.set_value(("class.npz", saved(teacher), "application/octet-stream")).run()
    assert not at.exception and not at.error
    assert at.session_state["own_set"].counts() == {"thumbs up": 3, "thumbs down": 3}
    assert at.text_input[0].value == "thumbs up, thumbs down"
    # a file with pickled objects, then one that is no data set at all: refused, the set stays
    pickled = io.BytesIO()
    np.savez(pickled, format_version=1, images=np.zeros((1, 28, 28), np.uint8), labels=np.zeros(1, np.int64),
             class_names=np.array(["a", "b"], dtype=object))
    for name, data in (("pickled.npz", pickled.getvalue()), ("photo.npz", encoded(np.eye(28, dtype=np.uint8)))):
        loader = next(u for u in at.get("file_uploader") if "data set" in u.label)
        loader.set_value((name, data, "application/octet-stream")).run()
        assert not at.exception and "unchanged" in at.error[0].value
        assert at.session_state["own_set"].counts() == {"thumbs up": 3, "thumbs down": 3}
    # loading over collected examples asks first
    other = ImageSet(["a", "b"])
    loader = next(u for u in at.get("file_uploader") if "data set" in u.label)
    loader.set_value(("other.npz", saved(other), "application/octet-stream")).run()
    assert at.session_state["own_set"].counts() == {"thumbs up": 3, "thumbs down": 3}
    button(at, "Replace your 6 examples with it").click().run()
    assert at.session_state["own_set"].class_names == ["a", "b"] and at.text_input[0].value == "a, b"


def test_deleting_an_example_from_the_gallery():
    at = upload_shapes(page(own_source="upload"), per_class=2)
    first = int(at.session_state["own_set"].ids[0])
    at.button(key=f"own_del_{first}").click().run()
    assert at.session_state["own_set"].counts() == {"circle": 1, "triangle": 2, "square": 2}
    assert at.session_state["own_set"].index_of(first) is None


def test_the_teachers_limit_on_examples_per_class(monkeypatch):
    monkeypatch.setenv("CONVLAB_MAX_EXAMPLES_PER_CLASS", "3")
    at = page(own_source="upload")
    files = [(f"c{i}.png", encoded(img), "image/png") for i, (_, img) in enumerate(drawings(5, 0, ("circle",)))]
    upload(at, "circle", files)
    assert at.session_state["own_set"].counts()["circle"] == 3
    assert "c3\\.png: the class 'circle' is full" in " ".join(e.value for e in at.error)
