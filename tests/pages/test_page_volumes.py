from pagetest import metric, run_page

PAGE = "../../pages/volumes.py"


def run(**settings):
    return run_page("volumes.py", **settings)


def test_lecture_ten_5x5_filters_on_cifar():
    at = run()
    assert not at.exception and not at.error
    assert metric(at, "Output volume") == "28 x 28 x 10"
    assert metric(at, "Convolution weights") == "760"
    assert metric(at, "Without sharing") == "2,334,720"  # the lecture's 30,720 * 76, "about 3 million"
    assert metric(at, "Fully connected, same outputs") == "24,092,320"  # 3,072 inputs joined to 7,840 outputs


def test_one_by_one_convolutions_are_explained():
    at = run(f=1, k=4)
    assert metric(at, "Convolution weights") == "16" and "1 x 1 convolution" in at.info[0].value


def test_misfit_and_too_big_filters():
    at = run(side=8, f=11)
    assert "does not fit" in at.error[0].value and not at.exception
    at = run(stride=2, f=5, side=32)  # the lecture's 32/5/2: 14.5 positions
    assert metric(at, "Output volume") == "14 x 14 x 10" and "do not fit" in at.warning[0].value


def test_extremes_render():
    at = run(k=64, f=11, side=128, padding=5)
    assert not at.exception and metric(at, "Output volume") == "128 x 128 x 64"


def test_input_channels_are_drawn_in_their_colours():
    import numpy as np

    from pages.ui.figures import channel_tiles

    x = np.zeros((3, 2, 2), np.float32)
    x[0, 0, 0] = x[2, 1, 1] = 1
    img = channel_tiles(x, width=0, gap=1)
    assert img.shape == (2, 8, 3)
    assert tuple(img[0, 0]) == (255, 0, 0) and tuple(img[1, 7]) == (0, 0, 255)
    assert tuple(img[0, 2]) == (255, 255, 255)  # the gap between channels


def test_the_input_is_a_colour_photo():
    from pages.ui import images

    rgb = images.sample_rgb("hopper")
    assert rgb.shape == (3, 128, 128) and rgb.dtype.name == "float32"
    assert 0 <= rgb.min() and rgb.max() <= 1
    assert abs(rgb[0] - rgb[2]).mean() > 0.02  # the channels differ: it is not a grey picture
