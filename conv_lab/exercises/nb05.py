"""Exercise checkers for notebook 05: dx as a correlation with rot180(w)."""

import numpy as np

from ..blocks import dilate2d, output_size, pad2d, rot180
from ..conv import conv2d, conv2d_backward
from ._common import matches as _matches
from ._common import run_checker as _run


def _rot180_cases():
    """Stride 2 and 3 with leftover rows (a != 0), padding beyond K-1 (a crop), non-square shapes."""
    rng = np.random.default_rng(505)
    specs = [
        ((1, 1, 6, 6), (1, 1, 3, 3), 2, 0),  # a = 1
        ((2, 2, 7, 8), (3, 2, 3, 3), 2, 1),  # a = (0, 1)
        ((1, 2, 6, 6), (2, 2, 2, 2), 2, 2),  # p = 2 > K-1 = 1: crop
        ((2, 3, 9, 7), (2, 3, 3, 2), 3, 1),  # a = (2, 1), non-square kernel
        ((1, 1, 5, 5), (1, 1, 3, 3), 2, 4),  # p = 4 > K-1 = 2: crop, a = 0
    ]
    cases = []
    for xs, ws, s, p in specs:
        w = rng.standard_normal(ws)
        dy = rng.standard_normal((xs[0], ws[0], output_size(xs[2], ws[2], s, p), output_size(xs[3], ws[3], s, p)))
        cases.append(dict(dy=dy, w=w, x_shape=xs, stride=s, padding=p))
    return cases


def _dx_reference(dy, w, x_shape, stride, padding):
    return conv2d_backward(dy, np.zeros(x_shape), w, stride, padding)[0]


def check_dx_rot180(fn):
    """Check ``fn(dy, w, x_shape, stride, padding) -> dx``, dx by the rot180 route, on unseen cases."""

    def diagnose(a, got, expected):
        dy, w, x_shape, s, p = a["dy"], a["w"], a["x_shape"], a["stride"], a["padding"]
        got = np.asarray(got)
        K = w.shape[2:]
        lead = [k - 1 - p for k in K]
        if got.shape != expected.shape:
            short = [e - g for e, g in zip(expected.shape[2:], got.shape[2:])]
            leftover = [(n + 2 * p - k) % s for n, k in zip(x_shape[2:], K)]
            if got.ndim == 4 and short == leftover and any(leftover):
                return f"dx is short by a = {tuple(leftover)} rows/columns: pad the bottom/right by K-1-p+a, not K-1-p"
            if got.ndim == 4 and got.shape[1] == w.shape[0] and w.shape[0] != w.shape[1]:
                return (
                    "swap the kernel's F and C axes, w.transpose(1, 0, 2, 3): dx has C channels, one per input channel"
                )
            return f"dx must have x's shape {expected.shape}"
        if _matches(got, _rot180_variant(dy, w, x_shape, s, p, rotate=False)):
            return "the kernel must be rotated by 180 degrees (w[:, :, ::-1, ::-1]) before the stride-1 correlation"
        if min(lead) >= 0 and _matches(got, _rot180_variant(dy, w, x_shape, s, p, pad_top=[k - 1 for k in K])):
            return "the top/left padding is K-1-p, not K-1: the forward padding moves the first window"
        return (
            "insert s-1 zeros between dy's entries, pad K-1-p on top/left and K-1-p+a on bottom/right "
            "(crop if negative), then correlate with the rotated, F/C-swapped kernel"
        )

    _run("dx by rot180", fn, _rot180_cases(), _dx_reference, diagnose)


def _rot180_variant(dy, w, x_shape, stride, padding, rotate=True, pad_top=None):
    """The rot180 route with one step changed, to recognise a mistake."""
    K = w.shape[2:]
    a = [(n + 2 * padding - k) % stride for n, k in zip(x_shape[2:], K)]
    top = pad_top if pad_top is not None else [k - 1 - padding for k in K]
    bottom = [k - 1 - padding + ai for k, ai in zip(K, a)]
    try:
        g = pad2d(dilate2d(dy, stride), ((top[0], bottom[0]), (top[1], bottom[1])))
        kernel = (rot180(w) if rotate else w).transpose(1, 0, 2, 3)
        return conv2d(g, kernel)
    except ValueError:
        return None


def _dw_cases():
    return [
        dict(
            dy=c["dy"],
            x=np.random.default_rng(506 + i).standard_normal(c["x_shape"]),
            kernel_size=c["w"].shape[2:],
            stride=c["stride"],
            padding=c["padding"],
        )
        for i, c in enumerate(_rot180_cases())
    ]


def check_dw_correlation(fn):
    """Check ``fn(dy, x, kernel_size, stride, padding) -> dw (F, C, KH, KW)``: dw as a "
    "correlation of x with the dilated dy."""

    def reference(dy, x, kernel_size, stride, padding):
        w = np.zeros((dy.shape[1], x.shape[1]) + tuple(kernel_size))
        return conv2d_backward(dy, x, w, stride, padding)[1]

    def diagnose(a, got, expected):
        got = np.asarray(got)
        if (
            got.ndim == 4
            and got.shape[2:] != expected.shape[2:]
            and all(g >= e for g, e in zip(got.shape[2:], expected.shape[2:]))
        ):
            return "dw is too big: crop the a leftover rows/columns of the padded x first; no window ever reached them"
        if got.shape == expected.shape[1::-1] + expected.shape[2:]:
            return "the result comes out as (C, F, KH, KW): transpose it to (F, C, KH, KW)"
        if got.shape != expected.shape:
            return f"dw must have w's shape {expected.shape}; did you dilate dy by the stride?"
        return "dw[f, c] = sum over n of corr2d(x_padded[n, c], dilate2d(dy[n, f], stride))"

    _run("dw by correlation", fn, _dw_cases(), reference, diagnose)


__all__ = [
    "check_dx_rot180",
    "check_dw_correlation",
]
