"""Exercise checkers for notebook 04: the backward pass.

1. warm-up: the backward pass of a strided 1-D correlation, by loops (with gaps and leftover entries);
2. dx alone, from dy, w and x's shape, for any stride, padding and dilation (the notebook's loops handle
   dilation 1 only), scattering every window's gradient without col2im;
3. find the bug: dw as a correlation of x with dy, right at stride 1 only;
4. predict, then check: which rows and columns of dx are zero whatever dy and w are, in a dilated layer.
"""

import re

import numpy as np
from termcolor import colored

from ..blocks import output_size, rows_read
from ..conv import conv2d_backward
from ._common import GRADIENT_ROUTINES
from ._common import check_value as _check_value
from ._common import matches as _matches
from ._common import run_checker as _run
from ._common import same as _same

# Routines that would do the scattering (or the whole backward pass) for the student.
_BACKWARD_ROUTINES = GRADIENT_ROUTINES


def _arrays(got, count):
    """``count`` float arrays from a student's tuple, or None. Never raises."""
    try:
        if not isinstance(got, (tuple, list)) or len(got) != count:
            return None
        out = [np.asarray(g, dtype=float) for g in got]
        return out
    except Exception:  # noqa: BLE001
        return None


# --- 1. warm-up: the backward pass of a strided, dilated 1-D correlation ------------------------------


# Whole numbers, so any correct float answer is exact. Case 1 is stride 1, dilation 1; later cases combine a
# stride with a dilation: windows that overlap, taps of neighbouring windows that interleave, gaps (a window
# spans fewer than s entries) and a leftover entry (a = (H - d(K-1) - 1) mod s > 0, no padding).
def _corr1d_case(dy, x, w, stride, dilation):
    return dict(dy=np.array(dy), x=np.array(x), w=np.array(w), stride=stride, dilation=dilation)


CORR1D_CASES = [
    _corr1d_case([1.0, -1.0, 2.0], [0.0, 1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0], 1, 1),
    _corr1d_case([2.0, 0.5, -1.0], [1.0, -2.0, 0.0, 4.0, 1.0, 2.0, -3.0, 1.0], [3.0, -1.0], 2, 3),
    _corr1d_case([1.5, -2.0, 1.0], [2.0, -1.0, 1.0, 5.0, 0.0, 3.0, -2.0, 1.0, 4.0], [1.0, -2.0], 3, 2),
    _corr1d_case(
        [1.0, 2.0, -3.0], [3.0, 1.0, -1.0, 2.0, 0.0, 1.0, -2.0, 2.0, 1.0, 3.0, -1.0, 2.0], [-2.0, 1.0, 3.0], 2, 3
    ),
    _corr1d_case([2.0, -1.0], [1.0, 4.0, -2.0, 0.0, 3.0, 1.0, -1.0, 2.0, 5.0, -3.0, 1.0], [2.0, 1.0, -1.0, 3.0], 3, 2),
]


def _corr1d_backward(dy, x, w, stride, dilation=1, assign=False, flip=False, step=None, tap=None, windows=None):
    """(dx, dw) of y[i] = sum_u x[i*s + u*d] w[u]; the flags build documented mistakes.

    ``step``: where consecutive windows start (default the stride); ``tap``: the spacing of a window's taps
    (default the dilation).
    """
    K = len(w)
    step = stride if step is None else step
    tap = dilation if tap is None else tap
    taps = w[::-1] if flip else w
    dx, dw = np.zeros(len(x) + step * len(dy) + tap * K), np.zeros(K)  # room for any step and tap
    xx = np.concatenate([x, np.zeros(step * len(dy) + tap * K)])
    for i in range(len(dy) if windows is None else windows):
        where = slice(i * step, i * step + tap * (K - 1) + 1, tap)
        if assign:
            dx[where] = dy[i] * taps
        else:
            dx[where] += dy[i] * taps
        dw += dy[i] * xx[where]
    return dx[: len(x)], dw


def check_corr1d_backward(fn):
    """Check ``fn(dy, x, w, stride, dilation) -> (dx, dw)`` for the 1-D correlation with stride and dilation."""

    def diagnose(case, got, expected):
        dy, x, w, s, d = case["dy"], case["x"], case["w"], case["stride"], case["dilation"]
        pair = _arrays(got, 2)
        if pair is None:
            return "return two arrays: (dx, dw)"
        dx, dw = pair
        edx, edw = expected
        a = (len(x) - d * (len(w) - 1) - 1) % s
        if dx.shape == w.shape and dw.shape == x.shape:
            return f"the pair is in the wrong order: return (dx, dw), dx shaped like x {x.shape}, dw like w {w.shape}"
        if dx.shape != x.shape:
            if dx.ndim == 1 and len(x) - a <= len(dx) < len(x):
                return (
                    f"dx has {len(dx)} entries, x has {len(x)}: the leftover entries after the last window (a = {a}) "
                    "are missing. Allocate dx like x (np.zeros(len(x))); entries no window reads keep a zero gradient"
                )
            return f"dx has one entry per input pixel: it must have x's shape {x.shape}, not {dx.shape}"
        if dw.shape != w.shape:
            return f"dw has one entry per weight: it must have w's shape {w.shape}, not {dw.shape}"
        last = _corr1d_backward(dy, x, w, s, d, windows=len(dy) - 1)
        if _same(dw, last[1]) and _same(dx, last[0]):
            return (
                f"the last window is missing: there are OH = {len(dy)} windows, one per entry of dy, so loop "
                "over range(len(dy)) (i = 0 .. OH-1)"
            )
        if s != d and _same(dw, _corr1d_backward(dy, x, w, d, s)[1]):
            return (
                f"stride and dilation are mixed up: windows start s = {s} apart, and a window's taps sit d = {d} "
                "apart, so window i reads x[i*s + u*d]"
            )
        if d > 1 and _same(dw, _corr1d_backward(dy, x, w, s, d, tap=1)[1]):
            return (
                f"the dilation is ignored: this case has d = {d}, so tap u of window i reads x[i*s + u*d], "
                "not x[i*s + u]"
            )
        if s > 1 and _same(dw, _corr1d_backward(dy, x, w, s, d, step=1)[1]):
            return f"window i starts at x[i*s], not x[i]: this case has stride s = {s}, so window i reads x[i*s + u*d]"
        if not _same(dw, edw):
            if _same(dw, edw[::-1]):
                return "dw is reversed: weight u met x[i*s + u*d] in output i, so dw[u] = sum_i dy[i] * x[i*s + u*d]"
            return "dw[u] = sum over outputs i of dy[i] * x[i*s + u*d]: the pixel weight u multiplied in window i"
        if _same(dx, _corr1d_backward(dy, x, w, s, d, assign=True)[0]):
            return "a pixel read by two windows gets two contributions: add them (dx[...] += ...), don't assign (=)"
        if _same(dx, _corr1d_backward(dy, x, w, s, d, flip=True)[0]):
            return "the kernel is reversed in dx: in window i, pixel x[i*s + u*d] met w[u], so it gets dy[i] * w[u]"
        if d > 1 and _same(dx, _corr1d_backward(dy, x, w, s, d, tap=1)[0]):
            return f"in dx, the taps of window i sit d = {d} apart: tap u sends dy[i] * w[u] to x[i*s + u*d]"
        if s > 1 and _same(dx, _corr1d_backward(dy, x, w, s, d, step=1)[0]):
            return f"in dx, window i starts at x[i*s], not x[i]: this case has stride s = {s}"
        return "dx[r] = sum over the windows i and taps u with i*s + u*d = r of dy[i] * w[u]"

    def error_hint(case, exc):
        if isinstance(exc, TypeError) and ("argument" in str(exc) or "positional" in str(exc)):
            return (
                "the checker calls my_corr1d_backward(dy=..., x=..., w=..., stride=..., dilation=...): "
                "keep that signature"
            )
        return None

    _run(
        "1-D backward with stride and dilation",
        fn,
        CORR1D_CASES,
        lambda dy, x, w, stride, dilation: _corr1d_backward(dy, x, w, stride, dilation),
        diagnose,
        forbid=_BACKWARD_ROUTINES + ("corr2d", "convolve2d", "conv2d"),
        diagnose_error=error_hint,
    )


# --- 2. dx of a dilated layer, by scattering, without col2im ---------------------------------------

# (x shape, w shape, stride, padding, dilation). Case 1 has dilation 1, which the notebook's loops
# (backward_by_index) handle at any stride, so a function that ignores the dilation passes it and fails case 2.
_BACKWARD_SPECS = [
    ((1, 1, 5, 5), (1, 1, 3, 3), 1, 0, 1),
    ((2, 3, 9, 8), (4, 3, 3, 2), 1, 1, 2),  # dilation 2, a = (0, 0)
    ((2, 3, 8, 7), (4, 3, 3, 2), 2, 0, 1),  # a = (1, 1) > p: input row 7 and column 6 unread
    ((2, 2, 9, 10), (3, 2, 2, 3), 2, 1, 2),  # s = d = 2: input rows and columns 0, 2, 4, 6, 8 unread
    ((1, 2, 13, 12), (3, 2, 2, 3), 3, 0, 2),  # a = (1, 1) > p; the taps also skip rows 1, 4, 7, 10, columns 1, 9
    ((1, 2, 12, 11), (3, 2, 3, 2), 3, 1, 3),  # s = d = 3: rows and columns 0, 1, 3, 4, 6, 7, 9, 10 unread
]


def _backward_cases(specs=_BACKWARD_SPECS, seed=404):
    """Cases with x, w, dy and the geometry (exercise 3 uses x; exercise 2 gets x's shape only)."""
    rng = np.random.default_rng(seed)
    cases = []
    for xs, ws, s, p, d in specs:
        x = rng.standard_normal(xs)
        w = rng.standard_normal(ws)
        OH, OW = output_size(xs[2], ws[2], s, p, d), output_size(xs[3], ws[3], s, p, d)
        dy = rng.standard_normal((xs[0], ws[0], OH, OW))
        cases.append(dict(dy=dy, x=x, w=w, stride=s, padding=p, dilation=d))
    return cases


def _dx_cases():
    return [
        dict(
            dy=c["dy"], w=c["w"], x_shape=c["x"].shape, stride=c["stride"], padding=c["padding"], dilation=c["dilation"]
        )
        for c in _backward_cases()
    ]


def _dx_reference(dy, w, x_shape, stride, padding, dilation):
    return conv2d_backward(dy, np.zeros(x_shape), w, stride, padding, dilation)[0]


def _scatter(dcols, x_shape, KH, KW, stride, padding, dilation, assign=False, step=None, tap=None, start=None):
    """dx from per-window gradients dcols (N*OH*OW, C*KH*KW), by loops; the flags build mistakes.

    ``step``: where consecutive windows start (default the stride); ``tap``: the spacing of a window's taps
    (default the dilation); ``start``: the first padded row and column kept by the crop (default p).
    """
    N, C, H, W = x_shape
    OH, OW = output_size(H, KH, stride, padding, dilation), output_size(W, KW, stride, padding, dilation)
    step = stride if step is None else step
    tap = dilation if tap is None else tap
    d6 = dcols.reshape(N, OH, OW, C, KH, KW)
    dxp = np.zeros((N, C, H + 2 * padding + step * OH, W + 2 * padding + step * OW))  # room for any step
    for i in range(OH):
        for j in range(OW):
            rows = slice(i * step, i * step + tap * (KH - 1) + 1, tap)
            cols = slice(j * step, j * step + tap * (KW - 1) + 1, tap)
            if assign:
                dxp[:, :, rows, cols] = d6[:, i, j]
            else:
                dxp[:, :, rows, cols] += d6[:, i, j]
    start = padding if start is None else start
    return dxp[:, :, start : start + H, start : start + W]


def _wrong_dx(dy, w, x_shape, stride, padding, dilation):
    """The dx of each documented mistake, keyed by the hint's name."""
    F, C, KH, KW = w.shape
    w_mat = w.reshape(F, -1)  # (F, C*KH*KW)
    dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F)  # (N*OH*OW, F)
    flat = dy.reshape(-1, F)  # the mistake: F is not the last axis of dy
    dcols = dy_mat @ w_mat  # (N*OH*OW, C*KH*KW)
    caffe = (dcols.T).reshape(dcols.shape)  # a (C*KH*KW, N*OH*OW) matrix read as (N*OH*OW, C*KH*KW)
    flipped = dy_mat @ w[:, :, ::-1, ::-1].reshape(F, -1)  # the kernel rotated by 180 degrees
    geometry = (x_shape, KH, KW, stride, padding, dilation)
    return {
        "reshape": _scatter(flat @ w_mat, *geometry),
        "caffe": _scatter(caffe, *geometry),
        "assign": _scatter(dcols, *geometry, assign=True),
        "stride": _scatter(dcols, *geometry, step=1),
        "dilation": _scatter(dcols, *geometry, tap=1),
        "flipped": _scatter(flipped, *geometry),
        "filter0": _scatter(dy_mat[:, :1] @ w_mat[:1], *geometry),
        "mixed": _scatter(dcols, *geometry, step=dilation, tap=stride),
        "crop_top": _scatter(dcols, *geometry, start=0),
        "crop_bottom": _scatter(dcols, *geometry, start=2 * padding),
    }


_HINTS = {
    "reshape": (
        "dy.reshape(-1, F) mixes up the axes: F is axis 1 of dy, not the last one. Move it last first: "
        "dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F), so that row (n*OH + i)*OW + j is window (n, i, j)"
    ),
    "caffe": (
        "a matrix in the transposed layout (windows in columns, as in cs231n and Caffe: shape "
        "(C*KH*KW, N*OH*OW)) was reshaped as if it were (N*OH*OW, C*KH*KW). "
        "A reshape does not transpose: transpose it (.T) first"
    ),
    "uncropped": (
        "dx still includes the padding: the padding is not an input, so crop p rows and columns from every side"
    ),
    "empty": (
        "dx is empty: with padding 0, dxp[:, :, p:-p] is dxp[:, :, 0:0], because -0 is 0. "
        "Crop with dxp[:, :, p:p + H, p:p + W] instead"
    ),
    "short": (
        "dx has fewer rows or columns than x: the leftover input rows at the bottom (columns at the right) are "
        "missing. Allocate the padded gradient with the padded input's shape (N, C, H + 2p, W + 2p), not only "
        "the rows the windows span; input rows no window reads keep a zero gradient"
    ),
    "shape": "dx must have shape x_shape = (N, C, H, W)",
    "assign": (
        "neighbouring windows overlap, and a pixel in several windows gets one contribution from each: "
        "add them (dxp[...] += ...), don't assign (=)"
    ),
    "stride": "the windows start stride rows apart: window (i, j) starts at row i*s, column j*s of the padded dx",
    "flipped": (
        "the kernel is rotated by 180 degrees: in window (i, j), padded pixel (i*s + u*d, j*s + v*d) met "
        "w[f, c, u, v] itself, so it gets dy[n, f, i, j] * w[f, c, u, v]. The scatter flips nothing"
    ),
    "filter0": (
        "dx has only filter 0's share: a pixel gets dy[n, f, i, j] * w[f, c, u, v] from every filter f. "
        "Sum over f (a loop over F, or a product over the filter axis)"
    ),
    "mixed": (
        "stride and dilation are mixed up: windows start s rows apart (row i*s), and a window's taps sit d rows "
        "apart (padded row i*s + u*d)"
    ),
    "crop_top": (
        "the crop keeps the wrong rows and columns: it kept the first H of the padded dx, so it dropped 2p "
        "input rows at the bottom and kept p rows of top padding. Cut p from each side: dxp[:, :, p:p + H, p:p + W]"
    ),
    "crop_bottom": (
        "the crop keeps the wrong rows and columns: it kept the last H of the padded dx, so it dropped 2p "
        "input rows at the top and kept p rows of bottom padding. Cut p from each side: dxp[:, :, p:p + H, p:p + W]"
    ),
    "dx": (
        "dx of padded pixel (r, q) adds dy[n, f, i, j] * w[f, c, u, v] over every window (i, j) and tap (u, v) "
        "with i*s + u*d = r and j*s + v*d = q, summed over f; start from a zero array of the padded input's "
        "shape, add each window's stamp dy * w, then crop the padding"
    ),
}


def _dilation_hint(d):
    return (
        f"dx is right for dilation 1 only, and this case has dilation {d}: tap (u, v) of window (i, j) reads "
        f"padded pixel (i*s + u*d, j*s + v*d), so the window's taps sit d rows apart, not on KH adjacent rows"
    )


def _tolerance(got):
    """The relative tolerance for matching a wrong answer with a mistake: float32's when the answer is float32.

    Whether a float32 answer is right is decided once, in run_checker (at float32's tolerance; values that agree
    only to float32 precision are told to compute in float64): a hint here only names a mistake.
    """
    try:
        kinds = [np.asarray(g).dtype for g in (got if isinstance(got, (tuple, list)) else [got])]
    except Exception:  # noqa: BLE001
        return 1e-9
    return 1e-3 if np.float16 in kinds else 1e-5 if np.float32 in kinds else 1e-9


def _like(got, candidate, rtol):
    """``got`` matches ``candidate`` to ``rtol`` (relative to candidate's largest entry too). Never raises."""
    try:
        scale = float(np.max(np.abs(candidate))) if np.size(candidate) else 0.0
    except Exception:  # noqa: BLE001
        scale = 0.0
    return _matches(got, candidate, rtol=rtol, atol=max(1e-9, rtol * scale))


def _diagnose_dx(case, got, expected):
    dy, w, x_shape, s, p, d = (case[k] for k in ("dy", "w", "x_shape", "stride", "padding", "dilation"))
    try:
        dx = np.asarray(got, dtype=float)
    except Exception:  # noqa: BLE001
        return "return dx, one numpy array of shape x_shape"
    N, C, H, W = x_shape
    if dx.shape != expected.shape:
        if dx.ndim == 4 and dx.shape[:2] == (N, C):
            if p and dx.shape[2:] == (H + 2 * p, W + 2 * p):
                return _HINTS["uncropped"]
            if p == 0 and 0 in dx.shape[2:]:
                return _HINTS["empty"]
            if dx.shape[2] <= H and dx.shape[3] <= W:
                return _HINTS["short"]
        return _HINTS["shape"]
    wrong = _wrong_dx(dy, w, x_shape, s, p, d)
    rtol = _tolerance(got)
    if _like(dx, wrong["dilation"], rtol):
        return _dilation_hint(d)
    if s != d and _like(dx, wrong["mixed"], rtol):
        return _HINTS["mixed"]
    keys = ("assign", "reshape", "caffe", "stride", "flipped", "filter0") + (("crop_top", "crop_bottom") if p else ())
    for key in keys:
        if _like(dx, wrong[key], rtol):
            return _HINTS[key]
    return _HINTS["dx"]


def _dx_error(case, exc):
    """Hints for exceptions the documented mistakes raise."""
    text = str(exc)
    d = case["dilation"]
    if isinstance(exc, TypeError) and ("argument" in text or "positional" in text):
        return (
            "the checker calls your function as my_conv_dx(dy=..., w=..., x_shape=..., stride=..., padding=..., "
            "dilation=...): keep that signature. dx needs dy and w, and x only for its shape"
        )
    if isinstance(exc, ValueError) and "broadcast" in text:
        return (
            "a window's gradient does not fit where you add it: the padded gradient needs the padded input's "
            f"shape (N, C, H + 2p, W + 2p), and a window's slice must hold exactly its KH taps, d = {d} rows "
            "apart: i*s : i*s + d*(KH-1) + 1 : d"
        )
    if isinstance(exc, ValueError) and "matmul" in text:
        return (
            "the inner sizes of a product don't agree: dy_mat is (N*OH*OW, F) and w.reshape(F, -1) is "
            "(F, C*KH*KW); each window's gradient is dy_mat @ w.reshape(F, -1)"
        )
    return None


def check_conv_backward(fn):
    """Check ``fn(dy, w, x_shape, stride, padding, dilation) -> dx``, the scatter written without col2im."""
    _run(
        "dx by scattering",
        fn,
        _dx_cases(),
        _dx_reference,
        _diagnose_dx,
        forbid=_BACKWARD_ROUTINES,
        diagnose_error=_dx_error,
    )


# --- 3. find the bug: dw as a correlation, right at stride 1 only ----------------------------------------

# Stride 1 first (the function shown in the notebook passes), then a = 0 at stride 2, then leftover rows.
# (x shape, w shape, stride, padding, dilation): dilation 1 throughout, as in the function shown.
_DW_SPECS = [
    ((2, 2, 6, 6), (3, 2, 3, 3), 1, 1, 1),
    ((1, 2, 7, 7), (2, 2, 3, 3), 2, 1, 1),  # a = 0: dilating dy by the stride is enough
    ((2, 3, 8, 7), (2, 3, 3, 2), 2, 0, 1),  # a = (1, 1): the dilated correlation has one extra row and column
    ((1, 2, 12, 11), (2, 2, 3, 2), 3, 1, 1),  # a = (2, 2)
]


def _dw_cases():
    cases = _backward_cases(_DW_SPECS, seed=406)
    return [
        dict(dy=c["dy"], x=c["x"], kernel_size=c["w"].shape[2:], stride=c["stride"], padding=c["padding"])
        for c in cases
    ]


def _dw_reference(dy, x, kernel_size, stride, padding):
    w = np.zeros((dy.shape[1], x.shape[1]) + tuple(kernel_size))
    return conv2d_backward(dy, x, w, stride, padding)[1]


def _dw_uncropped(dy, x, kernel_size, stride, padding):
    """The correlation of the padded x with dy dilated by the stride, all KH + a rows of it."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    N, F, OH, OW = dy.shape
    span = ((OH - 1) * stride + 1, (OW - 1) * stride + 1)
    view = np.lib.stride_tricks.sliding_window_view(xp, span, axis=(2, 3))[..., ::stride, ::stride]
    return np.einsum("ncuvij,nfij->fcuv", view, dy)  # (F, C, KH + a, KW + a)


def check_dw_correlation(fn):
    """Check the repaired ``fn(dy, x, kernel_size, stride, padding) -> dw (F, C, KH, KW)``."""

    def diagnose(case, got, expected):
        dy, x, s, p = (case[k] for k in ("dy", "x", "stride", "padding"))
        KH, KW = case["kernel_size"]
        rtol = _tolerance(got)
        got = np.asarray(got, dtype=float)
        full = _dw_uncropped(dy, x, (KH, KW), s, p)
        if got.shape == full.shape and got.shape != expected.shape:
            return (
                f"dw has shape {got.shape}, but w is {expected.shape}: the correlation gives KH + a rows and "
                "KW + a columns, and the a extra ones (the windows shifted past the last tap) are not weights. "
                "Keep the first KH rows and KW columns"
            )
        if got.shape == expected.shape and _like(got, full[:, :, -KH:, -KW:], rtol):
            return "you kept the last KH rows; the weights are the first KH rows (shifts u = 0 .. KH-1)"
        if got.shape != expected.shape:
            return f"dw must have w's shape (F, C, KH, KW) = {expected.shape}"
        return (
            "dw[f, c, u, v] pairs dy[n, f, i, j] with padded x at row i*s + u: the dy entries sit s rows apart "
            "on x, so correlate the padded x with dy spread out by the stride (dilation = stride)"
        )

    def error_hint(case, exc):
        if isinstance(exc, ValueError) and "broadcast" in str(exc):
            dy, x, s, p = (case[k] for k in ("dy", "x", "stride", "padding"))
            dilated = tuple(n + 2 * p - (o - 1) * s for n, o in zip(x.shape[2:], dy.shape[2:]))
            shapes = re.findall(r"\(\d+,\d+\)", str(exc).replace(" ", ""))  # dw[f, c], the correlation, ...
            if len(shapes) > 1 and shapes[1] == f"({dilated[0]},{dilated[1]})":
                return (
                    f"the dilation is right, the crop is missing: the correlation gives {dilated[0]} x {dilated[1]} "
                    "(KH + a rows, KW + a columns; the a extra ones are the windows shifted past the last tap), "
                    "and w is KH x KW. Keep the first KH rows and KW columns"
                )
            return (
                "the correlation's result is not KH x KW: at stride s, the dy entries sit s rows apart on the "
                "padded x, so dy must be spread out by the stride (corr2d's dilation), and the result then has "
                "KH + a rows; keep the first KH"
            )
        return None

    _run(
        "dw by correlation",
        fn,
        _dw_cases(),
        _dw_reference,
        diagnose,
        forbid=_BACKWARD_ROUTINES + ("im2col",),
        diagnose_error=error_hint,
    )


# --- 4. predict, then check: the rows and columns of dx that are always zero ----------------------

ZERO_DX_LAYER = dict(H=11, W=9, kernel_size=(3, 4), stride=3, padding=1, dilation=2)


def _as_lines(got):
    """A sorted tuple of ints from a list/tuple/set/array of whole numbers, or None. Never raises."""
    try:
        if isinstance(got, (str, bytes, dict)) or np.ndim(got) > 1:
            return None
        values = [float(v) for v in got]
        if any(v != int(v) for v in values) or len(set(values)) != len(values):
            return None
        return tuple(sorted(int(v) for v in values))
    except Exception:  # noqa: BLE001
        return None


def check_zero_dx(rows, cols):
    """Check the rows and the columns of dx that are zero whatever dy and w are, for ZERO_DX_LAYER."""
    title = "rows and columns of dx that are always zero"
    if rows is None and cols is None:
        print(
            colored(f"{title}: not answered yet.", "yellow") + " Set zero_rows and zero_cols, then run this cell again."
        )
        return
    L = ZERO_DX_LAYER
    s, p, d = L["stride"], L["padding"], L["dilation"]
    sizes, kernels = (L["H"], L["W"]), L["kernel_size"]
    expected = tuple(tuple(int(r) for r in np.flatnonzero(~rows_read(n, k, s, p, d))) for n, k in zip(sizes, kernels))

    def diagnose(got, expected):
        hint = _zero_lines_hint(got, expected)
        if hint.startswith("rows:") and _as_lines(got[1]) != expected[1]:
            return hint + ". The columns are wrong too"
        return hint

    def _zero_lines_hint(got, _expected):
        for name, answer, n, k, want in zip(("rows", "columns"), got, sizes, kernels, expected):
            lines = _as_lines(answer)
            if lines is None:
                return f"give the {name} as a list of whole numbers, e.g. [0, 5]; [] if there are none"
            if lines == want:
                continue
            count = output_size(n, k, s, p, d)
            read = {o * s + t * d for o in range(count) for t in range(k)}
            unread_padded = sorted(set(range(n + 2 * p)) - read)
            a = (n + 2 * p - d * (k - 1) - 1) % s
            undilated = tuple(int(r) for r in np.flatnonzero(~rows_read(n, k, s, p)))
            if lines in {tuple(unread_padded), tuple(r for r in unread_padded if r < n)}:
                return f"{name}: those are indices of the padded input; input index r is padded index r + {p}"
            if any(r < 0 or r >= n for r in lines):
                return f"{name}: number them like the input, 0 .. {n - 1}; the padding has no dx"
            if lines == undilated:
                return (
                    f"{name}: that is the answer without dilation. The taps sit d = {d} apart: window o reads "
                    f"padded indices o*s, o*s + d, .., o*s + d*(K-1), and the ones between them are not read"
                )
            where, side = ("below", "bottom") if name == "rows" else ("right of", "right")
            if n - 1 in lines and n - 1 not in want:
                return (
                    f"{name}: the leftover {name} (a = {a}, {where} the last window) are all {side} padding here "
                    f"(a <= p = {p}); input index {n - 1} is padded index {n - 1 + p}, which the last window reads"
                )
            if n - 1 in want and n - 1 not in lines and a > p:
                return (
                    f"{name}: of the leftover {name} (a = {a}, {where} the last window), only p = {p} are {side} "
                    "padding, so the "
                    + (
                        f"last input {name[:-1]} is read by no window"
                        if a - p == 1
                        else f"last {a - p} input {name} are read by no window"
                    )
                )
            return (
                f"{name}: list the padded indices each window o reads (o*s + t*d for t = 0 .. K-1) and subtract "
                f"p; an index between two taps of a window is unread unless another window's tap lands on it"
            )
        return "compare each list with the padded indices every window reads"

    _check_value(
        title,
        (rows, cols),
        expected,
        diagnose,
        compare=lambda got, e: tuple(_as_lines(g) for g in got) == e,
    )


__all__ = [
    "ZERO_DX_LAYER",
    "check_conv_backward",
    "check_corr1d_backward",
    "check_dw_correlation",
    "check_zero_dx",
]
