"""Exercise checkers for notebook 07: depthwise-separable counts, grouped convolution, FFT, Winograd."""

import re

import numpy as np

from ..blocks import output_size
from ..conv import conv2d
from ._common import FORWARD_ROUTINES
from ._common import check_value as _check_value
from ._common import exception_text as _text
from ._common import is_whole as _is_whole
from ._common import matches as _matches
from ._common import not_answered as _not_answered
from ._common import run_checker as _run

# Exercise 3 asks for a length: everything that computes a forward pass or copies windows is off, so that
# the answer is not found by trying lengths against the library's correlation.
_FFT_FORBID = FORWARD_ROUTINES


def _number(v):
    """A 0-d array as the number it holds; anything else unchanged. Never raises."""
    try:
        return v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v
    except Exception:  # noqa: BLE001
        return v


def _whole_number(v):
    """:func:`is_whole`, also for a 0-d array."""
    return _is_whole(_number(v))


def _same_pair(got, expected):
    """True when ``got`` is a pair of whole numbers (ints, floats like 3.0, numpy scalars, 0-d arrays) equal
    to ``expected``."""
    return _pair(got) == tuple(expected)


def _pair(got):
    """(a, b) as ints, or None when the answer is not a pair of whole numbers."""
    try:
        if isinstance(got, (str, bytes)):
            return None
        got = list(got)
        if len(got) != 2 or not all(_whole_number(g) for g in got):
            return None
        return int(_number(got[0])), int(_number(got[1]))
    except Exception:  # noqa: BLE001
        return None


# --- 1. warm-up: the weights and multiply-adds of a depthwise-separable block ---------------------

SEPARABLE_LAYER = dict(C=128, F=256, H=56, K=3, stride=2, padding=1)


def _separable_counts(C, F, H, K, stride, padding, biases=False, dw_size=None, pw_size=None, dw_weights=None):
    """(weights, multiply-adds) of depthwise K x K (stride, padding) then pointwise 1 x 1, C -> F channels.

    The keyword arguments reproduce mistakes: biases counted, the depthwise layer or the pointwise layer
    run at another output size, the depthwise weights counted as another number.
    """
    OH = output_size(H, K, stride, padding)
    dw = C * K * K if dw_weights is None else dw_weights
    pw = F * C
    weights = dw + pw + ((C + F) if biases else 0)
    dw_at = OH if dw_size is None else dw_size
    pw_at = OH if pw_size is None else pw_size
    return weights, dw_at * dw_at * dw + pw_at * pw_at * pw


def check_separable_counts(answer):
    """Check ``(weights, multiply_adds)`` predicted for the block of :data:`SEPARABLE_LAYER` (no biases)."""
    title = "depthwise-separable block"
    if _not_answered(title, answer, "(weights, multiply_adds)"):
        return
    L = SEPARABLE_LAYER
    C, F, H, K = L["C"], L["F"], L["H"], L["K"]
    OH = output_size(H, K, L["stride"], L["padding"])
    expected = _separable_counts(**L)

    def diagnose(got, expected):
        pair = _pair(got)
        if pair is None:
            return "answer with two whole numbers, (weights, multiply_adds), e.g. (1000, 2000000)"
        weights, macs = pair
        w_ok, m_ok = weights == expected[0], macs == expected[1]
        if (weights, macs) == (expected[1], expected[0]):
            return "the numbers are right, in the wrong order: the order is (weights, multiply_adds)"
        if w_ok and macs == 2 * expected[1]:
            return (
                "that is the count in flops (a multiply-add is 2 flops): the exercise asks for multiply-adds, "
                "one per product"
            )
        if weights == F * C * K * K or macs == OH * OH * F * C * K * K:
            return f"that is a dense {K}x{K} layer's count; the block is a depthwise {K}x{K} layer, then a 1x1 layer"
        if weights == _separable_counts(**L, biases=True)[0]:
            return "count the weights only, without biases (the exercise leaves them out)"
        if weights == C * C * K * K + F * C:
            return (
                f"a depthwise layer has one {K}x{K} kernel per channel, w of shape (C, 1, {K}, {K}): "
                f"C·{K * K} weights, not C·C·{K * K}"
            )
        if w_ok and macs == expected[0]:
            return "each weight is used once per output pixel: multiply by the number of output pixels"
        if w_ok and macs == _separable_counts(**L, dw_size=H, pw_size=H)[1]:
            return (
                f"stride {L['stride']}: the output is {OH}x{OH}, not {H}x{H}, for the depthwise layer and "
                f"therefore for the 1x1 layer that follows it"
            )
        if w_ok and macs == _separable_counts(**L, dw_size=H)[1]:
            return f"the depthwise layer has stride {L['stride']}: it makes {OH}x{OH} outputs, not {H}x{H}"
        if w_ok and macs == _separable_counts(**L, pw_size=H)[1]:
            return f"the 1x1 layer runs on the depthwise layer's output, {OH}x{OH}, not on the {H}x{H} input"
        if w_ok and not m_ok:
            return (
                f"the weights are right. Multiply-adds: each layer's weights times its output pixels; "
                f"OH = (H + 2p - K) // s + 1 = {OH}"
            )
        if m_ok:
            return "the multiply-adds are right; the weights are C·K·K (depthwise) + F·C (pointwise)"
        return "weights: C·K·K + F·C. Multiply-adds: OH·OW times that, with OH = (H + 2p - K) // s + 1"

    _check_value(title, answer, expected, diagnose, compare=_same_pair)


# --- 2. a grouped layer's product from the whole input's cols ------------------------------------


def _grouped_layers():
    """(x, case) pairs: the layer's input, and the checker's case built from it (cols of the whole x).

    groups=1 first (a column-slicing mistake passes it), then F/G != C/G, depthwise layers with and without a
    channel multiplier, stride, dilation, non-square kernels.
    """
    from ..columns import im2col

    rng = np.random.default_rng(707)
    specs = [  # x shape, w shape, groups, stride, padding, dilation
        ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1, 1, 1),
        ((1, 4, 6, 6), (4, 2, 3, 3), 2, 1, 0, 1),
        ((2, 6, 7, 6), (9, 2, 3, 2), 3, 2, 1, 1),  # F/G = 3, C/G = 2, non-square kernel
        ((1, 5, 6, 6), (5, 1, 3, 3), 5, 1, 1, 1),  # depthwise
        ((2, 3, 7, 7), (6, 1, 3, 3), 3, 2, 2, 2),  # depthwise with two filters per channel, dilation 2
        ((2, 8, 8, 7), (4, 2, 2, 3), 4, 1, 1, 2),  # F/G = 1, dilation 2
    ]
    layers = []
    for xs, ws, g, s, p, d in specs:
        x = rng.integers(-3, 4, xs).astype(float)
        w = rng.integers(-3, 4, ws).astype(float)
        b = rng.integers(-3, 4, ws[0]).astype(float)
        cols = im2col(x, ws[2:], s, p, d)  # (N*OH*OW, C*KH*KW)
        layers.append((x, dict(cols=cols, w=w, b=b, groups=g), dict(stride=s, padding=p, dilation=d)))
    return layers


def _grouped_cases():
    """The layers' cases, then one whose cols holds a nan in group 0's first column.

    A per-group product keeps the other groups' outputs finite; multiplying by the block-diagonal weight's
    zeros does not (0 * nan is nan).
    """
    cases = [case for _, case, _ in _grouped_layers()]
    last = dict(cases[2])  # 3 groups, F/G = 3, C/G = 2, a non-square kernel
    cols = last["cols"].copy()
    cols[0, 0] = np.nan
    cases.append({**last, "cols": cols})
    return cases


def _grouped_expected(cols, w, b, groups):
    """The checker's expected answer: the dense reference, or the per-group product when cols is not finite."""
    if np.all(np.isfinite(cols)):
        return _grouped_reference(cols, w, b, groups)
    with np.errstate(all="ignore"):
        return _grouped_variant(cols, w, b, groups)


def _same_where_finite(got, expected):
    """Equal where expected is finite, non-finite where it is not. Never raises."""
    try:
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            return False
        finite = np.isfinite(expected)
        return bool(np.all(~np.isfinite(got[~finite])) and np.allclose(got[finite], expected[finite], 1e-9, 1e-9))
    except Exception:  # noqa: BLE001
        return False


def _touches_other_groups(case, got):
    """True when a nan in group 0's columns made another group's output non-finite."""
    cols, w, G = case["cols"], case["w"], case["groups"]
    if G == 1 or np.all(np.isfinite(cols)):
        return False
    try:
        got = np.asarray(got, dtype=float)
        return bool(np.any(~np.isfinite(got[:, w.shape[0] // G :])))
    except Exception:  # noqa: BLE001
        return False


def _grouped_variant(cols, w, b, groups, columns="block", order="block"):
    """The grouped product, with one step optionally wrong; None when it cannot be computed.

    columns: "block" (group g's C/G·KH·KW consecutive columns) or "strided" (every G-th column);
    order: "block" (the groups' filters one group after the other) or "interleaved"; b None: no bias.
    """
    try:
        F = w.shape[0]
        Fg = F // groups
        width = cols.shape[1] // groups  # C/G·KH·KW columns per group
        parts = []
        for g in range(groups):
            cg = cols[:, g * width : (g + 1) * width] if columns == "block" else cols[:, g::groups]
            parts.append(cg @ w[g * Fg : (g + 1) * Fg].reshape(Fg, -1).T)  # (R, F/G)
        y = np.concatenate(parts, axis=1) if order == "block" else np.stack(parts, axis=2).reshape(len(cols), F)
        return y if b is None else y + b
    except Exception:  # noqa: BLE001
        return None


def _grouped_reference(cols, w, b, groups):
    """The dense product with the block-diagonal weight: an independent route to the grouped product."""
    from ..grouped import block_diagonal

    F = w.shape[0]
    return cols @ block_diagonal(w, groups).reshape(F, -1).T + b  # (N*OH*OW, F)


_GROUPED_FORBID = FORWARD_ROUTINES + ("col2im", "grouped.block_diagonal", "grouped.weight_matrices")


def check_grouped_product(fn):
    """Check ``fn(cols, w, b, groups) -> (N*OH*OW, F)``: a grouped layer's product from the whole input's cols.

    ``cols`` is ``im2col(x, (KH, KW), stride, padding, dilation)`` of the whole ``x``, columns ordered
    (c, kh, kw); ``w`` is ``(F, C/groups, KH, KW)``; ``b`` is ``(F,)``.
    """

    def diagnose(case, got, expected):
        cols, w, G = case["cols"], case["w"], case["groups"]
        F, Cg, KH, KW = w.shape
        R = cols.shape[0]
        variant = lambda **kw: _grouped_variant(**{**case, **kw})  # noqa: E731
        shape = np.shape(got)
        if shape == (F, R):
            return f"transpose it: one row per output pixel ({R}), one column per filter ({F})"
        if len(shape) == 2 and shape[0] == R and shape[1] != F:
            C = Cg * G
            if shape[1] == C:
                return (
                    f"the answer has C = {C} columns; it needs F = {F}, one per filter. The filters of group g are "
                    f"w[g*F//G : (g+1)*F//G] (F/G = {F // G} of them): slice the filters by F/G, the channels by C/G"
                )
            return f"the answer needs F = {F} columns, one per filter; yours has {shape[1]}"
        if shape != expected.shape:
            return f"return a matrix of shape (N·OH·OW, F) = {expected.shape}, one row per row of cols"
        if _touches_other_groups(case, got):
            return (
                "group 0's columns of cols changed the other groups' outputs (a nan there spread to them, since "
                "0 · nan is nan): you multiply by the block-diagonal weight's zeros, G times the work. Multiply "
                "each group's own columns by its own filters"
            )
        if _matches(got, variant(columns="strided")):
            return (
                "cols[:, g::G] takes every G-th column, but group g's channels are not every G-th column: "
                "the columns of cols are ordered (c, kh, kw)"
            )
        if _matches(got, variant(order="interleaved")):
            return (
                "the right numbers in the wrong columns: the groups' outputs come out interleaved, but the "
                "layer's columns are its filters in order, f = 0, 1, ..., F - 1"
            )
        if _matches(got, variant(b=None)):
            return "add the bias: b[f] to every row of column f"
        return (
            "the numbers differ from the layer's. Check three things: which columns of cols belong to group g, "
            "which filters belong to it, and whether each filter is flattened in cols' column order (c, kh, kw)"
        )

    def diagnose_error(case, exc):
        cols, w = case["cols"], case["w"]
        F, Cg, KH, KW = w.shape
        text = _text(exc)
        if isinstance(exc, ValueError) and ("matmul" in text or "not aligned" in text):
            width, total = Cg * KH * KW, cols.shape[1]
            sizes = {int(n) for n in re.findall(r"\d+", text)}
            run = (
                f"the columns of cols are ordered (c, kh, kw), so group g's channels are the {width} consecutive "
                f"columns g·{width} to (g+1)·{width} - 1 (C/G·KH·KW)"
            )
            if Cg in sizes and Cg != width:
                return (
                    f"you took C/G = {Cg} columns per group, but each channel brings KH·KW = {KH * KW} of them: {run}"
                )
            if total in sizes and total != width:
                return (
                    f"you used all {total} columns of cols for every filter; each group reads only its channels: {run}"
                )
            return (
                f"the sizes of a matrix product disagree. Each filter has C/G = {Cg} channels of {KH}x{KW} taps: {run}"
            )
        return None

    _run(
        "grouped product",
        fn,
        _grouped_cases(),
        _grouped_expected,
        diagnose,
        forbid=_GROUPED_FORBID,
        diagnose_error=diagnose_error,
        compare=_same_where_finite,
    )


# --- 3. find the bug: an FFT correlation whose FFT is too short ------------------------------------


def _classmate_fft_corr(x, w, padding, Lh, Lw):
    """The classmate's correlation of notebook 07, with the FFT size ``(Lh, Lw)`` given; None on failure.

    ``xp`` (x padded by ``padding``) is cut to ``Lh x Lw`` by ``rfft2`` when it is larger, zero-padded
    when smaller; the first ``OH x OW`` entries of the circular correlation are returned.
    """
    try:
        N, C, H, W = x.shape
        F, _, KH, KW = w.shape
        p = padding
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        X = np.fft.rfft2(xp, s=(Lh, Lw))
        Wf = np.fft.rfft2(w, s=(Lh, Lw))
        y = np.fft.irfft2(np.einsum("nchw,fchw->nfhw", X, Wf.conj()), s=(Lh, Lw))
        return y[:, :, : H + 2 * p - KH + 1, : W + 2 * p - KW + 1]
    except Exception:  # noqa: BLE001
        return None


def _shortest_fft_length(H, K, padding):
    """The shortest FFT length along one axis for which :func:`_classmate_fft_corr` is exact.

    The padded input has ``H + 2p`` rows, but ``H + p`` are enough: the circle puts the top padding
    right after row ``L - 1``, so a window that runs past the end reads those zeros in place of the bottom
    padding's (the taps beyond the kernel's first ``L`` meet only bottom padding, so a longer kernel may be
    cut). And all ``OH = H + 2p - K + 1`` outputs must fit. Tested against a search over every length.
    """
    return max(H + padding, H + 2 * padding - K + 1)


def _fft_length_cases():
    """(H, K, padding) of one axis. The classmate's rule is exact (not shortest) while p <= K - 1, first;
    then p >= K, where it is too short; a 1-tap kernel with padding; a kernel longer than H + p."""
    specs = [  # H, K, padding
        (10, 3, 0),
        (10, 3, 1),  # "same"
        (9, 5, 2),  # "same"
        (6, 4, 3),  # "full": p = K - 1
        (5, 6, 4),  # p < K, K even, long kernel
        (7, 3, 3),  # p = K
        (8, 2, 2),  # even kernel, p = K
        (9, 3, 5),  # p > K
        (4, 1, 2),  # 1-tap kernel with padding
        (3, 7, 3),  # a kernel longer than H + p
    ]
    return [dict(H=H, K=K, padding=p) for H, K, p in specs]


def _classmate_on_axis(H, K, padding, L):
    """The classmate's function with FFT length L along the rows (the columns long enough), on a random layer.

    Returns (rows returned, rows the layer has, how many of the rows returned are wrong), or None.
    """
    rng = np.random.default_rng(727)
    x = rng.standard_normal((1, 2, H, 3))
    w = rng.standard_normal((2, 2, K, 1))
    want = conv2d(x, w, padding=padding, method="loops")  # (1, 2, OH, 3 + 2p)
    got = _classmate_fft_corr(x, w, padding, L, 3 + 2 * padding)
    if got is None or got.shape[0:2] != want.shape[0:2] or got.shape[3] != want.shape[3]:
        return None
    rows = got.shape[2]
    wrong = ~np.isclose(got, want[:, :, :rows], rtol=1e-9, atol=1e-9).all(axis=(0, 1, 3))  # (rows,)
    return rows, want.shape[2], int(wrong.sum())


def _too_short(L, rows, want_rows, wrong):
    text = f"an FFT of length {L} returns only {rows} of them"
    if wrong:
        text += f", and {wrong} of those are wrong too: their windows need image rows that rfft2 cut off"
    return text


def check_fft_length(fn):
    """Check ``fn(H, K, padding) -> L``: the shortest FFT length along one axis for the classmate's function.

    The answer is judged on hidden (H, K, padding); ``conv2d``, ``corr2d``, ``convolve2d``, ``im2col``,
    ``sliding_windows``, the layer's forward and the textbook forward are unavailable.
    """

    def diagnose(case, got, expected):
        H, K, p = case["H"], case["K"], case["padding"]
        OH = H + 2 * p - K + 1
        where = f"H = {H}, K = {K}, padding = {p}"
        if not _whole_number(got):
            return "return a whole number: the FFT's length along one axis, for an input of H rows and K taps"
        L = int(_number(got))
        if L > expected and L == H + 2 * p:
            return (
                f"H + 2p holds the whole padded input and is exact, but it is not the shortest: for {where}, "
                f"a shorter length is exact too. When a window runs past the end, the circle takes it to the top rows: "
                f"which of the padded input's rows can go, if those are zeros?"
            )
        if L == H + K - 1 and L > expected:
            return (
                f"that is the classmate's H + K - 1. For {where} it is exact (p <= K - 1), but not the shortest: "
                f"a shorter length is exact too. Which rows of the padded input can the FFT leave out, when a window "
                f"that runs past the end wraps around to the top?"
            )
        if L == H + K - 1:
            seen = _classmate_on_axis(H, K, p, L)
            return f"that is the classmate's H + K - 1, and for {where} (p >= K) it is too short: the layer has " + (
                f"OH = H + 2p - K + 1 = {OH} outputs" + ("" if seen is None else ", " + _too_short(L, *seen))
            )
        if L > expected and L == max(H + p, OH, K):
            return (
                f"the kernel need not fit in the FFT: for {where}, rfft2(w, s=...) cuts the taps beyond the first "
                f"{expected}, and those taps only ever read bottom padding (zeros) in the outputs that are kept"
            )
        if L > expected:
            return f"{L} is exact for {where}, but not the shortest: a shorter length is exact too"
        if L < 1:
            return f"a length must be at least 1; for {where} you returned {L}"
        seen = _classmate_on_axis(H, K, p, L)
        if L == H + p and OH > L:
            return (
                f"H + p leaves room for the image and one padding, and the circle supplies the other; but for "
                f"{where} (p >= K) the layer has OH = {OH} outputs, more than {L}"
                + ("" if seen is None else ": " + _too_short(L, *seen))
            )
        if seen is not None and seen[0] < seen[1]:
            return f"too short: for {where} the layer has OH = H + 2p - K + 1 = {seen[1]} outputs, " + _too_short(
                L, *seen
            )
        if seen is not None and seen[2]:
            return (
                f"too short: with length {L}, for {where}, windows that run past the end of the FFT wrap around "
                f"onto rows of the image, not onto padding: {seen[2]} of the {seen[0]} rows of the classmate's "
                + ("function is wrong" if seen[2] == 1 else "function are wrong")
            )
        return f"for {where} the shortest exact length is not {L}: try the classmate's function with it"

    def diagnose_error(case, exc):
        if isinstance(exc, TypeError) and "unexpected keyword argument 'padding'" in _text(exc):
            return (
                "the checker calls my_fft_length(H=..., K=..., padding=...) with these names: name your function's "
                "parameters H, K and padding, as in the exercise"
            )
        if isinstance(exc, TypeError) and "argument" in _text(exc):
            return (
                "the exercise asks for the length, not the correlation: my_fft_length(H, K, padding) returns a "
                "number, the FFT's length along one axis (the checker calls it with H, K and padding)"
            )
        if isinstance(exc, AttributeError) and "shape" in _text(exc):
            return "H, K and padding are whole numbers (sizes), not arrays: return the FFT's length along one axis"
        return None

    def compare(got, expected):
        return _whole_number(got) and int(_number(got)) == expected

    _run(
        "shortest FFT length",
        fn,
        _fft_length_cases(),
        _shortest_fft_length,
        diagnose,
        forbid=_FFT_FORBID,
        diagnose_error=diagnose_error,
        compare=compare,
    )


# --- 4. predict, then check: Winograd's multiplications on a 7 x 7 layer --------------------------

WINOGRAD_LAYER = dict(N=1, C=512, F=512, H=7, K=3, padding=1, m=4)


def check_winograd_counts(answer):
    """Check ``(winograd, direct)``: multiplications of F(4x4, 3x3)'s product stage and of the direct method."""
    title = "Winograd multiplications"
    if _not_answered(title, answer, "(winograd, direct)"):
        return
    L = WINOGRAD_LAYER
    N, C, F, H, m = L["N"], L["C"], L["F"], L["H"], L["m"]
    OH = output_size(H, L["K"], 1, L["padding"])
    tiles = -(-OH // m)  # per side, rounded up
    per_tile = (m + 2) ** 2
    expected = (N * tiles * tiles * per_tile * C * F, N * OH * OH * 9 * C * F)

    def diagnose(got, expected):
        pair = _pair(got)
        if pair is None:
            return "answer with two whole numbers, (winograd, direct)"
        wino, direct = pair
        if (wino, direct) == (expected[1], expected[0]):
            return "the numbers are right, in the wrong order: the order is (winograd, direct), Winograd's count first"
        if (wino, direct) == (2 * expected[0], 2 * expected[1]):
            return "both numbers are twice the answer: count multiplications, not flops (a multiply-add is 2 flops)"
        if wino == expected[0] and direct == 2 * expected[1]:
            return "the direct count is twice the answer: that is flops (a multiply-add is 2); count multiplications"
        if direct == expected[1] and wino == 2 * expected[0]:
            return "Winograd's count is twice the answer: that is flops (a product and an add); count multiplications"
        if wino == direct and direct == expected[1]:
            return f"the first number is Winograd's count: (m + 2)² = {per_tile} products per {m}x{m} tile"
        unpadded = H - L["K"] + 1  # the output without padding: 5x5
        if direct != expected[1]:
            if direct == unpadded * unpadded * 9 * C * F * N:
                return (
                    f"padding 1 keeps the size: the output is {OH}x{OH}, not {unpadded}x{unpadded} "
                    f"(OH = H + 2p - K + 1)"
                )
            if direct == OH * OH * 9:
                return "direct: every output pixel costs 9 multiplications for every (filter, channel) pair"
            if direct == (H + 2 * L["padding"]) ** 2 * 9 * C * F:
                return f"the output is {OH}x{OH} (padding 1 keeps the size); count outputs, not padded inputs"
            return "direct: OH·OW output pixels × 9 taps × C channels × F filters"
        if wino == (-(-OH // 2)) ** 2 * 16 * C * F * N:
            return f"that is F(2x2, 3x3)'s count; the exercise asks for F({m}x{m}, 3x3): {m}x{m} output tiles"
        if wino * 4 == expected[1]:
            return (
                f"that is direct / 4, as if {OH}x{OH} outputs filled {OH * OH / m**2:g} tiles. {m}x{m} tiles "
                f"cover {OH} only when rounded up, {tiles} per side; the surplus outputs are computed and cut off"
            )
        if wino == (OH // m) ** 2 * per_tile * C * F * N:
            return f"round the tiles up, not down: the last row and column of outputs need tiles too ({tiles} per side)"
        if wino == tiles * tiles * m * m * C * F * N:
            return f"{m}x{m} is the tile's outputs; its products are (m + 2)² = {per_tile}, one per transformed entry"
        if wino == tiles * tiles * m * m * 9 * C * F * N:
            return f"{m * m * 9} is the direct count per {m}x{m} tile; Winograd's entry-by-entry product has {per_tile}"
        if wino == tiles * tiles * per_tile:
            return "every tile is multiplied for every (filter, channel) pair: times C·F"
        padded_tiles = -(-(H + 2 * L["padding"]) // m)
        if wino == padded_tiles * padded_tiles * per_tile * C * F * N:
            return f"a tile makes {m}x{m} outputs: count tiles over the {OH}x{OH} output, not over the padded input"
        return f"tiles: ceil(OH/{m}) per side; (m + 2)² = {per_tile} products per tile, for each of the C·F pairs"

    _check_value(title, answer, expected, diagnose, compare=_same_pair)


__all__ = [
    "SEPARABLE_LAYER",
    "WINOGRAD_LAYER",
    "check_fft_length",
    "check_grouped_product",
    "check_separable_counts",
    "check_winograd_counts",
]
