"""Grid search over learning rate and batch size on a subset of the digits, coarse to fine.

    for cell in grid_search([1e-4, 1e-3, 1e-2], [32, 64, 128], train_size=5000):
        print(cell.lr, cell.batch_size, cell.val_accuracy, cell.diverged)

    lrs, batches = refine(results, [1e-4, 1e-3, 1e-2], [32, 64, 128])   # a finer grid around the best

Each cell trains a fresh copy of the same network (same seed, same images, same order) for a
few epochs on `train_size` training images and measures it on `val_size` other training images
(held out from the subset, never the test set). A learning rate that sends the loss to NaN or
makes it explode marks its cell as diverged instead of stopping the search.

Each cell trains with the engine's one training loop (engine.nn.fit). The web app runs a whole
search as one background job in its training queue (pages/server/jobs.py).
"""

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from engine import datasets, nn
from engine.nn.recipe import OPTIMIZERS, TrainingConfig, build_model

MAX_CELLS = 36
MAX_WORK = 400_000  # cells x training images x epochs: a bound on one search's length


@dataclass(frozen=True)
class CellResult:
    """One cell of the grid: its settings and how the network did on the validation images."""

    lr: float
    batch_size: int
    val_accuracy: float   # nan when diverged
    val_loss: float       # nan when diverged
    seconds: float
    diverged: bool = False
    message: str = ""     # why it diverged


def check_grid(lrs, batch_sizes, train_size, val_size=1000, epochs=1, optimizer="adam"):
    """Validate a grid; returns (lrs, batch_sizes) as sorted, de-duplicated lists."""
    lrs = sorted({float(v) for v in lrs})
    batch_sizes = sorted({int(v) for v in batch_sizes})
    if not lrs:
        raise ValueError("choose at least one learning rate")
    if not batch_sizes:
        raise ValueError("choose at least one batch size")
    if not all(math.isfinite(v) and v > 0 for v in lrs):
        raise ValueError("every learning rate must be a positive number")
    if not all(1 <= b <= 4096 for b in batch_sizes):
        raise ValueError("every batch size must be between 1 and 4096")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {optimizer!r}")
    if not 1 <= epochs <= 20:
        raise ValueError("the number of epochs must be between 1 and 20")
    if not 10 <= val_size <= 10000:
        raise ValueError("the validation set must hold between 10 and 10,000 images")
    if not max(batch_sizes) <= train_size <= 60000 - val_size:
        raise ValueError(f"the training subset must hold at least one batch of the largest size "
                         f"({max(batch_sizes)}) and at most {60000 - val_size:,} images")
    cells = len(lrs) * len(batch_sizes)
    if cells > MAX_CELLS:
        raise ValueError(f"a grid of {len(lrs)} x {len(batch_sizes)} = {cells} cells is too big; "
                         f"keep it to {MAX_CELLS} cells and refine around the best instead")
    if cells * train_size * epochs > MAX_WORK:
        raise ValueError(f"{cells} cells x {train_size:,} images x {epochs} epochs is too much work for "
                         "one search; use a smaller subset, fewer epochs or fewer cells")
    return lrs, batch_sizes


def split_subset(x_train, y_train, train_size, val_size, seed=0):
    """A random training subset and a disjoint validation set, both from the training images."""
    order = np.random.default_rng(seed).permutation(len(x_train))
    tr, va = order[:train_size], order[train_size:train_size + val_size]
    return x_train[tr], y_train[tr], x_train[va], y_train[va]


def train_cell(lr, batch_size, x, y, x_val, y_val, epochs=1, seed=0, optimizer="adam", config=None,
               cancelled=None, step=nn.train_step):
    """Train a fresh network with this learning rate and batch size; returns a CellResult.

    x: (N, 1, 28, 28), y: (N,); x_val, y_val likewise. config: a TrainingConfig for the other
    settings (the default network if None). cancelled(): return None early when it becomes true.
    step: the training step (nn.train_step; a server may wrap it).
    """
    cfg = replace(config or TrainingConfig(), lr=lr, batch_size=batch_size, seed=seed, optimizer=optimizer)
    model = build_model(cfg)
    opt = OPTIMIZERS[optimizer](model, lr)
    start = time.perf_counter()
    hooks = [nn.Cancel(cancelled)] if cancelled is not None else []
    try:
        state = nn.fit(model, opt, x, y, epochs, batch_size, seed=seed, callbacks=hooks, step=step)
        if state.stopped:
            return None
        val_loss, val_acc = nn.evaluate(model, x_val, y_val)
        if not math.isfinite(val_loss):
            raise nn.NonFiniteLossError(f"the validation loss became {val_loss}")
    except nn.NonFiniteLossError as err:
        return CellResult(lr, batch_size, math.nan, math.nan, time.perf_counter() - start, True, str(err))
    return CellResult(lr, batch_size, float(val_acc), float(val_loss), time.perf_counter() - start)


def grid_search(lrs, batch_sizes, train_size=5000, val_size=1000, epochs=1, seed=0, optimizer="adam",
                data=None, config=None, cancelled=None, step=nn.train_step):
    """Yield one CellResult per (learning rate, batch size), learning rates in the outer loop.

    data: (x_train, y_train) to draw the subset from (the shipped digits if None). Every cell
    uses the same subset, the same initial weights and the same seed, so the only differences
    are the learning rate and the batch size. Stops early, quietly, when cancelled() is true.
    """
    lrs, batch_sizes = check_grid(lrs, batch_sizes, train_size, val_size, epochs, optimizer)
    if data is None:
        x_all, y_all, _, _ = datasets.load_digits()
    else:
        x_all, y_all = data[0], data[1]
    if train_size + val_size > len(x_all):
        raise ValueError(f"the data hold {len(x_all):,} images, fewer than {train_size:,} + {val_size:,}")
    x, y, x_val, y_val = split_subset(x_all, y_all, train_size, val_size, seed)
    for lr in lrs:
        for batch in batch_sizes:
            cell = train_cell(lr, batch, x, y, x_val, y_val, epochs, seed, optimizer, config, cancelled, step)
            if cell is None:
                return
            yield cell


def best_cell(results):
    """The cell with the highest validation accuracy (lowest loss breaks ties); None if all diverged."""
    good = [r for r in results if not r.diverged]
    if not good:
        return None
    return max(good, key=lambda r: (r.val_accuracy, -r.val_loss))


def _between(values, best, n, as_int=False):
    """n values spread on a log scale over the gaps next to `best` in the sorted `values`.

    The finer grid runs from halfway (on a log scale) to the lower neighbour up to halfway to
    the upper one; at an edge of the old grid it goes as far beyond it as the gap inside.
    """
    values = sorted(values)
    i = values.index(best)
    if len(values) == 1:
        ratio = 10.0 if not as_int else 4.0
        lo, hi = best / ratio, best * ratio
    else:
        lo = values[i - 1] if i > 0 else best * best / values[i + 1]
        hi = values[i + 1] if i < len(values) - 1 else best * best / values[i - 1]
    out = np.geomspace(math.sqrt(lo * best), math.sqrt(best * hi), n)
    if as_int:  # whole batch sizes, multiples of 8 from 16 up
        return sorted({int(min(4096, max(1, round(v / 8) * 8 if v >= 16 else round(v)))) for v in out})
    return [float(f"{v:.3g}") for v in out]


def refine(results, lrs, batch_sizes, n_lrs=3, n_batches=3):
    """A finer grid (lrs, batch_sizes) around the best cell of a finished search.

    The new learning rates lie between the best one's neighbours in the old grid, evenly on a log
    scale (with 1e-4, 1e-3, 1e-2 and best 1e-3: 3.16e-4, 1e-3, 3.16e-3); batch sizes likewise,
    rounded to whole numbers.
    """
    best = best_cell(results)
    if best is None:
        raise ValueError("every cell diverged, so there is no best cell to refine around; "
                         "try smaller learning rates")
    lrs = sorted({float(v) for v in lrs} | {best.lr})
    batch_sizes = sorted({int(v) for v in batch_sizes} | {best.batch_size})
    new_lrs = _between(lrs, best.lr, n_lrs)
    new_batches = _between(batch_sizes, best.batch_size, n_batches, as_int=True) if len(batch_sizes) > 1 \
        else [best.batch_size]
    return new_lrs, new_batches
