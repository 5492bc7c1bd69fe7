"""The networks a learner can look inside, with the images to look at them with.

    for choice in model_choices(): choice.label, choice.model, choice.class_names, choice.images, ...

The shipped pretrained digit network is always there; the network the learner trained on the
digits (st.session_state.trained_model, set by the training page) and the one trained on the
learner's own classes (st.session_state.own_model with own_class_names and own_heldout = (x, y))
join it when the session has them.
"""

import copy
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from engine import nn
from pages.ui import images

PRETRAINED = Path(__file__).resolve().parents[2] / "assets" / "pretrained_digit_net.npz"
DIGITS = tuple(str(d) for d in range(10))


@dataclass(frozen=True, eq=False)
class ModelChoice:
    key: str                 # 'pretrained', 'trained' or 'own': what a shared link names
    label: str
    model: nn.Sequential
    class_names: tuple
    images: np.ndarray       # (N, C, H, W) in [0, 1]: searched for top patches, projected, occluded
    labels: np.ndarray       # (N,) int64
    shared: bool = False     # the same weights in every session: results can be kept server-wide
    drawable: bool = False   # it reads 28 x 28 grey digits, so a drawn digit can be shown to it
    image_name: str = "test digit"  # what one of `images` is called

    @property
    def images_name(self):
        return f"{self.image_name}s"


@st.cache_resource(show_spinner=False)
def _pretrained():
    """The shipped model, trained by assets/train_pretrained.py; loaded once per server."""
    return nn.Sequential.load(PRETRAINED)


def pretrained_model():
    """This session's copy of the pretrained network: a layer keeps its last input and output,
    so sessions must never share one model object."""
    if "explain_pretrained" not in st.session_state:
        st.session_state.explain_pretrained = copy.deepcopy(_pretrained())
    return st.session_state.explain_pretrained


def _own_choice():
    """The network trained on the learner's own classes, if the session has one that is usable."""
    s = st.session_state
    model, heldout = s.get("own_model"), s.get("own_heldout")
    if model is None or heldout is None or len(heldout) != 2:
        return None
    x, y = np.asarray(heldout[0], np.float32), np.asarray(heldout[1]).astype(np.int64)
    if x.ndim != 4 or len(x) == 0 or y.shape != (len(x),):
        return None
    names = tuple(str(n) for n in (s.get("own_class_names") or ()))
    if len(names) <= int(y.max()):
        names = tuple(str(c) for c in range(int(y.max()) + 1))
    return ModelChoice("own", "your network on your own classes", model, names, x, y,
                       image_name="held-out image")


def model_choices():
    """The networks this session can look inside: the pretrained one first."""
    x, y = images.test_set()
    choices = [ModelChoice("pretrained", "the pretrained digit network", pretrained_model(), DIGITS, x, y,
                           shared=True, drawable=True)]
    trained = st.session_state.get("trained_model")
    if trained is not None:
        choices.append(ModelChoice("trained", "your trained digit network", trained, DIGITS, x, y, drawable=True))
    own = _own_choice()
    if own is not None:
        choices.append(own)
    return choices


@st.cache_resource(show_spinner=False)
def _server_results():
    return {}, threading.Lock()


def remember(choice, name, compute):
    """compute() once per network and name, then the same result again.

    Results of the shared pretrained network are kept for the whole server (each session
    computes with its own copy, so two at once do not disturb each other); a session's own
    networks keep theirs in the session, recomputed when the network is replaced.
    """
    if choice.shared:
        store, lock = _server_results()
        key = (choice.key, name)
        if key not in store:
            value = compute()
            with lock:
                store.setdefault(key, value)
        return store[key]
    store = st.session_state.setdefault("explain_results", {})
    key = (choice.key, name)
    if key not in store or store[key][0] is not choice.model:
        store[key] = (choice.model, compute())
    return store[key][1]
