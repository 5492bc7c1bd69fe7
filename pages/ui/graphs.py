"""Charts for the lessons that redraw on every rerun.

st.line_chart builds an Altair chart on each call, which costs 50-110 ms on the server here;
handing the same Vega-Lite spec to st.vega_lite_chart directly costs 2-8 ms.
"""

import pandas as pd
import streamlit as st


def line_chart(data, x_title, y_title, height=220, colours=None, where=st):
    """Draw the columns of `data` (a DataFrame whose index is the x axis) as lines.

    Several columns get a legend; colours maps column name -> CSS colour; where is st or a
    column/container to draw in.
    """
    index = "x"
    long = data.rename_axis(index).reset_index().melt(id_vars=index, var_name="series", value_name="value")
    colour = {"field": "series", "type": "nominal", "title": None, "legend": {"orient": "bottom"}}
    if colours:
        colour["scale"] = {"domain": list(colours), "range": list(colours.values())}
    if data.shape[1] == 1:
        colour = {"value": (colours or {}).get(data.columns[0], "#1f6fb4")}
    spec = {
        "mark": {"type": "line", "strokeWidth": 2},
        "height": height,
        "encoding": {
            "x": {"field": index, "type": "quantitative", "title": x_title,
                  "axis": {"tickMinStep": 1, "format": "d"} if data.index.dtype.kind in "iu" else {}},
            "y": {"field": "value", "type": "quantitative", "title": y_title},
            "color": colour,
        },
    }
    where.vega_lite_chart(long, spec, width="stretch")
