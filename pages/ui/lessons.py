"""The lessons in the order a course meets them, for app.py's navigation and the home page, and
the check every lesson page makes that it runs inside that navigation."""

import functools
import inspect
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numba
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"


@dataclass(frozen=True)
class Lesson:
    section: str
    path: str  # relative to the repository root, e.g. "pages/conv1d.py"
    title: str
    icon: str
    teaches: str

    @property
    def url_path(self):
        """The URL path Streamlit gives the page: its file name without .py."""
        return Path(self.path).stem

    @property
    def exists(self):
        return (ROOT / self.path).exists()


LESSONS = [
    Lesson("Start", "pages/home.py", "Welcome", ":material/home:",
           "What ConvLab teaches and where to start."),
    Lesson("Convolution", "pages/conv1d.py", "1D convolution", ":material/timeline:",
           "Slide a flipped kernel along a signal and add up the products."),
    Lesson("Convolution", "pages/filter2d.py", "Image filters", ":material/image:",
           "Blur, sharpen and find edges with a 2D kernel; convolution against cross-correlation."),
    Lesson("Convolution", "pages/stride_padding.py", "Stride, padding, dilation", ":material/straighten:",
           "The output-size formula with your numbers, and the settings that do not fit."),
    Lesson("Convolution", "pages/volumes.py", "Volumes and many filters", ":material/view_in_ar:",
           "RGB inputs, many filters, output volumes and why weight sharing saves parameters."),
    Lesson("Convolution", "pages/layer_calculator.py", "Layer calculator", ":material/calculate:",
           "Stack layers and see every output shape and parameter count, from LeNet-5 to VGG-16."),
    Lesson("Inside a CNN", "pages/activations.py", "Activations", ":material/show_chart:",
           "Sigmoid, tanh and ReLU, their slopes, and the vanishing gradient."),
    Lesson("Inside a CNN", "pages/pooling.py", "Pooling", ":material/compress:",
           "Max, average and other pools, where their gradient goes, and what they forgive."),
    Lesson("Inside a CNN", "pages/backprop.py", "Backpropagation", ":material/sync_alt:",
           "Step a computation graph forward and backward, and check gradients numerically."),
    Lesson("Inside a CNN", "pages/receptive_field.py", "Receptive fields", ":material/center_focus_strong:",
           "Click a unit and see which pixels of the digit it can see."),
    Lesson("Train", "pages/train.py", "Train on digits", ":material/model_training:",
           "Train a CNN on handwritten digits live and look inside it."),
    Lesson("Train", "pages/draw.py", "Draw a digit", ":material/draw:",
           "Draw a digit and watch every layer of the network respond."),
    Lesson("Train", "pages/what_it_learned.py", "What the network learned", ":material/visibility:",
           "A filter's favourite patches, occlusion and saliency maps, and the network's feature space."),
    Lesson("Train", "pages/own_classes.py", "Your own classes", ":material/category:",
           "Make a small data set of your own classes, train a CNN on it, and start from the digit network."),
    Lesson("Train", "pages/compare.py", "Compare runs", ":material/compare:",
           "Change one setting, train again and compare the curves."),
    Lesson("Train", "pages/grid_search.py", "Grid search", ":material/grid_on:",
           "Try every learning rate and batch size on a small grid, then refine around the best."),
    Lesson("Practice", "pages/check_yourself.py", "Check yourself", ":material/quiz:",
           "Predict the answer, then reveal it: questions made from your own settings."),
    Lesson("Teach", "pages/teacher.py", "Teacher", ":material/school:",
           "Start a class: see who is on which page, how the questions went, whose run did best."),
]


@functools.cache
def _available():
    return tuple(lesson for lesson in LESSONS if lesson.exists)


def available_lessons():
    """The lessons whose page file exists, in course order.

    Looked up once per process: app.py asks on every rerun of every session, and 18 file
    look-ups took 2-3 ms of each on a busy server.
    """
    return list(_available())


_through_app = threading.local()  # whether this thread's script run came in through app.py


@contextmanager
def app_navigation():
    """app.py runs its navigation inside this, so that a page can tell it came in through app.py."""
    _through_app.active = True
    try:
        yield
    finally:
        _through_app.active = False


ENTRY = "lesson"  # query parameter: the lesson a link opened before app.py had run on this server


def page_threads():
    """Numba threads a page's own kernels use: CONVLAB_PAGE_THREADS, by default 1.

    A page's kernels are small (one image, one digit). Spread over both cores of a server where
    other sessions train, each parallel kernel waits for its slowest thread, and that thread
    waits for a core: beside two busy processes the filter page's rerun with a 15 x 15 kernel
    on a 512 x 512 image took 298 ms (median) on two threads and 108 ms on one
    (tests/benchmarks/bench_pages.py). Training runs in threads of its own and keeps every core
    (pages/server/threads.py).
    """
    try:
        wanted = int(os.environ.get("CONVLAB_PAGE_THREADS", "1"))
    except ValueError:
        wanted = 1
    return min(max(wanted, 1), numba.config.NUMBA_NUM_THREADS)


def run_inside_app():
    """Call at the top of every lesson page: make sure the page runs inside app.py, on
    page_threads() Numba threads.

    Streamlit finds the pages/ folder and, until one run of app.py has called st.navigation
    on this server, runs a page opened by its own address (a link a teacher shared, say) on
    its own: the sidebar then lists bare file names and app.py's wide layout is lost. A class
    opening the link at once all starts that way. Such a run switches to app.py, whose
    st.navigation makes Streamlit ignore the folder from then on (for every session, as its
    documentation says), carrying the lesson and the link's settings along; app.py then opens
    the lesson (see open_entry_lesson). A page test runs the page file as the main script: that
    is left alone.
    """
    numba.set_num_threads(page_threads())  # per thread: this script run's, not training's
    ctx = get_script_run_ctx()
    if getattr(_through_app, "active", False) or ctx is None or Path(ctx.main_script_path).resolve() != APP:
        return
    lesson = Path(inspect.currentframe().f_back.f_code.co_filename).stem  # the page that called
    query = st.query_params.to_dict()
    if lesson in {entry.url_path for entry in LESSONS}:
        query[ENTRY] = lesson
    st.switch_page("app.py", query_params=query)


def open_entry_lesson(pages):
    """In app.py, after st.navigation: open the lesson a first link asked for (run_inside_app).

    pages: {url path: st.Page}. Does nothing when the link named no lesson.
    """
    lesson = st.query_params.get(ENTRY)
    if lesson is None:
        return
    query = {k: v for k, v in st.query_params.to_dict().items() if k != ENTRY}
    if lesson in pages:
        st.switch_page(pages[lesson], query_params=query)
    st.query_params.clear()
    st.query_params.update(query)
