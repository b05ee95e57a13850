"""Exercise checkers for notebook 05: dx as a correlation with rot180(w), and as upsampling."""

import re

import numpy as np

from ..blocks import corr2d, dilate2d, output_size, pad2d, rot180, stride_leftover
from ..conv import conv2d_backward, conv_transpose2d
from ._common import FORWARD_ROUTINES, GRADIENT_ROUTINES
from ._common import check_value as _check_value
from ._common import is_whole as _is_whole
from ._common import matches as _matches
from ._common import not_answered as _not_answered
from ._common import run_checker as _run
from ._common import same_ints as _same_ints

# Routines that compute dx (or the transposed convolution) directly. The building blocks
# dilate2d, pad2d, rot180 and corr2d stay allowed.
# every gradient routine, and every routine that computes a whole multi-channel correlation in one call
# (corr2d, one channel at a time, stays allowed: it is the notebook's building block)
_DX_ROUTINES = GRADIENT_ROUTINES + tuple(r for r in FORWARD_ROUTINES if r not in ("corr2d", "convolve2d"))


# --- 1. predict, then check: the rot180 padding and the output_padding of two layers -------------

DECODER_LAYERS = [  # the layers of exercise 1, in the notebook's order P, Q
    dict(size=11, kernel_size=3, stride=3, padding=5, dilation=2),  # a crop, and a leftover row that is padding
    dict(size=20, kernel_size=3, stride=1, padding=2, dilation=2),  # stride 1: no leftover rows
]


def _layer_args(layer):
    return tuple(layer[k] for k in ("size", "kernel_size", "stride", "padding", "dilation"))


def _layer_truth(layer):
    """(top, bottom, output_padding) of one layer."""
    H, K, s, p, d = _layer_args(layer)
    a = stride_leftover(H, K, s, p, d)
    return d * (K - 1) - p, d * (K - 1) - p + a, a


def pads_hint(layer, top, bottom):
    """Name the likely mistake behind a wrong (top, bottom) of the rot180 route; None if they are right."""
    H, K, s, p, d = _layer_args(layer)
    t, b, a = _layer_truth(layer)
    if (top, bottom) == (t, b):
        return None
    if d > 1 and (top, bottom) in ((K - 1 - p, K - 1 - p + a), (K - 1 - p, K - 1 - p)):
        return "the kernel is dilated: its taps reach d(K-1) rows, not K-1, and that sets the padding"
    if t < 0 and (top, bottom) in ((0, max(0, b)), (0, 0), (0, a)):
        return (
            f"d(K-1) - p = {t} is negative, and a negative amount is a crop: the route cuts "
            f"{-t} row(s) off z instead of padding. Answer the negative number; don't round it up to 0"
        )
    if t and (top, bottom) in ((-t, -b), (-t, -t + a)):
        return "the sign: the top amount is d(K-1) - p, not p - d(K-1)"
    if top == t and bottom == top:
        return (
            "the top is right. The bottom is the top plus a = (H + 2p - d(K-1) - 1) mod s: the last input row's "
            "window ends at padded row H - 1 + p, which lies d(K-1) - p + a rows below z's last entry. The a rows "
            "below the last window count here whether they are input rows or padding"
        )
    if p and (top, bottom) == (t + p, b + p):
        return "subtract the forward padding p: the padded input starts p rows above row 0 of x"
    if top == t:
        return "the top is right; for the bottom add a = (H + 2p - d(K-1) - 1) mod s to the top amount"
    return "top = d(K-1) - p, bottom = d(K-1) - p + a, with a = (H + 2p - d(K-1) - 1) mod s"


def output_padding_hint(layer, g, bottom_minus_top=None):
    """Name the likely mistake behind a wrong output_padding g; None if it is right."""
    H, K, s, p, d = _layer_args(layer)
    a = _layer_truth(layer)[2]
    if g == a:
        return None
    if g < 0:
        return "output_padding adds rows; it can't be negative"
    if s == 1:
        size = (output_size(H, K, s, p, d) - 1) * s - 2 * p + d * (K - 1) + g + 1
        return (
            f"with stride 1 there are no leftover rows, a = 0. PyTorch accepts {g} when it is "
            f"below the dilation, but the result would have {size} rows, and a convolution with these "
            f"settings maps {size} rows to {output_size(size, K, s, p, d)} outputs, not "
            f"{output_size(H, K, s, p, d)}"
        )
    if g >= s:
        return f"a is a remainder after dividing by s = {s}, so it is smaller than {s}"
    reasons = []
    if p and g == (H - d * (K - 1) - 1) % s:
        reasons.append("the padding counts: a is computed from the padded height H + 2p")
    if d > 1 and g == (H + 2 * p - K) % s:
        reasons.append("the dilated kernel spans d(K-1) + 1 rows, not K")
    if g == 0 and a:
        hint = "output_padding = a, and a is not 0 for this layer: 0 leaves out the rows below the last window"
        if reasons:
            hint += ". If your a came out 0: " + "; or ".join(reasons) + " (a = (H + 2p - d(K-1) - 1) mod s)"
        return hint
    if reasons:
        return "; or ".join(reasons) + " (a = (H + 2p - d(K-1) - 1) mod s)"
    if bottom_minus_top is not None and bottom_minus_top == a:
        return (
            "your padding is right, so you know a already: output_padding takes the place of a, "
            "the bottom amount minus the top amount"
        )
    return "output_padding = a = (H + 2p - d(K-1) - 1) mod s"


def check_pads_and_output_padding(answer):
    """Check ``((top, bottom, output_padding), (top, bottom, output_padding))`` for DECODER_LAYERS P and Q."""
    title = "rot180 padding and output_padding"
    shape_help = "((top, bottom, output_padding), (top, bottom, output_padding)), one triple per layer"
    if _not_answered(title, answer, shape_help):
        return
    expected = tuple(_layer_truth(layer) for layer in DECODER_LAYERS)

    def diagnose(got, expected):
        try:
            if isinstance(got, (str, bytes)):
                raise TypeError
            rows = [list(r) for r in got]
            if len(rows) != len(expected) or any(len(r) != 3 for r in rows):
                raise ValueError
            if not all(_is_whole(v) for r in rows for v in r):
                return "padding amounts and output_padding are whole numbers of rows"
            rows = [[int(v) for v in r] for r in rows]
        except Exception:  # noqa: BLE001
            return f"answer {shape_help}, e.g. ((2, 3, 1), (0, 0, 0))"
        for name, (top, bottom, op), layer in zip("PQ", rows, DECODER_LAYERS):
            H, K, s, p, d = _layer_args(layer)
            where = f"layer {name} (H={H}, K={K}, s={s}, p={p}, d={d})"
            hint = pads_hint(layer, top, bottom)
            if hint:
                return f"{where}, padding: {hint}"
            hint = output_padding_hint(layer, op, bottom - top)
            if hint:
                return f"{where}, output_padding: {hint}"
        return "compare each number with top = d(K-1) - p, bottom = top + a, output_padding = a"

    _check_value(title, answer, expected, diagnose, compare=_same_triples)


def _same_triples(got, expected):
    """True when ``got`` holds one sequence of whole numbers per expected triple. Never raises."""
    if isinstance(got, (str, bytes)):
        return False
    try:
        return len(got) == len(expected) and all(_same_ints(g, e) for g, e in zip(got, expected))
    except Exception:  # noqa: BLE001
        return False


# --- 2. the transposed convolution by scattering kernel copies -----------------------------------------


def _transpose_cases():
    """output_padding 0 and > 0, dilation with s != d, crops (p > d(K-1)), non-square shapes, N, C, F > 1.

    Case 1 is chosen so that each common mistake gives its own result height.
    """
    rng = np.random.default_rng(505)
    specs = [  # y shape, w shape, stride, padding, output_padding, dilation
        ((1, 1, 4, 4), (1, 1, 3, 3), 2, 2, 1, 2),
        ((2, 3, 3, 4), (3, 2, 3, 3), 2, 1, 1, 1),
        ((1, 2, 3, 3), (2, 2, 3, 2), 3, 1, 2, 2),  # s = 3, d = 2, non-square kernel
        ((2, 2, 5, 4), (2, 3, 2, 3), 2, 3, 0, 1),  # p = 3 > d(K-1): crop
        ((1, 1, 3, 3), (1, 1, 3, 3), 3, 5, 1, 2),  # p = 5 > d(K-1) = 4: crop with dilation
        ((2, 2, 5, 7), (2, 2, 3, 3), 1, 1, 0, 3),  # stride 1, dilation 3
    ]
    cases = []
    for ys, ws, s, p, op, d in specs:
        cases.append(
            dict(
                y=rng.integers(-3, 4, ys).astype(float),
                w=rng.integers(-3, 4, ws).astype(float),
                stride=s,
                padding=p,
                output_padding=op,
                dilation=d,
            )
        )
    return cases


def _dx_reference(dy, w, x_shape, stride, padding, dilation):
    return conv2d_backward(dy, np.zeros(x_shape), w, stride, padding, dilation, method="loops")[0]


def _transpose_reference(y, w, stride, padding, output_padding, dilation):
    return conv_transpose2d(y, w, stride, padding, output_padding, dilation)


def _transpose_variant(y, w, s, p, op, d, *, insert=None, reach=None, tap=None, use_op=True, use_p=True):
    """The rot180 route with one step changed, to recognise a mistake; None when it can't be computed.

    insert: zero-insertion factor (default s); reach: the padding's kernel reach per axis (default
    d(K-1)); tap: the correlation's dilation (default d); use_op: add output_padding at the bottom;
    use_p: subtract the padding.
    """
    try:
        K = w.shape[2:]
        insert = s if insert is None else insert
        reach = [d * (k - 1) for k in K] if reach is None else reach
        tap = d if tap is None else tap
        extra = op if use_op else 0
        q = p if use_p else 0
        g = pad2d(dilate2d(y, insert), tuple((r - q, r - q + extra) for r in reach))
        k = rot180(w)
        return np.array(
            [
                [sum(corr2d(g[n, f], k[f, c], dilation=tap) for f in range(w.shape[0])) for c in range(w.shape[1])]
                for n in range(y.shape[0])
            ]
        )  # (N, C, H, W)
    except Exception:  # noqa: BLE001
        return None


def _scatter_transpose(
    y,
    w,
    s,
    p,
    op,
    d,
    *,
    step=None,
    tap=None,
    kernel=None,
    op_on_top=False,
    top_cut=None,
    append_op=False,
    overwrite=False,
    cut=True,
):
    """The scatter form of the transposed convolution with one step changed; None when it can't be computed.

    step: where copy i starts (default i*s); tap: the spacing of a copy's taps (default d); kernel:
    the (F, C, KH, KW) array stamped (default w); op_on_top: output_padding rows added above the
    canvas; top_cut: rows cut at the top (default p); append_op: cut p at both ends, then append
    output_padding rows of zeros; overwrite: '=' instead of '+=' where copies overlap; cut: False
    returns the whole canvas, nothing cut off.
    """
    try:
        step = s if step is None else step
        tap = d if tap is None else tap
        kernel = w if kernel is None else kernel
        N, F, L, M = y.shape
        C, KH, KW = w.shape[1:]
        full = [(n - 1) * step + tap * (k - 1) + 1 for n, k in zip((L, M), (KH, KW))]
        want = [f - 2 * p + op for f in full]  # the height and width this variant's own arithmetic gives
        if min(want) <= 0:
            return None
        canvas = np.zeros((N, C, full[0] + op + abs(p), full[1] + op + abs(p)))
        for i in range(L):
            for j in range(M):
                rows = slice(i * step, i * step + tap * (KH - 1) + 1, tap)
                cols = slice(j * step, j * step + tap * (KW - 1) + 1, tap)
                stamp = np.einsum("nf,fcuv->ncuv", y[:, :, i, j], kernel)  # (N, C, KH, KW)
                if overwrite:
                    canvas[:, :, rows, cols] = stamp
                else:
                    canvas[:, :, rows, cols] += stamp
        if not cut:
            return canvas[:, :, : full[0] + op, : full[1] + op]
        if op_on_top:
            canvas = np.concatenate([np.zeros((N, C, op, canvas.shape[3])), canvas], axis=2)
            canvas = np.concatenate([np.zeros((N, C, canvas.shape[2], op)), canvas], axis=3)
        if append_op:
            h, w_ = (f - 2 * p for f in full)
            out = np.zeros((N, C, h + op, w_ + op))
            out[:, :, :h, :w_] = canvas[:, :, p : p + h, p : p + w_]
            return out
        t = p if top_cut is None else top_cut
        if t < 0 or t + want[0] > canvas.shape[2] or t + want[1] > canvas.shape[3]:
            return None
        return canvas[:, :, t : t + want[0], t : t + want[1]]
    except Exception:  # noqa: BLE001
        return None


_NO_CROP_HINT = (
    "the padding p was not taken off. In the scatter form, cut p rows at each end of the canvas (and p columns "
    "at each side): the result is rows p .. p + H - 1, H = (L - 1)s - 2p + d(K-1) + 1 + output_padding. "
    "(In the rot180 route: pad d(K-1) - p on top/left, not d(K-1))"
)


def _scatter_transpose_mistakes(case):
    """(variant keyword arguments, hint) for the scatter form's documented mistakes that this case can show."""
    y, w, s, p, op, d = (case[k] for k in ("y", "w", "stride", "padding", "output_padding", "dilation"))
    F, C, KH, KW = w.shape
    mistakes = []
    if s > 1:
        mistakes.append((dict(step=1), "copy i starts at row i*s of the canvas, not row i: copies are s apart"))
    if d > 1:
        mistakes.append(
            (dict(tap=1), "a dilated kernel's taps are d apart: tap u of the copy for y[i] lands on row i*s + u*d")
        )
    mistakes.append(
        (
            dict(kernel=rot180(w)),
            "the kernel is turned the wrong way round: the scatter stamps w as it is (each y entry adds "
            "y * w[f, c] where its window was); only the gather form, the rot180 route, uses rot180(w)",
        )
    )
    mistakes.append(
        (
            dict(kernel=w[..., ::-1, :]),
            "you flipped the kernel's rows only. The scatter stamps w unflipped (and the rot180 route flips "
            "both axes, w[..., ::-1, ::-1])",
        )
    )
    if F > 1 and C > 1:
        mistakes.append(
            (
                dict(kernel=w.reshape(C, F, KH, KW).transpose(1, 0, 2, 3)),
                "w.reshape(C, F, KH, KW) reorders the numbers, it does not swap axes: the kernel from channel f "
                "of y to output channel c is w[f, c] (use w.transpose(1, 0, 2, 3) if you want (C, F, KH, KW))",
            )
        )
        mistakes.append(
            (
                dict(kernel=np.concatenate([w[:1], np.zeros_like(w[1:])])),
                "only channel f = 0 of y reached the result: output channel c adds up the copies from every "
                "channel f of y",
            )
        )
    mistakes.append((dict(overwrite=True), "overlapping copies add up: use += on the canvas, not ="))
    if op:
        mistakes.append(
            (
                dict(op_on_top=True),
                "output_padding adds rows at the bottom and columns at the right, not at the top/left",
            )
        )
        if p:
            mistakes.append(
                (
                    dict(append_op=True),
                    "output_padding does not append zero rows: it cuts p - output_padding rows at the bottom "
                    "instead of p. The result is rows p .. p + H - 1 of the canvas (extended with zeros if needed)",
                )
            )
    if p:
        mistakes.append(
            (
                dict(cut=False),
                _NO_CROP_HINT,
            )
        )
        mistakes.append((dict(top_cut=0), "cut p rows at the top too: the result starts at row p of the canvas"))
        mistakes.append(
            (dict(top_cut=2 * p), "cut p rows at the top, not 2p: the result starts at row p of the canvas")
        )
    return mistakes


def _transpose_mistakes(case):
    """(variant keyword arguments, hint) for each documented mistake that this case can show."""
    s, p, d, op = (case[k] for k in ("stride", "padding", "dilation", "output_padding"))
    K = case["w"].shape[2:]
    mistakes = []
    if op:
        mistakes.append(
            (
                dict(use_op=False),
                "output_padding is missing: it adds that many rows at the bottom of the result (and columns at "
                "the right). In the scatter form the result is canvas rows p .. p + H - 1, with "
                "H = (L - 1)s - 2p + d(K-1) + 1 + output_padding; canvas rows that no copy reaches are zero. "
                "(In the rot180 route: pad d(K-1) - p + output_padding on bottom/right)",
            )
        )
    if d > 1:
        mistakes.append(
            (
                dict(reach=[k - 1 for k in K]),
                "the dilated kernel reaches d(K-1) rows, not K-1: pad by d(K-1) - p (and d(K-1) - p + output_padding)",
            )
        )
        mistakes.append((dict(tap=1), "the rotated kernel keeps its dilation: correlate with corr2d(..., dilation=d)"))
    if s != d:
        mistakes.append(
            (
                dict(insert=d, tap=s),
                "the two spacings are swapped: the zeros inserted between y's entries come from the stride "
                "(s - 1 zeros), the gaps between the kernel's taps from the dilation d",
            )
        )
    mistakes.append((dict(insert=s + 1), "insert s - 1 zeros between neighbouring entries (dilate2d(y, s)), not s"))
    if p:
        mistakes.append((dict(use_p=False), _NO_CROP_HINT))
    return mistakes


def diagnose_transpose(case, got, expected):
    """Name the likely mistake behind a wrong result of exercise 2."""
    y, w, s, p, op, d = (case[k] for k in ("y", "w", "stride", "padding", "output_padding", "dilation"))
    F, C = w.shape[:2]
    if np.ndim(got) == 4 and np.shape(got)[1] == F and F != C:
        return (
            f"the result has C = {C} channels, one per input channel of the convolution, but yours has F = {F}: "
            "out[n, c] sums corr2d(g[n, f], rot180(w)[f, c]) over f"
        )
    for kwargs, hint in _scatter_transpose_mistakes(case):
        if _matches(got, _scatter_transpose(y, w, s, p, op, d, **kwargs)):
            return hint
    for kwargs, hint in _transpose_mistakes(case):
        if _matches(got, _transpose_variant(y, w, s, p, op, d, **kwargs)):
            return hint
    if _matches(got, _transpose_variant(y, w[..., ::-1, ::-1], s, p, op, d)):
        return "in the rot180 route the kernel must be rotated by 180 degrees (rot180(w), i.e. w[..., ::-1, ::-1])"
    if _matches(got, _transpose_variant(y, w[..., ::-1, ::-1][..., ::-1, :], s, p, op, d)):
        return "rot180 flips both axes: w[..., ::-1, ::-1]. Flipping the rows only is a mirror, not a rotation"
    if np.shape(got) != expected.shape:
        return (
            f"the result should have shape {expected.shape}: H = (L - 1)s - 2p + d(K-1) + output_padding + 1 "
            "rows for L rows of y"
        )
    return (
        "each y[n, f, i, j] adds y[n, f, i, j] * w[f, c] into output channel c, tap (u, v) at canvas row i*s + u*d "
        "and column j*s + v*d; the canvas has (L-1)s + d(K-1) + 1 + output_padding rows, and the result is rows "
        "p .. p + H - 1 of it"
    )


def diagnose_transpose_error(case, exc):
    """A hint for an exception from exercise 2: a shape in a broadcast error often names the mistake."""
    if isinstance(exc, IndexError):
        return (
            "an index ran past the end of an array. Check the kernel index: the kernel linking channel f of y "
            "to output channel c is w[f, c] (w has shape (F, C, KH, KW)), and the result has C channels"
        )
    if not isinstance(exc, ValueError):
        return None
    shapes = {tuple(int(v) for v in m.split(",") if v.strip()) for m in re.findall(r"\(([\d, ]+)\)", str(exc))}
    y, w, s, p, op, d = (case[k] for k in ("y", "w", "stride", "padding", "output_padding", "dilation"))
    want = tuple(  # the result's height and width, by arithmetic: no library call while judging
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, k in zip(y.shape[2:], w.shape[2:])
    )
    for kwargs, hint in _transpose_mistakes(case):
        wrong = _transpose_variant(y, w, s, p, op, d, **kwargs)
        if wrong is not None and wrong.shape[2:] != want and wrong.shape[2:] in shapes:
            return f"one correlation came out {wrong.shape[2:]}, the result is {want}: {hint}"
    return None


def check_conv_transpose(fn):
    """Check ``fn(y, w, stride, padding, output_padding, dilation)``, the transposed convolution, on unseen cases."""
    _run(
        "transposed convolution by scattering",
        fn,
        _transpose_cases(),
        _transpose_reference,
        diagnose_transpose,
        forbid=_DX_ROUTINES,
        diagnose_error=diagnose_transpose_error,
    )


# --- 3. find the bug: dx as upsampling, by scattering kernel copies -------------------------------


def _scatter_cases():
    """Stride 1 first (the buggy function passes them), then a = 0, a <= p, a > p, rows unread inside."""
    rng = np.random.default_rng(507)
    specs = [  # x shape, w shape, stride, padding
        ((1, 1, 5, 5), (1, 1, 3, 3), 1, 0),
        ((2, 2, 6, 7), (3, 2, 3, 2), 1, 1),
        ((1, 2, 7, 7), (2, 2, 3, 3), 2, 1),  # a = 0
        ((1, 1, 5, 5), (1, 1, 3, 3), 2, 3),  # a = 0, padding beyond the kernel's reach
        ((2, 2, 8, 7), (2, 2, 3, 2), 2, 1),  # a = (1, 1) <= p: the leftover rows are padding
        ((1, 1, 6, 6), (1, 1, 3, 3), 3, 1),  # a = 2 > p = 1: input row 5 is below every window
        ((1, 1, 6, 6), (1, 1, 3, 3), 2, 0),  # a = 1 > p = 0
        ((2, 3, 9, 8), (2, 3, 2, 3), 3, 1),  # a = (0, 1)
        ((1, 2, 11, 10), (2, 2, 3, 2), 4, 0),  # a = (0, 0), but rows 3 and 7 unread inside the image
        ((1, 1, 12, 11), (1, 1, 3, 3), 4, 0),  # a = (1, 0) > p, plus unread rows inside
    ]
    cases = []
    for xs, ws, s, p in specs:
        w = rng.integers(-3, 4, ws).astype(float)
        oh, ow = output_size(xs[2], ws[2], s, p), output_size(xs[3], ws[3], s, p)
        dy = rng.integers(-3, 4, (xs[0], ws[0], oh, ow)).astype(float)
        cases.append(dict(dy=dy, w=w, x_shape=xs, stride=s, padding=p))
    return cases


def _scatter_at(dy, w, x_shape, step, padding, top=None):
    """The scatter route on a canvas as big as the padded input, each copy placed at (i*step, j*step).

    top: the first row and column kept (default padding, the right crop).
    """
    top = padding if top is None else top
    try:
        H, W = x_shape[2:]
        KH, KW = w.shape[2:]
        dxp = np.zeros((dy.shape[0], w.shape[1], H + 2 * padding + KH, W + 2 * padding + KW))
        for i in range(dy.shape[2]):
            for j in range(dy.shape[3]):
                dxp[:, :, i * step : i * step + KH, j * step : j * step + KW] += np.einsum(
                    "nf,fcuv->ncuv", dy[:, :, i, j], w
                )
        if top + H > dxp.shape[2] or top + W > dxp.shape[3]:
            return None
        return dxp[:, :, top : top + H, top : top + W]
    except Exception:  # noqa: BLE001
        return None


_ONE_SIDE_FOR_BOTH = (
    "x is not square here (H = {H}, W = {W}): your canvas or your crop uses one of them for both axes. "
    "Rows come from H = x_shape[2], columns from W = x_shape[3]"
)


def diagnose_scatter_error(case, exc):
    """A hint for an exception from exercise 3: a broadcast error on a non-square x usually means H used for W."""
    H, W = case["x_shape"][2:]
    if isinstance(exc, (ValueError, IndexError)) and H != W:
        return (
            f"an array operation failed on a case where x is not square (H = {H}, W = {W}). A common slip is "
            "one size for both axes: rows come from H = x_shape[2] and KH, columns from W = x_shape[3] and KW"
        )
    return None


def diagnose_scatter(case, got, expected):
    """Name the likely mistake behind a wrong result of exercise 3."""
    dy, w, xs, s, p = (case[k] for k in ("dy", "w", "x_shape", "stride", "padding"))
    shape = np.shape(got)
    a = [stride_leftover(n, k, s, p) for n, k in zip(xs[2:], w.shape[2:])]
    if len(shape) == 4 and shape[:2] == expected.shape[:2]:
        H, W = xs[2:]
        if H != W and tuple(shape[2:]) in ((H, H), (W, W)):
            return _ONE_SIDE_FOR_BOTH.format(H=H, W=W)
        if p == 0 and 0 in shape[2:]:
            return (
                "your result is empty: with padding 0 the slice padding:-padding is 0:-0, i.e. 0:0, which "
                "selects nothing. Slice padding:padding + H instead"
            )
        if list(shape[2:]) == [n + 2 * p for n in xs[2:]] and p:
            return (
                f"your result has the padded input's shape {shape[2:]}: cut the padding off, p = {p} rows "
                "and columns from every side, so that dx has x's shape"
            )
        if s > 1 and _matches(got, _scatter_at(dy, w, xs, 1, p)):
            return (
                "the copies are placed at (i, j): output (i, j)'s window starts at row i*s and column j*s "
                "of the padded input, so its copy of the kernel goes there"
            )
        if _matches(got, _scatter_at(dy, rot180(w), xs, s, p)):
            return (
                "the scatter stamps w as it is, not rot180(w): output (i, j) read the padded input through "
                "w[f, c, u, v] at row i*s + u, so that is where dy[n, f, i, j] * w[f, c, u, v] goes back. "
                "The rotation belongs to the gather form (the rot180 route)"
            )
        if p and _matches(got, _scatter_at(dy, w, xs, s, p, top=0)):
            return (
                "the crop is wrong: you cut the 2p padding rows all from the bottom. Row 0 of x is row p of "
                "the canvas: cut p at the top and p at the bottom"
            )
        if p and _matches(got, _scatter_at(dy, w, xs, s, p, top=2 * p)):
            return "the crop is wrong: you cut 2p rows at the top. Row 0 of x is row p of the canvas: cut p at each end"
        short = [e - g for e, g in zip(expected.shape[2:], shape[2:])]
        if any(short) and short == a:
            return (
                f"dx is short by a = {tuple(a)} rows/columns, the padded input's rows below the last window: "
                "the canvas ends where the last window ends"
            )
        if any(short) and short == [max(0, ai - p) for ai in a]:
            return (
                "slicing past the end of the canvas silently returns fewer rows: when a > p, the last "
                "a - p input rows lie below every window. Make the canvas as big as the padded input, "
                "H + 2p rows, before you cut the padding off"
            )
    if shape != expected.shape:
        return f"dx must have x's shape {expected.shape}"
    return (
        "every dy[n, f, i, j] adds dy * w[f] at rows i*s .. i*s+KH-1 of a canvas as big as the padded "
        "input (H + 2p rows); then cut p rows and columns from every side"
    )


def check_dx_by_scatter(fn):
    """Check ``fn(dy, w, x_shape, stride, padding) -> dx``, the fixed scatter route, on unseen cases."""
    _run(
        "dx by scattering",
        fn,
        _scatter_cases(),
        lambda dy, w, x_shape, stride, padding: _dx_reference(dy, w, x_shape, stride, padding, 1),
        diagnose_scatter,
        forbid=_DX_ROUTINES,
        diagnose_error=diagnose_scatter_error,
    )


__all__ = [
    "DECODER_LAYERS",
    "check_conv_transpose",
    "check_dx_by_scatter",
    "check_pads_and_output_padding",
]
