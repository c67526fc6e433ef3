"""Optimizers for network parameters: Adam on minibatches and full-batch L-BFGS, with early stopping.

Both minimize ``loss(indices, gradient=True) -> (value, [gradient per parameter array])`` over
training indices, update the parameter arrays in place, and keep the parameters with the lowest
validation loss (:class:`EarlyStopping`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Adam", "EarlyStopping", "fit_adam", "fit_lbfgs"]


class EarlyStopping:
    """Keeps the history and the parameters with the lowest validation loss; signals when to stop.

    Parameters
    ----------
    params : list of arrays
        The parameters being optimized (modified in place by the optimizer).
    history : dict of lists
        ``train_loss``, ``validation_loss``, ``learning_rate``; extended every epoch.
    patience : int
        Stop after this many epochs without an improvement of the validation loss.
    checkpoint : callable, optional
        Called every ``every`` epochs (and by :meth:`save`) with the best parameters in place, so
        that a long fit interrupted by a crash or Ctrl-C can be continued from its last save.
    """

    def __init__(self, params, history, patience, checkpoint=None, every: int = 20):
        self.params, self.history, self.patience = params, history, patience
        self.checkpoint, self.every = checkpoint, every
        self.best, self.best_loss, self.since_best = None, np.inf, 0

    def update(self, train_loss, validation_loss, learning_rate):
        """Record one epoch; returns (improved, stop)."""
        self.history["train_loss"].append(float(train_loss))
        self.history["validation_loss"].append(float(validation_loss))
        self.history["learning_rate"].append(float(learning_rate))
        improved = validation_loss < self.best_loss * (1 - 1e-4)
        if improved:
            self.best, self.best_loss, self.since_best = [p.copy() for p in self.params], validation_loss, 0
        else:
            self.since_best += 1
        if self.checkpoint is not None and len(self.history["train_loss"]) % self.every == 0:
            self.save()
        return improved, self.since_best >= self.patience

    def save(self):
        """Call ``checkpoint`` with the best parameters in place, then put the current ones back."""
        if self.checkpoint is None or self.best is None:
            return
        current = [p.copy() for p in self.params]
        self.restore()
        try:
            self.checkpoint()
        finally:
            for p, c in zip(self.params, current):
                p[...] = c

    def restore(self):
        """Put the best parameters back."""
        if self.best is not None:
            for p, b in zip(self.params, self.best):
                p[...] = b


class Adam:
    """Adam (Kingma & Ba), updating ``params`` in place."""

    def __init__(self, params, learning_rate, beta1=0.9, beta2=0.999, eps=1e-12):
        self.params, self.learning_rate = params, learning_rate
        self.beta1, self.beta2, self.eps, self.t = beta1, beta2, eps, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        c1, c2 = 1 - self.beta1**self.t, 1 - self.beta2**self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= self.learning_rate * (m / c1) / (np.sqrt(v / c2) + self.eps)


def _show(bar, history):
    bar.update(1)
    bar.set_postfix(train=f"{history['train_loss'][-1]:.3g}", validation=f"{history['validation_loss'][-1]:.3g}")


def fit_adam(loss, train, check, stopping: EarlyStopping, bar, *, rng, epochs, batch_size, learning_rate,
             patience, decay):
    """Adam over shuffled minibatches of ``train``; the rate is multiplied by ``decay`` after
    ``patience`` epochs without improvement of the loss on ``check``."""
    adam = Adam(stopping.params, learning_rate)
    since_decay = 0
    for _ in range(epochs):
        rng.shuffle(train)
        total = 0.0
        for start in range(0, len(train), batch_size):
            idx = train[start:start + batch_size]
            value, grads = loss(idx)
            adam.step(grads)
            total += value * len(idx)
        improved, stop = stopping.update(total / len(train), loss(check, gradient=False)[0], adam.learning_rate)
        _show(bar, stopping.history)
        since_decay = 0 if improved else since_decay + 1
        if since_decay >= patience:
            adam.learning_rate *= decay
            since_decay = 0
        if stop:
            break


def fit_lbfgs(loss, train, check, stopping: EarlyStopping, bar, *, epochs):
    """Full-batch L-BFGS (scipy) for at most ``epochs`` iterations."""
    from scipy.optimize import minimize

    params = stopping.params
    bounds = np.cumsum([0] + [p.size for p in params])

    def unpack(x):
        for p, a, b in zip(params, bounds[:-1], bounds[1:]):
            p[...] = x[a:b].reshape(p.shape)

    def objective(x):
        unpack(x)
        value, grads = loss(train)
        return value, np.concatenate([g.ravel() for g in grads])

    def callback(intermediate_result):
        unpack(intermediate_result.x)
        _, stop = stopping.update(float(intermediate_result.fun), loss(check, gradient=False)[0], np.nan)
        _show(bar, stopping.history)
        if stop:
            raise StopIteration

    x0 = np.concatenate([p.ravel() for p in params])
    minimize(objective, x0, jac=True, method="L-BFGS-B", callback=callback,
             options={"maxiter": epochs, "maxcor": 30, "ftol": 0.0, "gtol": 0.0})
