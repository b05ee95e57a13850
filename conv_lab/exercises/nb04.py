"""Exercise checkers for notebook 04: the backward pass.

1. warm-up: the backward pass of a 1-D correlation, by loops;
2. the whole backward pass (dx, dw, db) with dilation 1 to 3 (the notebook's loops handle dilation 1 only),
   at strides 1 to 3 with leftover rows and non-square kernels, scattering into dx without col2im;
3. find the bug: dw as a correlation of x with dy, right at stride 1 only;
4. predict, then check: which rows and columns of dx are zero whatever dy and w are.
"""

import numpy as np
from termcolor import colored

from ..blocks import output_size, rows_read
from ..columns import im2col
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


# --- 1. warm-up: the backward pass of a 1-D correlation ------------------------------------------

CORR1D_CASES = [
    dict(dy=np.array([1.0, -1.0, 2.0]), x=np.array([0.0, 1.0, 2.0, 3.0, 4.0]), w=np.array([1.0, 2.0, 3.0])),
    dict(dy=np.array([2.0, 0.5, -1.0, 3.0, 1.0]), x=np.array([1.0, -2.0, 0.0, 4.0, 1.0, 2.0]), w=np.array([3.0, -1.0])),
    dict(dy=np.array([1.5]), x=np.array([2.0, -1.0, 1.0, 5.0]), w=np.array([1.0, 0.0, -2.0, 4.0])),
    dict(dy=np.array([1.0, 2.0, -3.0, 0.5]), x=np.array([3.0, 1.0, -1.0, 2.0]), w=np.array([-2.0])),
]


def _corr1d_backward(dy, x, w, assign=False, flip=False):
    """(dx, dw) of y[i] = sum_u x[i+u] w[u]; the flags build two classic mistakes."""
    K = len(w)
    taps = w[::-1] if flip else w
    dx, dw = np.zeros(len(x)), np.zeros(K)
    for i in range(len(dy)):
        if assign:
            dx[i : i + K] = dy[i] * taps
        else:
            dx[i : i + K] += dy[i] * taps
        dw += dy[i] * x[i : i + K]
    return dx, dw


def check_corr1d_backward(fn):
    """Check ``fn(dy, x, w) -> (dx, dw)`` for ``y[i] = sum_u x[i+u] * w[u]`` (stride 1, no padding)."""

    def diagnose(case, got, expected):
        dy, x, w = case["dy"], case["x"], case["w"]
        pair = _arrays(got, 2)
        if pair is None:
            return "return two arrays: (dx, dw)"
        dx, dw = pair
        edx, edw = expected
        if dx.shape != x.shape:
            if dx.shape == dy.shape:
                return f"dx has one entry per input pixel: shape {x.shape}, like x, not like dy"
            return f"dx must have x's shape {x.shape}"
        if dw.shape != w.shape:
            return f"dw must have w's shape {w.shape}"
        if not _same(dw, edw):
            if _same(dw, edw[::-1]):
                return "dw is reversed: weight u met x[i+u] in output i, so dw[u] = sum_i dy[i] * x[i+u]"
            return "dw[u] = sum over outputs i of dy[i] * x[i+u]: the pixel weight u multiplied in window i"
        if _same(dx, _corr1d_backward(dy, x, w, assign=True)[0]):
            return (
                "neighbouring windows overlap, and a pixel in two windows gets two contributions: add them "
                "(dx[i:i+K] += ...), don't assign (=)"
            )
        if _same(dx, _corr1d_backward(dy, x, w, flip=True)[0]):
            return "the kernel is reversed in dx: in window i, pixel x[i+u] met w[u], so it gets dy[i] * w[u]"
        return "dx[r] = sum over the windows i that contain r of dy[i] * w[r - i]"

    _run(
        "1-D backward",
        fn,
        CORR1D_CASES,
        lambda dy, x, w: _corr1d_backward(dy, x, w),
        diagnose,
        forbid=_BACKWARD_ROUTINES + ("corr2d", "convolve2d", "conv2d"),
    )


# --- 2. the backward pass with dilation and leftover rows, without col2im --------------------------

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
    rng = np.random.default_rng(seed)
    cases = []
    for xs, ws, s, p, d in specs:
        x = rng.standard_normal(xs)
        w = rng.standard_normal(ws)
        OH, OW = output_size(xs[2], ws[2], s, p, d), output_size(xs[3], ws[3], s, p, d)
        dy = rng.standard_normal((xs[0], ws[0], OH, OW))
        cases.append(dict(dy=dy, x=x, w=w, stride=s, padding=p, dilation=d))
    return cases


def _backward_reference(dy, x, w, stride, padding, dilation):
    return conv2d_backward(dy, x, w, stride, padding, dilation)


def _scatter(dcols, x_shape, KH, KW, stride, padding, dilation, assign=False, step=None, tap=None):
    """dx from per-window gradients dcols (N*OH*OW, C*KH*KW), by loops; the flags build mistakes.

    ``step``: where consecutive windows start (default the stride); ``tap``: the spacing of a window's taps
    (default the dilation).
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
    return dxp[:, :, padding : padding + H, padding : padding + W]


def _dw_undilated(dy, x, KH, KW, stride, padding):
    """dw from windows of KH x KW adjacent pixels: the dilation ignored."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dw = np.zeros((dy.shape[1], x.shape[1], KH, KW))
    for i in range(dy.shape[2]):
        for j in range(dy.shape[3]):
            window = xp[:, :, i * stride : i * stride + KH, j * stride : j * stride + KW]  # (N, C, KH, KW)
            dw += np.einsum("nf,nchw->fchw", dy[:, :, i, j], window)
    return dw


def _wrong_backwards(dy, x, w, stride, padding, dilation):
    """The (dx, dw, db) of each documented mistake, keyed by the hint's name."""
    F, C, KH, KW = w.shape
    cols = im2col(x, (KH, KW), stride, padding, dilation)  # (N*OH*OW, C*KH*KW)
    w_mat = w.reshape(F, -1)  # (F, C*KH*KW)
    dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F)  # (N*OH*OW, F)
    flat = dy.reshape(-1, F)  # the mistake: F is not the last axis of dy
    dcols = dy_mat @ w_mat  # (N*OH*OW, C*KH*KW)
    caffe = (dcols.T).reshape(dcols.shape)  # a (C*KH*KW, N*OH*OW) matrix read as (N*OH*OW, C*KH*KW)
    geometry = (x.shape, KH, KW, stride, padding, dilation)
    return {
        "reshape": (_scatter(flat @ w_mat, *geometry), (flat.T @ cols).reshape(w.shape), flat.sum(axis=0)),
        "caffe": (_scatter(caffe, *geometry), (dy_mat.T @ cols).T.reshape(w.shape), None),
        "assign": (_scatter(dcols, *geometry, assign=True), None, None),
        "stride": (_scatter(dcols, *geometry, step=1), None, None),
        "dilation": (_scatter(dcols, *geometry, tap=1), _dw_undilated(dy, x, KH, KW, stride, padding), None),
    }


_HINTS = {
    "return": "return three arrays: (dx, dw, db)",
    "reshape": (
        "dy.reshape(-1, F) mixes up the axes: F is axis 1 of dy, not the last one. Move it last first: "
        "dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F), so row (n*OH + i)*OW + j matches row of cols"
    ),
    "caffe": (
        "a matrix in the transposed layout (windows in columns, as in cs231n and Caffe: shape "
        "(C*KH*KW, N*OH*OW) or (C*KH*KW, F)) was reshaped as if it were (N*OH*OW, C*KH*KW) or (F, C*KH*KW). "
        "A reshape does not transpose: transpose it (.T) first, or keep cols as (N*OH*OW, C*KH*KW) throughout"
    ),
    "db_axes": ("db[f] sums dy[:, f] over every sample and every position: dy.sum(axis=(0, 2, 3)), shape (F,)"),
    "dw_swap": (
        "dw has shape (C, F, KH, KW): F and C are swapped. dw must have w's shape (F, C, KH, KW), "
        "one gradient per weight"
    ),
    "dw_matrix": ("dw is still a matrix: reshape dy_mat.T @ cols, of shape (F, C*KH*KW), to w's shape (F, C, KH, KW)"),
    "dw": (
        "dw[f, c, u, v] = sum over n, i, j of dy[n, f, i, j] * (padded x)[n, c, i*s + u*d, j*s + v*d]; in matrix "
        "form dw = (dy_mat.T @ cols).reshape(F, C, KH, KW), with cols = cl.im2col(x, (KH, KW), s, p, d)"
    ),
    "uncropped": (
        "dx still includes the padding: the padding is not an input, so crop p rows and columns from every side"
    ),
    "empty": (
        "dx is empty: with padding 0, dxp[:, :, p:-p] is dxp[:, :, 0:0], because -0 is 0. "
        "Crop with dxp[:, :, p:p + H, p:p + W] instead"
    ),
    "short": (
        "dx has fewer rows or columns than x: the a leftover rows at the bottom (columns at the right) are "
        "missing. Allocate the padded gradient with the padded input's shape (N, C, H + 2p, W + 2p), not only "
        "the (OH-1)*s + d*(KH-1) + 1 rows the windows span; input rows no window reads keep a zero gradient"
    ),
    "shape": "dx must have x's shape (N, C, H, W)",
    "assign": (
        "neighbouring windows overlap, and a pixel in several windows gets one contribution from each: "
        "add them (dxp[...] += ...), don't assign (=)"
    ),
    "stride": "the windows start stride rows apart: window (i, j) starts at row i*s, column j*s of the padded dx",
    "dx": (
        "dcols = dy_mat @ w.reshape(F, -1) holds each window's gradient; reshape it to (N, OH, OW, C, KH, KW) "
        "and add window (i, j) onto rows i*s, i*s + d, .., i*s + d*(KH-1) and columns j*s, j*s + d, .., "
        "j*s + d*(KW-1) of a zero padded dx, then crop"
    ),
}


def _dilation_hint(d, name):
    return (
        f"{name} is right for dilation 1 only, and the hidden cases have dilation {d} here: tap (u, v) of window "
        f"(i, j) reads padded pixel (i*s + u*d, j*s + v*d), so the window covers rows i*s, i*s + d, .., "
        f"i*s + d*(KH-1), not KH adjacent rows. Slice it as i*s : i*s + d*(KH-1) + 1 : d"
        + (", or pass the dilation to cl.im2col" if name == "dw" else "")
    )


def _diagnose_backward(case, got, expected):
    dy, x, w, s, p, d = (case[k] for k in ("dy", "x", "w", "stride", "padding", "dilation"))
    three = _arrays(got, 3)
    if three is None:
        return _HINTS["return"]
    dx, dw, db = three
    edx, edw, edb = expected
    N, C, H, W = x.shape
    F = w.shape[0]
    wrong = _wrong_backwards(dy, x, w, s, p, d)
    if not _same(db, edb):
        if _matches(db, wrong["reshape"][2]):
            return _HINTS["reshape"]
        return _HINTS["db_axes"]
    if not _same(dw, edw):
        if dw.shape == (C, F) + w.shape[2:] and C != F:
            return _HINTS["dw_swap"]
        if dw.shape in {(F, C * w.shape[2] * w.shape[3]), (C * w.shape[2] * w.shape[3], F)}:
            return _HINTS["dw_matrix"]
        if _matches(dw, wrong["dilation"][1]):
            return _dilation_hint(d, "dw")
        for key in ("reshape", "caffe"):
            if _matches(dw, wrong[key][1]):
                return _HINTS[key]
        return _HINTS["dw"]
    if dx.shape != edx.shape:
        if dx.ndim == 4 and dx.shape[:2] == (N, C):
            if p and dx.shape[2:] == (H + 2 * p, W + 2 * p):
                return _HINTS["uncropped"]
            if p == 0 and 0 in dx.shape[2:]:
                return _HINTS["empty"]
            if dx.shape[2] <= H and dx.shape[3] <= W:
                return _HINTS["short"]
        return _HINTS["shape"]
    if _matches(dx, wrong["dilation"][0]):
        return _dilation_hint(d, "dx")
    for key in ("assign", "reshape", "caffe", "stride"):
        if _matches(dx, wrong[key][0]):
            return _HINTS[key]
    return _HINTS["dx"]


def _backward_error(case, exc):
    """Hints for exceptions the documented mistakes raise."""
    text = str(exc)
    d = case["dilation"]
    if isinstance(exc, TypeError) and "dilation" in text:
        return (
            "the checker calls your function with a dilation: def my_conv_backward(dy, x, w, stride, padding, "
            "dilation). The hidden cases have dilation 1 to 3, so the loops of section 1 (dilation 1 only) are not "
            "enough: tap (u, v) of window (i, j) reads padded pixel (i*s + u*d, j*s + v*d)"
        )
    if isinstance(exc, ValueError) and "broadcast" in text:
        return (
            "a window's gradient does not fit where you add it: the padded gradient needs the padded input's "
            "shape (N, C, H + 2p, W + 2p), and window (i, j) covers the KH rows i*s, i*s + d, .., i*s + d*(KH-1), "
            "the slice i*s : i*s + d*(KH-1) + 1 : d"
        )
    if isinstance(exc, ValueError) and "matmul" in text:
        return (
            "the inner sizes of a product don't agree: dy_mat is (N*OH*OW, F), cols is (N*OH*OW, C*KH*KW) and "
            "w.reshape(F, -1) is (F, C*KH*KW); dw = dy_mat.T @ cols, dcols = dy_mat @ w_mat"
            + (
                f". This case has dilation {d}: pass it to im2col too, cl.im2col(x, (KH, KW), s, p, d), or cols "
                "has one row per window of the undilated layer"
                if d > 1
                else ""
            )
        )
    return None


def check_conv_backward(fn):
    """Check ``fn(dy, x, w, stride, padding, dilation) -> (dx, dw, db)`` without col2im.

    The hidden cases have dilation 1 to 3, strides 1 to 3, non-square kernels and leftover rows.
    """
    _run(
        "conv backward",
        fn,
        _backward_cases(),
        _backward_reference,
        _diagnose_backward,
        forbid=_BACKWARD_ROUTINES,
        diagnose_error=_backward_error,
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
        got = np.asarray(got, dtype=float)
        full = _dw_uncropped(dy, x, (KH, KW), s, p)
        if got.shape == full.shape and got.shape != expected.shape:
            return (
                f"dw has shape {got.shape}, but w is {expected.shape}: the correlation gives KH + a rows and "
                "KW + a columns, and the a extra ones (the windows shifted past the last tap) are not weights. "
                "Keep the first KH rows and KW columns"
            )
        if got.shape == expected.shape and _matches(got, full[:, :, -KH:, -KW:]):
            return "you kept the last KH rows; the weights are the first KH rows (shifts u = 0 .. KH-1)"
        if got.shape != expected.shape:
            return f"dw must have w's shape (F, C, KH, KW) = {expected.shape}"
        return (
            "dw[f, c, u, v] pairs dy[n, f, i, j] with padded x at row i*s + u: the dy entries sit s rows apart "
            "on x, so correlate the padded x with dy spread out by the stride (dilation = stride)"
        )

    def error_hint(case, exc):
        if isinstance(exc, ValueError) and "broadcast" in str(exc):
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

ZERO_DX_LAYER = dict(H=11, W=8, kernel_size=(2, 3), stride=3, padding=1)


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
    s, p = L["stride"], L["padding"]
    sizes, kernels = (L["H"], L["W"]), L["kernel_size"]
    expected = tuple(tuple(int(r) for r in np.flatnonzero(~rows_read(n, k, s, p))) for n, k in zip(sizes, kernels))

    def diagnose(got, _expected):
        for name, answer, n, k, want in zip(("rows", "columns"), got, sizes, kernels, expected):
            lines = _as_lines(answer)
            if lines is None:
                return f"give the {name} as a list of whole numbers, e.g. [0, 5]; [] if there are none"
            if lines == want:
                continue
            count = output_size(n, k, s, p)
            read = {o * s + t for o in range(count) for t in range(k)}
            unread_padded = sorted(set(range(n + 2 * p)) - read)
            a = (n + 2 * p - k) % s
            if lines in {tuple(unread_padded), tuple(r for r in unread_padded if r < n)}:
                return f"{name}: those are indices of the padded input; input index r is padded index r + {p}"
            if any(r < 0 or r >= n for r in lines):
                return f"{name}: number them like the input, 0 .. {n - 1}; the padding has no dx"
            if n - 1 in lines and n - 1 not in want:
                return (
                    f"{name}: a = {a} is left below the last window, but it is bottom padding (a <= p = {p}); "
                    f"input index {n - 1} is padded index {n - 1 + p}, which the last window reads"
                )
            if n - 1 in want and n - 1 not in lines:
                return f"{name}: a = {a} is left below the last window and only p = {p} of it is padding, so the " + (
                    f"last input {name[:-1]} is read by no window"
                    if a - p == 1
                    else f"last {a - p} input {name} are read by no window"
                )
            return (
                f"{name}: list the padded indices each window o reads (o*s + t for t = 0 .. K-1) and subtract "
                f"p; a stride ({s}) larger than the kernel ({k}) skips some inside the image too"
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
