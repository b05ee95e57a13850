"""Exercise checkers for notebook 03: the batched, multi-channel forward pass."""

import re

import numpy as np
from termcolor import colored

from ..conv import conv2d
from ._common import FORWARD_ROUTINES
from ._common import check_value as _check_value
from ._common import matches as _matches
from ._common import run_checker as _run

FORWARD_FORBID = FORWARD_ROUTINES  # everything that computes the forward pass, or copies windows


def _ordinal(n):
    """2 -> '2nd', 3 -> '3rd', 4 -> '4th', 11 -> '11th'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _ints(rng, shape):
    return rng.integers(-3, 4, shape).astype(float)


def _bias_axis_hint(got, y0, b):
    """The hint for a bias added along an axis other than F, or None."""
    got = np.asarray(got, dtype=float)
    if got.shape != y0.shape:
        return None
    names = {0: "the batch axis (N)", 2: "the height axis (OH)", 3: "the width axis (OW)"}
    for axis, name in names.items():
        if y0.shape[axis] == b.size:
            shape = [1, 1, 1, 1]
            shape[axis] = b.size
            if _matches(got, y0 + b.reshape(shape)):
                return (
                    f"the bias went along {name}; it belongs to the channel axis F: in (N, F, OH, OW) add "
                    "b[None, :, None, None] (or add b to the rows of the (N*OH*OW, F) product)"
                )
    return None


def _layout_hints(got, expected, y0, b):
    """Hints for the reshape/transpose bugs after the matrix product, or None."""
    got = np.asarray(got, dtype=float)
    nhwf = expected.transpose(0, 2, 3, 1)  # (N, OH, OW, F)
    if got.shape == nhwf.shape and _matches(got, nhwf) and nhwf.shape != expected.shape:
        return "the result is (N, OH, OW, F): transpose it to (N, F, OH, OW) with .transpose(0, 3, 1, 2)"
    if got.shape == expected.shape and _matches(got, np.ascontiguousarray(nhwf).reshape(expected.shape)):
        return (
            "you reshaped the (N*OH*OW, F) product straight to (N, F, OH, OW): its rows are ordered (n, oh, ow) "
            "and its columns are f, so reshape to (N, OH, OW, F) first, then transpose(0, 3, 1, 2)"
        )
    if got.shape == expected.shape and _matches(got, np.broadcast_to(expected[:1], expected.shape)):
        return (
            "every sample got the output of sample 0: loop over (or reshape) the whole batch, x[n] for every n, "
            "not x[0]"
        )
    if got.shape == expected.shape and _matches(got, y0):
        return "the bias is missing: add b[f] to every pixel of output channel f"
    return _bias_axis_hint(got, y0, b)


def _flattening_hint(got, x, w, b, geo):
    """The hint for weights and windows flattened in different orders, or None."""
    F, C, KH, KW = w.shape
    # windows flattened (c, kh, kw), weights flattened (kh, kw, c) - or the other way round
    w_last = w.transpose(0, 2, 3, 1).reshape(F, C, KH, KW)
    w_first = w.reshape(F, KH, KW, C).transpose(0, 3, 1, 2)
    for w_wrong in (w_last, w_first):
        if _matches(got, conv2d(x, w_wrong, b, **geo)):
            return (
                "the windows and the weights are flattened in different orders: if the columns of your window "
                "matrix are ordered (c, kh, kw), flatten w as w.reshape(F, -1); if (kh, kw, c), as "
                "w.transpose(0, 2, 3, 1).reshape(F, -1)"
            )
    return None


# --- exercise 1: the 1x1 convolution ------------------------------------------------


def _conv1x1_cases():
    rng = np.random.default_rng(301)
    specs = [((1, 2, 3, 4), 3, 1), ((2, 3, 4, 5), 4, 1), ((3, 4, 6, 7), 2, 2), ((2, 5, 8, 8), 3, 2)]
    return [dict(x=_ints(rng, xs), w=_ints(rng, (F, xs[1], 1, 1)), b=_ints(rng, F), stride=s) for xs, F, s in specs]


def _mixes_samples(got, x, w, b, s):
    """Whether ``got`` is the 1x1 convolution computed on x.reshape(C, -1), the samples mixed with the channels."""
    N, C = x.shape[:2]
    F = w.shape[0]
    xs = np.ascontiguousarray(x[:, :, ::s, ::s])  # (N, C, OH, OW)
    OH, OW = xs.shape[2:]
    mixed = w[:, :, 0, 0] @ xs.reshape(C, -1)  # (F, N*OH*OW): columns run over pieces of several samples
    candidates = [
        mixed.reshape(N, F, OH, OW),  # reshaped straight to (N, F, OH, OW)
        mixed.reshape(F, N, OH, OW).transpose(1, 0, 2, 3),  # reshaped (F, N, ...) and transposed
    ]
    return any(_matches(got, y + b[None, :, None, None]) for y in candidates)


def check_conv1x1(fn):
    """Check ``fn(x, w, b, stride) -> y (N, F, OH, OW)``: a 1×1 convolution, without conv2d or im2col."""

    def diagnose(case, got, expected):
        x, w, b, s = case["x"], case["w"], case["b"], case["stride"]
        y0 = conv2d(x, w, None, s)
        got_arr = np.asarray(got)
        if s > 1 and got_arr.shape == conv2d(x, w, b).shape:
            return f"the stride is ignored: a 1×1 kernel at stride {s} reads only every {_ordinal(s)} row and column"
        N, C, H, W = x.shape
        F = w.shape[0]
        if s > 1 and got_arr.shape == (N, F, expected.shape[2], W):
            return f"the stride is applied to the rows only: it steps the columns too, x[:, :, ::{s}, ::{s}]"
        if s > 1 and got_arr.shape == (N, F, H, expected.shape[3]):
            return f"the stride is applied to the columns only: it steps the rows too, x[:, :, ::{s}, ::{s}]"
        for start in range(1, s):
            part = conv2d(x[:, :, start:, start:], w, b, s)  # windows starting at row and column `start`
            if got_arr.shape == part.shape and _matches(got_arr, part):
                return (
                    f"the first window starts at row and column {start}; it starts at 0: the 1×1 windows read "
                    f"rows 0, {s}, 2·{s}, ..., that is x[:, :, ::{s}, ::{s}]"
                )
        short_size = (H // s, W // s)
        if s > 1 and short_size != expected.shape[2:] and got_arr.shape == (N, F) + short_size:
            if _matches(got_arr, expected[:, :, : H // s, : W // s]):
                size, name, out = (H, "H", "OH") if H // s != expected.shape[2] else (W, "W", "OW")
                read = ", ".join(str(v) for v in range(0, size, s))
                return (
                    f"{out} = {name} // s drops the last one when {name} is odd: here {name} = {size} at stride {s}, "
                    f"and the windows read {read}, so {out} = ({name} - 1) // s + 1 = {len(range(0, size, s))}: "
                    "the formula of section 1 with a 1×1 kernel and no padding"
                )
        hint = _layout_hints(got, expected, y0, b)
        if hint:
            return hint
        if got_arr.shape == expected.shape and x.shape[0] > 1 and _mixes_samples(got_arr, x, w, b, s):
            return (
                "x.reshape(C, -1) mixes samples and channels: x is (N, C, H, W), so for N > 1 its first axis is "
                "the batch, and a row of x.reshape(C, -1) holds pieces of several samples. Move the channels first "
                "(x.transpose(1, 0, 2, 3).reshape(C, -1)), then reshape the (F, N*OH*OW) product to "
                "(F, N, OH, OW) and transpose it to (N, F, OH, OW); or multiply per sample"
            )
        if N == 1 and got_arr.shape == (F, F) + expected.shape[2:] and _matches(got_arr, y0 + b[:, None, None, None]):
            return (
                "the bias went along the batch axis (b[:, None, None, None]): with N = 1 that broadcasts y to "
                "(F, F, OH, OW). The bias belongs to the channel axis F: add b[None, :, None, None]"
            )
        if got_arr.shape != expected.shape:
            return f"y must have shape (N, F, OH, OW) = {expected.shape}"
        return "each output pixel is w[:, :, 0, 0] @ (that pixel's C channel values) + b: a matrix product over C"

    def diagnose_error(case, exc):
        x, w = case["x"], case["w"]
        if (
            isinstance(exc, ValueError)
            and ("matmul" in str(exc) or "remapped" in str(exc))
            and x.shape[1] != w.shape[0]
        ):
            return (
                "the inner sizes of your product don't agree: w[:, :, 0, 0] is (F, C), so it multiplies C-long "
                "columns (or use its transpose, (C, F), on C-long rows)"
            )
        if isinstance(exc, ValueError) and "broadcast" in str(exc):
            return (
                "two shapes don't broadcast: if this is the bias, it is added along the wrong axis. "
                "b[:, None, None, None] puts it on the batch axis; in (N, F, OH, OW) add b[None, :, None, None]"
            )
        return None

    _run(
        "1x1 convolution",
        fn,
        _conv1x1_cases(),
        lambda x, w, b, stride: conv2d(x, w, b, stride),
        diagnose,
        forbid=FORWARD_FORBID,
        diagnose_error=diagnose_error,
    )


# --- exercise 2: the batched forward pass with dilation ----------------------------------


def _forward_cases():
    rng = np.random.default_rng(303)
    specs = [  # x shape, w shape, stride, padding, dilation
        ((2, 3, 6, 7), (4, 3, 3, 2), 1, 0, 1),
        ((2, 2, 7, 8), (3, 2, 3, 3), 1, 1, 2),  # dilation
        ((3, 3, 9, 8), (2, 3, 2, 3), 2, 0, 1),  # stride 2, non-square kernel: the last input row and column go unread
        ((2, 2, 12, 9), (3, 2, 3, 2), 2, 2, 2),  # all three, with a leftover row (a = 1)
        ((2, 3, 8, 13), (4, 3, 2, 3), 3, 1, 2),  # stride 3 (OW = F = 4: the bias axis is testable)
    ]
    return [
        dict(x=_ints(rng, xs), w=_ints(rng, ws), b=_ints(rng, ws[0]), stride=s, padding=p, dilation=d)
        for xs, ws, s, p, d in specs
    ]


_UNDILATED_OH_HINT = (
    "OH and OW ignore the dilation: with dilation {d} a window spans d(KH-1)+1 rows, so "
    "OH = (H + 2p - d(KH-1) - 1) // s + 1 (likewise OW with W and KW). (H + 2p - KH) // s + 1 holds only for d = 1"
)


def _undilated_size(case):
    """(OH, OW) computed as if the dilation were 1: the formula of a layer without dilation."""
    H, W = case["x"].shape[2:]
    KH, KW = case["w"].shape[2:]
    s, p = case["stride"], case["padding"]
    return (H + 2 * p - KH) // s + 1, (W + 2 * p - KW) // s + 1


def _shapes_in(text):
    """Every shape tuple written in an error message, as tuples of ints: '(2, 7, 8)' -> (2, 7, 8)."""
    found = []
    for group in re.findall(r"\(([0-9, ]+)\)", text):
        try:
            found.append(tuple(int(v) for v in group.replace(" ", "").strip(",").split(",") if v))
        except ValueError:
            continue
    return found


def _padded_all_axes(case, text):
    """Whether an error message shows the marks of np.pad(x, p): a batch of N + 2p, or windows of C + 2p channels."""
    p = case["padding"]
    if p == 0:
        return False
    N, C = case["x"].shape[:2]
    KH, KW = case["w"].shape[2:]
    if any(sh and sh[0] == N + 2 * p for sh in _shapes_in(text)):
        return True
    return str((C + 2 * p) * KH * KW) in re.findall(r"\d+", text)


def _one_side_sizes(case):
    """(OH, OW) when x is padded by p on one side only and OH is computed from the padded array."""
    H, W = case["x"].shape[2:]
    KH, KW = case["w"].shape[2:]
    s, p, d = case["stride"], case["padding"], case["dilation"]
    return (H + p - d * (KH - 1) - 1) // s + 1, (W + p - d * (KW - 1) - 1) // s + 1


def _one_side_taps(case):
    """Every (rows, columns) a tap slice can have when x is padded by p on one side only, OH from the formula."""
    H, W = case["x"].shape[2:]
    KH, KW = case["w"].shape[2:]
    s, p, d = case["stride"], case["padding"], case["dilation"]
    OH = (H + 2 * p - d * (KH - 1) - 1) // s + 1
    OW = (W + 2 * p - d * (KW - 1) - 1) // s + 1
    rows = {len(range(u * d, min(u * d + s * (OH - 1) + 1, H + p), s)) for u in range(KH)}
    cols = {len(range(v * d, min(v * d + s * (OW - 1) + 1, W + p), s)) for v in range(KW)}
    return {(r, c) for r in rows for c in cols} - {(OH, OW)}


_ONE_SIDE_HINT = (
    "the padding went on one side only: padding p means p rows of zeros above and p below (and p columns on "
    "each side), np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))"
)


def _forward_reference(x, w, b, stride, padding, dilation):
    return conv2d(x, w, b, stride, padding, dilation)


def check_conv_forward(fn):
    """Check ``fn(x, w, b, stride, padding, dilation) -> y (N, F, OH, OW)``, written without conv2d or im2col."""

    def diagnose(case, got, expected):
        x, w, b = case["x"], case["w"], case["b"]
        s, p, d = case["stride"], case["padding"], case["dilation"]
        geo = dict(stride=s, padding=p, dilation=d)
        got_arr = np.asarray(got, dtype=float)
        N, F, OH, OW = expected.shape
        if d > 1:
            undilated = conv2d(x, w, b, s, p)
            if got_arr.shape == undilated.shape and _matches(got_arr, undilated):
                return (
                    f"the dilation is ignored: with dilation {d} the taps of a window are {d} rows and columns "
                    f"apart, and OH = (H + 2p - d(KH-1) - 1) // s + 1"
                )
        hint = _layout_hints(got_arr, expected, conv2d(x, w, None, **geo), b)
        if hint:
            return hint
        if got_arr.shape == expected.shape:
            hint = _flattening_hint(got_arr, x, w, b, geo)
            if hint:
                return hint
        if got_arr.shape == expected.shape and d > 1:
            undilated_taps = conv2d(x, w, b, s, p)[:, :, :OH, :OW]  # taps at rows i*s + u instead of i*s + u*d
            if _matches(got_arr, undilated_taps):
                return (
                    f"OH is right but the taps are not spread: tap (u, v) of window (i, j) reads row i*s + u*d and "
                    f"column j*s + v*d, so its slice starts at u*d, not u (here d = {d})"
                )
        if got_arr.shape == expected.shape and p > 0:
            for before, after in (((0, 2 * p), "below and to the right"), ((2 * p, 0), "above and to the left")):
                shifted = np.pad(x, ((0, 0), (0, 0), before, before))  # all 2p zeros on one side
                if _matches(got_arr, conv2d(shifted, w, b, s, 0, d)[:, :, :OH, :OW]):
                    return (
                        f"the padding went on one side only: all 2p rows and columns of zeros went {after}: "
                        "padding p means p zeros on every side, x sits at rows p : p + H and columns p : p + W "
                        "of the padded array"
                    )
        if got_arr.ndim == 4 and got_arr.shape[0] == N + 2 * p and p > 0:
            return (
                "np.pad(x, p) pads every axis, the batch and the channels too: pad only the last two, "
                "np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))"
            )
        if s > 1 and got_arr.shape == expected.shape:
            unstrided = conv2d(x, w, b, 1, p, d)[:, :, :OH, :OW]  # windows 1 row apart instead of s
            if _matches(got_arr, unstrided):
                return (
                    f"the stride is missing from the tap slices: tap (u, v) of the OH windows sits in rows "
                    f"u*d, u*d + s, u*d + 2s, ...: slice u*d : u*d + s*(OH-1) + 1 : s (here s = {s})"
                )
        if got_arr.ndim == 4 and got_arr.shape[:2] == (N, F) and got_arr.shape[2:] != (OH, OW):
            KH, KW = w.shape[2:]
            if p > 0 and got_arr.shape[2:] == _one_side_sizes(case):
                return _ONE_SIDE_HINT
            if d > 1 and got_arr.shape[2:] == _undilated_size(case):
                return _UNDILATED_OH_HINT.format(d=d)
            swapped = (x.shape[2] + 2 * p - d * (KW - 1) - 1) // s + 1, (x.shape[3] + 2 * p - d * (KH - 1) - 1) // s + 1
            if KH != KW and got_arr.shape[2:] == swapped:
                return "KH and KW are swapped: KH runs down the rows (with H), KW along the columns (with W)"
            return (
                f"the output has {got_arr.shape[2:]} pixels per map; expected (OH, OW) = {(OH, OW)}: "
                "OH = (H + 2p - d(KH-1) - 1) // s + 1, and likewise OW with W and KW"
            )
        if got_arr.shape != expected.shape:
            return f"y must have shape (N, F, OH, OW) = {expected.shape}"
        return (
            "compare one output pixel with the formula: y[n, f, i, j] = b[f] + sum over c, u, v of "
            "xp[n, c, i*s + u*d, j*s + v*d] * w[f, c, u, v]"
        )

    def diagnose_error(case, exc):
        w, p = case["w"], case["padding"]
        text = str(exc)
        shapes = _shapes_in(text)
        N, F = case["x"].shape[0], w.shape[0]
        if isinstance(exc, ValueError) and "broadcast" in text and (F, 1, 1, 1) in shapes and N != F:
            return (
                "the bias went along the batch axis (b[:, None, None, None]); it belongs to the channel axis F: "
                "in (N, F, OH, OW) add b[None, :, None, None]"
            )
        if isinstance(exc, ValueError) and p > 0 and not _padded_all_axes(case, text):
            taps = _one_side_taps(case)
            if any(len(sh) == 4 and (sh[1:3] in taps or sh[2:4] in taps) for sh in shapes):
                return _ONE_SIDE_HINT
        if isinstance(exc, ValueError) and case["dilation"] > 1 and not _padded_all_axes(case, text):
            OH, OW = _undilated_size(case)
            short_window = "core dimension" in text  # a window cut short by the edge of the padded input
            if short_window or any(OH in sh[1:] or OW in sh[1:] for sh in _shapes_in(text)):
                return _UNDILATED_OH_HINT.format(d=case["dilation"])
        if isinstance(exc, ValueError) and "broadcast" in text:
            hint = "two shapes don't broadcast: if this is the bias, in (N, F, OH, OW) it is b[None, :, None, None]"
            if w.shape[2] != w.shape[3]:
                hint += (
                    ". The kernel is not square here: check that OH uses KH and H, OW uses KW and W, and that "
                    "a window's slice takes KH rows and KW columns"
                )
            if p > 0:
                hint = (
                    "two shapes don't broadcast. If you padded with np.pad(x, p): that pads all four axes, the "
                    "batch and the channels too; pad only the last two. If it is the bias: in (N, F, OH, OW) it is "
                    "b[None, :, None, None]"
                )
            return hint
        if isinstance(exc, ValueError) and ("matmul" in text or "shapes" in text) and p > 0:
            return (
                "the inner sizes of a product don't agree. If you padded with np.pad(x, p), it padded the batch "
                "and channel axes too: pad only the last two"
            )
        if isinstance(exc, ValueError) and "cannot reshape" in text and w.shape[2] != w.shape[3]:
            return (
                "a reshape got the wrong number of entries: with a non-square kernel, check that KH goes with H "
                "and KW with W, and that a window has KH × KW taps"
            )
        return None

    _run(
        "conv forward",
        fn,
        _forward_cases(),
        _forward_reference,
        diagnose,
        forbid=FORWARD_FORBID,
        diagnose_error=diagnose_error,
    )


# --- exercise 3: find the bug ----------------------------------------------------------------


def _fixed_cases():
    rng = np.random.default_rng(305)
    specs = [  # x shape, w shape, stride, padding; a = (H + 2p - KH) mod s per axis
        ((2, 2, 5, 5), (3, 2, 3, 3), 1, 0),  # a = 0
        ((2, 3, 7, 8), (2, 3, 3, 3), 2, 1),  # a = (0, 1), never above p: the classmate's function is right here
        ((2, 2, 8, 7), (3, 2, 3, 3), 2, 0),  # a = (1, 0) > p in the rows
        ((1, 2, 9, 12), (3, 2, 2, 3), 3, 1),  # a = (0, 2) > p in the columns, non-square kernel
        ((2, 2, 9, 11), (2, 2, 3, 3), 4, 0),  # a = (2, 0): a - p = 2, one extra canvas row is not enough
    ]
    return [
        dict(x=_ints(rng, xs), w=_ints(rng, ws), b=_ints(rng, ws[0]), stride=s, padding=p) for xs, ws, s, p in specs
    ]


def _leftover(case):
    """a = (H + 2p - KH) mod s for the rows and the columns of a case."""
    H, W = case["x"].shape[2:]
    KH, KW = case["w"].shape[2:]
    s, p = case["stride"], case["padding"]
    return (H + 2 * p - KH) % s, (W + 2 * p - KW) % s


def _canvas_forward(x, w, b, stride, padding, oh="floor", place="p:p+H", extra=0):
    """Exercise 3's forward pass: x on a zero canvas just big enough for every window, then a loop of products.

    ``oh="ceil"`` rounds the output size up; ``place="p:"`` copies x's first rows into every canvas row from p on;
    ``extra`` adds that many canvas rows and columns.
    """
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    s, p = stride, padding
    if oh == "ceil":
        OH, OW = -(-(H + 2 * p - KH) // s) + 1, -(-(W + 2 * p - KW) // s) + 1
    else:
        OH, OW = (H + 2 * p - KH) // s + 1, (W + 2 * p - KW) // s + 1
    Hc, Wc = (OH - 1) * s + KH + extra, (OW - 1) * s + KW + extra  # the rows the windows read: H + 2p - a
    xp = np.zeros((N, C, Hc, Wc))
    if place == "p:":
        xp[:, :, p:, p:] = x[:, :, : Hc - p, : Wc - p]
    else:
        xp[:, :, p : p + H, p : p + W] = x
    w_mat = w.reshape(F, -1).T  # (C*KH*KW, F)
    y = np.empty((N, F, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = xp[:, :, i * s : i * s + KH, j * s : j * s + KW]  # (N, C, KH, KW)
            y[:, :, i, j] = window.reshape(N, -1) @ w_mat + b  # (N, F)
    return y


def _canvas_plus_one(x, w, b, stride, padding):
    """A wrong fix of exercise 3: one more canvas row and column, enough only while a - p <= 1."""
    return _canvas_forward(x, w, b, stride, padding, extra=1)


def _small_canvas(x, w, b, stride, padding):
    """The bug of exercise 3: a canvas of H + 2p - a rows, which x does not fit when a > p."""
    return _canvas_forward(x, w, b, stride, padding)


def _rounded_up(x, w, b, stride, padding):
    """A wrong fix of exercise 3: OH rounded up, so that x always fits (one output row too many when a > 0)."""
    return _canvas_forward(x, w, b, stride, padding, oh="ceil")


def _filled_to_the_end(x, w, b, stride, padding):
    """A wrong fix of exercise 3: x copied into every canvas row from p on (too few rows of x when a < p)."""
    return _canvas_forward(x, w, b, stride, padding, place="p:")


def check_conv_forward_fixed(fn):
    """Check the repaired ``fn(x, w, b, stride, padding) -> y (N, F, OH, OW)``: leftover rows a below and above p."""

    def diagnose(case, got, expected):
        a, p = _leftover(case), case["padding"]
        got_arr = np.asarray(got)
        if got_arr.ndim == 4 and got_arr.shape[:2] == expected.shape[:2] and got_arr.shape[2:] != expected.shape[2:]:
            if all(g >= e for g, e in zip(got_arr.shape[2:], expected.shape[2:])):
                return (
                    f"the output has {got_arr.shape[2:]} pixels per map, expected (OH, OW) = {expected.shape[2:]}: "
                    "OH = (H + 2p - KH) // s + 1 rounds down. The a leftover rows get no window of their own; "
                    "make the canvas fit x instead"
                )
        if a == (0, 0):
            return (
                f"this case has stride {case['stride']} and a = 0, where the original function was right: your change "
                "broke something else. Compare your function with conv_forward_buggy line by line"
            )
        return (
            f"here a = {a} and p = {p}: check which rows of x the windows read, and where x sits on your canvas "
            "(rows p to p + H - 1)"
        )

    def diagnose_error(case, exc):
        if not isinstance(exc, ValueError):
            return None
        a, p = _leftover(case), case["padding"]
        if max(a) - p >= 2:
            axis, size = ("rows", "H + 2p") if a[0] - p >= 2 else ("columns", "W + 2p")
            return (
                f"x does not fit on the canvas: here a = {max(a)} and p = {p}, so a - p = {max(a) - p} {axis} of x "
                f"have no place. One extra row or column is not enough: the canvas must hold all {size} {axis} "
                "(or copy only the rows some window reads)"
            )
        if any(v > p for v in a):
            axis, size = ("rows", "(OH-1)*s + KH = H") if a[0] > p else ("columns", "(OW-1)*s + KW = W")
            return (
                f"x does not fit on the canvas: the canvas has {size} + 2p - a {axis}, and here a = {max(a)} is "
                f"more than p = {p}, so the last a - p {axis} of x have no place on it. No window reads those "
                f"{axis}; give them a place, or leave them out of the copy"
            )
        return (
            f"a copy into the canvas failed although x fits (a = {a}, p = {p}): x's H rows go into canvas rows "
            "p to p + H - 1, which leaves p - a rows of zeros below them"
        )

    _run(
        "find the bug",
        fn,
        _fixed_cases(),
        lambda x, w, b, stride, padding: conv2d(x, w, b, stride, padding),
        diagnose,
        forbid=FORWARD_FORBID,
        diagnose_error=diagnose_error,
    )


# --- exercise 4: predict, then check -----------------------------------------------------

COUNTS_LAYER = dict(N=8, C=64, H=16, W=16, F=128, K=3, stride=1, padding=1, dilation=2)

_NUMBER_HINT = 'give a number, an int such as 1234, not a string such as "1234"'


def _out_size(H, K, stride, padding, dilation):
    return (H + 2 * padding - dilation * (K - 1) - 1) // stride + 1


def _counts():
    """(OH, OW, parameters with the bias, multiply-adds) of :data:`COUNTS_LAYER`."""
    L = COUNTS_LAYER
    OH = _out_size(L["H"], L["K"], L["stride"], L["padding"], L["dilation"])
    OW = _out_size(L["W"], L["K"], L["stride"], L["padding"], L["dilation"])
    params = L["F"] * L["C"] * L["K"] ** 2 + L["F"]
    return OH, OW, params, L["N"] * L["F"] * OH * OW * L["C"] * L["K"] ** 2


def check_layer_counts(params, mult_adds):
    """Check predictions for the layer :data:`COUNTS_LAYER`: its parameters (with the bias), its multiply-adds."""
    if params is None and mult_adds is None:
        print(colored("layer counts: not answered yet.", "yellow") + " Fill in params and mult_adds.")
        return
    L = COUNTS_LAYER
    OH, OW, n_params, macs = _counts()
    N, C, F, K, H, W = L["N"], L["C"], L["F"], L["K"], L["H"], L["W"]
    s, p, d = L["stride"], L["padding"], L["dilation"]
    span = d * (K - 1) + 1  # rows a dilated window spans

    def params_hint(got, expected):
        if isinstance(got, (str, bytes)):
            return _NUMBER_HINT
        if _matches(got, F * C * K * K):
            return "that counts the weights; including the bias, each of the F filters also has one bias"
        if _matches(got, F * C * span * span + F) or _matches(got, F * C * span * span):
            return (
                f"the dilation spreads the {K}×{K} taps over {span}×{span} pixels, but each kernel still has "
                f"{K}·{K} weights: the skipped pixels have none"
            )
        if _matches(got, F * C * K * K + F * OH * OW) or _matches(got, F * C * K * K + N * F * OH * OW):
            return "the bias is one number per filter, the same at every position and for every sample: F biases"
        if _matches(got, C * K * K + 1):
            return "that is one filter; the layer has F of them"
        if any(_matches(got, v * n) for v in (expected, F * C * K * K) for n in (N, OH * OW, N * OH * OW)):
            return "parameters are shared by every position and every sample: N, OH and OW do not appear"
        return "F filters of C·KH·KW weights each, plus one bias per filter"

    def macs_hint(got, expected):
        if isinstance(got, (str, bytes)):
            return _NUMBER_HINT
        per_map = N * F * C * K * K  # multiply-adds per output position, over the batch and the filters
        if _matches(got, 2 * expected):
            return (
                "that counts the multiplication and the addition separately (2 FLOPs per multiply-add); "
                "the question counts multiply-adds"
            )
        if _matches(got, expected + N * F * OH * OW):
            return "that adds the bias additions; the question counts only the multiply-adds"
        undilated = _out_size(H, K, s, p, 1)
        if _matches(got, per_map * undilated * undilated):
            return (
                f"OH = {undilated} ignores the dilation: a dilated window spans d(KH-1)+1 = {span} rows, "
                "so OH = (H + 2p - d(KH-1) - 1) // s + 1"
            )
        unpadded = _out_size(H, K, s, 0, d)
        if _matches(got, per_map * unpadded * unpadded):
            return f"OH = {unpadded} leaves out the padding: p = {p} zeros on each side, 2p in all"
        if _matches(got, N * F * OH * OW * C * span * span):
            return f"each output pixel costs C·KH·KW multiply-adds, one per weight: {K}·{K} taps, not {span}·{span}"
        if _matches(got, per_map * H * W):
            return "one multiply-add per weight per output pixel: OH·OW output pixels per map, not H·W"
        if _matches(got, expected * F):
            return "F is counted twice: N·F·OH·OW output pixels, each costing C·KH·KW multiply-adds"
        if _matches(got, expected // N):
            return "that is one image; the batch has N of them"
        if _matches(got, expected // F):
            return "that is one filter; each of the F filters makes its own map"
        return "each of the N·F·OH·OW output pixels costs C·KH·KW multiply-adds; work out OH first"

    _check_value("parameters", params, n_params, params_hint)
    _check_value("multiply-adds", mult_adds, macs, macs_hint)


__all__ = [
    "COUNTS_LAYER",
    "check_conv1x1",
    "check_conv_forward",
    "check_conv_forward_fixed",
    "check_layer_counts",
]
