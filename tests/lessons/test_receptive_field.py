import pytest

from engine import nn
from engine.lessons.receptive_field import patch, receptive_fields, window_specs


def digit_fields():
    return receptive_fields(window_specs(nn.digit_net()))


def test_digit_net_receptive_fields_grow_layer_by_layer():
    sizes = [(f.layer, f.size, f.jump, f.units) for f in digit_fields()]
    # conv 5x5 sees 5, pool 2 adds 1, conv 3x3 at jump 2 adds 4, pool 2 adds 2
    assert sizes[0][1:] == (5, 1, 28)
    assert sizes[2][1:] == (6, 2, 14)
    assert sizes[4][1:] == (10, 2, 14)
    assert sizes[6][1:] == (12, 4, 7)


def test_patch_of_a_centre_unit_and_a_corner_unit():
    f = digit_fields()[0]
    assert patch(f, 10, 10) == ((8, 12), (8, 12))
    assert patch(f, 0, 0) == ((0, 2), (0, 2))  # clipped: the rest is zero padding
    last = digit_fields()[6]
    (r0, r1), _ = patch(last, 3, 3)
    assert r1 - r0 + 1 == 12


def test_units_outside_the_layer_are_explained():
    with pytest.raises(ValueError, match="7 x 7 units"):
        patch(digit_fields()[6], 7, 0)
