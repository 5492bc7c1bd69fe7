"""The "What the network learned" page (pages/what_it_learned.py): each view on the pretrained
network, on the session's trained network and on a network of the learner's own classes.
AppTest cannot draw on the canvas; tests/browser/test_what_it_learned.py draws on it."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine import nn

PAGE = "../../pages/what_it_learned.py"


def page(**state):
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def shown(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def image_captions(at):
    return [[img.caption for img in element.proto.imgs] for element in at.get("image")]


def scatter(at):
    (chart,) = [e for e in at.main if getattr(e, "type", "") == "vega_lite_chart"]
    return json.loads(chart.proto.spec)


def own_classes():
    """A small network for three classes of 16 x 16 colour images, and its held-out images."""
    model = nn.Sequential([nn.Conv2D(3, 4, 3, padding="same", seed=0), nn.ReLU(), nn.MaxPool2D(2),
                           nn.Flatten(), nn.Dense(4 * 8 * 8, 3, seed=1)])
    rng = np.random.default_rng(0)
    x = rng.random((40, 3, 16, 16)).astype(np.float32)
    y = np.arange(40) % 3
    return {"own_model": model, "own_class_names": ["cat", "cup", "tree"], "own_heldout": (x, y)}


def test_filters_view_shows_weights_top_patches_and_class_responses():
    at = shown(page())
    assert at.radio(key="network").options == ["the pretrained digit network"]
    patches, wholes, weights = image_captions(at)
    values = [float(v) for v in patches]
    assert len(values) == 9 and values == sorted(values, reverse=True)
    assert len(wholes) == 9 and all(c.startswith("#") for c in wholes)
    assert any("The 9 test digits that excite this filter most" in c.value for c in at.caption)
    assert "5 x 5 weights" in weights[0]
    (bars,) = [e for e in at.main if getattr(e, "type", "") == "vega_lite_chart"]
    assert "bar" in bars.proto.spec
    assert any("Filter 0's average response to each class" in m.value for m in at.markdown)


def test_the_second_layer_s_patches_are_its_10_x_10_receptive_field():
    at = shown(page())
    at.selectbox(key="layer").set_value(4).run()
    at.slider(key="filter").set_value(3).run()
    shown(at)
    patches, _, weights = image_captions(at)
    assert "one 3 x 3 kernel for each of the 8 maps" in weights[0]
    assert any("10 x 10 pixels" in c.value for c in at.caption)
    assert at.slider(key="filter").max == 15
    at.slider(key="filter").set_value(4).run()
    assert image_captions(shown(at))[0] != patches  # another filter, other favourite patches


def test_occlusion_and_saliency_of_a_test_digit():
    at = shown(page(view="occlusion"))
    assert any("reads test digit 0 as **7**" in m.value for m in at.markdown)
    at.slider(key="size").set_value(7).run()
    at.slider(key="stride").set_value(3).run()
    captions = image_captions(shown(at))
    assert captions[0] == ["The image"]
    assert "7 x 7 square" in captions[1][0] and "Saliency" in captions[2][0]
    assert any("Occlusion measures" in m.value and "saliency" in m.value for m in at.markdown)


def test_a_misclassified_digit_can_be_explained_for_either_class():
    at = shown(page(view="occlusion", source="mistake"))
    caption = next(c.value for c in at.caption if "read as" in c.value)
    label, read = caption.split("labelled ")[1].split(", read as ")
    read = read.rstrip(".")
    assert label != read
    assert any(f"probability of **{label}**" in m.value for m in at.markdown)
    at.radio(key="explain").set_value("predicted").run()
    assert any(f"probability of **{read}**" in m.value for m in shown(at).markdown)


def test_feature_space_places_the_chosen_digit_among_the_classes():
    at = shown(page(view="features"))
    spec = scatter(at)
    diamond = [layer for layer in spec["layer"] if layer["mark"].get("shape") == "diamond"]
    assert len(diamond) == 1 and diamond[0]["data"]["values"][0]["label"] == "test digit 0"
    centres = spec["layer"][1]["data"]["values"]
    assert [c["class"] for c in centres] == [str(d) for d in range(10)]
    assert any("first 2,000 test digits" in c.value and "256 features" in c.value for c in at.caption)
    first = diamond[0]["data"]["values"][0]
    at.number_input(key="index").set_value(1).run()
    moved = [layer for layer in scatter(shown(at))["layer"] if layer["mark"].get("shape") == "diamond"]
    assert moved[0]["data"]["values"][0] != first
    at.slider(key="shown").set_value(500).run()
    assert any("first 500 test digits" in c.value for c in shown(at).caption)


@pytest.mark.parametrize("view", ["filters", "occlusion", "features"])
def test_every_view_works_on_the_session_s_trained_network(view):
    at = shown(page(view=view, trained_model=nn.digit_net(seed=1)))
    assert at.radio(key="network").options == ["the pretrained digit network", "your trained digit network"]

    def what_it_shows():
        if view == "filters":
            return image_captions(at)[0]  # the top patches' responses
        if view == "occlusion":
            return next(m.value for m in at.markdown if "The network reads" in m.value)
        return [layer["data"]["values"] for layer in scatter(at)["layer"] if "data" in layer]

    pretrained = what_it_shows()
    at.radio(key="network").set_value("trained").run()
    shown(at)
    assert what_it_shows() != pretrained  # an untrained network: other numbers everywhere


@pytest.mark.parametrize("view", ["filters", "occlusion", "features"])
def test_every_view_works_on_a_network_of_the_learner_s_own_classes(view):
    at = shown(page(view=view, network="own", **own_classes()))
    assert at.radio(key="network").value == "own"
    if view == "filters":
        patches, _, weights = image_captions(at)
        assert "summed over the colour channels" in weights[0] and len(patches) == 9
        assert any("9 held-out images" in c.value for c in at.caption)
    if view == "occlusion":
        assert "draw" not in at.radio(key="source").options  # drawing is for digits
        at.slider(key="size").set_value(16).run()
        assert "16 x 16 square" in image_captions(shown(at))[1][0]
    if view == "features":
        centres = scatter(at)["layer"][1]["data"]["values"]
        assert [c["class"] for c in centres] == ["cat", "cup", "tree"]
        assert any("first 40 held-out images" in c.value for c in at.caption)


def test_a_shared_link_to_a_network_this_session_does_not_have_falls_back_to_the_pretrained_one():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update({"network": "own", "view": "occlusion", "size": "99", "source": "mistake"})
    shown(at.run())
    assert at.radio(key="network").value == "pretrained"
    assert at.slider(key="size").value == 28  # clamped to the image


@pytest.mark.parametrize("link", [
    {"view": "filters", "layer": "3", "filter": "9999"},
    {"view": "filters", "layer": "4", "filter": "15"},
    {"view": "occlusion", "source": "mistake", "index": "9999999", "stride": "999", "grey": "1.0"},
    {"view": "occlusion", "size": "1", "stride": "1", "grey": "0"},
    {"view": "features", "shown": "10", "source": "mistake", "index": "5"},
    {"view": "nonsense", "network": "trained", "explain": "maybe"},
])
def test_odd_links_give_a_working_page(link):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update(link)
    shown(at.run())
    assert at.get("image") or any(getattr(e, "type", "") == "vega_lite_chart" for e in at.main)


@pytest.mark.parametrize("view", ["filters", "occlusion", "features"])
def test_own_images_the_network_cannot_read_are_explained_not_a_traceback(view):
    own = own_classes()
    own["own_heldout"] = (own["own_heldout"][0][:, :1], own["own_heldout"][1])  # grey: 1 channel, not 3
    at = page(view=view, network="own", source="mistake", **own)
    assert not at.exception
    assert any("3" in e.value and "channel" in e.value for e in at.error)
