from streamlit.testing.v1 import AppTest

from pagetest import button, metric

PAGE = "../../pages/layer_calculator.py"


def test_cifar_preset_is_computed():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception and not at.error
    table = at.dataframe[-1].value
    assert list(table["parameters"][:3]) == [280, 0, 910]
    assert metric(at, "Total parameters") == "3,010"


def test_presets_compute_the_famous_totals():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    for preset, total in [("Digit recognizer (default)", "204,906"), ("LeNet-5", "61,706"),
                          ("VGG-16", "138,357,544")]:
        at.selectbox(key="preset").set_value(preset).run()
        assert not at.error and metric(at, "Total parameters") == total, preset


def test_an_input_too_small_for_the_stack_is_explained():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.selectbox(key="preset").set_value("LeNet-5").run()
    at.number_input(key="in_h").set_value(8).run()
    assert not at.exception
    assert "does not fit" in at.error[0].value
    assert at.selectbox(key="preset").value == "LeNet-5"


def test_moving_a_layer_down_changes_the_order():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    button(at, "Move down").click().run()  # move row 0 (the first conv) below the ReLU
    assert at.dataframe[-1].value["layer"][0] == "ReLU"


def test_a_link_restores_the_preset_and_the_input_size():
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params["preset"] = "AlexNet"
    at.query_params["in_h"] = "200"
    at.run()
    assert not at.exception
    assert [n.value for n in at.number_input[:3]] == [3, 200, 227]
    assert "does not fit" not in (at.error[0].value if at.error else "")
    assert at.dataframe[-1].value["output shape"][0] == "96 x 48 x 55"  # (200 - 11) // 4 + 1 rows


def test_choosing_a_preset_resets_the_input_size():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.number_input(key="in_h").set_value(64).run()
    at.selectbox(key="preset").set_value("VGG-16").run()
    assert [n.value for n in at.number_input[:3]] == [3, 224, 224]
    assert metric(at, "Total parameters") == "138,357,544"
