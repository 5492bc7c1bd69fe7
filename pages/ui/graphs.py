"""Charts for the lessons that redraw on every rerun.

st.line_chart builds an Altair chart on each call, which costs 50-110 ms on the server here;
handing the same Vega-Lite spec to st.vega_lite_chart directly costs 2-8 ms.
"""

import numpy as np
import pandas as pd
import streamlit as st

DOTS_UP_TO = 30  # points: a series this short gets a dot on each, so that even one value shows


def line_chart(data, x_title, y_title, height=220, colours=None, where=st, marks=None, long_names=False):
    """Draw the columns of `data` (a DataFrame whose index is the x axis) as lines.

    Several columns get a legend; colours maps column name -> CSS colour; where is st or a
    column/container to draw in. Missing values (NaN) are skipped, so columns logged at
    different x (every step, every epoch) share one chart. A column of DOTS_UP_TO values or
    fewer (a validation score per epoch) gets a dot on each: a line needs two points, and a
    one-epoch run's single validation score would otherwise not show at all.

    marks: points to point out, each a dict {"x", "y", "label"} and optionally "series" (the
    column it belongs to, which gives its colour): drawn as a dashed vertical rule, a dot and
    the label. long_names: stack the legend's entries one per line, so long names fit.
    """
    index = "x"
    long = long_form(data, index)
    legend = {"orient": "bottom"}
    if long_names:
        legend.update(direction="vertical", columns=1, labelLimit=600)
    colour = {"field": "series", "type": "nominal", "title": None, "legend": legend}
    if colours:
        colour["scale"] = {"domain": list(colours), "range": list(colours.values())}
    if data.shape[1] == 1:
        colour = {"value": (colours or {}).get(data.columns[0], "#1f6fb4")}
    x = {"field": index, "type": "quantitative", "title": x_title,
         "axis": {"tickMinStep": 1, "format": "d"} if data.index.dtype.kind in "iu" else {}}
    y = {"field": "value", "type": "quantitative", "title": y_title}
    line = {"mark": {"type": "line", "strokeWidth": 2}, "encoding": {"x": x, "y": y, "color": colour}}
    dots = {"transform": [{"filter": "datum.dot"}], "mark": {"type": "point", "filled": True, "size": 40},
            "encoding": {"x": x, "y": y, "color": colour}}
    layers = [line, dots]
    if marks:
        layers += mark_layers(marks, x, y, colour, data.index.min(), data.index.max())
    where.vega_lite_chart(long, {"height": height, "width": "container", "layer": layers}, width="stretch")


def bar_chart(values, labels, y_title, height=220, where=st, colour="#1f6fb4"):
    """One bar per label (x axis, in the order given) with its value: as st.bar_chart draws a
    one-column DataFrame, from a Vega-Lite spec (st.bar_chart builds an Altair chart first)."""
    rows = [{"label": str(label), "value": float(v)} for label, v in zip(labels, values)]
    spec = {"height": height, "width": "container", "data": {"values": rows},
            "mark": {"type": "bar", "color": colour},
            "encoding": {"x": {"field": "label", "type": "nominal", "sort": None, "title": None,
                               "axis": {"labelAngle": 0}},
                         "y": {"field": "value", "type": "quantitative", "title": y_title}}}
    where.vega_lite_chart(spec, width="stretch")


def long_form(data, index="x"):
    """data's columns one under the other, as Vega-Lite wants them: columns index, "series",
    "value" and "dot" (whether the series is short enough for a dot on each point), without
    the missing values.

    Built from NumPy arrays: pandas' melt, dropna and groupby took 20-60 ms of every rerun
    of a page with three small charts on a busy server, this a fraction of a millisecond.
    """
    xs = data.index.to_numpy()
    columns, counts, parts = list(data.columns), [], []
    for column in columns:
        values = data[column].to_numpy(dtype=np.float64)
        kept = ~np.isnan(values)
        counts.append(int(kept.sum()))
        parts.append((xs[kept], values[kept]))
    names = np.empty(len(columns), dtype=object)
    names[:] = columns
    counts = np.array(counts, dtype=np.int64)
    return pd.DataFrame({
        index: np.concatenate([x for x, _ in parts]) if parts else xs[:0],
        "series": np.repeat(names, counts),
        "value": np.concatenate([v for _, v in parts]) if parts else np.zeros(0),
        "dot": np.repeat(counts <= DOTS_UP_TO, counts),
    })


def mark_layers(marks, x, y, colour, x_min, x_max):
    """Vega-Lite layers for line_chart's marks: a dashed rule, a dot and a label each.

    A label sits right of its dot in the left half of the chart and left of it in the right half,
    so that it stays inside the chart.
    """
    values = [{"x": float(m["x"]), "value": float(m["y"]), "label": m["label"],
               "series": m.get("series", "")} for m in marks]
    layers = [
        {"data": {"values": values}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#555555"},
         "encoding": {"x": x}},
    ]
    coloured = "field" in colour and all(m.get("series") for m in marks)
    dot = {**colour, "legend": None} if coloured else {"value": "#222222"}
    layers.append({"data": {"values": values},
                   "mark": {"type": "point", "filled": True, "size": 90, "stroke": "#222222", "strokeWidth": 1,
                            "opacity": 1},
                   "encoding": {"x": x, "y": y, "color": dot}})
    middle = (float(x_min) + float(x_max)) / 2 if len(values) else 0
    for align, dx, side in (("left", 6, [v for v in values if v["x"] <= middle]),
                            ("right", -6, [v for v in values if v["x"] > middle])):
        if side:
            layers.append({"data": {"values": side},
                           "mark": {"type": "text", "align": align, "dx": dx, "dy": -10, "fontSize": 12,
                                    "color": "#222222"},
                           "encoding": {"x": x, "y": y, "text": {"field": "label", "type": "nominal"}}})
    return layers
