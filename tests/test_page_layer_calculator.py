from streamlit.testing.v1 import AppTest

PAGE = "../pages/layer_calculator.py"


def test_cifar_preset_is_computed():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception and not at.error
    table = at.dataframe[-1].value
    assert list(table["parameters"][:3]) == [280, 0, 910]
    assert at.metric[0].value == "3,010"


def test_presets_compute_the_famous_totals():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    for preset, total in [("Digit recognizer (default)", "204,906"), ("LeNet-5", "61,706"),
                          ("VGG-16", "138,357,544")]:
        at.selectbox(key="preset").set_value(preset).run()
        assert not at.error and at.metric[0].value == total, preset


def test_an_input_too_small_for_the_stack_is_explained():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.selectbox(key="preset").set_value("LeNet-5").run()
    at.number_input[1].set_value(8).run()
    assert not at.exception
    assert "does not fit" in at.error[0].value
    assert at.selectbox(key="preset").value == "LeNet-5"


def test_moving_a_layer_down_changes_the_order():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.button[1].click().run()  # move row 0 (the first conv) below the ReLU
    assert at.dataframe[-1].value["layer"][0] == "ReLU"
