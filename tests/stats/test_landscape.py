"""Loss landscapes: the vectorised grid against a direct loop, and the curvature facts."""

import numpy as np
import pytest
import torch

from logitlab.losses import get_loss
from logitlab.stats import landscape


def direct(loss, w, x, y):
    """Loss, gradient and Hessian at one point, by autograd on the package's torch losses."""
    xt = torch.as_tensor(x, dtype=torch.float64).reshape(-1, 1)
    yt = torch.as_tensor(y, dtype=torch.float64).reshape(-1, 1)

    def value(params):
        return get_loss(loss)(params[0] + params[1] * xt, yt)

    point = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    out = value(point)
    (grad,) = torch.autograd.grad(out, point)
    hess = torch.autograd.functional.hessian(value, point.detach())
    return out.item(), grad.numpy(), hess.numpy()


@pytest.fixture(scope="module")
def xy(lecture_data):
    return lecture_data.x.double().numpy(), lecture_data.y.double().numpy()


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_grid_matches_a_direct_loop(loss, xy, monkeypatch):
    monkeypatch.setattr(landscape, "CHUNK_ELEMENTS", 3 * 2000)  # force several chunks
    points = np.array(
        [
            [-1.0, 5.0],
            [-0.847, -0.3467],
            [12.0, -10.0],
            [3.0, 8.0],
            [-4.0, -2.0],
            [0.0, 0.0],
            [2.5, 14.0],
        ]
    )
    ev = landscape.evaluate(loss, points, *xy)
    for k, w in enumerate(points):
        value, grad, hess = direct(loss, w, *xy)
        assert ev.loss[k] == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(ev.grad[k], grad, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(ev.hess[k], hess, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(ev.min_eigenvalue[k], np.linalg.eigvalsh(hess)[0], atol=1e-14)


def test_surface_is_laid_out_rows_w1_columns_w0(xy):
    w0, w1 = np.array([-2.0, 0.0, 1.0]), np.array([1.0, 4.0])
    surf = landscape.surface("mse", *xy, w0, w1)
    assert surf.loss.shape == (2, 3)
    assert surf.loss[1, 0] == pytest.approx(direct("mse", [-2.0, 4.0], *xy)[0], rel=1e-12)


@pytest.fixture(scope="module")
def default_surfaces(xy):
    w0, w1 = landscape.grid([-1.0, 5.0], size=41)
    return {loss: landscape.surface(loss, *xy, w0, w1) for loss in ("bce", "mse")}


def test_bce_is_convex_on_the_grid(default_surfaces):
    assert default_surfaces["bce"].min_eigenvalue.min() >= 0


def test_mse_has_negative_curvature_on_the_default_grid(default_surfaces):
    assert default_surfaces["mse"].min_eigenvalue.min() < -1e-3


def test_grid_spans_center_and_included_points():
    w0, w1 = landscape.grid([-1.0, 5.0], include=[[12.0, -10.0]], size=5)
    assert len(w0) == len(w1) == 5
    assert w0[0] == -6.0 and w0[-1] > 12.0 and w1[0] < -10.0 and w1[-1] == 15.0


def test_minimising_bce_gives_the_mle(xy):
    from logitlab.stats import mle

    target = mle.fit(*xy).params
    np.testing.assert_allclose(landscape.minimise("bce", *xy, [0.0, 0.0]), target, atol=1e-8)


def test_mse_minimum_is_a_minimum_away_from_the_mle(xy):
    from logitlab.stats import mle

    target = mle.fit(*xy).params
    point = landscape.minimise("mse", *xy, [-0.847, -0.3467])
    ev = landscape.evaluate("mse", point, *xy)
    assert ev.grad_norm[0] < 1e-12 and ev.min_eigenvalue[0] > 0
    assert np.linalg.norm(point - target) > 0.05
