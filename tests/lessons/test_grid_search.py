"""Grid search over learning rate and batch size (engine/lessons/grid_search.py): cells, divergence,
refining."""

import math

import numpy as np
import pytest

from engine import datasets
from engine.lessons.grid_search import CellResult, best_cell, check_grid, grid_search, refine


@pytest.fixture(scope="module")
def digits():
    x, y, _, _ = datasets.load_digits()
    return x[:2000], y[:2000]


def test_a_2x2_grid_records_every_cell(digits):
    cells = list(grid_search([3e-3, 1e-3], [64, 32], train_size=256, val_size=200, data=digits))
    assert [(c.lr, c.batch_size) for c in cells] == [(1e-3, 32), (1e-3, 64), (3e-3, 32), (3e-3, 64)]
    for c in cells:
        assert not c.diverged and c.seconds > 0
        assert 0.2 < c.val_accuracy <= 1 and 0 < c.val_loss < 2.3  # a few steps of Adam beat chance
    assert best_cell(cells) is max(cells, key=lambda c: c.val_accuracy)


def test_the_same_cell_twice_gives_the_same_numbers(digits):
    a, b = (next(grid_search([1e-3], [32], train_size=256, val_size=200, data=digits)) for _ in range(2))
    assert a.val_loss == b.val_loss and a.val_accuracy == b.val_accuracy


def test_a_learning_rate_that_explodes_is_flagged_and_the_search_goes_on(digits):
    cells = list(grid_search([1e-3, 10.0], [32], train_size=256, val_size=200, data=digits))
    ok, bad = cells
    assert not ok.diverged and bad.diverged
    assert math.isnan(bad.val_loss) and math.isnan(bad.val_accuracy)
    assert "learning rate" in bad.message
    assert best_cell(cells) is ok


def cell(lr, batch, acc, loss=1.0, diverged=False):
    return CellResult(lr, batch, acc, loss, 0.1, diverged)


def test_refine_proposes_values_between_the_best_cells_neighbours():
    results = [cell(lr, b, 0.5) for lr in (1e-4, 1e-3, 1e-2) for b in (32, 64, 128)]
    results[4] = cell(1e-3, 64, 0.9)
    lrs, batches = refine(results, [1e-4, 1e-3, 1e-2], [32, 64, 128])
    assert np.allclose(lrs, [3.16e-4, 1e-3, 3.16e-3])
    assert all(1e-4 < v < 1e-2 for v in lrs)
    assert batches == [48, 64, 88] and all(32 < b < 128 for b in batches)


def test_refine_at_the_edge_reaches_beyond_the_old_grid():
    results = [cell(1e-4, 32, 0.3), cell(1e-3, 32, 0.6), cell(1e-2, 32, 0.8), cell(1e-1, 32, 0, diverged=True)]
    lrs, batches = refine(results, [1e-4, 1e-3, 1e-2, 1e-1], [32])
    assert np.allclose(lrs, [3.16e-3, 1e-2, 3.16e-2]) and batches == [32]
    results = [cell(1e-4, 16, 0.9), cell(1e-4, 64, 0.3)]
    lrs, batches = refine(results, [1e-4], [16, 64])
    assert min(lrs) < 1e-4 < max(lrs) and batches == [8, 16, 32]


def test_refine_needs_a_cell_that_did_not_diverge():
    with pytest.raises(ValueError, match="every cell diverged"):
        refine([cell(1.0, 32, math.nan, math.nan, diverged=True)], [1.0], [32])


@pytest.mark.parametrize("lrs, batches, size, message", [
    ([], [32], 1000, "at least one learning rate"), ([1e-3], [], 1000, "at least one batch size"),
    ([-1.0], [32], 1000, "positive"), ([1e-3], [512], 256, "at least one batch"),
    ([10.0 ** -k for k in range(7)], [16, 32, 64, 128, 256, 512], 1000, "too big"),
    ([1e-4, 1e-3, 1e-2], [32, 64, 128], 50000, "too much work"),
])
def test_bad_grids_are_explained(lrs, batches, size, message):
    with pytest.raises(ValueError, match=message):
        check_grid(lrs, batches, size)
