"""A page's settings, declared once: default, allowed values, widget and URL key.

Settings live in the URL, so a teacher can share an exact starting point
(`/stride_padding?n=7&f=3&stride=3`). A page declares them in one table and draws each widget
from it, so the bounds a link is checked against are the widget's own:

    SETTINGS = params.Settings("stride_padding", {
        "n": params.Setting(7, "Input size W", low=1, high=64),
        "mode": params.Setting("zero", "Padding mode", "selectbox", choices=MODES),
    })
    SETTINGS.restore()                 # once per session: from the URL if valid, else the default
    SETTINGS.widget("n", column)       # st.slider("Input size W", 1, 64, key="n") in that column
    ...
    SETTINGS.publish()                 # write the current values to the URL

A value from the query string is taken only when it parses as the default's type and is one of
the choices or inside the bounds, so a hostile or stale link can never break a page.
"""

from dataclasses import dataclass

import streamlit as st

_RESTORED = "_params_restored"
WIDGETS = ("slider", "select_slider", "selectbox", "radio", "toggle", "checkbox", "number_input", "text_input",
           "text_area")


def _parse(raw, default):
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        value = float(raw)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(raw)
        return value
    return str(raw)[:500]


@dataclass(frozen=True)
class Setting:
    """One setting: its default, the values it may take and the widget that sets it.

    widget: one of WIDGETS. Numbers take low and high (and step); choices list the values of a
    select slider, select box or radio; format_func and help go to the widget as they are.
    """

    default: object
    label: str
    widget: str = "slider"
    low: object = None
    high: object = None
    step: object = None
    choices: tuple = None
    format_func: object = None
    help: str = None
    max_chars: int = None

    def __post_init__(self):
        if self.widget not in WIDGETS:
            raise ValueError(f"unknown widget {self.widget!r}; use one of {', '.join(WIDGETS)}")

    def accepts(self, value):
        """Whether a value read from a link may be used."""
        if self.choices is not None and value not in self.choices:
            return False
        if self.low is not None and value < self.low:
            return False
        if self.high is not None and value > self.high:
            return False
        if self.max_chars is not None and len(str(value)) > self.max_chars:
            return False
        return True

    def draw(self, key, where, **overrides):
        """The widget, bound to st.session_state[key]; overrides replace declared arguments."""
        kw = {"key": key, "help": self.help}
        if self.format_func is not None:
            kw["format_func"] = self.format_func
        if self.widget == "slider":
            kw.update(min_value=self.low, max_value=self.high)
            if self.step is not None:
                kw["step"] = self.step
        elif self.widget == "number_input":
            kw.update(min_value=self.low, max_value=self.high)
            if self.step is not None:
                kw["step"] = self.step
        elif self.widget in ("select_slider", "selectbox", "radio") and self.choices is not None:
            kw["options"] = list(self.choices)  # a page whose options depend on its data passes options=
        elif self.widget in ("text_input", "text_area") and self.max_chars is not None:
            kw["max_chars"] = self.max_chars
        kw.update(overrides)
        label = kw.pop("label", self.label)
        return getattr(where, self.widget)(label, **kw)


def _fits(setting, value):
    """Whether a value already in the session may go to this setting's widget."""
    try:
        return setting.accepts(value)
    except TypeError:  # another page's setting of another type under the same key
        return False


class Settings:
    """The settings of one page: restore them from the URL, draw their widgets, publish them."""

    def __init__(self, page, settings):
        self.page = page
        self.settings = dict(settings)

    def __getitem__(self, key):
        return st.session_state[key]

    def defaults(self):
        return {k: s.default for k, s in self.settings.items()}

    def restore(self):
        """Put each setting into st.session_state once per session: from the URL if valid, else
        the default."""
        for key, setting in self.settings.items():
            # pages share some keys ("size" on the filter and the pooling pages): a value another
            # page allowed may be outside this page's bounds, and its widget would raise
            if key in st.session_state and not _fits(setting, st.session_state[key]):
                st.session_state[key] = setting.default
        flag = f"{_RESTORED}:{self.page}"
        if st.session_state.get(flag):
            return
        for key, setting in self.settings.items():
            value = setting.default
            raw = st.query_params.get(key)
            if raw is not None:
                try:
                    parsed = _parse(raw, setting.default)
                    if setting.accepts(parsed):
                        value = parsed
                except ValueError:
                    pass
            st.session_state.setdefault(key, value)
        st.session_state[flag] = True

    def widget(self, key, where=st, **overrides):
        """Draw the declared widget of one setting in `where` (st, a column, a container)."""
        return self.settings[key].draw(key, where, **overrides)

    def publish(self, keys=None):
        """Mirror the current values of these settings (all by default) into the URL."""
        publish(keys if keys is not None else list(self.settings))


def publish(keys):
    """Mirror the current values of these session settings into the URL's query string."""
    for key in keys:
        if key in st.session_state:
            value = st.session_state[key]
            text = str(value).lower() if isinstance(value, bool) else str(value)
            if st.query_params.get(key) != text:
                st.query_params[key] = text
