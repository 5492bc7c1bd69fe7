from pagetest import run_page

PAGE = "../../pages/receptive_field.py"


def run(**settings):
    return run_page("receptive_field.py", **settings)


def test_last_pooling_layer_sees_12x12():
    at = run()
    assert not at.exception
    assert at.metric[0].value == "12 x 12 pixels" and at.metric[1].value == "7 x 7"


def test_first_layer_corner_unit_is_clipped():
    at = run(layer=0, row=0, col=0)
    assert at.metric[0].value == "5 x 5 pixels"
    assert any("zero padding" in c.value for c in at.caption)


def test_unit_beyond_a_smaller_layer_is_pulled_back():
    at = run(layer=0, row=27, col=27)
    at.selectbox(key="layer").set_value(6).run()
    assert not at.exception and at.slider(key="row").value == 6
