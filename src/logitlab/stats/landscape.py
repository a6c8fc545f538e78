"""BCE and MSE as functions of the parameters: value, gradient and Hessian, vectorised.

For the model yhat = sigmoid(u), u = w0 + x.w, each loss is a mean over points of l(u_i, y_i)
(l and its derivatives: logitlab.losses), so with the design row z_i = [1, x_i]:

    loss = mean l,   gradient = mean l'(u) z,   Hessian = mean l''(u) z z'.

BCE's l'' >= 0 makes its Hessian positive semi-definite everywhere: convex. MSE's l'' takes
both signs: not convex, and its l' vanishes where the sigmoid saturates (p near 0 or 1) even
when p is the wrong answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import MAX_GRID, check_int
from ..losses import get_derivatives

#: Grid points x data points evaluated at once: bounds memory at ~8 MB per temporary.
CHUNK_ELEMENTS = 1 << 20


@dataclass(frozen=True)
class Evaluation:
    """A loss at m parameter vectors: values (m,), gradients (m, p), Hessians (m, p, p)."""

    loss: np.ndarray
    grad: np.ndarray
    hess: np.ndarray | None

    @property
    def grad_norm(self) -> np.ndarray:
        return np.linalg.norm(self.grad, axis=-1)

    @property
    def min_eigenvalue(self) -> np.ndarray:
        """The Hessian's smallest eigenvalue: < 0 where the loss curves downwards somewhere."""
        return np.linalg.eigvalsh(self.hess)[..., 0]


def evaluate(
    loss: str, params: np.ndarray, x: object, y: object, *, hessian: bool = True
) -> Evaluation:
    """Loss, gradient and Hessian at each row of params ([w0, w1, ..., wd], intercept first).

    Computed as matrix products over chunks of parameter rows, with no loop over single
    points: the per-point derivatives form an (m, n) block, and the moments are that block
    times the design (gradient) or times its row-wise outer products (Hessian).
    """
    derivatives = get_derivatives(loss)
    params = np.atleast_2d(np.asarray(params, dtype=float))
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    y = np.asarray(y, dtype=float).reshape(-1)
    design = np.column_stack((np.ones(len(x)), x))
    n, p = design.shape
    outer = (design[:, :, None] * design[:, None, :]).reshape(n, p * p)
    m = len(params)
    values, grad, hess = np.empty(m), np.empty((m, p)), np.empty((m, p * p))
    step = max(1, CHUNK_ELEMENTS // n)
    for start in range(0, m, step):
        rows = slice(start, start + step)
        l0, l1, l2 = derivatives(params[rows] @ design.T, y)
        values[rows] = l0.mean(axis=1)
        grad[rows] = l1 @ design / n
        if hessian:
            hess[rows] = l2 @ outer / n
    return Evaluation(loss=values, grad=grad, hess=hess.reshape(m, p, p) if hessian else None)


def minimise(
    loss: str, x: object, y: object, start: object, *, tol: float = 1e-12, max_iter: int = 200
) -> np.ndarray:
    """Where gradient descent on `loss` ends if run for ever: a local minimum near `start`.

    Newton steps where the Hessian is positive definite, gradient steps where it is not, each
    halved until the loss goes down. For BCE this is the MLE; for MSE it is a different point.
    """
    w = np.asarray(start, dtype=float).copy()
    for _ in range(max_iter):
        ev = evaluate(loss, w, x, y)
        grad, hess = ev.grad[0], ev.hess[0]
        step = np.linalg.solve(hess, grad) if ev.min_eigenvalue[0] > 0 else grad
        while evaluate(loss, w - step, x, y, hessian=False).loss[0] > ev.loss[0]:
            if np.linalg.norm(step) <= tol * (1.0 + np.linalg.norm(w)):
                break
            step = step / 2.0
        w = w - step
        if np.linalg.norm(step) <= tol * (1.0 + np.linalg.norm(w)):
            break
    return w


@dataclass(frozen=True)
class Surface:
    """One loss over a (w0, w1) grid: arrays indexed [i1, i0] (rows w1, columns w0)."""

    loss_name: str
    w0: np.ndarray
    w1: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    min_eigenvalue: np.ndarray

    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """W0, W1 arrays shaped like loss, for contour and surface plots."""
        return np.meshgrid(self.w0, self.w1)


def surface(loss: str, x: object, y: object, w0: np.ndarray, w1: np.ndarray) -> Surface:
    """Evaluate one loss on the grid w0 x w1 (1-D arrays of values) for one-feature data."""
    w0, w1 = np.asarray(w0, dtype=float), np.asarray(w1, dtype=float)
    W0, W1 = np.meshgrid(w0, w1)
    ev = evaluate(loss, np.column_stack((W0.ravel(), W1.ravel())), x, y)
    shape = W0.shape
    return Surface(
        loss_name=loss,
        w0=w0,
        w1=w1,
        loss=ev.loss.reshape(shape),
        grad_norm=ev.grad_norm.reshape(shape),
        min_eigenvalue=ev.min_eigenvalue.reshape(shape),
    )


#: Default half-widths of the grid around the truth in w0 and w1: wide enough to show the
#: landscape's shape (and MSE's non-convex flanks), not only its bottom.
HALF_WIDTH = (5.0, 10.0)


def grid(
    center: object,
    include: object = (),
    half_width: tuple[float, float] = HALF_WIDTH,
    size: int = 81,
) -> tuple[np.ndarray, np.ndarray]:
    """w0 and w1 axes spanning center +- half_width, widened to hold every `include` point."""
    size = check_int("grid size", size, 3, MAX_GRID)
    center, pad = np.asarray(center, dtype=float), 0.1 * np.asarray(half_width, dtype=float)
    lo, hi = center - half_width, center + half_width
    for point in np.asarray(include, dtype=float).reshape(-1, 2):
        lo, hi = np.minimum(lo, point - pad), np.maximum(hi, point + pad)
    return np.linspace(lo[0], hi[0], size), np.linspace(lo[1], hi[1], size)
