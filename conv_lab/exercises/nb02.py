"""Exercise checkers for notebook 02: im2col and col2im.

1. warm-up: the windows of a 1-D signal, at a stride, with dilation and padding (before, after), as the rows
   of a matrix;
2. im2col of a channels-last batch (N, H, W, C), columns (kh, kw, c), with stride, padding, dilation and
   int or non-square kernels;
3. find the bug: a col2im by loops whose canvas ends where the last window ends, so it is wrong exactly when
   the leftover rows include input rows (a > p);
4. predict, then check: how many windows read a given pixel.
"""

import numpy as np
from termcolor import colored

from ..blocks import output_size
from ..columns import col2im, im2col
from ._common import FORWARD_ROUTINES, GRADIENT_ROUTINES
from ._common import check_value as _check_value
from ._common import matches as _matches
from ._common import run_checker as _run
from ._common import same as _same

# Routines that would take the windows for the student.
_WINDOW_ROUTINES = FORWARD_ROUTINES + ("col2im",)  # everything that copies or uses the windows for the student
# col2im is a gradient (numerical_gradient of im2col would compute it), and the adjoint of im2col: the
# forward routines are off too, or the matrix of im2col, transposed, would do the scatter for the student
_SCATTER_ROUTINES = GRADIENT_ROUTINES + FORWARD_ROUTINES


def _pair(k):
    return (k, k) if isinstance(k, (int, np.integer)) else tuple(k)


# --- 1. warm-up: dilated 1-D windows at a stride ---------------------------------------------------------

WINDOWS_1D_CASES = [  # padding = (before, after): zeros in front of x and behind it
    dict(x=np.arange(6.0), K=3, stride=1, dilation=1, padding=(1, 1)),
    dict(x=np.array([3.0, -1.0, 4.0, 1.0, -5.0, 9.0, 2.0]), K=2, stride=2, dilation=1, padding=(1, 3)),  # 1 unread
    dict(x=np.arange(10.0) ** 2, K=3, stride=1, dilation=3, padding=(0, 0)),  # span 7: 4 windows; K*d = 9 gives 2
    dict(x=np.arange(11.0) - 5, K=3, stride=2, dilation=2, padding=(2, 1)),  # span 5: windows start at 0, 2, ..., 8
    dict(x=np.array([2.0, 7.0, 1.0, 8.0, 2.0, 8.0, 1.0, 8.0, 2.0]), K=2, stride=3, dilation=3, padding=(1, 0)),
    dict(x=np.array([2.0, 7.0, 1.0, 8.0]), K=4, stride=2, dilation=1, padding=(0, 0)),  # a single window
    dict(x=np.arange(9.0) - 4, K=1, stride=2, dilation=1, padding=(3, 0)),
]


def _count_1d(H, K, stride, dilation):
    """How many windows of K taps, ``dilation`` apart, fit in H samples at this stride (at least 0)."""
    return max(0, (H - dilation * (K - 1) - 1) // stride + 1)


def _windows_1d(x, K, stride, dilation, padding=(0, 0)):
    xp = np.pad(x, padding)  # (before + H + after,)
    OH = _count_1d(len(xp), K, stride, dilation)
    span = dilation * (K - 1) + 1  # samples one window spans
    return np.array([xp[i * stride : i * stride + span : dilation] for i in range(OH)]).reshape(OH, K)  # (OH, K)


def _contiguous_1d(x, K, stride, count):
    """``count`` windows of K neighbouring samples (dilation ignored inside the window)."""
    return np.array([x[i * stride : i * stride + K] for i in range(count)]).reshape(count, K)


def _as_rows(got):
    """An answer as an array: a list (or tuple) of window arrays or of lists is stacked. Never raises."""
    try:
        if isinstance(got, (list, tuple)):
            rows = [np.asarray(r) for r in got]
            if not rows or any(r.ndim != 1 or r.dtype.kind not in "biuf" for r in rows):
                return None
            if len({r.shape for r in rows}) != 1:
                return None
            return np.stack(rows)
        return np.asarray(got)
    except Exception:  # noqa: BLE001
        return None


def _same_rows(got, expected):
    rows = _as_rows(got)
    return rows is not None and _same(rows, expected)


_PARTIAL_1D = (
    "{n} of your windows at the end are partial: they run past the end of the padded x, so they hold fewer "
    "than K samples. A window counts only if all K taps, dilation apart, lie inside the padded x; the samples "
    "after the last whole window are read by no window"
)


def _partial_windows(x, got, expected):
    """How many trailing windows of ``got`` are cut off by the end of x (0 if that is not the mistake)."""
    try:
        if not isinstance(got, (list, tuple)) or len(got) <= len(expected):
            return 0
        rows = [np.asarray(r) for r in got]
        if any(r.ndim != 1 for r in rows) or not all(_same(r, e) for r, e in zip(rows, expected)):
            return 0
        extra = rows[len(expected) :]
        K = expected.shape[1] if expected.ndim == 2 else 0
        return len(extra) if all(len(r) < K for r in extra) else 0
    except Exception:  # noqa: BLE001
        return 0


def check_windows_1d(fn):
    """Check ``fn(x, K, stride, dilation, padding) -> (OH, K)`` for ``padding = (before, after)``.

    Row i holds the K taps, dilation apart, from sample i*stride of x with ``before`` zeros in front and
    ``after`` zeros behind. The windows may come as an array, a list of arrays or a list of lists.
    """

    def diagnose(case, got, expected):
        K, s, d, (before, after) = case["K"], case["stride"], case["dilation"], case["padding"]
        x = np.pad(case["x"], (before, after))  # the padded signal: the windows run over it
        H, OH = len(x), expected.shape[0]
        partial = _partial_windows(x, got, expected)
        if partial:
            return _PARTIAL_1D.format(n=partial)
        for other in ((after, before), (before, before), (after, after), (0, 0)):
            if other == (before, after) or not _same_rows(got, _windows_1d(case["x"], K, s, d, other)):
                continue
            if other == (0, 0):
                return (
                    f"padding ignored: padding = ({before}, {after}) puts {before} zeros in front of x and "
                    f"{after} behind it; window i starts at sample i*stride of that padded signal"
                )
            if other == (after, before):
                return (
                    f"padding swapped: padding = (before, after) = ({before}, {after}) puts {before} zeros in "
                    f"front of x and {after} behind it, not the other way round"
                )
            return (
                f"both ends padded alike, with {other[0]} zeros: padding = (before, after) = ({before}, {after}) "
                "can differ at the two ends"
            )
        got = _as_rows(got)
        if got is None:
            return "return the windows as one (OH, K) array, or as a list of OH windows of K samples each"
        if got.shape == (K, OH) and K != OH:
            return "your windows are columns (shape (K, OH)); here each window is a row: shape (OH, K)"
        if got.ndim == 2 and got.shape[1] == K and got.shape[0] != OH:
            n = got.shape[0]
            if d > 1 and n == _count_1d(H, K * d, s, 1) and n < OH:
                return (
                    f"too few windows ({n}, not {OH}): K taps, {d} apart, span d*(K - 1) + 1 = {d * (K - 1) + 1} "
                    f"samples, not K*d = {K * d}. There are K - 1 gaps between K taps"
                )
            if d > 1 and n == _count_1d(H, K, s, 1):
                return (
                    f"dilation ignored: the taps of a window are dilation = {d} samples apart, so a window "
                    f"spans d*(K - 1) + 1 = {d * (K - 1) + 1} samples and fewer windows fit"
                )
            if n == OH - 1:
                return (
                    "one window short: OH = (H - dilation*(K - 1) - 1) // stride + 1; the + 1 counts the first window"
                )
            if s > 1 and n == _count_1d(H, K, 1, d):
                return "stride ignored: consecutive windows start `stride` samples apart, so there are fewer"
            return f"there are {OH} whole windows here, not {n}"
        if got.shape == expected.shape:
            if d > 1 and _matches(got, _contiguous_1d(x, K, s, OH)):
                return (
                    f"dilation ignored inside the window: with dilation {d}, row i holds samples "
                    f"i*stride, i*stride + {d}, ..., not K neighbouring samples"
                )
            if _matches(got, expected[:, ::-1]):
                return "each window is reversed: row i must start with sample i*stride, in order"
            return "row i holds samples i*stride, i*stride + dilation, ..., i*stride + dilation*(K - 1)"
        return f"the result has one row per window and one column per tap: shape (OH, K) = {expected.shape}"

    def diagnose_error(case, exc):
        if isinstance(exc, ValueError) and "inhomogeneous" in str(exc):
            return (
                "the windows do not all have K samples: the ones at the end are partial, cut off by the end of "
                "the padded x. A window counts only if all K taps, dilation apart, lie inside the padded x"
            )
        return None

    _run(
        "1-D windows",
        fn,
        WINDOWS_1D_CASES,
        _windows_1d,
        diagnose,
        forbid=_WINDOW_ROUTINES,
        diagnose_error=diagnose_error,
        compare=_same_rows,
    )


# --- 2. im2col for channels-last images -------------------------------------------------------------------

_NHWC_SPECS = [  # x shape (N, H, W, C), kernel, stride, padding, dilation
    ((1, 4, 4, 1), 3, 1, 0, 1),  # int kernel_size; one channel, so (kh, kw, c) and (c, kh, kw) agree
    ((2, 7, 8, 3), (3, 2), 1, 0, 2),
    ((2, 9, 7, 2), (2, 3), 2, 1, 2),  # a = (0, 0); stride and dilation share 2: input rows 0, 2, 4, 6, 8 unread
    ((1, 8, 10, 3), (3, 2), 3, 2, 3),
    ((2, 6, 5, 4), 2, 2, 1, 1),  # int kernel_size, even; a = (0, 1)
]


def _nhwc_cases():
    rng = np.random.default_rng(202)
    return [
        dict(x=rng.integers(-9, 10, xs).astype(float), kernel_size=k, stride=s, padding=p, dilation=d)
        for xs, k, s, p, d in _NHWC_SPECS
    ]


def _to_khkwc(cols, C, KH, KW):
    """Columns (c, kh, kw) -> (kh, kw, c)."""
    return cols.reshape(-1, C, KH, KW).transpose(0, 2, 3, 1).reshape(cols.shape)  # (R, KH, KW, C) flattened


def _nhwc_reference(x, kernel_size, stride, padding, dilation):
    KH, KW = _pair(kernel_size)
    cols = im2col(x.transpose(0, 3, 1, 2), (KH, KW), stride, padding, dilation)  # (N*OH*OW, C*KH*KW)
    return _to_khkwc(cols, x.shape[3], KH, KW)


def _windows(xp, KH, KW, s, tap, span, axes):
    """cols of a padded array by loops: windows over ``axes`` (a pair), the other non-batch axis last.

    ``tap`` is the distance between taps, ``span`` the dilation used for the output size. Returns
    (N*OH*OW, KH*KW*depth), columns (kh, kw, depth). None if no window fits.
    """
    a, b = axes
    other = ({1, 2, 3} - {a, b}).pop()
    v = np.moveaxis(xp, (a, b, other), (1, 2, 3))  # (N, rows, cols, depth)
    N, Hp, Wp, _ = v.shape
    OH, OW = (Hp - span * (KH - 1) - 1) // s + 1, (Wp - span * (KW - 1) - 1) // s + 1
    if OH < 1 or OW < 1:
        return None
    rows = [
        v[n, i * s : i * s + tap * (KH - 1) + 1 : tap, j * s : j * s + tap * (KW - 1) + 1 : tap].ravel()
        for n in range(N)
        for i in range(OH)
        for j in range(OW)
    ]
    return np.array(rows)


_ROW_AXES = ("n", "oh", "ow")
_COLUMN_AXES = ("kh", "kw", "c")


def _permuted_order(got, expected, N, OH, OW, KH, KW, C):
    """A hint if ``got`` is ``expected`` with its rows or its columns in another order; else None."""
    e6 = expected.reshape(N, OH, OW, KH, KW, C)
    # the likeliest mistakes first: section 3's (c, kh, kw), then kh and kw swapped, then n last
    column_orders = [(2, 0, 1), (1, 0, 2), (0, 2, 1), (1, 2, 0), (2, 1, 0), (0, 1, 2)]
    row_orders = [(0, 1, 2), (0, 2, 1), (1, 2, 0), (1, 0, 2), (2, 1, 0), (2, 0, 1)]
    for rows in row_orders:
        for columns in column_orders:
            if (rows, columns) == ((0, 1, 2), (0, 1, 2)):
                continue
            axes = tuple(rows) + tuple(3 + c for c in columns)
            if not _matches(got, e6.transpose(axes).reshape(expected.shape)):
                continue
            hints = []
            if rows != (0, 1, 2):
                named = ", ".join(_ROW_AXES[r] for r in rows)
                hints.append(
                    f"rows are in ({named}) order; number the windows (n, oh, ow): sample first, then the "
                    "window's row, then its column, so that the product reshapes to (N, OH, OW, F)"
                )
            if columns == (2, 0, 1):
                hints.append(
                    "columns are in (c, kh, kw) order, the order of section 3's cols for (N, C, H, W) input. Here "
                    "a window is flattened (kh, kw, c): the C values of tap (0, 0), then those of tap (0, 1), ..., "
                    "so that cols @ w.transpose(0, 2, 3, 1).reshape(F, -1).T is the forward pass"
                )
            elif columns != (0, 1, 2):
                named = ", ".join(_COLUMN_AXES[c] for c in columns)
                swapped = " (kh and kw swapped)" if columns == (1, 0, 2) else ""
                hints.append(
                    f"columns are in ({named}) order{swapped}. Flatten a window (kh, kw, c): the C values of "
                    "tap (0, 0), then those of tap (0, 1), ..., then row 1 of the kernel"
                )
            return ". Also: ".join(hints)
    return None


def _diagnose_nhwc(case, got, expected):
    x, k, s, p, d = (case[key] for key in ("x", "kernel_size", "stride", "padding", "dilation"))
    KH, KW = _pair(k)
    N, H, W, C = x.shape
    OH, OW = output_size(H, KH, s, p, d), output_size(W, KW, s, p, d)
    got = np.asarray(got)
    pad_hw = ((0, 0), (p, p), (p, p), (0, 0))
    # x read as (N, C, H, W), as section 3's im2col_strided does: windows over axes 2 and 3 (W and C)
    as_nchw = _windows(np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))), KH, KW, s, d, d, axes=(2, 3))
    if as_nchw is not None and got.shape == as_nchw.shape and got.shape != expected.shape:
        return (
            "you slid the windows over the last two axes, as for (N, C, H, W). Here x is channels-last, "
            "(N, H, W, C): the windows move along axes 1 and 2 (H and W), and axis 3 holds the channels. "
            "Section 3's im2col_strided assumes (N, C, H, W), so it can't be used on x as it is"
        )
    if got.shape == (KH * KW * C, N * OH * OW) and got.shape != expected.shape:
        return (
            "your windows are columns, shape (KH*KW*C, N*OH*OW). This exercise keeps one window per row: "
            "cols (N*OH*OW, KH*KW*C)"
        )
    if got.shape in {(N, KH * KW * C, OH * OW), (N, OH * OW, KH * KW * C), (N, OH, OW, KH * KW * C)}:
        return "stack the batch into the rows too: cols has shape (N*OH*OW, KH*KW*C), rows ordered (n, oh, ow)"
    if got.ndim == 2 and p and got.shape == (N * output_size(H, KH, s, 0, d) * OW, KH * KW * (C + 2 * p)):
        return (
            "np.pad padded the wrong axes: ((0, 0), (0, 0), (p, p), (p, p)) pads W and C of an (N, H, W, C) "
            "array. Pad H and W: ((0, 0), (p, p), (p, p), (0, 0))"
        )
    if got.ndim == 2 and p and got.shape[1] == KH * KW * (C + 2 * p):
        every = " (np.pad(x, p) pads every axis, the batch too)" if got.shape[0] == (N + 2 * p) * OH * OW else ""
        return (
            f"you padded the channel axis too{every}: each window has KH*KW*(C + 2p) = {got.shape[1]} numbers, "
            f"not KH*KW*C = {KH * KW * C}. Zero padding goes around the image, on H and W only; the channels "
            "are not a spatial axis"
        )
    if got.shape == expected.shape:
        order = _permuted_order(got, expected, N, OH, OW, KH, KW, C)
        if order:
            return order
        if d > 1 and _matches(got, _windows(np.pad(x, pad_hw), KH, KW, s, 1, d, axes=(1, 2))):
            return (
                f"dilation ignored inside the window: with dilation {d}, the taps of a window are {d} "
                f"pixels apart: rows i*s, i*s + d, ..., i*s + d*(KH-1) of the padded x"
            )
        return (
            "right shape, wrong numbers: row (n*OH + i)*OW + j holds the window whose top-left tap is at "
            "(i*stride, j*stride) of the padded x, its taps dilation apart, flattened in (kh, kw, c) order"
        )
    if got.ndim == 2 and got.shape[1] == KH * KW * C:
        if p and got.shape[0] == N * output_size(H, KH, s, 0, d) * output_size(W, KW, s, 0, d):
            return "padding ignored: pad the H and W axes with zeros on both sides before taking windows"
        OH_kd = (H + 2 * p - KH * d) // s + 1
        OW_kd = (W + 2 * p - KW * d) // s + 1
        if d > 1 and got.shape[0] == N * max(OH_kd, 0) * max(OW_kd, 0) and got.shape != expected.shape:
            return (
                f"too few windows: with dilation {d}, a window of KH taps spans d*(KH - 1) + 1 rows, not KH*d: "
                "there are KH - 1 gaps between KH taps. The same holds for KW along the columns"
            )
        if d > 1 and got.shape[0] == N * output_size(H, KH, s, p, 1) * output_size(W, KW, s, p, 1):
            return (
                "dilation ignored in the output size: a dilated window spans d*(K-1) + 1 pixels, so "
                "OH = (H + 2p - d*(KH-1) - 1) // s + 1"
            )
        if s > 1 and got.shape[0] == N * output_size(H, KH, 1, p, d) * output_size(W, KW, 1, p, d):
            return "stride ignored: consecutive windows start `stride` pixels apart"
    return f"cols must have shape (N*OH*OW, KH*KW*C) = {expected.shape}"


def _diagnose_nhwc_error(case, exc):
    if isinstance(exc, ValueError) and "window shape cannot be larger" in str(exc):
        return (
            "a window does not fit along an axis you slid it over: in (N, H, W, C) the windows move along "
            "axes 1 and 2 (H and W); axis 3 holds the channels. (Section 3's im2col_strided assumes (N, C, H, W).)"
        )
    if isinstance(exc, TypeError) and isinstance(case["kernel_size"], int) and "int" in str(exc):
        return "kernel_size can be a single int (a square kernel) as well as a pair: turn an int k into (k, k) first"
    if isinstance(exc, (TypeError, ValueError)) and isinstance(case["kernel_size"], tuple) and "tuple" in str(exc):
        return (
            f"kernel_size is the pair {case['kernel_size']} here, not an int: it can be a pair (KH, KW) for a "
            "non-square kernel. Unpack it into KH and KW (an int k means (k, k)) and use KH for the rows, KW for "
            "the columns"
        )
    return None


def check_im2col_nhwc(fn):
    """Check ``fn(x, kernel_size, stride, padding, dilation) -> cols (N*OH*OW, KH*KW*C)`` for x (N, H, W, C)."""
    _run(
        "channels-last im2col",
        fn,
        _nhwc_cases(),
        _nhwc_reference,
        _diagnose_nhwc,
        forbid=_WINDOW_ROUTINES,
        diagnose_error=_diagnose_nhwc_error,
    )


# --- 3. find the bug: col2im by loops ------------------------------------------------------------------------

# x shape, kernel, stride, padding, dilation. The function shown passes the first four: there the leftover
# a = (H + 2p - d(K-1) - 1) mod s is at most p on both axes. It fails on the last two, where a > p.
_COL2IM_SPECS = [
    ((1, 1, 4, 4), (3, 3), 1, 0, 1),
    ((2, 2, 6, 5), (3, 2), 1, 1, 1),
    ((2, 3, 7, 6), (3, 2), 2, 1, 2),  # a = (0, 1): the example in the notebook's exercise text
    ((1, 2, 9, 8), (2, 3), 2, 1, 1),  # a = (1, 1)
    ((2, 2, 8, 7), (3, 3), 3, 0, 1),  # a = (2, 1) > p = 0: input rows 6, 7 and column 6 are read by no window
    ((2, 2, 10, 9), (3, 2), 3, 1, 2),  # a = (1, 2): a > p = 1 along W only, with dilation
]


def _col2im_cases():
    rng = np.random.default_rng(203)
    cases = []
    for xs, k, s, p, d in _COL2IM_SPECS:
        OH, OW = output_size(xs[2], k[0], s, p, d), output_size(xs[3], k[1], s, p, d)
        cols = rng.integers(-5, 6, (xs[0] * OH * OW, xs[1] * k[0] * k[1])).astype(float)
        cases.append(dict(cols=cols, x_shape=xs, kernel_size=k, stride=s, padding=p, dilation=d))
    return cases


def _col2im_reference(cols, x_shape, kernel_size, stride, padding, dilation):
    return col2im(cols, x_shape, kernel_size, stride, padding, dilation)


def _scatter(cols, x_shape, kernel_size, stride, padding, dilation, assign=False, step=None, tap=None, crop=True):
    """col2im by loops on a full (H + 2p, W + 2p) canvas; the flags build the documented mistakes."""
    N, C, H, W = x_shape
    KH, KW = kernel_size
    d = dilation
    OH, OW = output_size(H, KH, stride, padding, d), output_size(W, KW, stride, padding, d)
    step = stride if step is None else step
    tap = d if tap is None else tap
    c6 = cols.reshape(N, OH, OW, C, KH, KW)
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for i in range(OH):
        for j in range(OW):
            rows = slice(i * step, i * step + tap * (KH - 1) + 1, tap)
            columns = slice(j * step, j * step + tap * (KW - 1) + 1, tap)
            if assign:
                xp[:, :, rows, columns] = c6[:, i, j]
            else:
                xp[:, :, rows, columns] += c6[:, i, j]
    return xp[:, :, padding : padding + H, padding : padding + W] if crop else xp


def _diagnose_col2im(case, got, expected):
    cols, xs, k, s, p, d = (case[key] for key in ("cols", "x_shape", "kernel_size", "stride", "padding", "dilation"))
    N, C, H, W = xs
    got = np.asarray(got)
    if got.shape != expected.shape:
        if got.ndim == 4 and got.shape[:2] == (N, C):
            if p and got.shape[2:] == (H + 2 * p, W + 2 * p):
                return "the result still includes the padding: crop p rows and columns from every side"
            if p == 0 and 0 in got.shape[2:]:
                return "the result is empty: with padding 0, xp[:, :, p:-p] is xp[:, :, 0:0] (-0 is 0). Use p:p + H"
            if got.shape[2] <= H and got.shape[3] <= W:
                a_h = (H + 2 * p - d * (k[0] - 1) - 1) % s
                a_w = (W + 2 * p - d * (k[1] - 1) - 1) % s
                return (
                    f"your result is {got.shape[2]} x {got.shape[3]}, but x is {H} x {W}: rows or columns are "
                    f"missing at the bottom or right. Here the leftover is a = ({a_h}, {a_w}) and p = {p}. The "
                    "canvas stops where the last window stops, so when a > p the last a - p input rows (or "
                    "columns) never make it into the result. Which value belongs there?"
                )
        return f"col2im returns an image of x's shape {tuple(xs)}"
    if p and _matches(got, _scatter(cols, xs, k, s, p, d, crop=False)[:, :, :H, :W]):
        return (
            f"you kept the first H rows and W columns of the canvas, so the top {p} rows and left {p} columns "
            f"are padding and the input's last rows are cut. Input pixel (r, q) sits at (r + p, q + p) of the "
            "padded canvas: the crop starts at p"
        )
    if _matches(got, _scatter(cols, xs, k, s, p, d, assign=True)):
        return "overlapping windows overwrite each other: add every window into the canvas (+=), don't assign (=)"
    if s > 1 and _matches(got, _scatter(cols, xs, k, s, p, d, step=1)):
        return "window (i, j) starts at row i*stride and column j*stride of the padded canvas, not at (i, j)"
    if d > 1 and _matches(got, _scatter(cols, xs, k, s, p, d, tap=1)):
        return (
            f"dilation ignored inside the window: with dilation {d}, window (i, j) adds its taps onto rows "
            f"i*s, i*s + {d}, ..., i*s + {d}*(KH-1) of the canvas, not onto KH neighbouring rows"
        )
    return (
        "reshape cols to (N, OH, OW, C, KH, KW), add window (i, j) onto rows i*s, i*s + d, ..., i*s + d*(KH-1) "
        "and the matching columns of a zero canvas (N, C, H + 2p, W + 2p), then crop the padding"
    )


def _diagnose_col2im_error(case, exc):
    if isinstance(exc, ValueError) and "broadcast" in str(exc) and case["dilation"] > 1:
        return (
            "a window's slice of the canvas does not have KH x KW entries: with dilation d, take every d-th row "
            "and column of the span (a slice with step d), as the function shown does"
        )
    return None


def check_col2im(fn):
    """Check the repaired ``fn(cols, x_shape, kernel_size, stride, padding, dilation) -> (N, C, H, W)``."""
    _run(
        "col2im",
        fn,
        _col2im_cases(),
        _col2im_reference,
        _diagnose_col2im,
        forbid=_SCATTER_ROUTINES,
        diagnose_error=_diagnose_col2im_error,
    )


# --- 4. predict, then check: how many windows read a pixel -----------------------------------------------

COVERAGE_LAYER = dict(H=8, W=8, kernel_size=3, stride=2, padding=1, dilation=2)
COVERAGE_PIXELS = [(3, 3), (2, 3), (7, 7)]


def _coverage(H, W, kernel_size, stride, padding, dilation):
    ones = np.ones_like(im2col(np.zeros((1, 1, H, W)), kernel_size, stride, padding, dilation))
    return col2im(ones, (1, 1, H, W), kernel_size, stride, padding, dilation)[0, 0]


def _as_counts(got):
    try:
        if isinstance(got, (str, bytes, dict)):
            return None
        values = [float(v) for v in got]
        if len(values) != len(COVERAGE_PIXELS) or any(v != int(v) for v in values):
            return None
        return tuple(int(v) for v in values)
    except Exception:  # noqa: BLE001
        return None


def check_coverage_prediction(counts):
    """Check the predicted number of windows reading each pixel of COVERAGE_PIXELS, for COVERAGE_LAYER."""
    title = "windows per pixel"
    if counts is None:
        print(colored(f"{title}: not answered yet.", "yellow") + " Set counts, then run this cell again.")
        return
    L = COVERAGE_LAYER
    cov = _coverage(**L)
    expected = tuple(int(cov[r, q]) for r, q in COVERAGE_PIXELS)
    undilated = _coverage(**{**L, "dilation": 1})
    unpadded = _coverage(**{**L, "H": L["H"] + 2 * L["padding"], "W": L["W"] + 2 * L["padding"], "padding": 0})

    def diagnose(got, _expected):
        values = _as_counts(got)
        if values is None:
            return f"answer with {len(COVERAGE_PIXELS)} whole numbers, one per pixel, in the order given"
        if values == tuple(int(undilated[r, q]) for r, q in COVERAGE_PIXELS):
            return "that is the count without dilation: here a window's taps are 2 pixels apart, not neighbours"
        if values == tuple(int(unpadded[r, q]) for r, q in COVERAGE_PIXELS):
            return "input pixel (r, q) is pixel (r + p, q + p) of the padded input: shift by the padding first"
        return (
            "count rows and columns separately: list the padded rows each window reads (o*s + t*d for "
            "t = 0 .. K-1), count how many windows read padded row r + p, do the same for the column, and "
            "multiply the two counts"
        )

    _check_value(title, counts, expected, diagnose, compare=lambda got, e: _as_counts(got) == e)


__all__ = [
    "COVERAGE_LAYER",
    "COVERAGE_PIXELS",
    "check_col2im",
    "check_coverage_prediction",
    "check_im2col_nhwc",
    "check_windows_1d",
]
