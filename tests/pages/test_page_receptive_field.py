from pagetest import metric, run_page

PAGE = "../../pages/receptive_field.py"


def run(**settings):
    return run_page("receptive_field.py", **settings)


def test_last_pooling_layer_sees_12x12():
    at = run()
    assert not at.exception
    assert metric(at, "Receptive field") == "12 x 12 pixels" and metric(at, "Units in this layer") == "7 x 7"


def test_first_layer_corner_unit_is_clipped():
    at = run(layer=0, row=0, col=0)
    assert metric(at, "Receptive field") == "5 x 5 pixels"
    assert any("zero padding" in c.value for c in at.caption)


def test_unit_beyond_a_smaller_layer_is_pulled_back():
    at = run(layer=0, row=27, col=27)
    at.selectbox(key="layer").set_value(6).run()
    assert not at.exception and at.slider(key="row").value == 6
