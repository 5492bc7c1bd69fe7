"""Hostile input on every page: no traceback, and the session still works afterwards.

For each lesson page that exists, the fuzzer discovers the widgets Streamlit rendered (sliders,
number inputs, text fields, select boxes, check boxes, uploads) and feeds them values at and
around their bounds, huge and negative numbers, empty and odd strings and files that are not
images; it also opens each page with hostile query parameters (a shared link gone wrong). After
every run the page must show no exception, and a final run with sane values must still work.
Buttons are not pressed (the training page would start a run); the training worker is tested
in test_training.py.
"""

import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from pages.ui.lessons import available_lessons

pytestmark = pytest.mark.slow  # hundreds of page runs

ROOT = Path(__file__).resolve().parents[2]
PAGES = [lesson.path for lesson in available_lessons()]

HUGE_NUMBERS = [10**9, -10**9, 1e308, -1, 0, 2**31, -2**31]
HOSTILE_TEXT = ["", " ", "abc", "-5", "0", "1e308", "nan", "inf", ",,,", "1,2,,3", "1;2;3",
                "<script>alert(1)</script>", "9" * 400, "x" * 5000, "１２３", "\x00", "0.5,-0.5,1e9"]


def png_header_claiming(width, height):
    """A PNG whose header claims width x height pixels (a decompression bomb's first bytes)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def small_png():
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray((np.arange(64 * 48) % 251).astype(np.uint8).reshape(48, 64)).save(buf, "PNG")
    return buf.getvalue()


def small_jpeg():
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.open(io.BytesIO(small_png())).convert("RGB").save(buf, "JPEG")
    return buf.getvalue()


HOSTILE_FILES = [
    ("empty.png", b"", "image/png"),
    ("notes.txt", b"this is not an image at all", "text/plain"),
    ("fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png"),
    ("bomb.png", png_header_claiming(20_000, 20_000), "image/png"),
    ("random.jpg", bytes(random.Random(0).getrandbits(8) for _ in range(4096)), "image/jpeg"),
    ("ok.png", small_png(), "image/png"),
]
# A camera sends one .jpg whatever it holds: the same contents under a photo's name.
HOSTILE_PHOTOS = [("shot.jpg", data, "image/jpeg") for _, data, _ in HOSTILE_FILES[:-1]] + \
    [("ok.jpg", small_jpeg(), "image/jpeg")]


def widget_values(widget, rng):
    """Values to try on one widget: its bounds, just inside them, and a random one."""
    kind = widget.type
    if kind == "slider":
        lo, hi = widget.min, widget.max
        value = widget.value
        if isinstance(value, tuple):
            return [(lo, lo), (lo, hi), (hi, hi)]
        if isinstance(value, float) or isinstance(lo, float):
            return [float(lo), float(hi), float(rng.uniform(lo, hi))]
        if isinstance(value, int):
            return [lo, hi, rng.randint(lo, hi)]
        return []  # dates and times: none on these pages
    if kind == "number_input":
        lo = widget.min if widget.min is not None else None
        hi = widget.max if widget.max is not None else None
        is_int = isinstance(widget.value, int)
        values = []
        for v in HUGE_NUMBERS:
            if lo is not None and v < lo or hi is not None and v > hi:
                continue  # the browser refuses numbers outside the widget's bounds
            values.append(int(v) if is_int and abs(v) < 2**62 else v)
        values += [b for b in (lo, hi) if b is not None]
        if not is_int:
            values = [float(v) for v in values if not (isinstance(v, int) and abs(v) > 2**62)]
        return values
    if kind in ("text_input", "text_area"):
        limit = widget.max_chars or None
        return [t[:limit] if limit else t for t in rng.sample(HOSTILE_TEXT, 8)]
    if kind in ("selectbox", "radio", "select_slider"):
        # AppTest takes the formatted option text for selectbox/radio; set_value takes the value,
        # so go through the options by their index in the rendered widget.
        return [("index", i) for i in range(len(widget.options))]
    if kind in ("checkbox", "toggle"):
        return [True, False]
    if kind == "multiselect":
        return [[], list(widget.options)]
    if kind == "file_uploader":
        return HOSTILE_FILES
    if kind == "camera_input":
        return HOSTILE_PHOTOS
    return []


def find_widgets(at):
    kinds = ["slider", "number_input", "text_input", "text_area", "selectbox", "radio",
             "select_slider", "checkbox", "toggle", "multiselect"]
    widgets = []
    for kind in kinds:
        widgets.extend(getattr(at, kind))
    widgets.extend(at.get("file_uploader"))
    widgets.extend(at.get("camera_input"))
    return [w for w in widgets if not w.disabled]


def widget_id(widget):
    return (widget.type, widget.key or widget.label)


def lookup(at, ident):
    for w in find_widgets(at):
        if widget_id(w) == ident:
            return w
    return None


def set_value(widget, value):
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "index":
        return pick_option(widget, value[1])
    return widget.set_value(value)


def pick_option(widget, index):
    """Choose option number `index`, as a click in the browser would.

    AppTest's set_value wants the option's value, but a widget shows only the formatted text
    (a format_func may turn 1000 into '1,000'), so the widget sends the text of option `index`
    itself, exactly what the browser sends.
    """
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    text = widget.options[index]

    class Picked(type(widget)):
        @property
        def index(self):
            return index

        @property
        def _widget_state(self):
            ws = WidgetState()
            ws.id = self.id
            if self.type == "select_slider":
                ws.string_array_value.data[:] = [text]
            else:
                ws.string_value = text
            return ws

    widget.__class__ = Picked
    widget._value = text  # marks the widget as changed
    return widget


def assert_clean(at, what):
    assert not at.exception, f"{what}: {at.exception[0].value}\n{at.exception[0].stack_trace}"


def new_app(page, query=None):
    # The home page links to the other pages, which only resolve when app.py set up navigation.
    script = "app.py" if page == "pages/home.py" else page
    at = AppTest.from_file(str(ROOT / script), default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_widget_at_its_bounds_and_with_hostile_values(page):
    at = new_app(page).run()
    assert_clean(at, f"{page} first run")
    fuzz_every_widget(at, page)


def fuzz_every_widget(at, page):
    rng = random.Random(hash(page) & 0xFFFF)
    tried, seen = 0, set()
    while True:
        # Widgets can appear after a choice (the upload box after "your own" image): keep
        # taking the first widget not fuzzed yet until none is left.
        fresh = [w for w in find_widgets(at) if widget_id(w) not in seen]
        if not fresh:
            break
        widget = fresh[0]
        ident = widget_id(widget)
        seen.add(ident)
        for value in widget_values(widget, rng):
            widget = lookup(at, ident)
            if widget is None:
                break
            try:
                set_value(widget, value)
            except (ValueError, TypeError, IndexError) as err:  # AppTest refused the value itself
                raise AssertionError(f"{page}: could not set {ident} to {value!r}: {err}") from err
            at.run()
            tried += 1
            shown = value if not isinstance(value, (bytes, tuple)) or len(str(value)) < 80 else str(value)[:80]
            assert_clean(at, f"{page} after {ident} = {shown!r}")
    # The session still works: back to a fresh, sane state without losing the app.
    at.run()
    assert_clean(at, f"{page} rerun after fuzzing")
    assert at.title or at.header or at.markdown, f"{page} shows nothing after fuzzing"
    assert tried > 0 or not find_widgets(at)


def test_a_class_board_and_a_class_members_pages_with_hostile_values():
    """The widgets that only a class shows: the board's, and a student's banner and sidebar."""
    from pages.server import classroom
    from pages.server.session import BOARD
    from pages.server.store import Store

    store = Store.open()
    made = classroom.create_class(store, "Fuzzed class")
    who = classroom.join(store, made.code, "<b>fuzz</b>")
    classroom.record_answer(store, who, "output size", 1, "13", right=False)
    store.push(made.id, "pooling?size=3", 0)
    at = new_app("pages/teacher.py")
    at.session_state[BOARD] = made.id
    at.run()
    assert_clean(at, "teacher page with a board")
    assert at.metric, "the board did not open"
    fuzz_every_widget(at, "pages/teacher.py")
    at = new_app("pages/home.py", {"student": who.token}).run()
    assert_clean(at, "home page in a class")
    assert any("Your teacher sends" in i.value for i in at.info), "no banner for the class member"
    fuzz_every_widget(at, "pages/home.py")


@pytest.mark.parametrize("hostile", ["-999999999", "1e308", "nan", "", "<b>x</b>", "9" * 200, "' OR '1'='1",
                                     "../../etc/passwd", "\x00"])
def test_hostile_class_parameters_in_a_link(hostile):
    """The parameters a class adds to addresses (student, pushed, the teacher's code) gone wrong."""
    for page in ("pages/teacher.py", "pages/home.py"):  # home runs through app.py
        at = new_app(page, {"student": hostile, "pushed": hostile, "code": hostile}).run()
        assert_clean(at, f"{page} opened with student, pushed and code = {hostile[:20]!r}")
    assert "student" not in at.query_params and "pushed" not in at.query_params  # app.py's hook dropped them


@pytest.mark.parametrize("page", PAGES)
def test_hostile_links_open_the_page_with_defaults(page):
    """A shared URL with nonsense in every setting still opens the page."""
    first = new_app(page).run()
    keys = [w.key for w in find_widgets(first) if w.key] or ["x"]
    for hostile in ["-999999999", "1e308", "nan", "", "<b>x</b>", "9" * 200]:
        at = new_app(page, {k: hostile for k in keys}).run()
        assert_clean(at, f"{page} opened with every setting = {hostile[:20]!r}")


def test_random_walks_on_every_page():
    """Several widgets changed one after another at random, without going back to defaults."""
    rng = random.Random(7)
    for page in PAGES:
        at = new_app(page).run()
        for step in range(6):
            widgets = find_widgets(at)
            if not widgets:
                break
            widget = rng.choice(widgets)
            values = widget_values(widget, rng)
            if not values:
                continue
            value = rng.choice(values)
            set_value(widget, value)
            at.run()
            assert_clean(at, f"{page} step {step}: {widget_id(widget)} = {str(value)[:60]!r}")


# ------------------------------------------------------------------ the upload validation itself

def test_upload_validation_refuses_hostile_files_with_a_sentence():
    from pages.ui.images import ImageError, load_upload

    for name, data, _ in HOSTILE_FILES[:-1]:
        with pytest.raises(ImageError) as err:
            load_upload(data)
        assert len(str(err.value)) > 15, f"{name}: {err.value!r} does not explain itself"
    with pytest.raises(ImageError, match="pixels"):
        load_upload(png_header_claiming(20_000, 20_000))
    with pytest.raises(ImageError, match="MB"):
        load_upload(b"\x00" * (3 * 1024 * 1024), max_mb=2)


def test_upload_validation_accepts_a_real_image_and_scales_it_down():
    import io

    from PIL import Image

    from pages.ui.images import load_upload

    image = load_upload(small_png())
    assert image.shape == (48, 64) and image.dtype == np.float32
    assert 0 <= image.min() and image.max() <= 1
    buf = io.BytesIO()
    Image.new("RGB", (3000, 1500), (200, 10, 10)).save(buf, "PNG")
    big = load_upload(buf.getvalue(), max_side=512)
    assert max(big.shape) <= 512 and big.shape[1] == 512


def upload_boxes(at):
    return [w for w in find_widgets(at) if w.type in ("file_uploader", "camera_input")]


def apps_showing_every_upload_box(page):
    """[(AppTest, box id)]: each upload box and camera a page shows, in an app where it shows,
    reached by trying each choice of the page's radios and select boxes in turn."""
    found = {}
    first = new_app(page).run()
    for box in upload_boxes(first):
        found.setdefault(widget_id(box), first)
    for choice in [w for w in find_widgets(first) if w.type in ("radio", "selectbox")]:
        ident = widget_id(choice)
        for i in range(len(choice.options)):
            at = new_app(page).run()
            pick_option(lookup(at, ident), i)
            at.run()
            for box in upload_boxes(at):
                found.setdefault(widget_id(box), at)
    return [(at, ident) for ident, at in found.items()]


def saved_model_bytes():
    import io

    from engine import nn

    buf = io.BytesIO()
    nn.digit_net().save(buf)
    return buf.getvalue()


def saved_image_set_bytes():
    import io

    from engine.image_set import ImageSet

    s = ImageSet(["circle", "square"])
    s.add("circle", np.eye(28))
    s.add("square", np.ones((28, 28)))
    buf = io.BytesIO()
    s.save(buf)
    return buf.getvalue()


def files_for(page, box):
    """The hostile files for one upload box, the last being a good file of the kind it takes."""
    if box.type == "camera_input":
        return HOSTILE_PHOTOS
    bad = [f for f in HOSTILE_FILES if f[0] != "ok.png"]
    if page.endswith("compare.py"):  # this page takes saved models
        return bad + [("ok.npz", saved_model_bytes(), "application/octet-stream")]
    if "data set" in box.label:      # a saved data set of one's own classes
        return bad + [("ok.npz", saved_image_set_bytes(), "application/octet-stream")]
    return HOSTILE_FILES


def test_hostile_uploads_get_a_message_and_a_good_one_still_works():
    boxes = 0
    for page in PAGES:
        for at, ident in apps_showing_every_upload_box(page):
            boxes += 1
            for name, data, mime in files_for(page, lookup(at, ident)):
                lookup(at, ident).set_value((name, data, mime))
                at.run()
                assert_clean(at, f"{page} {ident} upload {name}")
                if name.startswith("ok."):
                    assert not at.error, f"{page} {ident}: a good {name} was refused: {at.error[0].value}"
                else:
                    assert at.error, f"{page} {ident}: {name} was accepted without a message"
    assert boxes >= 4, "fewer upload boxes than the pages offer"
