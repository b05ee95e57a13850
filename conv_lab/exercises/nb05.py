"""Exercise checkers for notebook 05: dx as a correlation with rot180(w), and as upsampling."""

import numpy as np

from ..blocks import corr2d, dilate2d, output_size, pad2d, rot180, stride_leftover
from ..conv import conv2d_backward
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


# --- 1. warm-up: predict the rot180 padding amounts ------------------------------------------------

PADS_LAYER = dict(size=10, kernel_size=3, stride=3, padding=1, dilation=2)


def _pads_truth(size, kernel_size, stride, padding, dilation):
    reach = dilation * (kernel_size - 1)
    a = stride_leftover(size, kernel_size, stride, padding, dilation)
    return reach - padding, reach - padding + a


def check_rot180_pads(answer):
    """Check a predicted ``(top, bottom)``: the rot180 route's padding of the zero-inserted dy for PADS_LAYER."""
    title = "rot180 padding amounts"
    if _not_answered(title, answer, "(top, bottom)"):
        return
    H, K, s, p, d = (PADS_LAYER[k] for k in ("size", "kernel_size", "stride", "padding", "dilation"))
    expected = _pads_truth(H, K, s, p, d)
    a = stride_leftover(H, K, s, p, d)

    def diagnose(got, expected):
        try:
            if isinstance(got, (str, bytes)):
                raise TypeError
            top, bottom = (int(v) if _is_whole(v) else None for v in got)
        except Exception:  # noqa: BLE001
            return "answer with a pair of whole numbers (top, bottom), e.g. (2, 3)"
        if top is None or bottom is None:
            return "padding amounts are whole numbers of rows"
        if (top, bottom) == (K - 1 - p, K - 1 - p + a) or (top, bottom) == (K - 1 - p, K - 1 - p):
            return "the kernel is dilated: its taps reach d(K-1) rows, not K-1, and that sets the padding"
        if top == expected[0] and bottom == top:
            return (
                "the top is right. The bottom needs a more, a = (H + 2p - d(K-1) - 1) mod s: the rows of the "
                "padded input below the last window still need a dx (zero for the input rows among them)"
            )
        if (top, bottom) == (expected[0] + p, expected[1] + p):
            return "subtract the forward padding p: the padded input starts p rows above row 0 of x"
        if top == expected[0]:
            return "the top is right; for the bottom add a = (H + 2p - d(K-1) - 1) mod s to the top amount"
        return "top = d(K-1) - p, bottom = d(K-1) - p + a, with a = (H + 2p - d(K-1) - 1) mod s"

    _check_value(title, answer, expected, diagnose, compare=_same_ints)


# --- 2. dx by the rot180 route, with stride, padding and dilation ---------------------------------


def _rot180_cases():
    """Leftover rows (a != 0), dilation with s != d, crops (p > d(K-1)), non-square shapes, N, C, F > 1."""
    rng = np.random.default_rng(505)
    specs = [  # x shape, w shape, stride, padding, dilation
        ((1, 1, 6, 6), (1, 1, 3, 3), 2, 0, 1),  # a = 1
        ((2, 2, 9, 8), (3, 2, 3, 3), 2, 1, 2),  # dilation 2, a = (0, 1)
        ((1, 2, 10, 9), (2, 2, 3, 2), 3, 1, 2),  # s = 3, d = 2, a = (1, 2), non-square kernel
        ((2, 3, 8, 7), (2, 3, 2, 3), 2, 3, 1),  # p = 3 > d(K-1): crop
        ((1, 1, 11, 11), (1, 1, 3, 3), 3, 5, 2),  # p = 5 > d(K-1) = 4: crop with dilation, a = 1
        ((2, 2, 7, 9), (2, 2, 3, 3), 1, 1, 3),  # stride 1, dilation 3
    ]
    cases = []
    for xs, ws, s, p, d in specs:
        w = rng.integers(-3, 4, ws).astype(float)
        oh, ow = output_size(xs[2], ws[2], s, p, d), output_size(xs[3], ws[3], s, p, d)
        dy = rng.integers(-3, 4, (xs[0], ws[0], oh, ow)).astype(float)
        cases.append(dict(dy=dy, w=w, x_shape=xs, stride=s, padding=p, dilation=d))
    return cases


def _dx_reference(dy, w, x_shape, stride, padding, dilation):
    return conv2d_backward(dy, np.zeros(x_shape), w, stride, padding, dilation, method="loops")[0]


def _rot180_variant(dy, w, x_shape, stride, padding, dilation, *, insert=None, reach=None, tap=None, a=True, p=True):
    """The rot180 route with one step changed, to recognise a mistake; None when it can't be computed.

    insert: zero-insertion factor (default the stride); reach: the padding's kernel reach per axis
    (default d(K-1)); tap: the correlation's dilation (default d); a: add the leftover rows at the
    bottom; p: subtract the forward padding.
    """
    try:
        K = w.shape[2:]
        insert = stride if insert is None else insert
        reach = [dilation * (k - 1) for k in K] if reach is None else reach
        tap = dilation if tap is None else tap
        left = [stride_leftover(n, k, stride, padding, dilation) if a else 0 for n, k in zip(x_shape[2:], K)]
        q = padding if p else 0
        g = pad2d(
            dilate2d(dy, insert), ((reach[0] - q, reach[0] - q + left[0]), (reach[1] - q, reach[1] - q + left[1]))
        )
        k = rot180(w)
        N, C = dy.shape[0], w.shape[1]
        out = None
        for n in range(N):
            for c in range(C):
                val = sum(corr2d(g[n, f], k[f, c], dilation=tap) for f in range(w.shape[0]))
                if out is None:
                    out = np.zeros((N, C) + val.shape)
                out[n, c] = val
        return out
    except Exception:  # noqa: BLE001
        return None


def check_dx_rot180(fn):
    """Check ``fn(dy, w, x_shape, stride, padding, dilation) -> dx`` by the rot180 route, on unseen cases.

    ``conv2d_backward``, ``conv_transpose2d``, ``conv2d``, ``col2im`` and the layer's backward are
    unavailable; ``dilate2d``, ``pad2d``, ``rot180`` and ``corr2d`` may be used.
    """

    def diagnose(case, got, expected):
        dy, w, xs, s, p, d = (case[k] for k in ("dy", "w", "x_shape", "stride", "padding", "dilation"))
        K = w.shape[2:]
        variant = lambda **kw: _rot180_variant(dy, w, xs, s, p, d, **kw)  # noqa: E731
        if np.ndim(got) == 4 and np.shape(got)[1] == w.shape[0] and w.shape[0] != w.shape[1]:
            return (
                f"dx has C = {w.shape[1]} channels, one per input channel, but yours has F = {w.shape[0]}: "
                "dx[n, c] sums corr2d(g[n, f], rot180(w)[f, c]) over the gradient channels f"
            )
        if _matches(got, variant(a=False)):
            return (
                "dx is short by a rows/columns: pad the bottom/right by d(K-1) - p + a, with "
                "a = (H + 2p - d(K-1) - 1) mod s, not by the top amount"
            )
        if d > 1 and _matches(got, variant(reach=[k - 1 for k in K])):
            return "the dilated kernel reaches d(K-1) rows, not K-1: pad by d(K-1) - p (and d(K-1) - p + a)"
        if d > 1 and _matches(got, variant(tap=1)):
            return "the rotated kernel keeps its dilation: correlate with corr2d(..., dilation=d)"
        if s != d and _matches(got, variant(insert=d, tap=s)):
            return (
                "the two spacings are swapped: the zeros inserted between dy's entries come from the stride "
                "(s - 1 zeros), the gaps between the kernel's taps from the dilation d"
            )
        if _matches(got, variant(insert=s + 1)):
            return "insert s - 1 zeros between neighbouring dy entries (dilate2d(dy, s)), not s"
        if p and _matches(got, variant(p=False)):
            return "subtract the forward padding: the top/left amount is d(K-1) - p"
        if _flipped(got, case):
            return "the kernel must be rotated by 180 degrees (rot180(w), i.e. w[..., ::-1, ::-1])"
        if np.shape(got) != expected.shape:
            return f"dx must have x's shape {expected.shape}"
        return (
            "insert s-1 zeros between dy's entries, pad d(K-1)-p on top/left and d(K-1)-p+a on bottom/right "
            "(crop if negative), then correlate with rot180(w[f, c]) at stride 1, dilation d, summing over f"
        )

    def diagnose_error(case, exc):
        if isinstance(exc, IndexError):
            return (
                "an index ran past the end of an array. Check the kernel index: the kernel linking gradient "
                "channel f to input channel c is w[f, c] (w has shape (F, C, KH, KW)), and dx has C channels"
            )
        return None

    _run(
        "dx by rot180",
        fn,
        _rot180_cases(),
        _dx_reference,
        diagnose,
        forbid=_DX_ROUTINES,
        diagnose_error=diagnose_error,
    )


def _flipped(got, case):
    """True when got is dx computed with the unrotated kernel."""
    w = case["w"]
    dy, xs, s, p, d = (case[k] for k in ("dy", "x_shape", "stride", "padding", "dilation"))
    return _matches(got, _rot180_variant(dy, w[..., ::-1, ::-1], xs, s, p, d))


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


def check_dx_by_scatter(fn):
    """Check ``fn(dy, w, x_shape, stride, padding) -> dx``, the fixed scatter route, on unseen cases."""

    def diagnose(case, got, expected):
        dy, w, xs, s, p = (case[k] for k in ("dy", "w", "x_shape", "stride", "padding"))
        shape = np.shape(got)
        a = [stride_leftover(n, k, s, p) for n, k in zip(xs[2:], w.shape[2:])]
        if len(shape) == 4 and shape[:2] == expected.shape[:2]:
            short = [e - g for e, g in zip(expected.shape[2:], shape[2:])]
            if any(short) and short == a:
                return (
                    f"dx is short by a = {tuple(a)} rows/columns: the canvas ends where the last window ends, "
                    f"but the padded input has a more rows below it. Build the canvas with H + 2p rows, then cut "
                    f"p from each side (input rows below every window keep a zero dx)"
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

    _run(
        "dx by scattering",
        fn,
        _scatter_cases(),
        lambda dy, w, x_shape, stride, padding: _dx_reference(dy, w, x_shape, stride, padding, 1),
        diagnose,
        forbid=_DX_ROUTINES,
    )


# --- 4. predict, then check: the output_padding a decoder needs ----------------------------------

OUTPUT_PADDING_LAYERS = [  # the encoder layers a decoder must undo, in the notebook's order A, B, C, D
    dict(size=224, kernel_size=7, stride=2, padding=3, dilation=1),
    dict(size=31, kernel_size=3, stride=4, padding=1, dilation=1),
    dict(size=17, kernel_size=3, stride=3, padding=1, dilation=2),
    dict(size=20, kernel_size=3, stride=1, padding=2, dilation=2),
]


def _layer_args(layer):
    return tuple(layer[k] for k in ("size", "kernel_size", "stride", "padding", "dilation"))


def check_output_padding(answer):
    """Check predicted output paddings, one per layer of OUTPUT_PADDING_LAYERS, that give back each H."""
    title = "output_padding for the decoder"
    if _not_answered(title, answer, "a tuple of four numbers, one per layer"):
        return
    expected = tuple(stride_leftover(*_layer_args(layer)) for layer in OUTPUT_PADDING_LAYERS)

    def diagnose(got, expected):
        try:
            if isinstance(got, (str, bytes)):
                raise TypeError
            got = list(got)
            if len(got) != len(expected) or not all(_is_whole(g) for g in got):
                raise ValueError
            got = [int(g) for g in got]
        except Exception:  # noqa: BLE001
            return f"answer with {len(expected)} whole numbers, one per layer, e.g. (0, 1, 0, 1)"
        for name, g, e, layer in zip("ABCD", got, expected, OUTPUT_PADDING_LAYERS):
            if g == e:
                continue
            H, K, s, p, d = _layer_args(layer)
            where = f"layer {name} (H={H}, K={K}, s={s}, p={p}, d={d})"
            if g < 0:
                return f"{where}: output_padding adds rows; it can't be negative"
            if s == 1 and g > 0:
                size = (output_size(H, K, s, p, d) - 1) * s - 2 * p + d * (K - 1) + g + 1
                return (
                    f"{where}: with stride 1 there are no leftover rows, a = 0. PyTorch accepts {g} when it is "
                    f"below the dilation, but the result would have {size} rows, and a convolution with these "
                    f"settings maps {size} rows to {output_size(size, K, s, p, d)} outputs, not "
                    f"{output_size(H, K, s, p, d)}"
                )
            if g >= s:
                return f"{where}: a is a remainder after dividing by s = {s}, so it is smaller than {s}"
            if p and g == (H - d * (K - 1) - 1) % s:
                return f"{where}: the padding counts: a is computed from the padded height H + 2p"
            if d > 1 and g == (H + 2 * p - K) % s:
                return f"{where}: the dilated kernel spans d(K-1) + 1 rows, not K"
            return f"{where}: output_padding = a = (H + 2p - d(K-1) - 1) mod s"
        return "compare each number with a = (H + 2p - d(K-1) - 1) mod s for its layer"

    _check_value(title, answer, expected, diagnose, compare=_same_ints)


__all__ = [
    "OUTPUT_PADDING_LAYERS",
    "PADS_LAYER",
    "check_dx_by_scatter",
    "check_dx_rot180",
    "check_output_padding",
    "check_rot180_pads",
]
