"""Numbers typed by a learner (pages/ui/inputs.py): lists, grids and settings to try."""

import numpy as np
import pytest

from pages.ui import inputs


def test_a_list_keeps_its_order_and_takes_commas_or_spaces():
    assert inputs.number_list("0, 1 2,3", "the signal").tolist() == [0, 1, 2, 3]


def test_a_grid_is_square_rows_of_numbers():
    k = inputs.number_grid("0 -1 0; -1 5 -1\n0,-1,0")
    assert k.dtype == np.float32 and k.tolist() == [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
    with pytest.raises(ValueError, match="must be square"):
        inputs.number_grid("1 2; 3")
    with pytest.raises(ValueError, match="at most 15 x 15"):
        inputs.number_grid(";".join(["1"] * 16))


def test_settings_to_try_are_sorted_without_repeats():
    assert inputs.choices("1e-3, 1e-4;0.01, 1e-3", "the learning rates") == [1e-4, 1e-3, 1e-2]
    assert inputs.choices("64, 32", "the batch sizes", whole=True) == [32, 64]
    assert inputs.format_choices([3.16e-4, 1e-3]) == "0.000316, 0.001"


@pytest.mark.parametrize("text, kwargs, message", [
    ("", {}, "at least one number"), ("1e-3, fast", {}, "'fast' in"), ("-1", {"positive": True}, "positive"),
    ("nan", {}, "between"), ("1e300", {}, "between"), ("32.5", {"whole": True}, "whole numbers"),
    (",".join(["1"] * 41), {"max_count": 40}, "keep it to 40"),
])
def test_bad_numbers_are_explained(text, kwargs, message):
    with pytest.raises(ValueError, match=message):
        inputs.numbers(text, "the values", **kwargs)


def test_a_very_long_entry_is_quoted_short():
    with pytest.raises(ValueError) as err:
        inputs.numbers("x" * 5000, "the learning rates")
    assert len(str(err.value)) < 120
