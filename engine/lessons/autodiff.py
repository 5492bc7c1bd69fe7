"""A tiny scalar computation graph for the backpropagation lesson (in the spirit of micrograd).

Each Value remembers how it was made; backward() walks the graph from the output in reverse
order and applies the chain rule, so every node ends up with dL/dnode in `.grad`.

    >>> g = logistic_graph(w=2.0, b=-1.0, x=1.5, t=1.0)
    >>> round(g["L"].data, 4), round(g["w"].grad, 4)
    (0.0071, -0.0188)
"""

import math

import numpy as np


class Value:
    """A number in a computation graph, with the gradient of the output with respect to it."""

    def __init__(self, data, parents=(), op="", name=""):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self.op = op
        self.name = name
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "×")

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = backward
        return out

    def __sub__(self, other):
        return self + (other * -1 if isinstance(other, Value) else Value(-other))

    def square(self):
        out = Value(self.data ** 2, (self,), "²")

        def backward():
            self.grad += 2 * self.data * out.grad
        out._backward = backward
        return out

    def sigmoid(self):
        s = 1 / (1 + math.exp(-self.data)) if self.data >= 0 else math.exp(self.data) / (1 + math.exp(self.data))
        out = Value(s, (self,), "σ")

        def backward():
            self.grad += s * (1 - s) * out.grad  # σ'(z) = σ(z)(1 - σ(z))
        out._backward = backward
        return out

    def backward(self):
        """Fill .grad of every node that this one depends on, with d(self)/d(node)."""
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for p in v.parents:
                    visit(p)
                order.append(v)
        visit(self)
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            v._backward()

    def __repr__(self):
        return f"Value({self.name or self.op}={self.data:.4g}, grad={self.grad:.4g})"


def logistic_graph(w, b, x, t, lam=0.0):
    """The lecture's univariate logistic least squares: z = wx + b, y = σ(z), L = (y - t)²/2,
    plus lam/2 · w² when lam > 0. Returns the named nodes after forward and backward."""
    nodes = {k: Value(v, name=k) for k, v in dict(w=w, b=b, x=x, t=t).items()}
    wx = nodes["w"] * nodes["x"]
    wx.name = "wx"
    z = wx + nodes["b"]
    z.name = "z"
    y = z.sigmoid()
    y.name = "y"
    err = y - nodes["t"]
    err.name = "y - t"
    loss = err.square() * 0.5
    loss.name = "L"
    named = dict(nodes, wx=wx, z=z, y=y, err=err)
    if lam:
        reg = nodes["w"].square() * (lam / 2)
        reg.name = "λ/2·w²"
        loss = loss + reg
        loss.name = "L + λ/2·w²"
        named["reg"] = reg
    named["L"] = loss
    loss.backward()
    return named


def numerical_gradient(w, b, x, t, lam=0.0, h=1e-6):
    """(dL/dw, dL/db) by central differences (L(p + h) - L(p - h)) / 2h."""
    def L(w_, b_):
        return logistic_graph(w_, b_, x, t, lam)["L"].data
    return (L(w + h, b) - L(w - h, b)) / (2 * h), (L(w, b + h) - L(w, b - h)) / (2 * h)


def logistic_edges(lam=0.0):
    """(from, to, operation) for drawing logistic_graph's nodes."""
    edges = [("w", "wx", "×"), ("x", "wx", "×"), ("wx", "z", "+"), ("b", "z", "+"), ("z", "y", "σ"),
             ("y", "err", "−"), ("t", "err", "−"), ("err", "L", "½(·)²")]
    if lam:
        edges += [("w", "reg", "λ/2·(·)²"), ("reg", "L", "+")]
    return edges


def graph_dot(named, edges, show_grad=True):
    """The graph as Graphviz DOT text, each node labelled with its value (and gradient)."""
    lines = ["digraph G {", "rankdir=LR;",
             'node [shape=box, style="rounded,filled", fillcolor="#f4f6fa", fontname="Helvetica"];']
    for k, v in named.items():
        label = f"{v.name or k}\\n= {v.data:.4g}"
        if show_grad:
            label += f"\\n∂L/∂{v.name or k} = {v.grad:.4g}"
        lines.append(f'"{k}" [label="{label}"];')
    lines += [f'"{a}" -> "{b}" [label="{op}"];' for a, b, op in edges]
    lines.append("}")
    return "\n".join(lines)


XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)


def xor_net(hidden=4, seed=0):
    """A 2-hidden-1 network with tanh and a sigmoid output, for XOR (float64)."""
    from engine import nn

    return nn.Sequential([nn.Dense(2, hidden, seed=seed), nn.Tanh(), nn.Dense(hidden, 1, seed=seed + 1),
                          nn.Sigmoid()]).astype(np.float64)


def xor_train(model, optimizer, steps):
    """`steps` full-batch steps on the four XOR points with squared error; returns the losses."""
    from engine import nn

    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss, d = nn.mse(model.forward(XOR_X), XOR_Y)
        model.backward(d)
        optimizer.step()
        losses.append(loss)
    return losses


def decision_surface(model, n=60):
    """The network's output on an n x n grid over [-0.5, 1.5]^2: (n, n), row 0 at the top (x2 = 1.5)."""
    a = np.linspace(-0.5, 1.5, n)
    x1, x2 = np.meshgrid(a, a[::-1])
    return model.forward(np.stack([x1.ravel(), x2.ravel()], axis=1), training=False).reshape(n, n)
