"""Receptive fields of the digit network: the recurrence r_out = r_in + (k-1) j_in, j_out = j_in s."""

import pytest

from engine.receptive_field import DIGIT_NET, LayerSpec, receptive_fields, unit_patch


def test_digit_net_sizes_layer_by_layer():
    rows = receptive_fields()
    assert [r.size for r in rows] == [1, 5, 6, 10, 12, 28, 28]
    assert [r.jump for r in rows][:5] == [1, 1, 2, 2, 4]
    assert [r.out_size for r in rows] == [28, 28, 14, 14, 7, 1, 1]
    assert rows[3].formula == "r = 6 + (3 - 1)·2 = 10,  j = 2·1 = 2"


def test_patches_follow_the_units_down_to_the_input():
    # second pool unit (3, 3) <- conv2 rows 6-7 <- pool1 rows 5-8 <- conv1 rows 10-17 <- input 8-19
    p = unit_patch(4, 3, 3)
    assert (p.top, p.bottom, p.left, p.right, p.clipped) == (8, 19, 8, 19, False)
    corner = unit_patch(4, 0, 0)
    assert (corner.top, corner.bottom, corner.rows, corner.clipped) == (0, 7, 8, True)
    assert (unit_patch(1, 10, 12).top, unit_patch(1, 10, 12).left) == (8, 10)
    assert unit_patch(5, 0, 0).rows == 28
    assert unit_patch(0, 5, 6).rows == 1


def test_dilation_and_stride_recurrence():
    rows = receptive_fields([LayerSpec("a", 3, 2, 1), LayerSpec("b", 3, 1, 2, dilation=2)], 32)
    assert [(r.size, r.jump) for r in rows] == [(1, 1), (3, 2), (11, 2)]


def test_bad_units_are_explained():
    with pytest.raises(ValueError, match="between 0 and 6"):
        unit_patch(4, 7, 0)
    with pytest.raises(ValueError, match="layer"):
        unit_patch(9, 0, 0)
    with pytest.raises(ValueError, match="does not fit"):
        receptive_fields([LayerSpec("big", 9)], 5)
    assert len(DIGIT_NET) == 6
