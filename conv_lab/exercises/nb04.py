"""Exercise checkers for notebook 04: the backward pass."""

import numpy as np

from ..blocks import output_size
from ..conv import conv2d_backward
from ..gradcheck import numerical_gradient
from ._common import matches as _matches
from ._common import run_checker as _run
from ._common import same as _same


def _backward_cases():
    rng = np.random.default_rng(404)
    specs = [
        ((1, 1, 4, 4), (1, 1, 3, 3), 1, 0),
        ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
        ((2, 2, 7, 6), (3, 2, 2, 3), 2, 0),
        ((2, 3, 6, 7), (2, 3, 3, 3), 2, 2),
    ]
    cases = []
    for xs, ws, s, p in specs:
        x = rng.standard_normal(xs)
        w = rng.standard_normal(ws)
        dy = rng.standard_normal((xs[0], ws[0], output_size(xs[2], ws[2], s, p), output_size(xs[3], ws[3], s, p)))
        cases.append(dict(dy=dy, x=x, w=w, stride=s, padding=p))
    return cases


def _backward_reference(dy, x, w, stride, padding):
    return conv2d_backward(dy, x, w, stride, padding)


def check_conv_backward(fn):
    """Check ``fn(dy, x, w, stride, padding) -> (dx, dw, db)`` against :func:`conv2d_backward`."""

    def diagnose(a, got, expected):
        dy, x, w, s, p = a["dy"], a["x"], a["w"], a["stride"], a["padding"]
        try:
            dx, dw, db = (np.asarray(g) for g in got)
        except (TypeError, ValueError):
            return "return three arrays: (dx, dw, db)"
        edx, edw, edb = expected
        if not _same(db, edb):
            if _matches(db, dy.sum(axis=(2, 3))) or _matches(db, dy.sum(axis=0)):
                return "db must sum dy over the batch and both spatial axes: dy.sum(axis=(0, 2, 3))"
            return "db[f] is the sum of dy[:, f] over every sample and position"
        if not _same(dw, edw):
            if dw.shape == (w.shape[1], w.shape[0]) + w.shape[2:]:
                return "dw has the shape (C, F, KH, KW); it must match w, (F, C, KH, KW)"
            return "dw = dy_mat.T @ cols, reshaped to w's shape, with dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F)"
        if p and dx.shape == (x.shape[0], x.shape[1], x.shape[2] + 2 * p, x.shape[3] + 2 * p):
            return "dx still includes the padding: crop p rows and columns from every side"
        if dx.shape == edx.shape and _matches(dx, _col2im_assign(dy, x, w, s, p)):
            return "overlapping windows overwrite each other: col2im must add (+=) every window's gradient, not assign"
        return "dcols = dy_mat @ w.reshape(F, -1), then dx = col2im(dcols, x.shape, ...)"

    _run("conv backward", fn, _backward_cases(), _backward_reference, diagnose)


def _col2im_assign(dy, x, w, stride, padding):
    """The classic mistake: scatter windows with '=' instead of '+='."""
    F, C, KH, KW = w.shape
    N, _, H, W = x.shape
    OH, OW = dy.shape[2:]
    dcols = (dy.transpose(0, 2, 3, 1).reshape(-1, F) @ w.reshape(F, -1)).reshape(N, OH, OW, C, KH, KW)
    dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for i in range(OH):
        for j in range(OW):
            dxp[:, :, i * stride : i * stride + KH, j * stride : j * stride + KW] = dcols[:, i, j]
    return dxp[:, :, padding : padding + H, padding : padding + W]


def _grad_cases():
    rng = np.random.default_rng(405)
    fs = [
        ("sum of squares", lambda v: np.sum(v**2)),
        ("sum of sines", lambda v: np.sum(np.sin(v))),
        ("product-ish", lambda v: np.sum(v[:-1] * v[1:]) + v[0] ** 3),
    ]
    return [dict(f=f, x=rng.standard_normal(n)) for (_, f), n in zip(fs, (4, 6, 5))]


def _central(f, x, eps=1e-6):
    return numerical_gradient(lambda v: np.array(f(v)), x, np.array(1.0), eps)


def check_numerical_gradient(fn):
    """Check ``fn(f, x) -> grad``: central differences of a scalar function f at the 1-D point x."""

    def diagnose(a, got, expected):
        got = np.asarray(got, dtype=float)
        if got.shape == expected.shape and np.allclose(got, 2 * expected, rtol=1e-4):
            return "divide by 2*eps: the central difference spans from x - eps to x + eps"
        if got.shape == expected.shape and np.allclose(got, expected / 2, rtol=1e-4):
            return "f(x+eps) - f(x-eps) is a step of 2*eps, so divide by 2*eps, not 4*eps"
        if (
            got.shape == expected.shape
            and np.allclose(got, expected, rtol=1e-2)
            and not np.allclose(got, expected, rtol=1e-6)
        ):
            return (
                "close but not accurate enough: use the central difference (f(x+eps) - f(x-eps)) / "
                "(2*eps), not a one-sided one"
            )
        if got.shape == expected.shape:
            return "restore x[i] after each probe: otherwise later entries are measured at a shifted point"
        return f"return one partial derivative per entry of x: shape {expected.shape}"

    _run("numerical gradient", fn, _grad_cases(), lambda f, x: _central(f, x), diagnose)


__all__ = [
    "check_conv_backward",
    "check_numerical_gradient",
]
