from pagetest import run_page

PAGE = "../../pages/activations.py"


def run(**settings):
    return run_page("activations.py", **settings)


def test_sigmoid_slope_is_a_quarter():
    at = run()
    assert not at.exception
    assert any("Largest slope: 0.25" in c.value for c in at.caption)


def test_vanishing_gradient_figure_updates_with_depth():
    shallow, deep = run(depth=2), run(depth=30)

    def text(at):
        return next(c.value for c in at.caption if "Through" in c.value)
    assert "Through 2 sigmoid" in text(shallow) and "Through 30 sigmoid" in text(deep)


def test_a_single_layer_gets_its_own_caption():
    caption = next(c.value for c in run(depth=1).caption if "weight gradient" in c.value)
    assert "With one layer" in caption and "1 sigmoid layers" not in caption and "barely learn" not in caption


def test_dying_relu():
    at = run(act="ReLU", bias=-5.0)
    assert any("dying" in c.value and c.value.startswith("100%") for c in at.caption)


def test_every_activation():
    for name in ["sigmoid", "tanh", "ReLU", "leaky ReLU"]:
        assert not run(act=name).exception
