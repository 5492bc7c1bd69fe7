"""Optimizers: each step() updates every parameter of a model in place from its gradient.

    SGD       v = mu v - lr g;            p += v
    RMSprop   s = rho s + (1 - rho) g^2;  p -= lr g / (sqrt(s) + eps)
    Adam      m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
              p -= lr m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
"""

import numpy as np

from engine._kernels import optim as optim_kernels
from engine.arguments import real_number
from engine.finite import all_finite


class Optimizer:
    def __init__(self, model, lr):
        self.model = model
        self.lr = real_number(lr, "learning rate", above=0)
        self.state = {}

    def _slots(self, key, shape_like, n):
        if key not in self.state:
            self.state[key] = [np.zeros_like(shape_like) for _ in range(n)]
        return self.state[key]

    def zero_grad(self):
        self.model.zero_grad()

    def step(self):
        for layer, name in self.model.parameters():
            self.update((id(layer), name), layer.params[name], layer.grads[name])

    def checked_update(self):
        """(updated, gradients_finite): checked_step() if every gradient is finite, else no
        update at all, (False, False)."""
        if not all(all_finite(layer.grads[name]) for layer, name in self.model.parameters()):
            return False, False
        return self.checked_step(), True

    def checked_step(self):
        """step(), unless it would make a weight NaN or infinite: then every weight is put back
        as it was and the result is False (the running averages may have moved)."""
        params = [layer.params[name] for layer, name in self.model.parameters()]
        before = [p.copy() for p in params]
        self.step()
        if all(all_finite(p) for p in params):
            return True
        for p, old in zip(params, before):
            p[...] = old
        return False


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum mu."""

    def __init__(self, model, lr, momentum=0.0):
        super().__init__(model, lr)
        self.momentum = real_number(momentum, "momentum", at_least=0, below=1)

    def update(self, key, p, g):
        if self.momentum == 0:
            p -= self.lr * g
            return
        (v,) = self._slots(key, p, 1)
        v *= self.momentum
        v -= self.lr * g
        p += v


class RMSprop(Optimizer):
    """Divide each step by a running root-mean-square of recent gradients."""

    def __init__(self, model, lr, rho=0.9, eps=1e-8):
        super().__init__(model, lr)
        self.rho = real_number(rho, "RMSprop rho", at_least=0, below=1)
        self.eps = real_number(eps, "RMSprop epsilon", above=0)

    def update(self, key, p, g):
        (s,) = self._slots(key, p, 1)
        s *= self.rho
        s += (1 - self.rho) * g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)


def _adam_kernel(p):
    """The kernel for p: small parameters stay on one thread, where waking the others costs more."""
    return optim_kernels.adam_update if p.size >= 65536 else optim_kernels.adam_update_serial


class Adam(Optimizer):
    """Momentum and RMSprop together, with bias correction for the first steps."""

    def __init__(self, model, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(model, lr)
        self.beta1 = real_number(beta1, "Adam beta1", at_least=0, below=1)
        self.beta2 = real_number(beta2, "Adam beta2", at_least=0, below=1)
        self.eps = real_number(eps, "Adam epsilon", above=0)
        self.t = 0
        self._plan_for, self._plan = None, None  # see _kernel_plan

    def step(self):
        self.t += 1
        super().step()

    def checked_update(self):
        """Optimizer.checked_update with the gradients checked in the update's own pass: where a
        gradient is not finite the kernels leave the weight and its averages alone, and the
        whole update is undone (the other weights' running averages have moved)."""
        if self._kernel_plan() is None:
            return super().checked_update()
        if self.checked_step():
            return True, True
        return False, all(all_finite(layer.grads[name]) for layer, name in self.model.parameters())

    def checked_step(self):
        """Optimizer.checked_step with the copies and the check made in the update's own pass."""
        self.t += 1
        plan = self._kernel_plan()
        if plan is None:
            return self._checked_step_by_update()
        b1, b2, eps = self.beta1, self.beta2, self.eps
        step_size, v_hat_scale = self._bias_corrections()
        bad = 0
        for update, p, g, m, v, backup, tiny in plan:
            bad += update(p, g, m, v, b1, b2, step_size, v_hat_scale, eps, tiny, backup)
        if bad == 0:
            return True
        for _, p, _, _, _, backup, _ in plan:
            p[...] = backup
        return False

    def _checked_step_by_update(self):
        undo, bad = [], 0
        for layer, name in self.model.parameters():
            p = layer.params[name]
            backup = np.empty_like(p)
            undo.append((p, backup))
            bad += self.update((id(layer), name), p, layer.grads[name], backup)
        if bad == 0:
            return True
        for p, backup in undo:
            p[...] = backup
        return False

    def _kernel_plan(self):
        """For each parameter, the kernel and its flat arrays (p, g, m, v, backup) and the
        dtype's smallest normal number, or None when some parameter does not suit the kernels.

        A training step calls checked_step once per batch: building these views anew each
        time cost more than the small parameters' updates. The plan is made again when the
        model's arrays change (astype, load, a learner assigning new ones).
        """
        pairs = [(layer.params[name], layer.grads[name], (id(layer), name))
                 for layer, name in self.model.parameters()]
        if self._plan_for is not None and len(pairs) == len(self._plan_for) and all(
                p is p0 and g is g0 for (p, g, _), (p0, g0) in zip(pairs, self._plan_for)):
            return self._plan
        plan = []
        for p, g, key in pairs:
            if not (p.flags.c_contiguous and g.flags.c_contiguous and g.dtype == p.dtype
                    and p.dtype in (np.float32, np.float64)):
                plan = None
                break
            m, v = self._slots(key, p, 2)
            plan.append((_adam_kernel(p), p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1),
                         np.empty(p.size, p.dtype), np.finfo(p.dtype).tiny))
        self._plan_for, self._plan = [(p, g) for p, g, _ in pairs], plan
        return plan

    def _bias_corrections(self):
        """(lr / (1 - b1^t), 1 / (1 - b2^t)): the step size and the scale of v."""
        return self.lr / (1 - self.beta1 ** self.t), 1 / (1 - self.beta2 ** self.t)

    def update(self, key, p, g, backup=None):
        """Adam's update of p from g; with backup (shaped like p), p's old values go there.
        Returns how many of p's new values are NaN or infinite."""
        m, v = self._slots(key, p, 2)
        step_size, v_hat_scale = self._bias_corrections()
        if p.flags.c_contiguous and g.flags.c_contiguous and g.dtype == p.dtype:
            saved = np.empty(0, p.dtype) if backup is None else backup.reshape(-1)
            return _adam_kernel(p)(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), self.beta1,
                                   self.beta2, step_size, v_hat_scale, self.eps, np.finfo(p.dtype).tiny, saved)
        if backup is not None:
            backup[...] = p
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        p -= step_size * m / (np.sqrt(v * v_hat_scale) + self.eps)
        return int(p.size - np.isfinite(p).sum())
