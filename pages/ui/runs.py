"""Finished training runs this session keeps for the Compare runs page.

    keep(Run(name, config, progress, model, class_names, probs, labels, evaluation, accuracy))
    for name, run in session_runs().items(): ...

Each run keeps its class probabilities on the set it was scored on (`evaluation` names it);
two runs can be compared, or averaged into an ensemble, only when that set is the same.
"""

from dataclasses import asdict, dataclass

import numpy as np
import streamlit as st

DIGIT_CLASSES = tuple(str(d) for d in range(10))
DIGIT_TEST_SET = "the 10,000 MNIST test digits"


@dataclass(eq=False)
class Run:
    name: str
    config: object            # the TrainingConfig, or None for a model loaded from a file
    progress: object          # the run's last Progress (its curves), or None
    model: object             # the trained nn.Sequential
    class_names: tuple
    probs: np.ndarray         # (N, classes): its class probabilities on the evaluation set
    labels: np.ndarray        # (N,): that set's true labels
    evaluation: str           # which set that is, in words; equal text, equal set
    accuracy: float
    start: str = "from scratch"   # or how the weights began (transfer from the digit network)
    key: object = None        # what it was made from, so that one run is kept only once

    def settings(self):
        """{setting: value} for the settings table: the config's fields and where it started."""
        if self.config is None:
            return {}
        return {"start": self.start, "classes": ", ".join(self.class_names), **asdict(self.config)}


def digit_run(name, config, progress, model, probs, y_test, key=None):
    """A run scored on the MNIST test digits."""
    return Run(name, config, progress, model, DIGIT_CLASSES, probs, y_test, DIGIT_TEST_SET,
               float((probs.argmax(axis=1) == y_test).mean()), key=key)


def session_runs():
    """{name: Run}, in the order they finished."""
    return st.session_state.setdefault("runs", {})


def keep(run):
    """Add run to the session's runs unless one with its key is there already; returns the name
    it is kept under."""
    runs = session_runs()
    for name, kept in runs.items():
        if run.key is not None and kept.key == run.key:
            return name
    runs[run.name] = run
    return run.name


def next_name(prefix):
    """'prefix N' with N one more than the runs kept so far."""
    return f"run {len(session_runs()) + 1}: {prefix}"
