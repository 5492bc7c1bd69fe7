"""Drawing for the "What the network learned" page: a filter and its top patches, occlusion
beside saliency, and the network's feature space as a scatter of classes."""

import numpy as np
import pandas as pd
import streamlit as st

from pages.ui.graphs import bar_chart
from pages.ui.figures import grid_html, map_image, overlay, picture, tile, with_box


def filter_weights(w, first_layer, where=st):
    """One filter's weights w: (C, F, F). On the first layer they are a picture of what the filter
    looks for in the pixels (with the numbers when the kernel is small); deeper, one small kernel
    per feature map of the layer below."""
    c, f, _ = w.shape
    if first_layer:
        summed = "" if c == 1 else ", summed over the colour channels"
        where.image(map_image(w.sum(axis=0), width=168, signed=True), output_format="PNG",
                    caption=f"Its {f} x {f} weights{summed}: red positive, blue negative")
        if c == 1 and f <= 7:
            where.markdown(grid_html(np.round(w[0], 2), cell=30), unsafe_allow_html=True)
    else:
        cols = min(c, 8)
        where.image(tile(w, cols=cols, width=min(360, 48 * cols), signed=True, shared_scale=True),
                    output_format="PNG", caption=f"Its weights: one {f} x {f} kernel for each of the {c} maps it reads")


def top_patch_row(top, f, images, images_name, where=st):
    """Filter f's top patches, strongest first, with the response under each, and below them the
    whole images with the patch framed. images: the (N, C, H, W) they were found in."""
    size = 84
    where.image([framed(picture(p, width=size)) for p in top.patches[f]], width=size, output_format="PNG",
                caption=[f"{v:.2f}" for v in top.values[f]])
    wholes = [with_box(images[i].mean(axis=0), box[:2], box[2:], width=size)
              for i, box in zip(top.indices[f], top.boxes[f])]
    where.image(wholes, width=size, output_format="PNG", caption=[f"#{i}" for i in top.indices[f]])
    where.caption(f"The {top.patches.shape[1]} {images_name} that excite this filter most, each cut at the "
                  f"{top.size} x {top.size} pixels its strongest unit sees (its receptive field), with that "
                  "unit's value; below, where the patch lies in the whole image, and its number.")


def framed(img, colour=(150, 150, 150)):
    """An RGB image with a one-pixel frame, so a dark patch stands apart from the next."""
    out = img.copy()
    out[[0, -1], :] = colour
    out[:, [0, -1]] = colour
    return out


def class_responses(means, class_names, where=st):
    bar_chart(means, class_names, "average response", where=where)


def occlusion_and_saliency(image, occlusion, saliency, where=st):
    """The image, the occlusion map laid over it and the saliency map, side by side."""
    a, b, c = where.columns(3)
    size = 224
    a.image(picture(image, width=size), width=size, output_format="PNG", caption="The image")
    unseen = ", white where no square reached" if np.isnan(occlusion.pixels).any() else ""
    lowest = occlusion.probability - float(np.nanmax(occlusion.drop))
    b.image(overlay(image, occlusion.pixels, width=size), width=size, output_format="PNG",
            caption=f"Occlusion, with the image in grey: red where hiding a {occlusion.size} x {occlusion.size} "
                    f"square lowers the probability, blue where it raises it{unseen}. Whole image: "
                    f"{occlusion.probability:.0%}; with the worst square hidden: {lowest:.0%}.")
    c.image(overlay(image, saliency, width=size), width=size, output_format="PNG",
            caption="Saliency, with the image in grey: red where brightening a pixel raises the class score, "
                    "blue where it lowers it")


def feature_scatter(coords, labels, class_names, shown, point=None, point_label="", height=440, where=st):
    """The first `shown` of coords (N, 2) coloured by class, each class named at the centre of all
    N of its points; point (2,), if given, as a large black diamond labelled point_label.

    Only the dots depend on `shown`: moving it leaves the chart's spec as it was, and the browser
    swaps the data in place instead of building the chart again.
    """
    names = np.asarray(class_names, dtype=object)[labels[:shown]]
    data = pd.DataFrame({"pc1": coords[:shown, 0], "pc2": coords[:shown, 1], "class": names})
    x = {"field": "pc1", "type": "quantitative", "title": "principal component 1"}
    y = {"field": "pc2", "type": "quantitative", "title": "principal component 2"}
    centres = [{"pc1": float(coords[labels == k, 0].mean()), "pc2": float(coords[labels == k, 1].mean()),
                "class": str(name)} for k, name in enumerate(class_names) if (labels == k).any()]
    layers = [
        {"mark": {"type": "circle", "size": 16, "opacity": 0.55},
         "encoding": {"x": x, "y": y, "color": {"field": "class", "type": "nominal", "sort": list(class_names),
                                                "scale": {"scheme": "tableau10"}, "legend": {"orient": "right"}},
                      "tooltip": [{"field": "class", "type": "nominal"}]}},
        {"data": {"values": centres},
         "mark": {"type": "text", "fontSize": 16, "fontWeight": "bold", "color": "#222222"},
         "encoding": {"x": x, "y": y, "text": {"field": "class", "type": "nominal"}}},
    ]
    if point is not None:
        values = [{"pc1": float(point[0]), "pc2": float(point[1]), "label": point_label}]
        layers += [
            {"data": {"values": values}, "mark": {"type": "point", "shape": "diamond", "size": 320, "filled": True,
                                                  "color": "#000000", "stroke": "#ffffff", "strokeWidth": 2},
             "encoding": {"x": x, "y": y}},
            {"data": {"values": values}, "mark": {"type": "text", "dx": 14, "dy": -14, "align": "left",
                                                  "fontSize": 13, "fontWeight": "bold", "color": "#000000"},
             "encoding": {"x": x, "y": y, "text": {"field": "label", "type": "nominal"}}},
        ]
    where.vega_lite_chart(data, {"height": height, "width": "container", "layer": layers}, width="stretch")
