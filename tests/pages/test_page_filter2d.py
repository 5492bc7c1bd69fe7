import io

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from pagetest import markdown_with, run_page

from pages.ui import images

PAGE = "../../pages/filter2d.py"


def run(**settings):
    return run_page("filter2d.py", **settings)


def test_default_page_shows_input_kernel_and_map():
    at = run()
    assert not at.exception and not at.error
    assert len(at.get("image")) >= 2


def test_lecture_step_through_gives_the_x_kernel_map():
    at = run()
    assert "= **4**" in markdown_with(at, "Output (")
    at.slider(key="row").set_value(1).run()
    at.slider(key="col").set_value(0).run()
    assert "Output (1, 0)" in markdown_with(at, "Output (") and "= **2**" in markdown_with(at, "Output (")
    at.slider(key="col").set_value(2).run()
    assert "= **3**" in markdown_with(at, "Output (")


def test_every_named_kernel_and_the_digits():
    for name in ["identity", "box", "gaussian", "sharpen", "sobel_y", "prewitt_x", "laplacian", "emboss", "gabor"]:
        at = run(kernel=name, source="digit", digit=7)
        assert not at.exception and not at.error, name


def test_flip_message_for_asymmetric_kernels():
    at = run(kernel="sobel_x", convolve=True)
    assert any("flipping it changes the map" in c.value for c in at.caption)
    at = run(kernel="gaussian")
    assert any("give the same map" in c.value for c in at.caption)


def test_custom_kernel_errors_keep_the_settings():
    at = run(kernel="custom", custom="1 2; 3")
    assert "must be square" in at.error[0].value
    at = run(kernel="custom", custom="1 x; 3 4")
    assert "numbers only" in at.error[0].value
    assert at.selectbox(key="kernel").value == "custom"


def test_kernel_bigger_than_the_image():
    at = run(kernel="custom", source="digit",
             custom=";".join([" ".join(["1"] * 15)] * 15))
    assert not at.exception
    at2 = run(kernel="gabor", source="sample", sample="checkerboard")
    assert not at2.exception and not at2.error


def test_upload_validation():
    buf = io.BytesIO()
    Image.fromarray(np.zeros((1000, 600), np.uint8)).save(buf, format="PNG")
    img = images.load_upload(buf.getvalue(), max_side=512)
    assert img.shape == (512, 307) and img.dtype == np.float32
    for bad, message in [(b"not an image at all", "not an image"), (b"x" * (11 * 2**20), "the limit is 10 MB")]:
        try:
            images.load_upload(bad, max_mb=10)
        except images.ImageError as err:
            assert message in str(err)
        else:
            raise AssertionError("bad upload accepted")


def test_an_enormous_image_is_refused_before_decoding():
    buf = io.BytesIO()
    Image.new("L", (20_000, 20_000)).save(buf, format="PNG")
    try:
        images.load_upload(buf.getvalue())
    except images.ImageError as err:
        assert "too many pixels" in str(err)
    else:
        raise AssertionError("a 20,000 x 20,000 image was accepted")


def test_draw_source_asks_for_a_drawing_and_keeps_the_step_through():
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["source"] = "draw"
    at.run()
    assert not at.exception and not at.error
    assert any("Draw something" in i.value for i in at.info)
    assert any("= **4**" in m.value for m in at.markdown)  # the 5x5 step-through is still there


def test_a_drawing_becomes_a_grey_image():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[1, 2] = (255, 255, 255, 255)
    grey = images.from_drawing(rgba)
    assert grey.dtype == np.float32 and grey.shape == (4, 4)
    assert grey[1, 2] == 1 and grey.sum() == 1


def noisy_png(side, seed):
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (side, side), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_each_upload_gets_its_own_feature_map():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["source"] = "upload"
    at.run()
    captions = []
    for seed in (1, 2, 1):
        at.get("file_uploader")[0].set_value((f"noise{seed}.png", noisy_png(48, seed), "image/png"))
        at.run()
        assert not at.exception and not at.error
        captions.append([img.caption for element in at.get("image") for img in element.proto.imgs])
    assert captions[0][0] == "input, 48 x 48"
    assert captions[0] != captions[1] and captions[0] == captions[2]


def test_moving_the_step_through_filters_and_encodes_nothing_again(monkeypatch):
    from pages.ui import filter_views

    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["kernel"] = "gaussian"
    at.session_state["sigma"] = 1.7  # a map no other test has put in the cache
    at.run()
    calls = []
    real_apply = filter_views.filters.apply
    monkeypatch.setattr(filter_views.filters, "apply", lambda *a, **k: calls.append("apply") or real_apply(*a, **k))
    real_encoded = filter_views.encoded
    monkeypatch.setattr(filter_views, "encoded", lambda rgb: calls.append("encoded") or real_encoded(rgb))
    for row in (1, 2, 0):
        at.slider(key="row").set_value(row).run()
        assert not at.exception
    assert calls == []
    at.slider(key="sigma").set_value(1.9).run()
    assert "apply" in calls and "encoded" in calls  # a new kernel: a new map
