"""Training in the background, for a web page that polls it, with a server-wide cap.

    run = TrainingRun(TrainingConfig(epochs=1, train_size=5000))
    run.start()                 # returns at once; a thread trains
    run.snapshot()              # a consistent copy of the progress, for drawing
    run.pause(); run.resume(); run.stop()

At most `max_training_runs` runs train at once on the whole server (engine.limits); the
others wait in a first-come queue and know their place. A run longer than
`max_run_seconds` stops by itself, and so does a run that no page has polled for
`idle_minutes` (its learner has gone). A loss that turns NaN stops the run with a message, and
the model is put back as it was before the run began.

Training threads run at a lower CPU priority (nice 10, or CONVLAB_TRAINING_NICE; 0 turns it
off), so that pages being opened and widgets being moved on a busy server come first; training
takes the CPU time they leave.
"""

import os
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np

from engine import datasets, nn
from engine.limits import current_limits


@dataclass(frozen=True)
class TrainingConfig:
    """Everything a learner can set. Sizes are counts of images."""

    conv1_filters: int = 8
    conv1_size: int = 5
    conv2_filters: int = 16
    conv2_size: int = 3
    dense_units: int = 256
    dropout: bool = True
    dropout_conv: float = 0.25
    dropout_dense: float = 0.5
    batch_norm: bool = False
    optimizer: str = "adam"          # sgd, momentum, rmsprop, adam
    lr: float = 1e-3
    lr_decay: float = 1.0            # multiply the learning rate by this after every epoch
    batch_size: int = 64
    epochs: int = 1
    train_size: int = 60000
    augment: bool = False            # random shifts of up to 2 pixels
    early_stopping: int = 0          # stop after this many epochs without a better validation loss (0: never)
    seed: int = 0

    def validate(self):
        checks = [
            (self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}"),
            (np.isfinite(self.lr) and self.lr > 0, "the learning rate must be a positive number"),
            (1 <= self.batch_size <= 4096, "the batch size must be between 1 and 4096"),
            (1 <= self.epochs <= 100, "the number of epochs must be between 1 and 100"),
            (self.batch_size <= self.train_size <= 60000, "the training set must hold between one batch and 60,000 images"),
            (0 <= self.dropout_conv < 1 and 0 <= self.dropout_dense < 1, "dropout rates must be at least 0 and below 1"),
            (self.conv1_size % 2 == 1 and self.conv2_size % 2 == 1, "kernel sizes must be odd (3, 5, 7)"),
            (0 < self.lr_decay <= 1, "the learning-rate decay must be above 0 and at most 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        return self


OPTIMIZERS = {
    "sgd": lambda m, lr: nn.SGD(m, lr),
    "momentum": lambda m, lr: nn.SGD(m, lr, momentum=0.9),
    "rmsprop": lambda m, lr: nn.RMSprop(m, lr),
    "adam": lambda m, lr: nn.Adam(m, lr),
}


def build_model(cfg):
    """The network a TrainingConfig describes: the lectures' digit recognizer by default."""
    s = cfg.seed
    layers = [nn.Conv2D(1, cfg.conv1_filters, cfg.conv1_size, padding="same", seed=s)]
    if cfg.batch_norm:
        layers.append(nn.BatchNorm2D(cfg.conv1_filters))
    layers += [nn.ReLU(), nn.MaxPool2D(2)]
    if cfg.dropout and cfg.dropout_conv > 0:
        layers.append(nn.Dropout(cfg.dropout_conv, seed=s + 1))
    layers.append(nn.Conv2D(cfg.conv1_filters, cfg.conv2_filters, cfg.conv2_size, padding="same", seed=s + 2))
    if cfg.batch_norm:
        layers.append(nn.BatchNorm2D(cfg.conv2_filters))
    layers += [nn.ReLU(), nn.MaxPool2D(2)]
    if cfg.dropout and cfg.dropout_conv > 0:
        layers.append(nn.Dropout(cfg.dropout_conv, seed=s + 3))
    layers += [nn.Flatten(), nn.Dense(cfg.conv2_filters * 49, cfg.dense_units, seed=s + 4)]
    if cfg.batch_norm:
        layers.append(nn.BatchNorm1D(cfg.dense_units))
    layers.append(nn.ReLU())
    if cfg.dropout and cfg.dropout_dense > 0:
        layers.append(nn.Dropout(cfg.dropout_dense, seed=s + 5))
    layers.append(nn.Dense(cfg.dense_units, 10, seed=s + 6))
    return nn.Sequential(layers)


def shift_batch(x, rng, max_shift=2):
    """Each image moved by up to max_shift pixels in each direction (zeros fill in): (N, 1, 28, 28)."""
    out = np.zeros_like(x)
    n, _, h, w = x.shape
    dys = rng.integers(-max_shift, max_shift + 1, n)
    dxs = rng.integers(-max_shift, max_shift + 1, n)
    for i in range(n):
        dy, dx = dys[i], dxs[i]
        out[i, :, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            x[i, :, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def lower_priority():
    """Lower the calling thread's CPU priority (Linux: niceness is per thread).

    The OpenMP threads that the engine's parallel kernels start from this thread inherit it.
    Returns the niceness set, or None where the system does not allow it.
    """
    raw = os.environ.get("CONVLAB_TRAINING_NICE", "10")
    try:
        nice = min(max(int(raw), 0), 19)
    except ValueError:
        nice = 10
    if nice == 0 or not hasattr(os, "setpriority"):
        return None
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(nice, os.getpriority(os.PRIO_PROCESS, tid)))
        return os.getpriority(os.PRIO_PROCESS, tid)
    except OSError:
        return None


def _copy_state(model):
    """A copy of every weight and batch-norm statistic: [(store, key, array)]."""
    return [(store, k, v.copy()) for layer in model.layers for store in (layer.params, layer.buffers)
            for k, v in store.items()]


def _restore_state(state):
    for store, k, v in state:
        if k in store and store[k].shape == v.shape:
            store[k][...] = v
        else:
            store[k] = v.copy()


class RunQueue:
    """Server-wide admission: at most `capacity()` runs train at once, the rest wait in order."""

    def __init__(self, capacity=None):
        self._capacity = capacity
        self._cond = threading.Condition()
        self._running = set()
        self._waiting = []

    def capacity(self):
        return self._capacity or current_limits().max_training_runs

    def position(self, run):
        """0 while running, k for the k-th in line, None when neither."""
        with self._cond:
            if run in self._running:
                return 0
            return self._waiting.index(run) + 1 if run in self._waiting else None

    def acquire(self, run, cancelled):
        """Wait for a place; False if cancelled() became true while waiting."""
        with self._cond:
            self._waiting.append(run)
            try:
                while not (self._waiting[0] is run and len(self._running) < self.capacity()):
                    if cancelled():
                        return False
                    self._cond.wait(timeout=0.2)
                self._running.add(run)
                return True
            finally:
                self._waiting.remove(run)
                self._cond.notify_all()

    def release(self, run):
        with self._cond:
            self._running.discard(run)
            self._cond.notify_all()

    @property
    def running(self):
        with self._cond:
            return len(self._running)


SERVER_QUEUE = RunQueue()
EXPLODED = 100.0  # a cross-entropy this high means the network is sure of wrong answers


def explosion(loss, first_loss, lr):
    """A NonFiniteLossError explaining an exploded loss, or None while the loss is sane.

    The loss has exploded when it passes EXPLODED and 20 times the first step's loss.
    """
    if loss > max(EXPLODED, 20 * first_loss):
        return nn.NonFiniteLossError(
            f"the loss exploded to {loss:,.0f} (it started near {first_loss:.2f}): the learning "
            f"rate ({lr:g}) is too high, so every step overshoots. Try a learning rate 10 times smaller.")
    return None


class BackgroundJob:
    """Work in a background thread that holds one place in the server-wide queue while it runs.

    A page starts it, polls snapshot() (a consistent copy of its progress, which also tells the
    job that someone still watches) and may stop() it. Subclasses give `what` (for messages),
    a progress dataclass with `state` and `queue_position`, and _run().
    """

    what = "job"

    def __init__(self, progress, queue=SERVER_QUEUE, data=None, max_seconds=None):
        self.queue = queue
        self.max_seconds = max_seconds or current_limits().max_run_seconds
        self.idle_seconds = 60 * current_limits().idle_minutes
        self._last_seen = time.monotonic()  # when a page last asked for progress
        self._data = data
        self._progress = progress
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        if self._thread is not None:
            raise RuntimeError(f"this {self.what} has already started")
        self._set(state="queued")
        name = "convlab-" + self.what.replace(" ", "-")
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        return self

    def join(self, timeout=None):
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self):
        return self._thread is not None and self._thread.is_alive()

    def snapshot(self):
        self._last_seen = time.monotonic()
        with self._lock:
            p = self._copy(self._progress)
        if p.state == "queued":
            p.queue_position = self.queue.position(self) or 0
        return p

    def _copy(self, progress):
        """A copy the page may keep while the job goes on (subclasses copy their lists too)."""
        return replace(progress)

    def _set(self, **values):
        with self._lock:
            for k, v in values.items():
                setattr(self._progress, k, v)

    def _load(self):
        """The digits: those given to the constructor, or the shipped set."""
        if self._data is not None:
            return self._data
        return datasets.load_digits()

    def _run(self):
        """The thread: wait for a place in the queue, do the work, give the place back."""
        lower_priority()
        if not self.queue.acquire(self, self._stop.is_set):
            self._set(state="stopped", message="Stopped before it started.")
            return
        try:
            self._work()
        except Exception as err:  # a bug must not take the server down; show it instead
            self._set(state="failed", message=f"The {self.what} stopped by an unexpected error: {err}")
        finally:
            self.queue.release(self)

    def _work(self):
        raise NotImplementedError


@dataclass
class Progress:
    """What a page shows; TrainingRun.snapshot() returns a copy."""

    state: str = "new"      # new, queued, running, paused, stopped, finished, failed
    queue_position: int = 0
    step: int = 0
    total_steps: int = 0
    epoch: int = 0
    images_per_second: float = 0.0
    seconds_left: float = 0.0
    elapsed: float = 0.0
    lr: float = 0.0
    message: str = ""
    # curves: one entry per logged point
    steps: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_steps: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    grad_norms: dict = field(default_factory=dict)   # layer name -> latest gradient norm
    filters: np.ndarray = None      # first layer's weights (K, 1, F, F), refreshed while training
    feature_maps: np.ndarray = None  # first layer's maps of one fixed digit (K, 28, 28)
    best_epoch: int = 0             # early stopping: the epoch with the lowest validation loss
    best_step: int = 0              # ... the step at the end of that epoch (its point on the curves)
    best_val_loss: float = float("nan")
    stopped_early: bool = False     # stopped on the validation loss; the model is the one from best_epoch


class TrainingRun(BackgroundJob):
    """One learner's training run in a background thread."""

    what = "run"
    LOG_EVERY = 20  # steps between points on the curves

    def __init__(self, config, model=None, queue=SERVER_QUEUE, data=None, max_seconds=None):
        self.config = config.validate()
        super().__init__(Progress(lr=config.lr), queue, data, max_seconds)
        self.model = model or build_model(config)
        self._running = threading.Event()
        self._running.set()
        self._before = [layer.params[k].copy() for layer, k in self.model.parameters()]

    # -- control
    def pause(self):
        self._running.clear()
        self._set_if("running", state="paused")

    def resume(self):
        self._running.set()
        self._set_if("paused", state="running")

    def stop(self):
        self._stop.set()
        self._running.set()

    # -- internals
    def _copy(self, progress):
        p = replace(progress)
        for name in ("steps", "train_loss", "train_acc", "val_steps", "val_loss", "val_acc"):
            setattr(p, name, list(getattr(p, name)))
        p.grad_norms = dict(p.grad_norms)
        return p

    def _set_if(self, when, **values):
        with self._lock:
            if self._progress.state == when:
                for k, v in values.items():
                    setattr(self._progress, k, v)

    def _work(self):
        try:
            self._train()
        except nn.NonFiniteLossError as err:
            for (layer, k), old in zip(self.model.parameters(), self._before):
                layer.params[k][...] = old
            self._set(state="failed", message=f"Training stopped: {err} The model is back as it was before this run.")

    def _train(self):
        cfg = self.config
        x_train, y_train, x_test, y_test = self._load()
        rng = np.random.default_rng(cfg.seed)
        # a fixed validation set: the first 1,000 test digits, and the first as the digit to watch
        x_val, y_val = x_test[:1000], y_test[:1000]
        watch = x_test[:1]
        n = min(cfg.train_size, len(x_train))
        steps_per_epoch = n // cfg.batch_size
        total = steps_per_epoch * cfg.epochs
        opt = OPTIMIZERS[cfg.optimizer](self.model, cfg.lr)
        self._set(state="running", total_steps=total, lr=cfg.lr)
        start = time.perf_counter()
        paused_for = 0.0
        step, best, since_best = 0, np.inf, 0
        window_loss, window_acc = [], []
        self._refresh_views(watch)
        for epoch in range(cfg.epochs):
            order = rng.permutation(n)
            for b in range(steps_per_epoch):
                if not self._running.is_set():
                    t = time.perf_counter()
                    while not self._running.wait(1.0) and time.monotonic() - self._last_seen <= self.idle_seconds:
                        pass  # paused; a learner who has left does not hold a training place forever
                    paused_for += time.perf_counter() - t
                if self._stop.is_set():
                    self._set(state="stopped", message="Stopped. The model keeps what it learned so far.")
                    return
                if time.monotonic() - self._last_seen > self.idle_seconds:
                    self._set(state="stopped", message="Stopped: nobody was watching this run "
                              f"for {self.idle_seconds // 60} minutes.")
                    return
                elapsed = time.perf_counter() - start - paused_for
                if elapsed > self.max_seconds:
                    self._set(state="stopped", message=f"Stopped after the server's limit of {self.max_seconds} s per run.")
                    return
                idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
                xb = x_train[idx]
                if cfg.augment:
                    xb = shift_batch(xb, rng)
                loss = nn.train_step(self.model, opt, xb, y_train[idx])
                first_loss = loss if step == 0 else first_loss
                error = explosion(loss, first_loss, opt.lr)
                if error is not None:
                    raise error
                logits = self.model.output
                window_loss.append(loss)
                window_acc.append(float((logits.argmax(1) == y_train[idx]).mean()))
                step += 1
                if step % self.LOG_EVERY == 0 or step == total:
                    self._log(step, total, epoch, elapsed, window_loss, window_acc, watch, opt)
                    window_loss, window_acc = [], []
            val_loss, val_acc = nn.evaluate(self.model, x_val, y_val)
            with self._lock:
                p = self._progress
                p.val_steps.append(step)
                p.val_loss.append(val_loss)
                p.val_acc.append(val_acc)
            if val_loss < best:
                best, since_best = val_loss, 0
                self._set(best_epoch=epoch + 1, best_step=step, best_val_loss=float(val_loss))
                if cfg.early_stopping:  # keep the best weights to go back to
                    best_weights = _copy_state(self.model)
            else:
                since_best += 1
                if cfg.early_stopping and since_best >= cfg.early_stopping:
                    _restore_state(best_weights)
                    self._refresh_views(watch)
                    with self._lock:
                        p = replace(self._progress)
                    self._set(state="finished", stopped_early=True,
                              message=f"Stopped early: no better validation loss for {since_best} "
                                      f"epoch{'s' if since_best > 1 else ''}. "
                                      f"The model is the one from epoch {p.best_epoch} (step {p.best_step:,}), "
                                      f"where the validation loss was lowest ({p.best_val_loss:.3f}).")
                    return
            opt.lr *= cfg.lr_decay
        self._set(state="finished", message="Finished.")

    def _log(self, step, total, epoch, elapsed, losses, accs, watch, opt):
        rate = step * self.config.batch_size / max(elapsed, 1e-9)
        norms = {layer.name: float(np.sqrt(sum(float((g * g).sum()) for g in layer.grads.values())))
                 for layer in self.model.layers if layer.grads}
        with self._lock:
            p = self._progress
            p.step, p.epoch, p.elapsed = step, epoch + 1, elapsed
            p.images_per_second = rate
            p.seconds_left = (total - step) * self.config.batch_size / max(rate, 1e-9)
            p.steps.append(step)
            p.train_loss.append(float(np.mean(losses)))
            p.train_acc.append(float(np.mean(accs)))
            p.grad_norms = norms
            p.lr = opt.lr
        self._refresh_views(watch)

    def _refresh_views(self, watch):
        first = self.model.layers[0]
        from engine.conv import conv2d

        maps = conv2d(watch, first.params["w"], first.params["b"], padding="same")[0]
        self._set(filters=first.params["w"].copy(), feature_maps=maps)
