"""Check-yourself questions: answers worked out independently, and the checker."""

import numpy as np
import pytest

from engine.quiz import (KINDS, check, maxpool_gradient_question, output_size_question,
                         parameter_count_question, random_question, window_value_question)


def test_output_size_from_settings():
    q = output_size_question(n=32, f=5, stride=1, padding=2)
    assert q.answer == 32 and check(q, " 32 ") and not check(q, "28")
    assert output_size_question(n=7, f=3, stride=3, padding=0).answer == 2


@pytest.mark.parametrize("seed", range(5))
def test_window_value_is_the_sum_of_products(seed):
    q = window_value_question(seed=seed)
    x, w = q.grids["input"], q.grids["kernel"]
    i, j = q.highlight[0]
    assert q.answer == int(np.sum(x[i:i + 3, j:j + 3] * w))
    assert check(q, str(q.answer))


@pytest.mark.parametrize("seed", range(5))
def test_maxpool_gradient_goes_to_the_window_maximum(seed):
    q = maxpool_gradient_question(seed=seed)
    x = q.grids["input"]
    cells = q.highlight
    best = max(cells, key=lambda c: x[c])
    assert q.answer == best
    assert check(q, f"{best[0]}, {best[1]}") and check(q, f"({best[0]} {best[1]})")


def test_parameter_count_of_the_digit_nets_first_layer():
    assert parameter_count_question(1, 8, 5).answer == 208
    assert parameter_count_question(8, 16, 3).answer == 1168
    assert parameter_count_question(3, 10, 5).answer == 760


def test_random_questions_are_reproducible_and_bad_answers_explained():
    for kind in KINDS:
        a, b = random_question(kind, seed=7), random_question(kind, seed=7)
        assert a.text == b.text and a.answer == b.answer
    q = output_size_question(7, 3, 1, 0)
    with pytest.raises(ValueError, match="whole number"):
        check(q, "five")
    with pytest.raises(ValueError, match="row then column"):
        check(maxpool_gradient_question(seed=0), "3")
    with pytest.raises(ValueError, match="kind"):
        random_question("nonsense")
