"""Exercise checkers for notebook 06: training a two-convolution network with the hand-written backward."""

import itertools
import re

import numpy as np
from termcolor import colored

from ..blocks import dilate2d, output_size, pad2d, rot180, rows_read, stride_leftover
from ..columns import im2col
from ..conv import conv2d, conv2d_backward
from ._common import GRADIENT_ROUTINES
from ._common import check_value as _check_value
from ._common import is_whole as _whole
from ._common import matches as _matches
from ._common import run_checker as _run
from ._common import same_ints as _same_ints

# Exercises 1 and 2 refuse the routines that compute a convolution's gradients directly: the shared list without
# col2im (exercise 2 may scatter with it), plus the backward passes of conv_lab.net's models, which would compute
# an exercise's answer through the library's own (allowed) internal calls. conv2d (the forward), im2col, col2im,
# pad2d, dilate2d, rot180 and corr2d stay allowed.
_MODEL_BACKWARDS = ("net.DigitNet.backward", "net.LinearClassifier.backward")
_GRADIENT_ROUTINES = tuple(r for r in GRADIENT_ROUTINES if r != "col2im") + _MODEL_BACKWARDS


def _triple(got, names):
    """A hint if ``got`` is not a tuple of len(names) arrays, else None."""
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        return f"return the {len(names)} arrays as a tuple, in this order: ({', '.join(names)})"
    return None


def _float32_hint(got, expected, names):
    """A hint for answers in a low-precision float dtype (float32, float16), else None.

    The checker's tolerance is float64's, so such answers are never blamed on the formula: either every array
    agrees to float32 precision (the formula is right), or the hint names the arrays that disagree beyond it.
    """
    low = [np.asarray(g).dtype for g in got if np.asarray(g).dtype.kind == "f" and np.asarray(g).dtype.itemsize < 8]
    if not low or any(np.shape(g) != e.shape for g, e in zip(got, expected)):
        return None
    off = [
        name
        for name, g, e in zip(names, got, expected)
        if not np.all(np.abs(np.asarray(g, np.float64) - e) <= 1e-4 * max(1.0, float(np.abs(e).max(initial=0.0))))
    ]
    if not off:
        return (
            f"your values agree with the expected ones to {low[0].name} precision, so the formula is right: "
            "compute in float64 (the dtype of the inputs) to pass"
        )
    return (
        f"compute in float64 (the dtype of the inputs): in {low[0].name} the checker can't tell rounding from a "
        f"wrong formula. Even allowing for {low[0].name} rounding, {', '.join(off)} disagree(s) with the expected"
    )


def _shape_hint(got, expected, names):
    for name, g, e in zip(names, got, expected):
        if np.shape(g) != e.shape:
            return f"{name} must have shape {e.shape}, got {np.shape(g)}"
    return None


# --- 1. warm-up: a read-out after global average pooling ----------------------------------------


def _readout_cases():
    rng = np.random.default_rng(661)
    cases = []
    for h_shape, n_classes in [((2, 1, 2, 2), 3), ((3, 2, 3, 2), 4), ((4, 3, 2, 2), 10), ((1, 4, 1, 3), 2)]:
        cases.append(
            dict(
                h=rng.standard_normal(h_shape),
                V=rng.standard_normal((h_shape[1], n_classes)),
                dlogits=rng.standard_normal((h_shape[0], n_classes)),
            )
        )
    return cases


def _readout_reference(h, V, dlogits):
    N, C, H, W = h.shape
    pooled = h.mean(axis=(2, 3))  # (N, C)
    dh = np.broadcast_to((dlogits @ V.T)[:, :, None, None] / (H * W), h.shape).copy()  # (N, C, H, W)
    return pooled.T @ dlogits, dlogits.sum(axis=0), dh


def check_readout_backward(fn):
    """Check ``fn(h, V, dlogits) -> (dV, dc, dh)`` for ``logits = h.mean(axis=(2, 3)) @ V + c``, h 4-D."""
    names = ("dV", "dc", "dh")

    def diagnose(case, got, expected):
        h, V, dlogits = case["h"], case["V"], case["dlogits"]
        HW = h.shape[2] * h.shape[3]
        hint = _triple(got, names) or _float32_hint(got, expected, names)
        if hint:
            return hint
        dV, dc, dh = got
        if np.shape(dV) == V.T.shape and V.shape[0] != V.shape[1]:
            return f"dV must have V's shape {V.shape}, got {np.shape(dV)}: pooled.T @ dlogits, not dlogits.T @ pooled"
        if np.shape(dh) == (len(h), V.shape[0]) and np.shape(dh) != h.shape:
            return (
                f"dh must have h's shape {h.shape}, got {np.shape(dh)}: the gradient of the pooled value "
                "(N, C) still has to go back through the mean, to every position it averaged"
            )
        if np.shape(dc) == expected[1].shape and _matches(dc, dlogits.mean(axis=0)):
            return "dc is a sum over the batch, not a mean: dlogits already carries the 1/N of the mean loss"
        hint = _shape_hint(got, expected, names)
        if hint:
            return hint
        if not _matches(dV, expected[0]):
            if _matches(dV, expected[0] * HW):
                return "the pooled features are a mean over the H*W positions, not a sum: divide by H*W"
            return "dV[c, k] = sum over n of pooled[n, c] * dlogits[n, k], with pooled = h.mean(axis=(2, 3))"
        if not _matches(dc, expected[1]):
            return "dc = dlogits summed over the batch axis"
        if _matches(dh, expected[2] * HW):
            return (
                "the mean divides by H*W: each of the H*W positions receives 1/(H*W) of the gradient of the "
                "pooled value, not all of it"
            )
        return (
            "dh[n, c, i, j] = (dlogits @ V.T)[n, c] / (H*W) at every position (i, j): the mean spreads the "
            "pooled value's gradient evenly over the positions it averaged"
        )

    _run("pooled read-out backward", fn, _readout_cases(), _readout_reference, diagnose, forbid=_GRADIENT_ROUTINES)


# --- 2. the backward of a two-convolution network, without the library's backward -----------------


def _two_conv_cases():
    """Layer 1: stride 1, padding 1. Layer 2: stride and padding per case, a != 0 from case 2 on."""
    rng = np.random.default_rng(662)
    specs = [  # x shape, w1 shape, w2 shape, stride, padding of layer 2
        ((1, 1, 5, 5), (2, 1, 3, 3), (2, 2, 3, 3), 1, 0),
        ((2, 1, 8, 8), (3, 1, 3, 3), (4, 3, 3, 3), 2, 1),  # the notebook's geometry: a = 1, a padding row
        ((2, 2, 8, 8), (3, 2, 3, 3), (2, 3, 3, 3), 2, 0),  # a = 1 > p: row 7 of a1 unread
        ((1, 2, 7, 6), (2, 2, 3, 2), (3, 2, 2, 3), 2, 1),  # non-square kernels
        ((2, 1, 8, 8), (2, 1, 3, 3), (3, 2, 3, 3), 3, 0),  # a = 2: rows 6 and 7 of a1 unread
    ]
    cases = []
    for xs, w1s, w2s, s, p in specs:
        x = rng.standard_normal(xs)
        w1, w2 = rng.standard_normal(w1s), rng.standard_normal(w2s)
        H1, W1 = xs[2] + 2 - w1s[2] + 1, xs[3] + 2 - w1s[3] + 1
        dy = rng.standard_normal((xs[0], w2s[0], output_size(H1, w2s[2], s, p), output_size(W1, w2s[3], s, p)))
        cases.append(dict(x=x, w1=w1, w2=w2, dy=dy, stride=s, padding=p))
    return cases


def _two_conv_variant(x, w1, w2, dy, stride, padding, mask="z1", layer2_input="a1", dx_from="dz1"):
    z1 = conv2d(x, w1, padding=1)
    a1 = np.maximum(z1, 0)
    da1, dw2, _ = conv2d_backward(dy, a1 if layer2_input == "a1" else z1, w2, stride=stride, padding=padding)
    dz1 = {"z1": da1 * (z1 > 0), "none": da1, "gradient": np.maximum(da1, 0), "a1": da1 * a1}[mask]
    dx, dw1, _ = conv2d_backward(dz1, x, w1, padding=1)
    if dx_from == "da1":  # layer 1's dx from the gradient before ReLU's backward
        dx = conv2d_backward(da1, x, w1, padding=1)[0]
    return dx, dw1, dw2


def _dw2_without_transpose(x, w1, w2, dy, stride, padding):
    a1 = np.maximum(conv2d(x, w1, padding=1), 0)
    F = w2.shape[0]
    return (dy.reshape(-1, F).T @ im2col(a1, w2.shape[2:], stride, padding)).reshape(w2.shape)


def _two_conv_reference(x, w1, w2, dy, stride, padding):
    return _two_conv_variant(x, w1, w2, dy, stride, padding)


def _short_by_leftover(case, exc, col2im=True):
    """A hint if the error message shows an array of a1's shape minus layer 2's leftover rows/columns, else None.

    That is the gradient of the rot180 route padded K-1-p on every side: it stops a rows (and columns) short of
    the bottom (and right) of a1, and meets the mask z1 > 0 of a1's full shape.
    """
    x, w1, w2, s, p = case["x"], case["w1"], case["w2"], case["stride"], case["padding"]
    H1, W1 = x.shape[2] + 2 - w1.shape[2] + 1, x.shape[3] + 2 - w1.shape[3] + 1  # a1 (layer 1: stride 1, padding 1)
    a_h, a_w = stride_leftover(H1, w2.shape[2], s, p), stride_leftover(W1, w2.shape[3], s, p)
    short = (x.shape[0], w1.shape[0], H1 - a_h, W1 - a_w)
    shapes = {tuple(int(n) for n in m.split(",") if n.strip()) for m in re.findall(r"\(([\d,\s]+)\)", str(exc))}
    if (a_h, a_w) == (0, 0) or short not in shapes:
        return None
    return (
        f"da1 came out {short[2]}x{short[3]} but a1 is {H1}x{W1}: it is short by layer 2's leftover, the "
        f"a = (H + 2p - K) mod s rows of the padded a1 below its last window ({a_h} here) and columns right of it "
        f"({a_w} here). "
        "Those lines are padding only in part: windows can read some of them, so they need their own gradient"
        + (
            "; col2im with a1.shape gives the full shape directly"
            if col2im
            else "; pad the zero-inserted dy more, at the bottom/right only, until da1 has a1's shape"
        )
    )


def _layer1_padding_hint(case, exc):
    """A hint if the error message shows layer 1's window count at layer 2's padding, else None."""
    x, w1, p = case["x"], case["w1"], case["padding"]
    if p == 1:
        return None
    N, _, H, W = x.shape
    wrong = N * output_size(H, w1.shape[2], 1, p) * output_size(W, w1.shape[3], 1, p)  # im2col rows at padding p
    right = N * H * W  # layer 1 keeps the size: stride 1, padding 1, 3-row kernels
    numbers = {int(n) for n in re.findall(r"\d+", str(exc))}
    if wrong != right and {wrong, right} <= numbers:
        return (
            f"layer 1 has its own padding, 1: its im2col/col2im got layer 2's padding ({p}), so its windows "
            f"({wrong} rows) do not match the {right} positions of dz1. Layer 2's stride and padding belong to "
            "layer 2's step only"
        )
    return None


def check_two_conv_backward(fn):
    """Check ``fn(x, w1, w2, dy, stride, padding) -> (dx, dw1, dw2)`` for conv -> ReLU -> conv.

    Layer 1 is ``conv2d(x, w1, padding=1)``; layer 2 is ``conv2d(a1, w2, stride=stride, padding=padding)``;
    no biases. ``conv2d_backward``, ``conv_transpose2d``, the layer's backward and the numerical gradient are
    unavailable; ``conv2d``, ``im2col``, ``col2im``, ``pad2d``, ``dilate2d``, ``rot180`` and ``corr2d`` may be used.
    """
    names = ("dx", "dw1", "dw2")

    def diagnose(case, got, expected):
        hint = _triple(got, names) or _float32_hint(got, expected, names)
        if hint:
            return hint
        hint = _shape_hint(got, expected, names)
        if hint:
            return hint
        dx, dw1, dw2 = got
        variant = lambda **kw: _two_conv_variant(**case, **kw)  # noqa: E731
        if not _matches(dw2, expected[2]):
            if _matches(dw2, variant(layer2_input="z1")[2]):
                return "layer 2's input is a1 = relu(z1), not z1: dw2 correlates dy with a1's windows"
            if _matches(dw2, _dw2_without_transpose(**case)):
                return (
                    "dy.reshape(-1, F) mixes up the axes: move F last first, "
                    "dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F), so that row n*OH*OW + oh*OW + ow "
                    "matches the rows of im2col"
                )
            return (
                "dw2 = dy_mat.T @ im2col(a1, (KH2, KW2), stride, padding), with dy_mat = dy moved to "
                "(N, OH, OW, F) and flattened to rows, reshaped to w2's shape"
            )
        if not _matches(dw1, expected[1]):
            if _matches(dw1, variant(mask="none")[1]):
                return "the gradient that reaches z1 must pass ReLU's backward: multiply da1 by (z1 > 0)"
            if _matches(dw1, variant(mask="gradient")[1]):
                return "ReLU's backward masks by the sign of the forward value z1, not of the gradient da1"
            if _matches(dw1, variant(mask="a1")[1]):
                return (
                    "you multiplied da1 by a1 itself: ReLU's slope is 1 where z1 > 0 and 0 elsewhere, "
                    "so multiply by the 0/1 mask (z1 > 0), not by the activation's value"
                )
            no_biases = dict(b1=np.zeros(len(case["w1"])), b2=np.zeros(len(case["w2"])))
            for (rows, cols, mask), rot180_variant in _net_variants(**case, **no_biases):
                if mask == "z1" and (rows, cols) != ("right", "right") and _matches(dw1, rot180_variant[0]):
                    return _net_hint(case, rows, cols, mask, still=False)  # exercise 3's bug, or a cousin
            return (
                "dw1 needs the gradient at layer 1's output: da1 = dx of layer 2 (col2im of dy_mat @ w2_mat, "
                "with layer 2's stride and padding), masked by z1 > 0, then correlated with x's windows"
            )
        if _matches(dx, variant(dx_from="da1")[0]):
            return (
                "dx must come from dz1 = da1 * (z1 > 0), the gradient after ReLU's backward (the one dw1 uses), "
                "not from da1: layer 1's output went through the ReLU before layer 2 saw it"
            )
        return (
            "dx = col2im(dz1_mat @ w1_mat, x.shape, (KH1, KW1), padding=1), where dz1 = da1 * (z1 > 0) is the "
            "masked gradient that also gives dw1: layer 1's kernel and padding"
        )

    def diagnose_error(case, exc):
        short_hint = _short_by_leftover(case, exc)
        if short_hint:
            return short_hint
        layer1_hint = _layer1_padding_hint(case, exc)
        if layer1_hint:
            return layer1_hint
        if case["stride"] > 1 and isinstance(exc, ValueError) and ("broadcast" in str(exc) or "shape" in str(exc)):
            return (
                "at stride > 1 the gradient flowing into layer 1 must still have a1's full shape: col2im with "
                "layer 2's stride and padding (and a1.shape) gives it directly, leftover rows included"
            )
        return None

    _run(
        "two-layer backward",
        fn,
        _two_conv_cases(),
        _two_conv_reference,
        diagnose,
        forbid=_GRADIENT_ROUTINES,
        diagnose_error=diagnose_error,
    )


# --- 3. find the bug: layer 2's dx by the rot180 route, its missing rows filled with zeros ---------

# Exercise 3 computes every gradient without the library's: col2im is refused too, so the repair is made in the
# rot180 route of the function shown rather than by swapping that route for another.
_NET_GRADIENT_ROUTINES = GRADIENT_ROUTINES + _MODEL_BACKWARDS

_AXIS_KINDS = ("right", "ignored", "top", "unpadded")  # how a student's rot180 route treats one axis's leftover a
_MASKS = ("z1", "gradient", "none", "z1>=0")  # how a student's ReLU backward masks da1


def _net_cases():
    """Stride 1 first (the function shown passes those), then a = 0, 0 < a <= p and a > p, and a crop (p > K-1).

    Small integers, so that z1 is exactly 0 at some positions (where z1 >= 0 and z1 > 0 differ), and every
    gradient is computed exactly.
    """
    rng = np.random.default_rng(663)
    specs = [  # x shape, w1 shape, w2 shape, stride, padding of layer 2
        ((1, 1, 5, 5), (2, 1, 3, 3), (2, 2, 3, 3), 1, 0),  # a = 0
        ((2, 2, 6, 5), (3, 2, 3, 2), (2, 3, 2, 3), 1, 1),  # a = 0, non-square kernels
        ((2, 1, 8, 8), (3, 1, 3, 3), (4, 3, 3, 3), 2, 1),  # DigitNet's layer 2: a = p = 1, a padding row
        ((2, 2, 6, 7), (3, 2, 3, 2), (2, 3, 2, 3), 2, 1),  # a1 6x8: a = (0, 1), columns only
        ((1, 2, 8, 8), (3, 2, 3, 3), (2, 3, 3, 3), 2, 0),  # a = 1 > p = 0: row and column 7 of a1 unread
        ((1, 1, 7, 7), (2, 1, 3, 3), (3, 2, 3, 3), 3, 2),  # a = 2 = p, top/left pad K-1-p = 0
        ((2, 1, 9, 8), (2, 1, 3, 3), (3, 2, 3, 3), 3, 1),  # a1 9x8: a = (2, 1), row 8 unread (a > p)
        ((1, 2, 7, 6), (2, 2, 3, 3), (2, 2, 2, 2), 2, 2),  # p > K-1: the rot180 route crops; a = (1, 0)
    ]
    cases = []
    for xs, w1s, w2s, s, p in specs:
        x = rng.integers(0, 3, xs).astype(float)
        w1, w2 = rng.integers(-1, 2, w1s).astype(float), rng.integers(-2, 3, w2s).astype(float)
        b1, b2 = rng.integers(-1, 2, w1s[0]).astype(float), rng.integers(-1, 2, w2s[0]).astype(float)
        H1, W1 = xs[2] + 2 - w1s[2] + 1, xs[3] + 2 - w1s[3] + 1
        dy = rng.integers(-3, 4, (xs[0], w2s[0], output_size(H1, w2s[2], s, p), output_size(W1, w2s[3], s, p)))
        cases.append(dict(x=x, w1=w1, b1=b1, w2=w2, b2=b2, dy=dy.astype(float), stride=s, padding=p))
    return cases


def _net_axes(case):
    """Layer 2 along rows and columns: (name, size of a1, kernel size, a, a computed without the padding)."""
    x, w1, w2, s, p = case["x"], case["w1"], case["w2"], case["stride"], case["padding"]
    axes = []
    for name, k in (("rows", 2), ("columns", 3)):
        size, K = x.shape[k] + 2 - w1.shape[k] + 1, w2.shape[k]  # a1: layer 1 has stride 1 and padding 1
        axes.append((name, size, K, stride_leftover(size, K, s, p), (size - K) % s))
    return axes


def _da1_by_rot180(dy, w2, stride, padding, pads, a1_shape):
    """Layer 2's dx by the rot180 route with the pads given, then zero-padded at the bottom/right to a1's shape.

    None where that is impossible (np.pad would get a negative width, or the pads leave too little).
    """
    try:
        g = pad2d(dilate2d(dy, stride), pads)
        da1 = conv2d(g, rot180(w2).transpose(1, 0, 2, 3))  # kernel (C, F, KH, KW)
        missing = (a1_shape[2] - da1.shape[2], a1_shape[3] - da1.shape[3])
        if min(missing) < 0:
            return None
        return np.pad(da1, ((0, 0), (0, 0), (0, missing[0]), (0, missing[1])))
    except ValueError:
        return None


def _rot180_pads(case, kinds):
    """The ((top, bottom), (left, right)) pads of a rot180 route treating each axis's leftover as ``kinds`` says."""
    p = case["padding"]
    pads = []
    for kind, (_, _, K, a, a_unpadded) in zip(kinds, _net_axes(case)):
        extra = {"right": (0, a), "ignored": (0, 0), "top": (a, 0), "unpadded": (0, a_unpadded)}[kind]
        pads.append((K - 1 - p + extra[0], K - 1 - p + extra[1]))
    return tuple(pads)


def _mask(da1, z1, mask):
    return {"z1": da1 * (z1 > 0), "gradient": np.maximum(da1, 0), "none": da1, "z1>=0": da1 * (z1 >= 0)}[mask]


def _net_variants(x, w1, b1, w2, b2, dy, stride, padding):
    """Every (rows kind, columns kind, mask) -> (dw1, db1, dw2, db2) a student's repair could give, right first.

    Variants whose rot180 route comes out larger than a1 are left out: the student's np.pad would raise.
    """
    case = dict(x=x, w1=w1, b1=b1, w2=w2, b2=b2, dy=dy, stride=stride, padding=padding)
    z1 = conv2d(x, w1, b1, padding=1)
    a1 = np.maximum(z1, 0)
    _, dw2, db2 = conv2d_backward(dy, a1, w2, stride=stride, padding=padding)
    for rows, cols in itertools.product(_AXIS_KINDS, _AXIS_KINDS):
        da1 = _da1_by_rot180(dy, w2, stride, padding, _rot180_pads(case, (rows, cols)), a1.shape)
        if da1 is None:
            continue
        for mask in _MASKS:
            _, dw1, db1 = conv2d_backward(_mask(da1, z1, mask), x, w1, padding=1)
            yield (rows, cols, mask), (dw1, db1, dw2, db2)


def _clipped_da1_shape(case):
    """(OH, OW) of layer 2's da1 by the rot180 route with each pad clipped at 0, the repair otherwise right."""
    dy, s, p = case["dy"], case["stride"], case["padding"]
    shape = []
    for (_, _, K, a, _), n in zip(_net_axes(case), dy.shape[2:]):
        top, bottom = max(0, K - 1 - p), max(0, K - 1 - p + a)
        shape.append((n - 1) * s + 1 + top + bottom - K + 1)
    return tuple(shape)


def _student_arrays(exc):
    """The shapes of every array the student's code held where ``exc`` was raised (frames of its traceback)."""
    shapes, tb = set(), exc.__traceback__
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if isinstance(value, np.ndarray):
                shapes.add(value.shape)
        tb = tb.tb_next
    return shapes


def _clipped_hint(case, got_shape):
    """The hint for a rot180 route whose pads were clipped at 0 where K-1-p is negative."""
    p, kernel, a1 = case["padding"], case["w2"].shape[2:], _net_axes(case)
    return (
        f"a pad clipped at 0 keeps lines that must go: here padding {p} reaches past the {kernel[0]}x{kernel[1]} "
        f"kernel's K-1, so K-1-p is negative, and da1 came out {got_shape[0]}x{got_shape[1]} against a1's "
        f"{a1[0][1]}x{a1[1][1]}. Where K-1-p < 0 the rot180 route must crop that many lines of the zero-inserted dy, "
        "not pad 0; np.pad can't crop, cl.pad2d crops for a negative amount"
    )


def _unrotated_matches(case, got):
    """Whether ``got`` is the repair with the kernel not turned by 180 degrees (right pads, mask z1 > 0)."""
    x, w1, b1, w2, dy, s, p = (case[k] for k in ("x", "w1", "b1", "w2", "dy", "stride", "padding"))
    z1 = conv2d(x, w1, b1, padding=1)
    try:
        g = pad2d(dilate2d(dy, s), _rot180_pads(case, ("right", "right")))
        da1 = conv2d(g, w2.transpose(1, 0, 2, 3))  # the kernel as it is, F and C swapped
        _, dw1, db1 = conv2d_backward(da1 * (z1 > 0), x, w1, padding=1)
    except ValueError:
        return False
    return _matches(got[:2], (dw1, db1))


def _net_reference(x, w1, b1, w2, b2, dy, stride, padding):
    """The four gradients from the library's backward (the im2col route), independent of the variants above."""
    z1 = conv2d(x, w1, b1, padding=1)
    a1 = np.maximum(z1, 0)
    da1, dw2, db2 = conv2d_backward(dy, a1, w2, stride=stride, padding=padding)
    _, dw1, db1 = conv2d_backward(da1 * (z1 > 0), x, w1, padding=1)
    return dw1, db1, dw2, db2


_MASK_HINTS = {
    "gradient": "ReLU's backward masks by the sign of the forward value z1, not of the gradient da1: "
    "the line dz1 = da1 * (z1 > 0) was right",
    "none": "the ReLU step is gone: the gradient must still be blocked where z1 <= 0, as the function shown "
    "did with dz1 = da1 * (z1 > 0)",
    "z1>=0": "at z1 == 0 exactly the gradient is 0 (the convention of PyTorch and this series): "
    "the mask z1 > 0 of the function shown was right",
}


def _lines(n, name):
    """``_lines(1, "rows")`` -> "1 row"."""
    return f"{n} {name[:-1] if n == 1 else name}"


def _ignored_hint(case, axes, still=True):
    """The hint for axes whose leftover the rot180 route ignores, naming the zeroed lines that a window reads."""
    s, p = case["stride"], case["padding"]
    short, read_zeroed = [], []
    for name, size, K, a, _ in axes:
        short.append(_lines(a, name))
        zeroed = np.arange(size - a, size)
        read = zeroed[rows_read(size, K, s, p)[zeroed]]
        if len(read):
            read_zeroed.append(f"{name[:-1] if len(read) == 1 else name} {', '.join(str(int(i)) for i in read)}")
    here = ""
    if read_zeroed:
        one = len(read_zeroed) == 1 and "," not in read_zeroed[0]
        here = (
            f"; here {' and '.join(read_zeroed)} of a1 {'is' if one else 'are'} read by a window, so "
            f"{'its' if one else 'their'} gradient is not simply zero"
        )
    still = "still " if still else ""
    return (
        f"da1 {still}ignores layer 2's leftover on the {' and '.join(name for name, *_ in axes)}. Padded by K-1-p "
        f"on every side, the rot180 route comes out short of a1 by the leftover a ({' and '.join(short)} here), "
        "and np.pad fills the gap with zeros. But a = (H + 2p - K) mod s counts lines of the padded a1 below "
        f"(right of) the last window, and only max(0, a - p) of them are lines of a1{here}. The zeros are the "
        "mistake: the rot180 route itself must produce those lines, so its padding of the zero-inserted dy has to "
        "change on the side where the lines are missing, each axis with its own a"
    )


def _net_hint(case, rows, cols, mask, still=True):
    """Compose the hint for a student's answer that matched the variant (rows, cols, mask).

    ``still`` says that the answer kept the bug of the function shown (exercise 3), not made it anew.
    """
    axes = _net_axes(case)
    hints = []
    by_kind = {}
    for kind, axis in zip((rows, cols), axes):
        by_kind.setdefault(kind, []).append(axis)
    if "ignored" in by_kind:
        hints.append(_ignored_hint(case, by_kind["ignored"], still))
    if "top" in by_kind:
        names = " and ".join(name for name, *_ in by_kind["top"])
        hints.append(
            f"the extra a {names} of padding go at the bottom/right of the zero-inserted dy, not at the top/left: "
            "the leftover lies below (right of) the last window, so the top/left pad stays as it was"
        )
    if "unpadded" in by_kind:
        parts = []
        for name, _, _, a, a_unpadded in by_kind["unpadded"]:
            n, k = ("H", "KH") if name == "rows" else ("W", "KW")
            parts.append(f"on the {name}, ({n} + 2p - {k}) mod s = {a}, not ({n} - {k}) mod s = {a_unpadded}")
        hints.append(
            "a counts lines of the padded a1 below (right of) the last window, so the padding counts: "
            + "; ".join(parts)
        )
    if mask != "z1":
        hints.append(_MASK_HINTS[mask])
    return "; also ".join(hints)


def check_net_gradients(fn):
    """Check the repaired ``fn(x, w1, b1, w2, b2, dy, stride, padding) -> (dw1, db1, dw2, db2)``.

    The network is ``conv2d(relu(conv2d(x, w1, b1, padding=1)), w2, b2, stride, padding)``. Every gradient
    routine of the library, ``col2im`` included, is unavailable; ``conv2d``, ``im2col``, ``pad2d``,
    ``dilate2d``, ``rot180`` and ``corr2d`` may be used.
    """
    names = ("dw1", "db1", "dw2", "db2")

    def diagnose(case, got, expected):
        hint = _triple(got, names) or _float32_hint(got, expected, names)
        if hint:
            return hint
        hint = _shape_hint(got, expected, names)
        if hint:
            return hint
        for (rows, cols, mask), variant in _net_variants(**case):
            if (rows, cols, mask) != ("right", "right", "z1") and _matches(got, variant):
                return _net_hint(case, rows, cols, mask)
        if not _matches(got[2:], expected[2:]):
            return "dw2 and db2 were right in the function shown: keep those lines as they were"
        if _unrotated_matches(case, got):
            return (
                "the rot180 route correlates the zero-inserted, padded dy with the kernel turned by 180 degrees, "
                "cl.rot180(w2), as the function shown did: here the kernel was used as it is"
            )
        return (
            "only layer 2's da1 needs to change: its rot180 route must give a1's full shape by itself, the lines "
            "below (right of) layer 2's last window included, with the leftover a = (H + 2p - K) mod s of each "
            "axis (H and W of a1); the ReLU mask z1 > 0 and the rest stay as they were"
        )

    def diagnose_error(case, exc):
        short_hint = _short_by_leftover(case, exc, col2im=False)
        if short_hint:
            return short_hint
        p, kernel = case["padding"], case["w2"].shape[2:]
        clipped = (len(case["x"]), case["w2"].shape[1], *_clipped_da1_shape(case))
        if p > min(kernel) - 1 and isinstance(exc, ValueError):
            shown = f"({','.join(str(n) for n in clipped)})" in str(exc).replace(" ", "")  # shapes in the message
            if shown or ("negative" in str(exc) and clipped in _student_arrays(exc)):
                return _clipped_hint(case, clipped[2:])
        if isinstance(exc, ValueError) and "negative" in str(exc):
            if p > min(kernel) - 1:
                return (
                    f"a pad width can't be negative, and here K-1-p is: padding {p} reaches past the "
                    f"{kernel[0]}x{kernel[1]} kernel's K-1. The rot180 route must then crop that many rows/columns "
                    "of the zero-inserted dy instead of padding; cl.pad2d crops for a negative amount"
                )
            return (
                "np.pad got a negative width: da1 came out larger than a1, so the rot180 route padded too much. "
                "The top/left pad stays K-1-p; only the bottom/right one grows, by the leftover a of that axis "
                "alone; then da1 has a1's shape and needs no np.pad"
            )
        return None

    _run(
        "network gradients, repaired",
        fn,
        _net_cases(),
        _net_reference,
        diagnose,
        forbid=_NET_GRADIENT_ROUTINES,
        diagnose_error=diagnose_error,
    )


# --- 4. predict, then check: how many numbers does a variant of the network train? -----------------


def _counts(C1=8, C2=16, classes=10, biases=True, side=6, C_in_conv2=None):
    """(total, read-out) of Conv2d(1, C1, 3, padding=1) -> Conv2d(C1, C2, 3) -> read-out of C2*side*side inputs."""
    C_in = C1 if C_in_conv2 is None else C_in_conv2
    conv1 = C1 * 1 * 3 * 3 + (C1 if biases else 0)
    conv2 = C2 * C_in * 3 * 3 + (C2 if biases else 0)
    readout = C2 * side * side * classes + (classes if biases else 0)
    return conv1 + conv2 + readout, readout


def check_parameter_counts(total, frozen_trained):
    """Check predictions for the variant of exercise 4: 8 and 16 filters, layer 2 at stride 1 and padding 0."""
    title = "parameter counts"
    if total is Ellipsis or frozen_trained is Ellipsis or total is None or frozen_trained is None:
        print(colored(f"{title}: not answered yet.", "yellow") + " Replace each ... with a whole number.")
        return
    expected = _counts()

    def diagnose(got, expected):
        if any(isinstance(v, (str, bytes)) for v in got):
            return "answer with two whole numbers, not strings: write 123, not '123'"
        if not all(_whole(v) for v in got):
            return "answer with two whole numbers"
        t, f = (int(v) for v in got)
        if (t, f) == (expected[1], expected[0]):
            return "the two numbers are swapped: first the total, then the ones the frozen control trains"
        if t == expected[0] and f != expected[1]:
            if f in (0, expected[0]):
                return "the total is right. The frozen control trains the read-out, and only the read-out"
            return "the total is right; the frozen control trains the read-out's W and c"
        if (t, f) == _counts(biases=False):
            return "count the biases too: one per filter in each conv layer, one per class in the read-out"
        if t == _counts(side=4)[0] or f == _counts(side=4)[1]:
            return (
                "this layer 2 has stride 1 and padding 0, unlike DigitNet's: its output is not 4x4. "
                "Work out OH = floor((H + 2p - K) / s) + 1 for its 8x8 input"
            )
        if t == _counts(side=8)[0] or f == _counts(side=8)[1]:
            return "layer 2 has no padding: a 3x3 kernel on an 8x8 input gives 6x6, not 8x8"
        if t == _counts(C_in_conv2=1)[0]:
            return "each of layer 2's 16 filters spans all 8 channels of layer 1: 8*3*3 weights per filter"
        return (
            "weights of a conv layer: F*C*KH*KW, plus F biases; the read-out: (inputs x 10) weights plus 10 biases, "
            "with inputs = channels x height x width of layer 2's output"
        )

    _check_value(title, (total, frozen_trained), expected, diagnose, compare=lambda g, e: _same_ints(g, e))


__all__ = [
    "check_net_gradients",
    "check_parameter_counts",
    "check_readout_backward",
    "check_two_conv_backward",
]
