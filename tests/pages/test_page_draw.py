"""The draw page (pages/draw.py), through its test-digit path: AppTest cannot draw on the canvas;
tests/browser/test_training_pages.py draws on it with the mouse."""

from streamlit.testing.v1 import AppTest

from pagetest import metric, widget

PAGE = "../../pages/draw.py"


def test_a_test_digit_is_read_by_the_pretrained_model():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    widget(at.radio, "Digit").set_value("a test digit").run()
    assert not at.exception and not at.error
    assert metric(at, "Prediction") == "7"  # test digit 0 is a seven
    captions = [c.value for c in at.caption]
    assert any("labelled 7" in c for c in captions)


def test_every_layer_is_shown():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    widget(at.radio, "Digit").set_value("a test digit").run()
    widget(at.number_input, "Test digit number").set_value(1).run()
    assert metric(at, "Prediction") == "2"
    assert len(at.get("image")) >= 10  # the input plus each layer's maps
