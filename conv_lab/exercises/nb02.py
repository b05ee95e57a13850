"""Exercise checkers for notebook 02: im2col and col2im."""

import numpy as np

from ..blocks import output_size
from ..columns import col2im, im2col
from ._common import matches as _matches
from ._common import run_checker as _run


def _im2col_cases():
    rng = np.random.default_rng(202)
    specs = [
        ((1, 1, 4, 5), 3, 1, 0),
        ((2, 3, 5, 5), 2, 1, 0),
        ((1, 2, 6, 7), 3, 2, 0),
        ((2, 2, 5, 4), 3, 1, 1),
        ((1, 3, 7, 6), (2, 3), 2, 1),
    ]
    return [dict(x=rng.integers(0, 9, s).astype(float), kernel_size=k, stride=st, padding=p) for s, k, st, p in specs]


def check_im2col(fn):
    """Check ``fn(x, kernel_size, stride, padding) -> cols`` against :func:`im2col`."""

    def diagnose(a, got, expected):
        x, k, s, p = a["x"], a["kernel_size"], a["stride"], a["padding"]
        got = np.asarray(got)
        KH, KW = (k, k) if isinstance(k, int) else k
        N, C = x.shape[:2]
        if got.shape == expected.shape:
            OH = output_size(x.shape[2], KH, s, p)
            OW = output_size(x.shape[3], KW, s, p)
            as_khkwc = expected.reshape(-1, C, KH, KW).transpose(0, 2, 3, 1).reshape(expected.shape)
            if _matches(got, as_khkwc):
                return (
                    "columns are in (kh, kw, c) order; they must run c first, then kh, then kw: the order of "
                    "w.reshape(F, -1)"
                )
            as_owoh = expected.reshape(N, OH, OW, -1).transpose(0, 2, 1, 3).reshape(expected.shape)
            if _matches(got, as_owoh):
                return "rows are in (n, ow, oh) order; walk the windows row by row: (n, oh, ow)"
            return (
                "right shape, wrong numbers: row (n*OH + i)*OW + j must hold the window whose top-left "
                "corner is at (i*stride, j*stride) of the padded x"
            )
        if p and got.shape[0] == N * output_size(x.shape[2], KH, s, 0) * output_size(x.shape[3], KW, s, 0):
            return "padding ignored: pad x with zeros on every side before taking windows"
        if s > 1 and got.shape[0] == N * output_size(x.shape[2], KH, 1, p) * output_size(x.shape[3], KW, 1, p):
            return "stride ignored: consecutive windows start `stride` cells apart"
        return f"cols must have shape (N*OH*OW, C*KH*KW) = {expected.shape}"

    _run(
        "im2col",
        fn,
        _im2col_cases(),
        lambda x, kernel_size, stride, padding: im2col(x, kernel_size, stride, padding),
        diagnose,
    )


COVERAGE_CASES = [
    dict(H=h, W=w, kernel_size=k, stride=s, padding=p)
    for h, w, k, s, p in [(4, 4, 3, 1, 0), (5, 6, 2, 1, 0), (7, 7, 3, 2, 0), (5, 5, 3, 1, 1), (6, 5, 3, 2, 2)]
]


def _coverage(H, W, kernel_size, stride, padding):
    ones = np.ones_like(im2col(np.zeros((1, 1, H, W)), kernel_size, stride, padding))
    return col2im(ones, (1, 1, H, W), kernel_size, stride, padding)[0, 0]


def check_coverage(fn):
    """Check ``fn(H, W, kernel_size, stride, padding) -> (H, W)`` counts of windows covering each pixel."""

    def diagnose(a, got, expected):
        got = np.asarray(got)
        H, W, p = a["H"], a["W"], a["padding"]
        if p and got.shape == (H + 2 * p, W + 2 * p):
            return "you returned the padded grid: crop the padding off, it is not part of the input"
        if got.shape == expected.shape and np.all(got <= 1):
            return "each pixel should count every window that covers it: add 1 per window, don't set it to 1"
        return "for every window, add 1 to each of the K*K input pixels under it (skipping the padding)"

    _run("coverage", fn, COVERAGE_CASES, _coverage, diagnose)


__all__ = [
    "check_im2col",
    "check_coverage",
]
