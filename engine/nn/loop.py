"""fit(): the one training loop, for a notebook, the training page, the grid search and a
learner's own classes alike.

    history = fit(model, Adam(model, 1e-3), x, y, epochs=3, batch_size=64,
                  validation=(x_val, y_val), callbacks=[EarlyStopping(2), LearningRateDecay(0.9)])

Every epoch visits the training images in a fresh random order, in batches of batch_size (a
last partial batch is left out, so every step sees as many images); `augment(xb, rng)`, when
given, changes each batch first. After every epoch the model is scored on `validation`.

A loss that turns NaN or infinite raises NonFiniteLossError (from train_step), and so does one
that explodes (see explosion()). Callbacks see the loop's state after each step and epoch and
may stop it with state.stop(reason); the state fit() returns says why it ended.
"""

from dataclasses import dataclass, field

import numpy as np

from engine.nn.step import NonFiniteLossError, evaluate, train_step

EXPLODED = 100.0  # a cross-entropy this high means the network is sure of wrong answers


def explosion(loss, first_loss, lr):
    """A NonFiniteLossError explaining an exploded loss, or None while the loss is sane.

    The loss has exploded when it passes EXPLODED and 20 times the first step's loss.
    """
    if loss > max(EXPLODED, 20 * first_loss):
        return NonFiniteLossError(
            f"the loss exploded to {loss:,.0f} (it started near {first_loss:.2f}): the learning "
            f"rate ({lr:g}) is too high, so every step overshoots. Try a learning rate 10 times smaller.")
    return None


@dataclass
class LoopState:
    """Where fit() is, for its callbacks; fit() returns the final state.

    step counts finished steps (1 after the first); epoch counts epochs begun (1 during the
    first). val_loss and val_acc hold one value per finished epoch, at the steps in val_steps.
    """

    model: object
    optimizer: object
    steps_per_epoch: int
    total_steps: int
    step: int = 0
    epoch: int = 0
    loss: float = float("nan")        # the last step's loss
    first_loss: float = float("nan")
    batch_labels: np.ndarray = None   # the last batch's labels (model.output holds its logits)
    val_steps: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    stop_reason: str = ""             # why a callback stopped the loop ("" when it ran to the end)

    def stop(self, reason):
        """End the loop after the current step (callbacks call this)."""
        self.stop_reason = self.stop_reason or reason

    @property
    def stopped(self):
        return bool(self.stop_reason)


class Callback:
    """Hooks fit() calls; each may read the state and call state.stop(reason)."""

    def on_train_begin(self, state):
        pass

    def on_batch_begin(self, state):
        pass

    def on_batch_end(self, state):
        pass

    def on_epoch_end(self, state):
        pass


def _check_data(x, y, batch_size, epochs):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"the batch size must be a whole number of at least 1, not {batch_size!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"the number of epochs must be a whole number of at least 1, not {epochs!r}")
    if len(x) != len(y):
        raise ValueError(f"there are {len(x)} images but {len(y)} labels")
    if len(x) < batch_size:
        raise ValueError(f"the training set ({len(x)} images) must hold at least one batch of {batch_size}")


def fit(model, optimizer, x, y, epochs=1, batch_size=64, validation=None, augment=None, seed=0,
        callbacks=(), step=train_step):
    """Train model on x: (N, C, H, W), y: (N,) for `epochs` epochs; returns the LoopState.

    validation: (x_val, y_val) scored after every epoch, or None. augment(xb, rng) -> xb changes
    each batch (rng is the loop's own generator, seeded with `seed`, which also shuffles).
    step(model, optimizer, xb, yb) -> loss is the training step (nn.train_step; a server may
    wrap it). Raises NonFiniteLossError when the loss turns NaN or explodes.
    """
    _check_data(x, y, batch_size, epochs)
    rng = np.random.default_rng(seed)
    steps_per_epoch = len(x) // batch_size
    state = LoopState(model, optimizer, steps_per_epoch, steps_per_epoch * epochs)
    for cb in callbacks:
        cb.on_train_begin(state)
    for epoch in range(epochs):
        state.epoch = epoch + 1
        order = rng.permutation(len(x))
        for b in range(steps_per_epoch):
            for cb in callbacks:
                cb.on_batch_begin(state)
            if state.stopped:
                return state
            idx = order[b * batch_size:(b + 1) * batch_size]
            xb = x[idx]
            if augment is not None:
                xb = augment(xb, rng)
            state.batch_labels = y[idx]
            state.loss = step(model, optimizer, xb, state.batch_labels)
            if state.step == 0:
                state.first_loss = state.loss
            error = explosion(state.loss, state.first_loss, optimizer.lr)
            if error is not None:
                raise error
            state.step += 1
            for cb in callbacks:
                cb.on_batch_end(state)
        if validation is not None:
            val_loss, val_acc = evaluate(model, *validation)
            state.val_steps.append(state.step)
            state.val_loss.append(float(val_loss))
            state.val_acc.append(float(val_acc))
        for cb in callbacks:
            cb.on_epoch_end(state)
        if state.stopped:
            return state
    return state


def copy_state(model):
    """A copy of every weight and batch-norm statistic: [(store, key, array)]."""
    return [(store, k, v.copy()) for layer in model.layers for store in (layer.params, layer.buffers)
            for k, v in store.items()]


def restore_state(state):
    """Put back what copy_state saved, into the same arrays where their shapes still match."""
    for store, k, v in state:
        if k in store and store[k].shape == v.shape:
            store[k][...] = v
        else:
            store[k] = v.copy()


class EarlyStopping(Callback):
    """Stop after `patience` epochs without a lower validation loss, and put back the weights of
    the best epoch. best_epoch, best_step and best_val_loss describe that epoch (kept also when
    patience is 0, which never stops)."""

    def __init__(self, patience):
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"the early-stopping patience must be a whole number of epochs, 0 or more, "
                             f"not {patience!r}")
        self.patience = int(patience)
        self.best_epoch, self.best_step, self.best_val_loss = 0, 0, float("nan")
        self.since_best = 0
        self.stopped_early = False
        self._best_weights = None

    def on_epoch_end(self, state):
        if not state.val_loss:
            raise ValueError("early stopping needs a validation set to score after every epoch")
        loss = state.val_loss[-1]
        if loss < (self.best_val_loss if self.best_epoch else np.inf):
            self.best_epoch, self.best_step, self.best_val_loss = state.epoch, state.step, loss
            self.since_best = 0
            if self.patience:
                self._best_weights = copy_state(state.model)
            return
        self.since_best += 1
        if self.patience and self.since_best >= self.patience:
            restore_state(self._best_weights)
            self.stopped_early = True
            state.stop(f"no better validation loss for {self.since_best} "
                       f"epoch{'s' if self.since_best > 1 else ''}")


class LearningRateDecay(Callback):
    """Multiply the optimizer's learning rate by `factor` after every epoch."""

    def __init__(self, factor):
        if not 0 < factor <= 1:
            raise ValueError(f"the learning-rate decay must be above 0 and at most 1, not {factor}")
        self.factor = float(factor)

    def on_epoch_end(self, state):
        state.optimizer.lr *= self.factor


class Cancel(Callback):
    """Stop before the next step once cancelled() is true; reason() says why, for the state."""

    def __init__(self, cancelled, reason="cancelled"):
        self.cancelled = cancelled
        self.reason = reason if callable(reason) else (lambda: reason)

    def on_batch_begin(self, state):
        if self.cancelled():
            state.stop(self.reason())
