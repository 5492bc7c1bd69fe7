import pytest

import naive
from engine import conv_output_size, shapes
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


# ---------------------------------------------------------------- unused cells, worked out arithmetically

def _small_cases():
    for n in range(1, 41):
        for f in range(1, 6):
            for s in range(1, 7):
                for p in range(0, 4):
                    for d in range(1, 5):
                        if d * (f - 1) + 1 <= n + 2 * p:
                            yield n, f, s, p, d


@pytest.mark.parametrize("way", ["as used", "residue by residue"])
def test_unused_cells_match_the_set_of_every_tap(way, monkeypatch):
    if way == "residue by residue":  # the path big inputs with a dilated window take
        monkeypatch.setattr(shapes, "SCAN_CELLS", 0)
    tried = 0
    for n, f, s, p, d in _small_cases():
        assert conv_output_size(n, f, s, p, d).unused == naive.unused_cells(n, f, s, p, d), (n, f, s, p, d)
        tried += 1
    assert tried > 15000


@pytest.mark.parametrize("n, f, s, p, d", [
    (200_003, 3, 2, 1, 3), (150_000, 4, 3, 0, 2), (100_001, 5, 5, 2, 3), (120_001, 3, 2, 0, 5),
])
def test_unused_cells_of_big_dilated_inputs_match_the_reference(n, f, s, p, d):
    assert conv_output_size(n, f, s, p, d).unused == naive.unused_cells(n, f, s, p, d)


@pytest.mark.parametrize("args, size, unused", [
    ((10**18, 3), 10**18 - 2, ()),
    ((10**18, 3, 2), (10**18 - 3) // 2 + 1, (10**18 - 1,)),
    ((10**18, 3, 1, 0, 10**6), 10**18 - 2 * 10**6, ()),
    ((5, 3, 2**63), 1, (3, 4)),
    ((2**70, 2**70 - 5, 7), 1, (2**70 - 5, 2**70 - 4, 2**70 - 3, 2**70 - 2, 2**70 - 1)),
])
def test_huge_numbers_are_worked_out_without_visiting_every_cell(args, size, unused):
    result = conv_output_size(*args)
    assert result.size == size
    assert result.unused == unused


@pytest.mark.parametrize("args", [
    (10**18, 3, 10**17), (2**70, 2**69, 2**70), (10**6, 1, 2), (10**9, 2, 3, 0, 5),
])
def test_too_many_unused_cells_to_list_is_a_sentence(args):
    with pytest.raises(ValueError, match="too many to list") as err:
        conv_output_size(*args)
    assert "output size" in str(err.value)


def test_a_dilated_window_with_a_huge_stride_over_a_huge_input_is_refused_in_a_sentence():
    with pytest.raises(ValueError, match="too much work"):
        conv_output_size(10**7, 2, 70_000, 0, 3)
