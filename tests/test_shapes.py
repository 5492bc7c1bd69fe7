import pytest

from engine import conv_output_size
from engine.shapes import window_output_size


@pytest.mark.parametrize("n, f, stride, padding, size", [
    (7, 3, 1, 0, 5),     # the 7x7 input with a 3x3 window, stride 1
    (7, 3, 2, 0, 3),     # ... stride 2
    (32, 5, 1, 0, 28),   # CIFAR-10 image, 5x5 filters
    (32, 5, 3, 0, 10),   # ... stride 3
    (32, 5, 1, 2, 32),   # ... padding 2 keeps the size
    (5, 3, 1, 1, 5),     # 5x5 input, F=3, P=1
])
def test_lecture_output_sizes(n, f, stride, padding, size):
    result = conv_output_size(n, f, stride, padding)
    assert result.size == size
    assert result.fits
    assert result.unused == ()
    assert result.formula.endswith(f"= {size}")


def test_lecture_misfit_7_3_3_never_sees_the_last_row():
    result = conv_output_size(7, 3, stride=3)
    assert (result.size, result.fits, result.unused) == (2, False, (6,))
    assert "floor(1.33333)" in result.formula


def test_lecture_misfit_32_5_2():
    result = conv_output_size(32, 5, stride=2)
    assert (result.size, result.fits, result.unused) == (14, False, (31,))


def test_dilation_uses_the_effective_kernel():
    result = conv_output_size(7, 3, dilation=2)
    assert result.effective_kernel == 5 and result.size == 3
    assert "effective kernel" in result.formula


def test_a_dilated_window_skips_the_cells_between_its_taps():
    assert conv_output_size(5, 2, stride=2, dilation=3).unused == (1, 2, 4)


def test_padding_cells_are_not_reported_as_unused():
    result = conv_output_size(6, 3, stride=2, padding=1)
    assert result.size == 3 and not result.fits and result.unused == ()


def test_formula_helper_matches_brute_force():
    for n in range(1, 12):
        for f in range(1, 5):
            for s in range(1, 4):
                for p in range(0, 3):
                    for d in range(1, 3):
                        eff = d * (f - 1) + 1
                        starts = [i for i in range(0, n + 2 * p) if i + eff <= n + 2 * p and i % s == 0]
                        assert window_output_size(n, f, s, p, p, d) == len(starts) or not starts


@pytest.mark.parametrize("args, message", [
    ((3, 5), "a 5x5 kernel does not fit in a 3x3 input with padding 0"),
    ((3, 3, 1, 0, 2), "dilation 2"),
    ((7, 3, 0), "the stride must be at least 1, not 0"),
    ((7, 3, 1, -1), "the padding must be at least 0, not -1"),
    ((7.5, 3), "the input size must be a whole number"),
])
def test_bad_arguments_explain_themselves(args, message):
    with pytest.raises(ValueError, match=message):
        conv_output_size(*args)
