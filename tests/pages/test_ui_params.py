"""A page's settings declared once (pages/ui/params.py): restored from a link within their declared
bounds, drawn as their declared widgets, published back to the URL."""

from streamlit.testing.v1 import AppTest


def page():
    import streamlit as st

    from pages.ui import params

    settings = params.Settings("demo", {
        "n": params.Setting(7, "Input size", low=1, high=64),
        "mode": params.Setting("zero", "Mode", "selectbox", choices=("zero", "reflect")),
        "same": params.Setting(False, "Same", "toggle"),
        "rate": params.Setting(0.5, "Rate", "number_input", low=0.0, high=1.0),
    })
    settings.restore()
    for key in ("n", "mode", "same", "rate"):
        settings.widget(key)
    st.write(f"n={settings['n']} mode={settings['mode']} same={settings['same']} rate={settings['rate']}")
    settings.publish()


def run_with(query):
    at = AppTest.from_function(page, default_timeout=30)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_a_valid_link_sets_every_widget():
    at = run_with({"n": "12", "mode": "reflect", "same": "true", "rate": "0.25"})
    assert not at.exception
    assert at.slider(key="n").value == 12 and at.selectbox(key="mode").value == "reflect"
    assert at.toggle(key="same").value is True and at.number_input(key="rate").value == 0.25
    assert at.slider(key="n").min == 1 and at.slider(key="n").max == 64  # the declared bounds


def test_a_hostile_link_falls_back_to_the_defaults():
    at = run_with({"n": "1e9", "mode": "<script>", "same": "maybe", "rate": "nan"})
    assert not at.exception
    assert at.markdown[0].value == "n=7 mode=zero same=False rate=0.5"


def test_a_change_is_published_to_the_url():
    at = run_with({})
    at.slider(key="n").set_value(20).run()
    assert at.query_params["n"] == "20"
