from streamlit.testing.v1 import AppTest

from pagetest import metric, run_page

PAGE = "../../pages/stride_padding.py"


def run(**settings):
    return run_page("stride_padding.py", **settings)


def test_lecture_7x7_with_3x3_kernel():
    at = run()
    assert not at.exception
    assert metric(at, "Output") == "5 x 5"
    assert "= 5" in at.latex[0].value and at.success


def test_stride_2_gives_3():
    at = run(stride=2)
    assert metric(at, "Output") == "3 x 3"


def test_lecture_misfit_7_3_3_names_the_unseen_row():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.slider(key="stride").set_value(3).run()
    assert metric(at, "Output") == "2 x 2"
    assert "do not fit" in at.warning[0].value and "**6**" in at.warning[0].value


def test_cifar_numbers():
    assert metric(run(n=32, f=5), "Output") == "28 x 28"
    assert metric(run(n=32, f=5, stride=3), "Output") == "10 x 10"
    assert metric(run(n=32, f=5, padding=2), "Output") == "32 x 32"
    at = run(n=32, f=5, stride=2)
    assert "**31**" in at.warning[0].value


def test_same_padding_keeps_the_size():
    at = run(n=9, f=5, same=True)
    assert metric(at, "Output") == "9 x 9"


def test_kernel_bigger_than_the_image_is_explained_and_settings_survive():
    at = run(n=3, f=5)
    assert not at.exception
    assert "A 5x5 kernel does not fit in a 3x3 input with padding 0" in at.error[0].value
    assert at.slider(key="n").value == 3 and at.slider(key="f").value == 5


def test_every_padding_mode_draws():
    for mode in ["zero", "reflect", "replicate", "circular"]:
        at = run(n=4, padding=2, mode=mode)
        assert not at.exception and not at.error


def test_a_hostile_link_falls_back_to_defaults():
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params["stride"] = "0"
    at.query_params["mode"] = "mirror"
    at.query_params["n"] = "1e9"
    at.run()
    assert not at.exception
    assert at.slider(key="stride").value == 1 and at.selectbox(key="mode").value == "zero"


def test_dilation_formula_names_the_window_span():
    at = run(n=12, f=5, stride=2, padding=2, dilation=2)
    assert metric(at, "Output") == "4 x 4" and metric(at, "Window spans") == "9 cells"
    assert r"\text{window span }" in at.latex[0].value and "effective kernel" not in at.latex[0].value
    # the span gets a line of its own, so the formula's answer is not pushed off the page
    span_line, formula_line = at.latex[0].value.split(r"\\")
    assert "window span" in span_line
    assert formula_line.strip("$\n ").removesuffix(r"\end{aligned}").strip().endswith("= 4")


def test_small_grids_sit_side_by_side_and_big_ones_take_the_whole_width():
    small, big = run(n=7), run(n=20, f=5, stride=3, padding=2)
    assert not small.exception and not big.exception
    grids = lambda at: [m.value for m in at.markdown if "<table" in m.value]  # noqa: E731
    assert len(grids(small)) == 2 and len(grids(big)) == 2
    assert len(small.columns) == len(big.columns) + 2  # the two grid columns
