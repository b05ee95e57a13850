"""Exercise checkers for notebook 01: output size, the rows a layer reads, and corr2d in full generality."""

import numpy as np
from termcolor import colored

from ..blocks import convolve2d, corr2d, output_size, rows_read, stride_leftover
from ._common import FORWARD_ROUTINES
from ._common import check_value as _check_value
from ._common import is_whole as _is_whole
from ._common import matches as _matches
from ._common import run_checker as _run

# Everything that answers "how big is the output / which rows are read" directly or by probing a shape.
_SIZE_ROUTINES = ("size", "read-rows", "forward", "gradient")


def _number(v):
    """A 0-d array as its single value (np.array(3) -> 3); anything else unchanged. Never raises."""
    try:
        return v.item() if isinstance(v, np.ndarray) and v.ndim == 0 else v
    except Exception:  # noqa: BLE001
        return v


def _size_or_none(size, kernel_size, stride, padding, dilation):
    """output_size, or None when the arguments are not a valid layer. Never raises."""
    try:
        return output_size(size, kernel_size, stride, padding, dilation)
    except Exception:  # noqa: BLE001
        return None


# --- 1. warm-up: the padding that gives a wanted output size ---------------------------------------

PADDING_FOR_CASES = [
    dict(size=32, kernel_size=3, stride=2, dilation=1, out_size=16),
    dict(size=10, kernel_size=3, stride=1, dilation=2, out_size=10),  # dilation: span 5
    dict(size=11, kernel_size=3, stride=3, dilation=1, out_size=3),  # no padding needed (the formula gives -1)
    dict(size=20, kernel_size=3, stride=4, dilation=1, out_size=6),  # paddings 2 and 3 both work: the smallest
    dict(size=224, kernel_size=7, stride=2, dilation=1, out_size=112),
    dict(size=15, kernel_size=5, stride=2, dilation=2, out_size=8),
    dict(size=9, kernel_size=4, stride=3, dilation=1, out_size=4),
    dict(size=7, kernel_size=2, stride=1, dilation=1, out_size=8),
]


def _padding_for(size, kernel_size, stride, dilation, out_size):
    """Smallest padding with the wanted output size, by trying 0, 1, 2, ... (the cases all have one)."""
    for padding in range(0, size + dilation * kernel_size + stride * out_size):
        if output_size(size, kernel_size, stride, padding, dilation) == out_size:
            return padding
    raise ValueError(f"no padding gives out_size={out_size}")  # a broken case; run_checker reports it


def check_padding_for(fn):
    """Check ``fn(size, kernel_size, stride, dilation, out_size) -> padding``: the smallest one giving out_size."""

    def diagnose(case, got, expected):
        H, K, s, d, want = (case[k] for k in ("size", "kernel_size", "stride", "dilation", "out_size"))
        need = (want - 1) * s + d * (K - 1) + 1 - H  # total padding the last window needs
        got = _number(got)
        if not _is_whole(got):
            return "a padding is a whole number of rows: round the half up"
        got = int(got)
        if got < 0:
            return "a padding can't be negative: when the input already has room for the windows, the answer is 0"
        theirs = _size_or_none(H, K, s, got, d)
        if theirs == want and got > expected:
            return f"padding {got} gives {want} outputs, but a smaller padding does too: return the smallest"
        if got == d * (K - 1) // 2 and s > 1:
            return (
                "that is the 'same' padding d(K-1)//2, which keeps the size only at stride 1. Work out the rows "
                "the last window needs, (out_size - 1)*stride + d(K-1) + 1, and pad half the shortfall on each side"
            )
        if got == need // 2 and need % 2:
            return (
                "rounded down: p = floor(((out_size-1)*s + d(K-1) + 1 - H) / 2), a formula several tutorials "
                "copy, leaves the padded input one row short of the last window. 2p must be at least that "
                "number of rows: round the half up."
            )
        if got == need and need > 0:
            return "padding is per side: p zeros on top AND p at the bottom, so split the total over two sides"
        if d > 1 and got == max(0, -(-((want - 1) * s + K - H) // 2)):
            return "dilation ignored: a kernel dilated by d spans d*(K-1)+1 rows, not K"
        if got == max(0, -(-(want * s + d * (K - 1) + 1 - H) // 2)):
            return "off by one window: the last window starts at (out_size - 1) * stride, not out_size * stride"
        theirs = _size_or_none(H, K, s, got, d)
        if theirs is not None:
            return f"with padding {got} this layer gives {theirs} outputs, not {want}"
        return "with that padding the kernel does not even fit: the padded input must span the last window"

    _run(
        "padding for an output size",
        fn,
        PADDING_FOR_CASES,
        _padding_for,
        diagnose,
        forbid=_SIZE_ROUTINES,
        compare=lambda got, expected: _is_whole(_number(got)) and int(_number(got)) == expected,
    )


# --- 2. predict, then check: OH, a and the unread input rows of three layers -----------------------

PREDICTION_LAYERS = {
    "shortcut": dict(size=9, kernel_size=1, stride=2, padding=1, dilation=1),
    "spaced": dict(size=10, kernel_size=3, stride=4, padding=1, dilation=1),
}


def _truth(layer):
    H, K, s, p, d = (layer[k] for k in ("size", "kernel_size", "stride", "padding", "dilation"))
    unread = [int(i) for i in np.nonzero(~rows_read(H, K, s, p, d))[0]]
    return output_size(H, K, s, p, d), stride_leftover(H, K, s, p, d), unread


def check_layer_prediction(name, answer):
    """Check a predicted ``(OH, a, [unread input rows])`` for one of :data:`PREDICTION_LAYERS`.

    A value answer: the student works it out on paper and types the numbers.
    """
    title = f"prediction '{name}'"
    if name not in PREDICTION_LAYERS:
        print(colored(f"{title}: the layers are {', '.join(map(repr, PREDICTION_LAYERS))}.", "red"))
        return
    if answer is None or answer is Ellipsis:
        print(colored(f"{title}: not answered yet.", "yellow") + " Replace the ... with (OH, a, [rows]).")
        return
    layer = PREDICTION_LAYERS[name]
    H, K, s, p, d = (layer[k] for k in ("size", "kernel_size", "stride", "padding", "dilation"))
    OH, a, unread = _truth(layer)

    def diagnose(got, expected):
        try:
            got_oh, got_a, got_rows = got
            got_rows = sorted(int(r) for r in got_rows)
        except Exception:  # noqa: BLE001
            return "answer with a tuple (OH, a, [unread input rows]), e.g. (5, 0, [3, 4])"
        if not (_is_whole(got_oh) and int(got_oh) == OH):
            return "OH is not right: put the padded size H + 2p and the span d(K-1)+1 into the formula, floor, then + 1"
        if not (_is_whole(got_a) and int(got_a) == a):
            return "OH is right, a is not: a is the remainder of (H + 2p - d(K-1) - 1) divided by s"
        if a and got_rows == list(range(H - a, H)):
            return (
                "OH and a are right. But the a rows below the last window are rows of the PADDED input: the "
                "bottom p of them are padding, not input rows. And rows can go unread inside the image too"
            )
        if any(r < 0 or r >= H for r in got_rows):
            if not p:
                bad = next(r for r in got_rows if r < 0 or r >= H)
                return (
                    f"OH and a are right. This layer has no padding, and its input has H = {H} rows, numbered "
                    f"0 to {H - 1}: row {bad} does not exist"
                )
            return f"OH and a are right. List input rows only, numbered 0 to {H - 1}: padding rows are not input rows"
        if got_rows == [r + p for r in unread] and p:
            return "OH and a are right. You listed padded row numbers: input row i is padded row i + p"
        return (
            "OH and a are right; the unread rows are not. Write down the padded rows each window reads "
            "(window o: o*s, o*s + d, ..., o*s + d(K-1)), then subtract p"
        )

    _check_value(title, answer, (OH, a, unread), diagnose, compare=lambda got, expected: _as_triple(got) == expected)


def _as_triple(answer):
    """``(OH, a, [rows])`` as plain ints, whatever sequence types the student used; None if it isn't one."""
    try:
        oh, a, rows = answer
        rows = list(rows)
        if not all(_is_whole(v) for v in [oh, a, *rows]):
            return None
        return int(oh), int(a), sorted(int(r) for r in rows)  # any order: the question asks for a list of rows
    except Exception:  # noqa: BLE001
        return None


# --- 3. corr2d with a stride, a dilation and a padding of its own on each axis and each side -------


def _corr_cases():
    rng = np.random.default_rng(101)
    zero = ((0, 0), (0, 0))
    specs = [  # x shape, w shape, (sh, sw), ((top, bottom), (left, right)), (dh, dw)
        ((5, 6), (3, 3), (1, 1), zero, (1, 1)),
        ((7, 6), (2, 3), (2, 1), zero, (1, 1)),  # stride 2 down the rows, a leftover row
        ((6, 7), (3, 2), (1, 2), ((1, 1), (1, 1)), (1, 1)),  # padding, non-square kernel
        ((9, 8), (3, 3), (1, 1), zero, (2, 1)),  # dilation down the rows only, no padding
        ((6, 6), (4, 4), (1, 1), ((1, 2), (1, 2)), (1, 1)),  # 'same' for an even kernel: one more at the end
        ((7, 5), (3, 2), (1, 1), ((2, 0), (0, 1)), (1, 1)),  # four different amounts
        ((8, 9), (2, 3), (2, 3), ((1, 0), (2, 1)), (2, 1)),  # everything different on the two axes
    ]
    cases = [
        dict(
            x=rng.integers(-4, 5, xs).astype(float),
            w=rng.integers(-3, 4, ws).astype(float),
            stride=s,
            padding=p,
            dilation=d,
        )
        for xs, ws, s, p, d in specs
    ]
    cases[0]["x"] = cases[0]["x"] + np.random.default_rng(7).uniform(-0.5, 0.5, specs[0][0]).round(2)  # not integers
    return cases


def _corr_reference(x, w, stride, padding, dilation):
    return corr2d(np.pad(x, padding), w, stride, 0, dilation)


def _shape_for(x, w, stride, padding, dilation):
    """(OH, OW) for the padded sizes H + top + bottom and W + left + right; None if a kernel does not fit."""
    (H, W), (KH, KW) = np.shape(x), np.shape(w)
    (top, bottom), (left, right) = padding
    oh = _size_or_none(H + top + bottom, KH, stride[0], 0, dilation[0])
    ow = _size_or_none(W + left + right, KW, stride[1], 0, dilation[1])
    return None if oh is None or ow is None else (oh, ow)


def _taps_variant(x, w, stride, padding, dilation, row_stride=True, tap_dilation=True, dilated_start=False, shape=None):
    """corr2d with one mistake, evaluated at ``shape``; None if it cannot be computed.

    ``dilated_start``: window (i, j) starts at (i*sh*dh, j*sw*dw); taps past the end of the padded
    input count as zeros (a loop that skips out-of-range taps).
    """
    try:
        KH, KW = w.shape
        OH, OW = shape
        rs = stride[0] if row_stride else 1
        (dh, dw) = dilation if tap_dilation else (1, 1)
        sw = stride[1]
        ah, aw = (dh, dw) if dilated_start else (1, 1)
        xp = np.pad(np.pad(x, padding), ((0, (OH + KH) * rs * ah), (0, (OW + KW) * sw * aw)))  # (zeros past the end)
        y = np.zeros((OH, OW))
        for i in range(OH):
            for j in range(OW):
                r, q = i * rs * ah, j * sw * aw
                win = xp[r : r + dh * (KH - 1) + 1 : dh, q : q + dw * (KW - 1) + 1 : dw]
                y[i, j] = np.sum(win * w)
        return y
    except Exception:  # noqa: BLE001
        return None


def _first_difference(got, expected):
    """' First wrong entry: y[i, j] should be E; yours is G.' for two arrays of one shape; '' if none. Never raises."""
    try:
        g, e = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        wrong = ~np.isclose(g, e, rtol=1e-9, atol=1e-9)
        if not wrong.any():
            return ""
        i, j = (int(k) for k in np.argwhere(wrong)[0])
        text = (
            f" First wrong entry: y[{i}, {j}] should be {e[i, j]:.6g}; yours is {g[i, j]:.6g} "
            f"({int(wrong.sum())} of {wrong.size} entries are wrong)."
        )
        return text
    except Exception:  # noqa: BLE001
        return ""


def _nearly(got, expected):
    """True when ``got`` agrees with ``expected`` to about 1e-3: a precision issue, not a wrong loop. Never raises."""
    try:
        return bool(np.allclose(np.asarray(got, dtype=float), expected, rtol=1e-3, atol=1e-3))
    except Exception:  # noqa: BLE001
        return False


def _misread_paddings(padding):
    """Paddings a student gets by reading ((top, bottom), (left, right)) in another order."""
    (top, bottom), (left, right) = padding
    wrong = (
        ((top, bottom), (top, bottom)),  # np.pad(x, padding[0])
        ((top, left), (bottom, right)),  # read as ((top, left), (bottom, right))
        ((left, right), (top, bottom)),  # rows and columns swapped
    )
    return [q for q in wrong if q != tuple(map(tuple, padding))]


def _same_both_sides(padding):
    """Paddings a student gets by using one amount per axis on both its sides (top for the bottom too)."""
    (top, bottom), (left, right) = padding
    wrong = (((top, top), (left, left)), ((bottom, bottom), (right, right)))
    return [q for q in wrong if q != tuple(map(tuple, padding))]


def _one_side_paddings(padding):
    """Paddings a student gets by padding only the top and left (or only the bottom and right)."""
    (top, bottom), (left, right) = padding
    wrong = (((top, 0), (left, 0)), ((0, bottom), (0, right)))
    return [q for q in wrong if q != tuple(map(tuple, padding))]


_ONE_SIDE = (
    "you padded one side of each axis only: padding ((top, bottom), (left, right)) puts top zeros above "
    "AND bottom zeros below the rows, left zeros before AND right zeros after the columns"
)
_SAME_BOTH_SIDES = (
    "you used one amount on both sides of an axis, e.g. the top amount for the bottom too: padding "
    "((top, bottom), (left, right)) gives each of the four sides its own amount"
)
_ONE_STRIDE = (
    "stride is (sh, sw), one value per axis: you seem to use one of them on both axes. "
    "sh moves the window down the rows, sw across the columns"
)
_INT_ACCUMULATOR = (
    "your output holds whole numbers where the answer has fractions: the array you fill is of an integer type, "
    "so each sum is cut to an integer when you store it. Make it float, e.g. np.zeros((OH, OW))"
)


def _int_truncated(got, expected):
    """True when ``got`` is ``expected`` cut to whole numbers (an integer array filled with float sums)."""
    try:
        g = np.asarray(got, dtype=float)
        if g.shape != expected.shape or np.array_equal(expected, np.round(expected)):
            return False
        return any(np.array_equal(g, f(expected)) for f in (np.trunc, np.floor, np.round))
    except Exception:  # noqa: BLE001
        return False


_PADDING_ORDER = (
    "padding is ((top, bottom), (left, right)): the first pair is for the rows (top zeros above, bottom "
    "zeros below), the second for the columns (left, right), not ((top, left), (bottom, right)); "
    "np.pad(x, padding) reads it in exactly that form"
)
_PLUS_ONE = (
    "dilation=1 means no dilation here, as in PyTorch: the taps are d apart, so with d = 1 they touch. "
    "You seem to space them d + 1 apart, as numpy-ml does (its d = 0 means none)"
)


_DILATION_IN_SIZE = "your output size ignores dilation: the kernel spans d(K-1)+1 rows"


def _corr_shape_hint(case, got_shape, expected_shape):
    """The likely bug behind an output of the wrong shape; None if none fits."""
    x, w, s, p, d = (case[k] for k in ("x", "w", "stride", "padding", "dilation"))
    want = f"the output should have shape {expected_shape}"
    if got_shape == _shape_for(x, w, (1, 1), p, d) and s != (1, 1):
        return f"{want}: the windows start every sh rows and every sw columns, not every row and column"
    if s[0] != s[1] and any(got_shape == _shape_for(x, w, (v, v), p, d) for v in s if v != 1):
        return f"{want}: {_ONE_STRIDE}"
    if s[0] != s[1] and got_shape == _shape_for(x, w, s[::-1], p, d):
        return f"{want}: stride is (sh, sw): sh moves the window down the rows, sw across the columns"
    if d != (1, 1) and got_shape == _shape_for(x, w, s, p, (1, 1)):
        return f"{want}: {_DILATION_IN_SIZE}"
    if d[0] != d[1] and got_shape == _shape_for(x, w, s, p, d[::-1]):
        return f"{want}: dilation is (dh, dw): dh spaces the kernel's rows, dw its columns"
    if got_shape == _shape_for(x, w, s, p, (d[0] + 1, d[1] + 1)):
        return f"{want}: {_PLUS_ONE}"
    if p != ((0, 0), (0, 0)):
        if got_shape == _shape_for(x, w, s, ((0, 0), (0, 0)), d):
            return f"{want}: pad x first, top and bottom rows, left and right columns"
        if any(got_shape == _shape_for(x, w, s, q, d) for q in _same_both_sides(p)):
            return f"{want}: {_SAME_BOTH_SIDES}"
        if any(got_shape == _shape_for(x, w, s, q, d) for q in _one_side_paddings(p)):
            return f"{want}: {_ONE_SIDE}"
        if any(got_shape == _shape_for(x, w, s, q, d) for q in _misread_paddings(p)):
            return f"{want}: {_PADDING_ORDER}"
    if got_shape == expected_shape[::-1]:
        return "rows and columns are swapped somewhere: the height comes from KH and H, the width from KW and W"
    return None


def check_corr2d(fn):
    """Check ``fn(x, w, stride, padding, dilation) -> y``, a single-channel cross-correlation with per-axis
    ``stride=(sh, sw)``, ``dilation=(dh, dw)`` and ``padding=((top, bottom), (left, right))``."""

    def diagnose(case, got, expected):
        if np.shape(got) != expected.shape:
            hint = _corr_shape_hint(case, np.shape(got), expected.shape)
            if hint:
                return hint
            return (
                f"the output should have shape {expected.shape} = (OH, OW); compute OH from the padded height, "
                "KH, sh and dh, and OW from the padded width, KW, sw and dw. The padded height is "
                "H + top + bottom, the padded width W + left + right"
            )
        # Same shape: the printed expected/got show only the shape, so the hint says where they differ.
        if _int_truncated(got, expected):
            return _INT_ACCUMULATOR + "." + _first_difference(got, expected)
        if _nearly(got, expected):
            worst = float(np.max(np.abs(np.asarray(got, dtype=float) - expected)))
            return (
                f"every entry is within {worst:.0e} of the expected one: rounding, not a wrong window. "
                "Compute in float64, as np.zeros does by default." + _first_difference(got, expected)
            )
        return _value_hint(case, got, expected).rstrip(".") + "." + _first_difference(got, expected)

    def _value_hint(case, got, expected):
        x, w, s, p, d = (case[k] for k in ("x", "w", "stride", "padding", "dilation"))
        xp = np.pad(x, p)
        if _matches(got, convolve2d(xp, w, s, 0, d)):
            return "you flipped the kernel: that is true convolution. The layer computes cross-correlation"
        if s[0] != s[1] and any(_matches(got, _corr_or_none(xp, w, (v, v), d, expected.shape)) for v in s if v != 1):
            return _ONE_STRIDE
        if s[0] != s[1] and _matches(got, _corr_or_none(xp, w, s[::-1], d, expected.shape)):
            return "stride is (sh, sw): sh moves the window down the rows, sw across the columns"
        if d[0] != d[1] and _matches(got, _corr_or_none(xp, w, s, d[::-1], expected.shape)):
            return "dilation is (dh, dw): dh spaces the kernel's rows, dw its columns"
        if s[0] > 1 and _matches(got, _taps_variant(x, w, s, p, d, row_stride=False, shape=expected.shape)):
            return "the windows' rows don't move by the stride: output row i starts sh rows below row i - 1"
        if s != (1, 1) and _matches(got, _corr_or_none(xp, w, (1, 1), d, expected.shape)):
            return "the windows don't move by the stride: output pixel (i, j) starts at (i*sh, j*sw) of the padded x"
        if d != (1, 1) and _matches(got, _taps_variant(x, w, s, p, d, tap_dilation=False, shape=expected.shape)):
            return "dilation ignored in the taps: the kernel's rows are dh apart and its columns dw apart"
        if d != (1, 1) and _matches(got, _taps_variant(x, w, s, p, d, dilated_start=True, shape=expected.shape)):
            return (
                "dilation moved the windows: window (i, j) starts at (i*sh, j*sw) of the padded x, whatever d is. "
                "Dilation only spaces the taps inside a window, dh rows and dw columns apart"
            )
        if any(_matches(got, _corr_or_none(np.pad(x, q), w, s, d, expected.shape)) for q in _same_both_sides(p)):
            return _SAME_BOTH_SIDES
        if any(_matches(got, _corr_or_none(np.pad(x, q), w, s, d, expected.shape)) for q in _one_side_paddings(p)):
            return _ONE_SIDE
        if any(_matches(got, _corr_or_none(np.pad(x, q), w, s, d, expected.shape)) for q in _misread_paddings(p)):
            return _PADDING_ORDER
        return (
            "for every (i, j), place the window as §3 places it on each axis, multiply it with w cell by cell "
            "and add, as in §1."
        )

    def diagnose_error(case, exc):
        if isinstance(exc, TypeError) and ("tuple" in str(exc) or "slice indices" in str(exc)):
            return (
                "stride and dilation are pairs here, and padding is a pair of pairs: unpack them first, "
                "sh, sw = stride; dh, dw = dilation; (top, bottom), (left, right) = padding"
            )
        if isinstance(exc, (ValueError, IndexError)) and (isinstance(exc, IndexError) or "broadcast" in str(exc)):
            no_pad = case["padding"] == ((0, 0), (0, 0))
            if no_pad and case["dilation"] != (1, 1):
                return (
                    f"a window ran past the end of the input. {_DILATION_IN_SIZE[0].upper()}{_DILATION_IN_SIZE[1:]} "
                    "(dh for rows, dw for columns), so fewer windows fit"
                )
            if not no_pad and case["dilation"] == (1, 1):
                return (
                    "a window ran past the end of the padded input. Did you pad all four sides, "
                    "top and bottom by their own amounts, and left and right?"
                )
            return (
                "a window ran past the end of the padded input: check the padding on all four sides, and "
                "that OH counts the dilated span d(K-1)+1"
            )
        return None

    _run(
        "corr2d with per-axis stride, padding and dilation",
        fn,
        _corr_cases(),
        _corr_reference,
        diagnose,
        forbid=FORWARD_ROUTINES + ("conv_transpose2d",),
        diagnose_error=diagnose_error,
    )


def _corr_or_none(xp, w, stride, dilation, shape):
    """corr2d of the padded input cropped to ``shape``; None when it cannot be computed or is too small."""
    try:
        y = corr2d(xp, w, stride, 0, dilation)
        return y[: shape[0], : shape[1]] if y.shape[0] >= shape[0] and y.shape[1] >= shape[1] else None
    except Exception:  # noqa: BLE001
        return None


# --- 4. find the bug: which input rows does a layer never read? -------------------------------------

UNREAD_CASES = [
    dict(size=7, kernel_size=3, stride=1, padding=0, dilation=1),
    dict(size=6, kernel_size=4, stride=1, padding=1, dilation=2),
    dict(size=7, kernel_size=3, stride=2, padding=0, dilation=1),  # a = 0, nothing unread
    dict(size=8, kernel_size=3, stride=2, padding=0, dilation=1),  # a = 1: input row 7
    dict(size=8, kernel_size=3, stride=2, padding=1, dilation=1),  # a = 1, but it is padding
    dict(size=10, kernel_size=1, stride=2, padding=0, dilation=1),  # every odd row
    dict(size=11, kernel_size=3, stride=2, padding=1, dilation=2),  # stride and dilation share a factor
    dict(size=12, kernel_size=2, stride=4, padding=1, dilation=1),  # gaps between windows
    dict(size=9, kernel_size=2, stride=3, padding=0, dilation=2),  # gaps inside windows
    dict(size=7, kernel_size=3, stride=3, padding=4, dilation=1),  # padding beyond the kernel's reach
    dict(size=7, kernel_size=4, stride=1, padding=0, dilation=2),  # stride 1, but one window whose taps skip rows
]


def _unread(size, kernel_size, stride, padding, dilation):
    return [int(i) for i in np.nonzero(~rows_read(size, kernel_size, stride, padding, dilation))[0]]


def check_unread_rows(fn):
    """Check ``fn(size, kernel_size, stride, padding, dilation) -> list`` of the input rows no window reads."""

    def diagnose(case, got, expected):
        H, K, s, p, d = (case[k] for k in ("size", "kernel_size", "stride", "padding", "dilation"))
        a = (H + 2 * p - d * (K - 1) - 1) % s
        arr = np.asarray(got)
        if arr.dtype == bool and arr.shape == (H,):
            return "return the unread row numbers as a list (e.g. [1, 3]), not a mask of the rows"
        try:
            rows = [int(r) for r in np.ravel(arr)]
        except Exception:  # noqa: BLE001
            return "return a list of row numbers, e.g. [1, 3], or [] when every row is read"
        if p and rows == _unread_variant(H, K, s, p, d, shift=False):
            return "the tap positions o*s + t*d are rows of the PADDED input: input row i is padded row i + p"
        read = [r for r in range(H) if r not in expected]
        if rows == read:
            return "you returned the rows that ARE read; the function should list the rows no window reads"
        if sorted(set(rows)) == expected:
            return "right rows, but list each row once, in increasing order"
        if d > 1 and rows == _unread_variant(H, K, s, p, d, whole_span=True):
            return (
                "your windows read every row of their span. Dilated taps are d rows apart, at padded rows "
                f"o*s, o*s + d, ..., o*s + d(K-1) (here d = {d}): the d - 1 rows between two taps are not read"
            )
        if rows == list(range(H - max(0, a - p), H)):
            return (
                "right at the bottom edge, but input rows can also go unread inside the image: a repeating gap "
                "exactly when KH < s or gcd(s, d) > 1, and with dilation a few more near the edges. Which "
                "padded rows do the taps of §3 reach?"
            )
        if a and rows == list(range(H - a, H)):
            return (
                f"still the last a = {a} rows. a counts rows of the PADDED input below the last window, and the "
                f"last p = {p} rows of the padded input are padding, not input rows. "
                "Rows can go unread inside the image too."
            )
        if any(r < 0 or r >= H for r in rows):
            return f"list input rows only, numbered 0 to {H - 1}: padding rows are not input rows"
        if d > 1 and rows == _unread_variant(H, K, s, p, d, tap_dilation=False):
            return "dilation ignored: the taps of window o are at padded rows o*s + t*d, t = 0 .. K-1"
        return "list every tap: window o reads padded rows o*s + t*d (t = 0 .. K-1); every other input row is unread"

    _run(
        "unread rows",
        fn,
        UNREAD_CASES,
        _unread,
        diagnose,
        forbid=("read-rows", "gradient", "forward"),  # forward too: im2col of arange(H) would list the rows read
        compare=lambda got, expected: _whole_list(got) == expected,
    )


def _whole_list(got):
    """A list, tuple or 1-D array of whole numbers as a list of ints; None for anything else. Never raises."""
    try:
        if isinstance(got, (str, bytes, dict, set)) or np.ndim(got) != 1 and len(got) != 0:
            return None
        values = list(got)
        if not all(_is_whole(v) for v in values):
            return None
        return [int(v) for v in values]
    except Exception:  # noqa: BLE001
        return None


def _unread_variant(H, K, s, p, d, shift=True, tap_dilation=True, whole_span=False):
    """The unread input rows computed with one mistake: taps not shifted by p, taps not d apart, or
    every row of a window's span d(K-1)+1 counted as read."""
    out = _size_or_none(H, K, s, p, d) or 0
    offsets = range(d * (K - 1) + 1) if whole_span else [t * (d if tap_dilation else 1) for t in range(K)]
    taps = {o * s + t - (p if shift else 0) for o in range(out) for t in offsets}
    return [r for r in range(H) if r not in taps]


__all__ = [
    "PREDICTION_LAYERS",
    "check_padding_for",
    "check_layer_prediction",
    "check_corr2d",
    "check_unread_rows",
]
