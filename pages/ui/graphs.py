"""Drawing for the backpropagation and receptive-field lessons.

Computation graphs are DOT text for st.graphviz_chart (drawn in the browser, no graphviz
binary needed); decision surfaces and patches are RGB arrays for st.image (a few ms).
"""

import numpy as np

from pages.ui.figures import DIVERGING, enlarge, to_rgb

_FORWARD = "#1f6fb4"   # blue: forward values
_BACKWARD = "#c0392b"  # red: error signals


def _num(v):
    return f"{v:.4g}"


def computation_graph_dot(graph, shown_values, shown_grads, current=None):
    """DOT text for a LessonGraph: each node with its value (once the forward pass reaches it)
    and its error signal x̄ (once the backward pass reaches it); `current` is drawn bold."""
    lines = ["digraph G {", "rankdir=LR;", 'bgcolor="transparent";',
             'node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=12];',
             'edge [color="#555555"];']
    for n in graph.nodes:
        rows = [f'<tr><td><b>{n.label}</b></td></tr>']
        if n.name in shown_values:
            rows.append(f'<tr><td><font color="{_FORWARD}">= {_num(n.value)}</font></td></tr>')
        if n.name in shown_grads:
            rows.append(f'<tr><td><font color="{_BACKWARD}">{n.label}&#772; = {_num(n.grad)}</font></td></tr>')
        style = ', penwidth=3, fillcolor="#fff3c4"' if n.name == current else ""
        lines.append(f'"{n.name}" [label=<<table border="0" cellborder="0">{"".join(rows)}</table>>{style}];')
    for n in graph.nodes:
        for src in n.inputs:
            lines.append(f'"{src}" -> "{n.name}";')
    lines.append("}")
    return "\n".join(lines)


def decision_surface_image(out, points, targets, lo=-0.5, hi=1.5, width=300):
    """The network's output on a grid (out[i, j] at x1 = column j, x2 = row i, bottom row = x2 low)
    as an image centred on 0.5 (blue below, red above), with the training points as squares:
    black for target 0, white for target 1."""
    img = to_rgb(np.flipud(out) - 0.5, signed=True, vmax=0.5)
    img = enlarge(img, width)
    n = out.shape[0]
    scale = img.shape[0] / n
    half = max(3, int(scale * 0.9))
    for (x1, x2), t in zip(points, targets):
        c = int((x1 - lo) / (hi - lo) * (n - 1) * scale + scale / 2)
        r = int((1 - (x2 - lo) / (hi - lo)) * (n - 1) * scale + scale / 2)
        r0, r1, c0, c1 = max(r - half, 0), min(r + half, img.shape[0]), max(c - half, 0), min(c + half, img.shape[1])
        img[r0:r1, c0:c1] = 0 if t < 0.5 else 255
        img[r0 + 2:r1 - 2, c0 + 2:c1 - 2] = 40 if t < 0.5 else 235
        if t >= 0.5:
            img[r0:r1, c0:c0 + 2] = img[r0:r1, c1 - 2:c1] = img[r0:r0 + 2, c0:c1] = img[r1 - 2:r1, c0:c1] = 0
    return img


def patch_image(image, patch, width=280, colour=(230, 159, 0)):
    """A grey image (H, W) in [0, 1] with the patch (inclusive rows/cols) outlined and the rest dimmed."""
    grey = np.clip(np.asarray(image, dtype=np.float64), 0, 1)
    rgb = (np.stack([grey] * 3, axis=-1) * 255).astype(np.float64)
    inside = np.zeros(grey.shape, bool)
    inside[patch.top:patch.bottom + 1, patch.left:patch.right + 1] = True
    rgb[~inside] = rgb[~inside] * 0.35 + 40
    img = enlarge(rgb.astype(np.uint8), width)
    f = img.shape[0] // grey.shape[0]
    t = max(2, f // 4)
    r0, r1 = patch.top * f, (patch.bottom + 1) * f
    c0, c1 = patch.left * f, (patch.right + 1) * f
    img[r0:r0 + t, c0:c1] = colour
    img[r1 - t:r1, c0:c1] = colour
    img[r0:r1, c0:c0 + t] = colour
    img[r0:r1, c1 - t:c1] = colour
    return img


def unit_grid_image(n, row, col, width=140, colour=(230, 159, 0)):
    """An n x n grid of a layer's units with the chosen one filled in."""
    a = np.full((n, n, 3), 235, np.uint8)
    a[(np.arange(n)[:, None] + np.arange(n)[None, :]) % 2 == 1] = 215
    a[row, col] = colour
    return enlarge(a, width)


__all__ = ["computation_graph_dot", "decision_surface_image", "patch_image", "unit_grid_image", "DIVERGING"]
