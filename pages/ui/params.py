"""Settings that live in the URL, so a teacher can share an exact starting point.

Usage in a page:

    params.restore({"stride": 1, "mode": "zero", "signal": "0,1,2,3,4"})
    st.slider("Stride", 1, 5, key="stride")          # the widget reads session_state["stride"]
    ...
    params.publish(["stride", "mode", "signal"])     # write the current values to the URL

`restore` runs once per session and page: it takes each value from the query string when it
parses as the default's type (and, if given, is one of `choices[key]` or inside `bounds[key]`),
and the default otherwise, so a hostile or stale link can never break a page.
"""

import streamlit as st

_RESTORED = "_params_restored"


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


def restore(defaults, choices=None, bounds=None, page=None):
    """Put each setting into st.session_state once: from the URL if valid, else the default.

    defaults: {key: default value}; choices: {key: allowed values};
    bounds: {key: (low, high)} for numbers; page: a name to keep pages' flags apart.
    """
    choices = choices or {}
    bounds = bounds or {}
    flag = f"{_RESTORED}:{page or ','.join(sorted(defaults))}"
    if st.session_state.get(flag):
        return
    for key, default in defaults.items():
        value = default
        raw = st.query_params.get(key)
        if raw is not None:
            try:
                parsed = _parse(raw, default)
                if key in choices and parsed not in choices[key]:
                    raise ValueError(raw)
                if key in bounds and not bounds[key][0] <= parsed <= bounds[key][1]:
                    raise ValueError(raw)
                value = parsed
            except ValueError:
                value = default
        st.session_state.setdefault(key, value)
    st.session_state[flag] = True


def publish(keys):
    """Mirror the current values of these session settings into the URL's query string."""
    for key in keys:
        if key in st.session_state:
            value = st.session_state[key]
            text = str(value).lower() if isinstance(value, bool) else str(value)
            if st.query_params.get(key) != text:
                st.query_params[key] = text
