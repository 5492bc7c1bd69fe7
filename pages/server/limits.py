"""Limits a teacher can set for a shared server, read from environment variables.

    CONVLAB_MAX_TRAINING_RUNS   training runs at once on the server (default 4)
    CONVLAB_MAX_RUN_SECONDS     longest a single training run may take (default 300)
    CONVLAB_MAX_UPLOAD_MB       largest image upload accepted (default 10)
    CONVLAB_MAX_IMAGE_SIDE      uploads are downscaled so that no side exceeds this (default 512)
    CONVLAB_IDLE_MINUTES        a session's training run is dropped after this idle time (default 30)
    CONVLAB_LEAVE_SECONDS       a session whose tab has closed is let go after this many seconds:
                                its runs stop, its queue place and its state are freed (default 120,
                                Streamlit's own reconnect window; read by pages/server/leaving.py)
    CONVLAB_MAX_EXAMPLES_PER_CLASS  examples a learner's own class may hold (default 200)
    CONVLAB_MAX_EXAMPLES        examples a learner's own data set may hold in all (default 1000)
    CONVLAB_MAX_DATASET_MB      largest data set file loaded, and most image data uploaded at
                                once, for a learner's own classes (default 20)
    CONVLAB_PAGES_FIRST         a training step waits while pages run, for at most this many times
                                its previous step (default 2; 0 turns it off; read by
                                pages/server/threads.py)
    CONVLAB_TRAINING_NICE       CPU niceness of training threads (default 0: off; read by
                                pages/server/threads.py)
    CONVLAB_PAGE_THREADS        Numba threads a page's own kernels use (default 1, so that pages
                                beside training do not wait for a second core; read by
                                pages/ui/lessons.py)
    CONVLAB_MALLOC_ARENAS       glibc malloc arenas the server's threads share, so that memory
                                stays level as sessions come and go (default 2; 0: glibc's own;
                                read by pages/server/threads.py)
    CONVLAB_STATUS_PORT         serve the server's session and queue tables as JSON on
                                127.0.0.1:PORT (off by default; pages/server/leaving.py)

The engine itself reads CONVLAB_MAX_ARRAY_MB, the largest array one computation may make
(default 1024 MiB; engine/memory.py), in the same way: on every check, so that a notebook or a
page gets it without being started again.

For model files uploaded on the compare page (model_limits(); the defaults take the largest
network the training page builds):

    CONVLAB_MAX_MODEL_PARAMS          parameters (default 4,000,000)
    CONVLAB_MAX_MODEL_LAYERS          layers (default 32)
    CONVLAB_MAX_MODEL_MULTIPLY_ADDS   multiply-adds for one digit (default 16,000,000)
    CONVLAB_MAX_MODEL_ACTIVATIONS     values all layers output for one digit (default 200,000)
"""

import math
import os
from dataclasses import dataclass

from engine import nn


def _int_from_env(name, default, minimum=1):
    raw = os.environ.get(name, "")
    try:
        value = int(raw)
    except ValueError:
        return default
    return max(value, minimum)


def _float_from_env(name, default, minimum=0.0):
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return max(value, minimum) if math.isfinite(value) else default


@dataclass(frozen=True)
class Limits:
    max_training_runs: int
    max_run_seconds: int
    max_upload_mb: int
    max_image_side: int
    idle_minutes: int
    leave_seconds: int
    max_examples_per_class: int
    max_examples: int
    max_dataset_mb: int
    pages_first: float


def current_limits():
    """The limits in force now (environment variables are read on every call)."""
    return Limits(
        max_training_runs=_int_from_env("CONVLAB_MAX_TRAINING_RUNS", 4),
        max_run_seconds=_int_from_env("CONVLAB_MAX_RUN_SECONDS", 300),
        max_upload_mb=_int_from_env("CONVLAB_MAX_UPLOAD_MB", 10),
        max_image_side=_int_from_env("CONVLAB_MAX_IMAGE_SIDE", 512, minimum=16),
        idle_minutes=_int_from_env("CONVLAB_IDLE_MINUTES", 30),
        leave_seconds=_int_from_env("CONVLAB_LEAVE_SECONDS", 120),
        max_examples_per_class=_int_from_env("CONVLAB_MAX_EXAMPLES_PER_CLASS", 200),
        max_examples=_int_from_env("CONVLAB_MAX_EXAMPLES", 1000),
        max_dataset_mb=_int_from_env("CONVLAB_MAX_DATASET_MB", 20),
        pages_first=_float_from_env("CONVLAB_PAGES_FIRST", 2.0),
    )


def model_limits():
    """The limits an uploaded model file is checked against (engine.nn.ModelLimits)."""
    d = nn.ModelLimits()
    return nn.ModelLimits(max_params=_int_from_env("CONVLAB_MAX_MODEL_PARAMS", d.max_params),
                          max_layers=_int_from_env("CONVLAB_MAX_MODEL_LAYERS", d.max_layers),
                          max_multiply_adds=_int_from_env("CONVLAB_MAX_MODEL_MULTIPLY_ADDS", d.max_multiply_adds),
                          max_activations=_int_from_env("CONVLAB_MAX_MODEL_ACTIVATIONS", d.max_activations))
