"""A tiny scalar computation graph (in the spirit of micrograd) and a NumPy MLP for XOR.

The scalar graph follows the lecture's notation: every node keeps its forward value and its
error signal, written x-bar in the lecture, the derivative of the loss with respect to it.

    >>> g = logistic_graph(w=2.0, b=-1.0, x=1.5, t=1.0)
    >>> round(g.node("y").value, 4)
    0.8808
"""

import math
from dataclasses import dataclass, field

import numpy as np


class Value:
    """A scalar node: its value, its error signal (grad), its parents and how it was made."""

    def __init__(self, value, parents=(), op="", name=""):
        self.value = float(value)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.op = op
        self.name = name
        self._backward = lambda: None

    def __repr__(self):
        return f"Value({self.name or self.op}={self.value:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _wrap(other):
        return other if isinstance(other, Value) else Value(other, op="const", name=f"{other:g}")

    def __add__(self, other):
        other = self._wrap(other)
        out = Value(self.value + other.value, (self, other), "+")

        def backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = backward
        return out

    __radd__ = __add__

    def __mul__(self, other):
        other = self._wrap(other)
        out = Value(self.value * other.value, (self, other), "*")

        def backward():
            self.grad += other.value * out.grad
            other.grad += self.value * out.grad
        out._backward = backward
        return out

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._wrap(other))

    def __rsub__(self, other):
        return self._wrap(other) + (-self)

    def sigmoid(self):
        z = self.value
        s = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
        out = Value(s, (self,), "sigmoid")

        def backward():
            self.grad += s * (1 - s) * out.grad
        out._backward = backward
        return out

    def tanh(self):
        y = math.tanh(self.value)
        out = Value(y, (self,), "tanh")

        def backward():
            self.grad += (1 - y * y) * out.grad
        out._backward = backward
        return out

    def relu(self):
        out = Value(max(self.value, 0.0), (self,), "relu")

        def backward():
            self.grad += (self.value > 0) * out.grad
        out._backward = backward
        return out

    def square(self):
        out = Value(self.value ** 2, (self,), "square")

        def backward():
            self.grad += 2 * self.value * out.grad
        out._backward = backward
        return out

    def topological(self):
        """Every node this one depends on, parents before children (the lecture's v_1..v_N)."""
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for p in v.parents:
                    visit(p)
                order.append(v)
        visit(self)
        return order

    def backward(self):
        """Set every error signal: this node's is 1, then children before parents."""
        order = self.topological()
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


@dataclass
class GraphNode:
    """One named node of a lesson graph, for drawing: value, error signal and the rules used."""
    name: str
    label: str
    value: float
    grad: float
    forward_rule: str
    backward_rule: str
    inputs: tuple = ()


@dataclass
class LessonGraph:
    nodes: list
    loss: float
    lam: float = 0.0
    order: list = field(default_factory=list)

    def node(self, name):
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    @property
    def gradients(self):
        return {n.name: n.grad for n in self.nodes if n.name in ("w", "b")}


def _finite(name, v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {v!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, not {v}")
    return v


def logistic_graph(w, b, x, t, lam=0.0):
    """The lecture's univariate logistic least-squares example as a computation graph.

    z = w x + b, y = sigmoid(z), L = (y - t)^2 / 2, R = w^2 / 2, L_reg = L + lam R.
    Returns a LessonGraph whose nodes are in forward (topological) order, each with its value
    and its error signal after backward; with lam == 0 the R and L_reg nodes are left out.
    """
    w, b, x, t, lam = (_finite(n, v) for n, v in (("w", w), ("b", b), ("x", x), ("t", t), ("lambda", lam)))
    if lam < 0:
        raise ValueError(f"the regularisation strength lambda cannot be negative, not {lam}")
    W, B, X, T = Value(w, name="w"), Value(b, name="b"), Value(x, name="x"), Value(t, name="t")
    Z = W * X + B
    Y = Z.sigmoid()
    L = 0.5 * (Y - T).square()
    named = [(W, "w"), (B, "b"), (X, "x"), (T, "t"), (Z, "z"), (Y, "y"), (L, "L")]
    top = L
    if lam > 0:
        R = 0.5 * W.square()
        top = L + lam * R
        named += [(R, "R"), (top, "L_reg")]
    top.backward()
    rules = {
        "w": ("given", r"\bar w = \bar z\,x" + (r" + \bar{\mathcal R}\,w" if lam > 0 else ""), ()),
        "b": ("given", r"\bar b = \bar z", ()),
        "x": ("given", r"\bar x = \bar z\,w", ()),
        "t": ("given (target)", r"\bar t = -\bar y", ()),
        "z": ("z = wx + b", r"\bar z = \bar y\,\sigma'(z) = \bar y\,y(1-y)", ("w", "x", "b")),
        "y": (r"y = \sigma(z)", r"\bar y = \bar{\mathcal L}\,(y - t)", ("z",)),
        "L": (r"\mathcal L = \tfrac12 (y-t)^2", r"\bar{\mathcal L} = " + ("1" if lam == 0 else r"\overline{\mathcal L_{reg}} = 1"), ("y", "t")),
        "R": (r"\mathcal R = \tfrac12 w^2", r"\bar{\mathcal R} = \lambda\,\overline{\mathcal L_{reg}}", ("w",)),
        "L_reg": (r"\mathcal L_{reg} = \mathcal L + \lambda \mathcal R", r"\overline{\mathcal L_{reg}} = 1", ("L", "R")),
    }
    labels = {"L": "ℒ", "R": "ℛ", "L_reg": "ℒ_reg"}
    nodes = [GraphNode(n, labels.get(n, n), v.value, v.grad, *rules[n]) for v, n in named]
    return LessonGraph(nodes, top.value, lam, [n.name for n in nodes])


def logistic_loss(w, b, x, t, lam=0.0):
    """The regularised loss as a plain number (used by the numerical check)."""
    z = w * x + b
    y = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    return 0.5 * (y - t) ** 2 + lam * 0.5 * w * w


def relative_error(a, b):
    """|a - b| / max(|a|, |b|), with a floor so that two near-zero numbers compare as equal."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)), 1e-12)
    return float(np.abs(a - b).max(initial=0.0) / scale)


def logistic_gradient_check(w, b, x, t, lam=0.0, h=1e-5):
    """Analytic (backprop) against central-difference gradients of the loss for w and b.

    Returns {name: (analytic, numeric, relative_error)}.
    """
    g = logistic_graph(w, b, x, t, lam)
    out = {}
    for name in ("w", "b"):
        args = {"w": float(w), "b": float(b)}
        args[name] += h
        plus = logistic_loss(args["w"], args["b"], float(x), float(t), float(lam))
        args[name] -= 2 * h
        minus = logistic_loss(args["w"], args["b"], float(x), float(t), float(lam))
        numeric = (plus - minus) / (2 * h)
        analytic = g.node(name).grad
        out[name] = (analytic, numeric, relative_error(analytic, numeric))
    return out


# --- the XOR multilayer perceptron -------------------------------------------------------

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_T = np.array([[0], [1], [1], [0]], dtype=np.float64)
_ACTS = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda h: h * (1 - h)),
    "tanh": (np.tanh, lambda h: 1 - h * h),
}


class XorMLP:
    """A 2-H-1 network learning XOR with full-batch gradient descent, one step at a time.

    h = act(x W1 + b1): (4, H); y = sigmoid(h W2 + b2): (4, 1); loss = mean (y - t)^2 / 2.
    The backward pass is the lecture's: y_bar = (y - t)/N, W2_bar = h^T y_bar,
    h_bar = y_bar W2^T, z_bar = h_bar * act'(z), W1_bar = x^T z_bar.
    """

    def __init__(self, hidden=4, activation="tanh", lr=0.5, seed=0):
        if activation not in _ACTS:
            raise ValueError(f"activation must be one of {sorted(_ACTS)}, not {activation!r}")
        if not isinstance(hidden, (int, np.integer)) or not 1 <= hidden <= 64:
            raise ValueError(f"the hidden layer needs between 1 and 64 units, not {hidden!r}")
        lr = float(lr)
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"the learning rate must be a positive number, not {lr}")
        rng = np.random.default_rng(seed)
        self.activation, self.lr, self.hidden = activation, lr, int(hidden)
        self.params = {
            "W1": rng.normal(0, 1.0, (2, hidden)), "b1": np.zeros(hidden),
            "W2": rng.normal(0, 1.0, (hidden, 1)), "b2": np.zeros(1),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.losses = [self.loss()]
        self.steps = 0

    def forward(self, x):
        """x: (N, 2) -> (h: (N, H), y: (N, 1))."""
        act = _ACTS[self.activation][0]
        h = act(x @ self.params["W1"] + self.params["b1"])
        y = _ACTS["sigmoid"][0](h @ self.params["W2"] + self.params["b2"])
        return h, y

    def loss(self):
        _, y = self.forward(XOR_X)
        return float(np.mean((y - XOR_T) ** 2) / 2)

    def backward(self):
        """Fill self.grads for the XOR batch; returns the loss before the update."""
        h, y = self.forward(XOR_X)
        n = len(XOR_X)
        y_bar = (y - XOR_T) / n
        zo_bar = y_bar * y * (1 - y)
        self.grads["W2"] = h.T @ zo_bar
        self.grads["b2"] = zo_bar.sum(axis=0)
        h_bar = zo_bar @ self.params["W2"].T
        z_bar = h_bar * _ACTS[self.activation][1](h)
        self.grads["W1"] = XOR_X.T @ z_bar
        self.grads["b1"] = z_bar.sum(axis=0)
        return float(np.mean((y - XOR_T) ** 2) / 2)

    def step(self, n=1):
        """n steps of gradient descent, p -= lr * grad; returns the loss after them."""
        for _ in range(int(n)):
            self.backward()
            for k in self.params:
                self.params[k] -= self.lr * self.grads[k]
            self.steps += 1
            self.losses.append(self.loss())
        return self.losses[-1]

    def predictions(self):
        return self.forward(XOR_X)[1][:, 0]

    def surface(self, resolution=41, lo=-0.5, hi=1.5):
        """The network's output on a grid: (xs, ys, out) with out: (resolution, resolution),
        out[i, j] at x1 = xs[j], x2 = ys[i]."""
        xs = np.linspace(lo, hi, resolution)
        g1, g2 = np.meshgrid(xs, xs)
        _, y = self.forward(np.stack([g1.ravel(), g2.ravel()], axis=1))
        return xs, xs, y.reshape(resolution, resolution)

    def numerical_check(self, h=1e-6):
        """Backprop against central differences for every parameter: {name: (analytic, numeric, rel_err)}."""
        self.backward()
        out = {}
        for k, p in self.params.items():
            num = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + h
                plus = self.loss()
                p[i] = old - h
                minus = self.loss()
                p[i] = old
                num[i] = (plus - minus) / (2 * h)
            out[k] = (self.grads[k].copy(), num, relative_error(self.grads[k], num))
        return out


# --- the convolution filter gradient ------------------------------------------------------

def conv_filter_gradient(x, w, dy, h=1e-6):
    """The filter gradient three ways for one channel, float64.

    x: (H, W), w: (F, F), dy: (H-F+1, W-F+1), stride 1, no padding.
    Returns (dw_backprop, dw_correlation, dw_numeric, rel_err_correlation, rel_err_numeric):
    engine.conv2d_backward's dw, engine.conv2d(x, dy) (the input correlated with the upstream
    gradient) and central differences of sum(conv2d(x, w) * dy).
    """
    import engine  # the graph above needs no engine; the filter gradient uses its conv ops

    x = np.asarray(x, dtype=np.float64)
    w = np.array(w, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    if x.ndim != 2 or w.ndim != 2 or dy.ndim != 2:
        raise ValueError("the input, the filter and the upstream gradient must each be a 2-D grid")
    expect = (x.shape[0] - w.shape[0] + 1, x.shape[1] - w.shape[1] + 1)
    if dy.shape != expect:
        raise ValueError(f"the upstream gradient must have the output's shape {expect}, not {dy.shape}")
    x4, w4, dy4 = x[None, None], w[None, None], dy[None, None]
    _, dw, _ = engine.conv2d_backward(dy4, x4, w4)
    corr = engine.conv2d(x4, dy4)[0, 0]
    num = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        old = w[i]
        w[i] = old + h
        plus = float(np.sum(engine.conv2d(x4, w[None, None]) * dy4))
        w[i] = old - h
        minus = float(np.sum(engine.conv2d(x4, w[None, None]) * dy4))
        w[i] = old
        num[i] = (plus - minus) / (2 * h)
    dw = dw[0, 0]
    return dw, corr, num, relative_error(dw, corr), relative_error(dw, num)
