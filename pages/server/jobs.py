"""Training in the background, for a page that polls it, with a server-wide cap.

    run = TrainingRun(TrainingConfig(epochs=1, train_size=5000))
    run.start()                 # returns at once; a thread trains
    run.snapshot()              # a consistent copy of the progress, for drawing
    run.pause(); run.resume(); run.stop()

At most CONVLAB_MAX_TRAINING_RUNS jobs train at once on the whole server; the others wait in a
first-come queue (pages/server/run_queue.py) and know their place. A run longer than
CONVLAB_MAX_RUN_SECONDS stops by itself, and so does a run that no page has polled for
CONVLAB_IDLE_MINUTES, and a job whose session has closed stops CONVLAB_LEAVE_SECONDS later
(pages/server/leaving.py). A loss that turns NaN stops the run with a message (state "failed"),
and the model is put back as it was before the run began. A bug that raises inside the thread
ends the job in state "error" with a sentence for the page; the traceback goes to the server's
log, and the job's place in the queue goes to the next one. Training steps wait while pages run
and take one thread while another session's step runs (pages/server/threads.py).

The training itself is the engine's one loop (engine.nn.fit); these jobs add the thread, the
queue, the limits and the progress a page draws.
"""

import logging
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np

from engine import conv2d, datasets, nn
from engine.lessons import grid_search as grids
from engine.nn.recipe import augmenter, build_model, callbacks, make_optimizer
from pages.server import leaving
from pages.server.limits import current_limits
from pages.server.run_queue import SERVER_QUEUE
from pages.server.threads import lower_priority, shared_train_step

log = logging.getLogger("convlab.jobs")


class BackgroundJob:
    """Work in a background thread that holds one place in the server-wide queue while it runs.

    A page starts it, polls snapshot() (a consistent copy of its progress, which also tells the
    job that someone still watches) and may stop() it. Subclasses give `what` (for messages),
    a progress dataclass with `state` and `queue_position`, and _work().
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
        self._stop_reason = ""
        self._thread = None

    def start(self):
        if self._thread is not None:
            raise RuntimeError(f"this {self.what} has already started")
        self._set(state="queued")
        name = "convlab-" + self.what.replace(" ", "-")
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        leaving.own(self)  # stopped when the session that started it has gone
        return self

    def stop(self, reason=""):
        """Ask the job to stop at its next step; reason: the message it ends with (a default if empty)."""
        self._stop_reason = self._stop_reason or reason
        self._stop.set()

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

    def _idle(self):
        """Whether no page has asked for this job's progress for the idle limit."""
        return time.monotonic() - self._last_seen > self.idle_seconds

    def _idle_message(self):
        return f"Stopped: nobody was watching this {self.what} for {self.idle_seconds // 60} minutes."

    def _load(self):
        """The digits: those given to the constructor, or the shipped set."""
        if self._data is not None:
            return self._data
        return datasets.load_digits()

    def _run(self):
        """The thread: wait for a place in the queue, do the work, give the place back."""
        lower_priority()
        if not self.queue.acquire(self, self._stop.is_set):
            self._set(state="stopped", message=self._stop_reason or "Stopped before it started.")
            return
        try:
            self._work()
        except Exception as err:  # a bug must not take the server down; say so on the page instead
            log.exception("a %s stopped by an error", self.what)
            self._after_error()
            self._set(state="error", message=f"The {self.what} stopped because of an error on the server "
                                             f"({type(err).__name__}), not because of your settings. "
                                             "Try again; if it happens again, tell your teacher.")
        finally:
            self.queue.release(self)

    def _after_error(self):
        """Put things back after a bug stopped the work (subclasses: the model)."""

    def _work(self):
        raise NotImplementedError


@dataclass
class Progress:
    """What a page shows; TrainingRun.snapshot() returns a copy."""

    state: str = "new"      # new, queued, running, paused, stopped, finished, failed, error
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
    best_epoch: int = 0             # the epoch with the lowest validation loss so far
    best_step: int = 0              # ... the step at the end of that epoch (its point on the curves)
    best_val_loss: float = float("nan")
    stopped_early: bool = False     # stopped on the validation loss; the model is the one from best_epoch


class _Watch(nn.Callback):
    """The loop's hooks for a TrainingRun: pause, stop, limits, and the progress a page draws."""

    def __init__(self, run, early):
        self.run, self.early = run, early
        self.start = time.perf_counter()
        self.paused_for = 0.0
        self.losses, self.accs = [], []

    def elapsed(self):
        return time.perf_counter() - self.start - self.paused_for

    def on_batch_begin(self, state):
        run = self.run
        if not run._running.is_set():
            t = time.perf_counter()
            while not run._running.wait(1.0) and not run._idle():
                pass  # paused; a learner who has left does not hold a training place forever
            self.paused_for += time.perf_counter() - t
        if run._stop.is_set():
            state.stop(run._stop_reason or "Stopped. The model keeps what it learned so far.")
        elif run._idle():
            state.stop(run._idle_message())
        elif self.elapsed() > run.max_seconds:
            state.stop(f"Stopped after the server's limit of {run.max_seconds} s per run.")

    def on_batch_end(self, state):
        self.losses.append(state.loss)
        self.accs.append(float((self.run.model.output.argmax(1) == state.batch_labels).mean()))
        if state.step % self.run.log_every == 0 or state.step == state.total_steps:
            self.run._log(state, self.elapsed(), self.losses, self.accs)
            self.losses, self.accs = [], []

    def on_epoch_end(self, state):
        e = self.early
        self.run._set(val_steps=list(state.val_steps), val_loss=list(state.val_loss), val_acc=list(state.val_acc),
                      best_epoch=e.best_epoch, best_step=e.best_step, best_val_loss=float(e.best_val_loss))


class TrainingRun(BackgroundJob):
    """One learner's training run in a background thread.

    data: (x_train, y_train, x_test, y_test), the shipped digits if None; the first 1,000 test
    images (all of them when there are fewer, as in a learner's own held-out split of a dozen)
    are the validation set and the first one the image whose feature maps are shown.
    classes: how many classes the labels hold (10 digits). callbacks: more nn.Callbacks for the
    loop, before the run's own (a LayerLearningRate for fine-tuning, say, so that the views show
    the weights it leaves).
    """

    what = "run"
    LOG_EVERY = 20  # steps between points on the curves

    def __init__(self, config, model=None, queue=SERVER_QUEUE, data=None, max_seconds=None, classes=10,
                 callbacks=()):
        self.config = config.validate()
        self.extra_callbacks = list(callbacks)
        super().__init__(Progress(lr=config.lr), queue, data, max_seconds)
        self.model = model or build_model(config, classes=classes)
        self._running = threading.Event()
        self._running.set()
        self._before = [layer.params[k].copy() for layer, k in self.model.parameters()]
        self._watch_digit = None
        self.log_every = self.LOG_EVERY

    # -- control
    def pause(self):
        self._running.clear()
        self._set_if("running", state="paused")

    def resume(self):
        self._running.set()
        self._set_if("paused", state="running")

    def stop(self, reason=""):
        super().stop(reason)
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
            self._after_error()
            self._set(state="failed", message=f"Training stopped: {err} The model is back as it was before this run.")

    def _after_error(self):
        for (layer, k), old in zip(self.model.parameters(), self._before):
            layer.params[k][...] = old

    def _train(self):
        cfg = self.config
        x_train, y_train, x_test, y_test = self._load()
        n = min(cfg.train_size, len(x_train))
        self._watch_digit = x_test[:1]
        opt = make_optimizer(cfg, self.model)
        early, decay = callbacks(cfg)
        watch = _Watch(self, early)
        steps = (n // cfg.batch_size) * cfg.epochs
        # a small set has a few steps an epoch: a point on the curves at least every epoch
        self.log_every = max(1, min(self.LOG_EVERY, n // cfg.batch_size))
        self._set(state="running", total_steps=steps, lr=cfg.lr)
        self._refresh_views()
        state = nn.fit(self.model, opt, x_train[:n], y_train[:n], cfg.epochs, cfg.batch_size,
                       validation=(x_test[:1000], y_test[:1000]), augment=augmenter(cfg), seed=cfg.seed,
                       callbacks=[*self.extra_callbacks, watch, early, decay], step=shared_train_step)
        if early.stopped_early:
            self._refresh_views()
            self._set(state="finished", stopped_early=True,
                      message=f"Stopped early: {state.stop_reason}. "
                              f"The model is the one from epoch {early.best_epoch} (step {early.best_step:,}), "
                              f"where the validation loss was lowest ({early.best_val_loss:.3f}).")
        elif state.stopped:
            self._set(state="stopped", message=state.stop_reason)
        else:
            self._set(state="finished", message="Finished.")

    def _log(self, state, elapsed, losses, accs):
        rate = state.step * self.config.batch_size / max(elapsed, 1e-9)
        norms = {layer.name: float(np.sqrt(sum(float((g * g).sum()) for g in layer.grads.values())))
                 for layer in self.model.layers if layer.grads}
        with self._lock:
            p = self._progress
            p.step, p.epoch, p.elapsed = state.step, state.epoch, elapsed
            p.images_per_second = rate
            p.seconds_left = (state.total_steps - state.step) * self.config.batch_size / max(rate, 1e-9)
            p.steps.append(state.step)
            p.train_loss.append(float(np.mean(losses)))
            p.train_acc.append(float(np.mean(accs)))
            p.grad_norms = norms
            p.lr = state.optimizer.lr
        self._refresh_views()

    def _refresh_views(self):
        first = self.model.layers[0]
        maps = conv2d(self._watch_digit, first.params["w"], first.params["b"], padding="same")[0]
        self._set(filters=first.params["w"].copy(), feature_maps=maps)


@dataclass
class GridProgress:
    """What a page shows; GridSearch.snapshot() returns a copy."""

    state: str = "new"      # new, queued, running, stopped, finished, failed, error
    queue_position: int = 0
    total: int = 0          # cells in the grid
    results: list = field(default_factory=list)   # CellResult, in the order they finished
    current: tuple = None   # (lr, batch_size) being trained
    elapsed: float = 0.0
    message: str = ""


class GridSearch(BackgroundJob):
    """A grid search (engine.lessons.grid_search) in a background thread: one job in the
    server-wide training queue, like a training run.

        search = GridSearch([1e-4, 1e-3, 1e-2], [32, 64, 128], train_size=5000).start()
        search.snapshot().results      # the cells finished so far
        search.stop()
    """

    what = "grid search"

    def __init__(self, lrs, batch_sizes, train_size=5000, val_size=1000, epochs=1, seed=0,
                 optimizer="adam", data=None, queue=SERVER_QUEUE, max_seconds=None):
        self.lrs, self.batch_sizes = grids.check_grid(lrs, batch_sizes, train_size, val_size, epochs, optimizer)
        self.settings = dict(train_size=train_size, val_size=val_size, epochs=epochs, seed=seed,
                             optimizer=optimizer)
        super().__init__(GridProgress(total=len(self.lrs) * len(self.batch_sizes)), queue, data, max_seconds)
        self._reason = ""

    def stop(self, reason=""):
        self._reason = self._reason or reason or "Stopped. The cells finished so far are kept."
        super().stop(reason)

    def _copy(self, progress):
        p = replace(progress)
        p.results = list(p.results)
        return p

    def _cancelled(self, start):
        if self._stop.is_set():
            return True
        if self._idle():
            self._reason = self._idle_message()
            return True
        if time.perf_counter() - start > self.max_seconds:
            self._reason = f"Stopped after the server's limit of {self.max_seconds} s per run."
            return True
        return False

    def _work(self):
        self._set(state="running", current=self._next_cell())
        start = time.perf_counter()
        cells = grids.grid_search(self.lrs, self.batch_sizes, data=self._load()[:2],
                                  cancelled=lambda: self._cancelled(start), step=shared_train_step,
                                  **self.settings)
        for cell in cells:
            with self._lock:
                self._progress.results.append(cell)
                self._progress.elapsed = time.perf_counter() - start
            self._set(current=self._next_cell())
        self._set(elapsed=time.perf_counter() - start, current=None)
        if self._stop.is_set() or self._reason:
            self._set(state="stopped", message=self._reason)
        else:
            self._set(state="finished", message=f"Finished {self._progress.total} cells in "
                                                f"{time.perf_counter() - start:.1f} s.")

    def _next_cell(self):
        done = len(self._progress.results)
        cells = [(lr, b) for lr in self.lrs for b in self.batch_sizes]
        return cells[done] if done < len(cells) else None
