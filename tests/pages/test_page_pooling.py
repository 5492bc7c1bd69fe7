from pagetest import markdown_with, run_page

PAGE = "../../pages/pooling.py"


def run(**settings):
    return run_page("pooling.py", **settings)


def test_lecture_max_pool_gives_6_8_3_4():
    at = run()
    assert not at.exception and not at.error
    html = markdown_with(at, "→")
    for value in (">6<", ">8<", ">3<", ">4<"):
        assert value in html.split("→")[1]


def test_overlapping_windows_add_gradients():
    at = run(size=2, stride=1)
    assert any("overlap" in c.value for c in at.caption)
    assert ">2<" in markdown_with(at, "gradient each input receives")  # 6, 7 and 8 each win two overlapping windows


def test_every_kind_and_the_shift():
    for kind in ["max", "average", "min", "sum", "L2"]:
        at = run(kind=kind, shift=2)
        assert not at.exception and not at.error, kind


def test_windows_that_do_not_tile_are_flagged():
    at = run(size=3, stride=2)
    assert "do not tile" in at.warning[0].value


def test_thick_borders_are_explained_only_where_window_maxima_have_them():
    grid = markdown_with(run(), "gradient each input receives")
    assert "thick border" in grid and "3px solid #222" in grid
    grid = markdown_with(run(kind="average"), "gradient each input receives")
    assert "thick border" not in grid and "3px solid #222" not in grid


def test_a_window_size_another_page_allowed_does_not_break_the_pooling_page():
    """The image-filter page's "size" goes up to 7; pooling's window to 4 (the same session key)."""
    from pagetest import run_page

    at = run_page("pooling.py", size=5)
    assert not at.exception
    assert at.session_state["size"] == 2  # this page's default
