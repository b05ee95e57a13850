"""Checkers for the notebooks' exercises.

Each ``check_*`` function runs a student's function on cases the notebook
never showed, compares it with ``conv_lab``, and prints either a pass line
or the first failing case: the call, what was expected, what came back and
the likely mistake. It never raises, so an unfinished exercise (``raise
NotImplementedError``) just prints a reminder, and it returns None, so a
notebook cell ending with it shows only what it printed.

Reference solutions live in ``solutions/`` at the top of the repository,
away from the exercise cells.
"""

import numpy as np
from termcolor import colored

from .blocks import convolve2d, corr2d, dilate2d, output_size, pad2d, rot180
from .columns import col2im, im2col
from .conv import conv2d, conv2d_backward
from .gradcheck import numerical_gradient


class _Failure(Exception):
    """One case failed; carries the message shown to the student."""


def _fmt(args):
    parts = []
    for k, v in args.items():
        if isinstance(v, np.ndarray):
            parts.append(f"{k}=<array {v.shape}>")
        else:
            parts.append(f"{k}={v!r}")
    return ", ".join(parts)


def _same(got, expected):
    if isinstance(expected, tuple) and any(isinstance(e, np.ndarray) for e in expected):
        return (
            isinstance(got, (tuple, list))
            and len(got) == len(expected)
            and all(_same(g, e) for g, e in zip(got, expected))
        )
    try:
        got = np.asarray(got)
    except Exception:  # noqa: BLE001 - anything that is not array-like is simply wrong
        return False
    return got.shape == np.shape(expected) and np.allclose(got, expected, rtol=1e-9, atol=1e-9)


def _run(title, fn, cases, reference, diagnose):
    """Run fn on every case; print one pass line or the first failure with a hint."""
    name = getattr(fn, "__name__", "your function")
    for number, args in enumerate(cases, start=1):
        expected = reference(**args)
        call = f"{name}({_fmt(args)})"
        try:
            got = fn(**{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in args.items()})
        except NotImplementedError:
            print(colored(f"{title}: not implemented yet.", "yellow") + f" Fill in {name} and run this cell again.")
            return False
        except Exception as exc:  # noqa: BLE001 - report whatever the student's code raised
            print(colored(f"{title}: case {number} of {len(cases)} raised {type(exc).__name__}: {exc}", "red"))
            print(f"  call: {call}")
            return False
        if not _same(got, expected):
            print(colored(f"{title}: case {number} of {len(cases)} is wrong.", "red"))
            print(f"  call:     {call}")
            print(f"  expected: {_short(expected)}")
            print(f"  got:      {_short(got)}")
            print(f"  hint:     {diagnose(args, got, expected)}")
            return False
    print(colored(f"{title}: all {len(cases)} hidden cases pass.", "green"))
    return True


def _short(v):
    if isinstance(v, (tuple, list)) and any(isinstance(e, np.ndarray) for e in v):
        return "(" + ", ".join(_short(e) for e in v) + ")"
    if isinstance(v, (int, float, np.integer, np.floating, tuple)):
        return repr(v)
    a = np.asarray(v)
    if a.size <= 12:
        return " ".join(np.array2string(a, precision=3, separator=", ").split())
    return f"array of shape {a.shape}"


def _matches(got, candidate):
    try:
        return _same(got, candidate)
    except Exception:  # noqa: BLE001
        return False


# --- notebook 01 ---------------------------------------------------------------

OUTPUT_SIZE_CASES = [
    dict(size=9, kernel_size=3, stride=1, padding=0, dilation=1),
    dict(size=10, kernel_size=3, stride=2, padding=0, dilation=1),  # a leftover row
    dict(size=11, kernel_size=4, stride=3, padding=1, dilation=1),  # even kernel, leftover
    dict(size=8, kernel_size=3, stride=1, padding=2, dilation=1),
    dict(size=12, kernel_size=3, stride=1, padding=0, dilation=3),
    dict(size=15, kernel_size=5, stride=2, padding=2, dilation=2),
    dict(size=7, kernel_size=2, stride=2, padding=3, dilation=1),  # padding beyond reach
    dict(size=1, kernel_size=1, stride=5, padding=0, dilation=1),
]


def check_output_size(fn):
    """Check ``fn(size, kernel_size, stride, padding, dilation) -> int`` against :func:`output_size`."""

    def diagnose(a, got, expected):
        n, k, s, p, d = a["size"], a["kernel_size"], a["stride"], a["padding"], a["dilation"]
        span = d * (k - 1) + 1
        if isinstance(got, float) and not float(got).is_integer() or _matches(got, (n + 2 * p - span) / s + 1):
            return "forgot the floor: a window that would hang off the edge does not count; use // for the division"
        if _matches(got, -(-(n + 2 * p - span) // s) + 1):
            return "rounded up instead of down: the last, partial step has no room for a whole window"
        if _matches(got, (n + p - span) // s + 1):
            return "padding counted once: padding is added on each side, so the padded size is size + 2*padding"
        if _matches(got, (n + 2 * p - k) // s + 1):
            return "dilation ignored: a kernel dilated by d spans d*(K-1)+1 cells, not K"
        if _matches(got, (n + 2 * p - span) // s):
            return "off by one: the first window, at position 0, counts too (the + 1)"
        if _matches(got, n + 2 * p - span + 1):
            return "stride ignored: windows start every `stride` cells, so divide the free room by the stride"
        return "compare with OH = floor((H + 2p - d*(K-1) - 1) / s) + 1, and check each term"

    _run("output size", fn, OUTPUT_SIZE_CASES, output_size, diagnose)


def _corr_cases():
    rng = np.random.default_rng(101)
    shapes = [((5, 6), (3, 3)), ((6, 4), (2, 3)), ((4, 7), (4, 1)), ((5, 5), (2, 2)), ((3, 3), (3, 3))]
    return [dict(x=rng.integers(-4, 5, s).astype(float), w=rng.integers(-3, 4, k).astype(float)) for s, k in shapes]


def check_corr2d(fn):
    """Check ``fn(x, w)``, a stride-1, unpadded single-channel cross-correlation, against :func:`corr2d`."""

    def diagnose(a, got, expected):
        x, w = a["x"], a["w"]
        if _matches(got, convolve2d(x, w)):
            return (
                "you flipped the kernel: that is true convolution. The layer computes cross-correlation: "
                "w[u, v] multiplies x[i+u, j+v]"
            )
        if np.shape(got) != np.shape(expected):
            return (
                f"the output should have shape (H-KH+1, W-KW+1) = {np.shape(expected)}; check your loop "
                f"bounds for non-square inputs and kernels"
            )
        if _matches(np.asarray(got).T, expected):
            return "rows and columns are swapped somewhere: i indexes rows (height), j indexes columns (width)"
        return "for every (i, j), sum x[i+u, j+v] * w[u, v] over u < KH and v < KW"

    _run("corr2d", fn, _corr_cases(), lambda x, w: corr2d(x, w), diagnose)


SAME_PADDING_CASES = [
    dict(kernel_size=k, dilation=d) for k, d in [(3, 1), (5, 1), (4, 1), (2, 1), (3, 2), (4, 3), (1, 1), (6, 2)]
]


def _same_padding(kernel_size, dilation):
    total = dilation * (kernel_size - 1)
    return (total // 2, total - total // 2)


def check_same_padding(fn):
    """Check ``fn(kernel_size, dilation) -> (before, after)``: stride-1 padding that keeps the size."""

    def diagnose(a, got, expected):
        k, d = a["kernel_size"], a["dilation"]
        try:
            before, after = got
        except (TypeError, ValueError):
            return "return a pair (before, after): rows added on top and rows added at the bottom"
        if before + after == k - 1 and d > 1:
            return "dilation ignored: the dilated kernel spans d*(K-1)+1 cells, so d*(K-1) rows must be added in total"
        if before == after and d * (k - 1) % 2 == 1:
            return "an even kernel needs an odd total d*(K-1): it cannot be split evenly, so one side gets one row more"
        if before + after == d * (k - 1):
            return (
                "right total, wrong side: by the PyTorch/TensorFlow convention the extra row goes after (bottom/right)"
            )
        return "the padded size H + before + after must equal H + d*(K-1) so that the output keeps size H"

    _run("same padding", fn, SAME_PADDING_CASES, _same_padding, diagnose)


# --- notebook 02 ---------------------------------------------------------------


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


# --- notebook 03 ---------------------------------------------------------------


def _forward_cases():
    rng = np.random.default_rng(303)
    specs = [
        ((1, 1, 4, 4), (1, 1, 3, 3), 1, 0),
        ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
        ((2, 2, 7, 6), (3, 2, 2, 3), 2, 0),
        ((3, 3, 6, 6), (2, 3, 3, 3), 2, 1),
    ]
    return [
        dict(
            x=rng.integers(-3, 4, xs).astype(float),
            w=rng.integers(-3, 4, ws).astype(float),
            b=rng.integers(-3, 4, ws[0]).astype(float),
            stride=s,
            padding=p,
        )
        for xs, ws, s, p in specs
    ]


def check_conv_forward(fn):
    """Check ``fn(x, w, b, stride, padding) -> y (N, F, OH, OW)`` against :func:`conv2d`."""

    def diagnose(a, got, expected):
        x, w, b, s, p = a["x"], a["w"], a["b"], a["stride"], a["padding"]
        got = np.asarray(got)
        N, F, OH, OW = expected.shape
        nhwf = expected.transpose(0, 2, 3, 1)
        if got.shape == nhwf.shape and _matches(got, nhwf) and nhwf.shape != expected.shape:
            return "the result is (N, OH, OW, F): transpose it to (N, F, OH, OW) with .transpose(0, 3, 1, 2)"
        if _matches(got, nhwf.reshape(expected.shape)):
            return (
                "you reshaped the (N*OH*OW, F) product straight to (N, F, OH, OW); reshape to (N, OH, OW, "
                "F) first, then transpose"
            )
        if _matches(got, conv2d(x, w, None, s, p)):
            return "the bias is missing: add b[f] to every pixel of output channel f"
        if got.shape == expected.shape and _matches(got - conv2d(x, w, None, s, p), np.broadcast_to(b, expected.shape)):
            return "the bias went along the last axis (width); it belongs to the channel axis: b[None, :, None, None]"
        if got.shape != expected.shape:
            return f"y must have shape (N, F, OH, OW) = {expected.shape}"
        return "y = cols @ w.reshape(F, -1).T + b, then reshape to (N, OH, OW, F) and transpose to (N, F, OH, OW)"

    _run(
        "conv forward",
        fn,
        _forward_cases(),
        lambda x, w, b, stride, padding: conv2d(x, w, b, stride, padding),
        diagnose,
    )


PARAM_CASES = [
    dict(C=c, F=f, kernel_size=k, bias=b)
    for c, f, k, b in [
        (3, 8, 3, True),
        (1, 1, 5, False),
        (16, 32, (3, 1), True),
        (64, 64, 1, True),
        (3, 2, (2, 4), False),
    ]
]


def _param_count(C, F, kernel_size, bias):
    KH, KW = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return F * C * KH * KW + (F if bias else 0)


def check_param_count(fn):
    """Check ``fn(C, F, kernel_size, bias) -> int``, the number of learnable numbers in a conv layer."""

    def diagnose(a, got, expected):
        C, F, k, bias = a["C"], a["F"], a["kernel_size"], a["bias"]
        KH, KW = (k, k) if isinstance(k, int) else k
        if bias and _matches(got, F * C * KH * KW):
            return "the biases are missing: one per filter, F of them"
        if bias and _matches(got, F * C * KH * KW + F * C):
            return "one bias per filter, not per (filter, channel): the channels are summed before the bias is added"
        if not bias and _matches(got, expected + F):
            return "this layer has bias=False: no biases to count"
        if _matches(got, F * KH * KW + (F if bias else 0)):
            return "each filter has C channels: the weights are F*C*KH*KW numbers"
        return "weights: F filters of shape (C, KH, KW); biases: one per filter"

    _run("parameter count", fn, PARAM_CASES, _param_count, diagnose)


# --- notebook 04 ---------------------------------------------------------------


def _backward_cases():
    rng = np.random.default_rng(404)
    specs = [
        ((1, 1, 4, 4), (1, 1, 3, 3), 1, 0),
        ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
        ((2, 2, 7, 6), (3, 2, 2, 3), 2, 0),
        ((2, 3, 6, 7), (2, 3, 3, 3), 2, 2),
    ]
    cases = []
    for xs, ws, s, p in specs:
        x = rng.standard_normal(xs)
        w = rng.standard_normal(ws)
        dy = rng.standard_normal((xs[0], ws[0], output_size(xs[2], ws[2], s, p), output_size(xs[3], ws[3], s, p)))
        cases.append(dict(dy=dy, x=x, w=w, stride=s, padding=p))
    return cases


def _backward_reference(dy, x, w, stride, padding):
    return conv2d_backward(dy, x, w, stride, padding)


def check_conv_backward(fn):
    """Check ``fn(dy, x, w, stride, padding) -> (dx, dw, db)`` against :func:`conv2d_backward`."""

    def diagnose(a, got, expected):
        dy, x, w, s, p = a["dy"], a["x"], a["w"], a["stride"], a["padding"]
        try:
            dx, dw, db = (np.asarray(g) for g in got)
        except (TypeError, ValueError):
            return "return three arrays: (dx, dw, db)"
        edx, edw, edb = expected
        if not _same(db, edb):
            if _matches(db, dy.sum(axis=(2, 3))) or _matches(db, dy.sum(axis=0)):
                return "db must sum dy over the batch and both spatial axes: dy.sum(axis=(0, 2, 3))"
            return "db[f] is the sum of dy[:, f] over every sample and position"
        if not _same(dw, edw):
            if dw.shape == (w.shape[1], w.shape[0]) + w.shape[2:]:
                return "dw has the shape (C, F, KH, KW); it must match w, (F, C, KH, KW)"
            return "dw = dy_mat.T @ cols, reshaped to w's shape, with dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F)"
        if p and dx.shape == (x.shape[0], x.shape[1], x.shape[2] + 2 * p, x.shape[3] + 2 * p):
            return "dx still includes the padding: crop p rows and columns from every side"
        if dx.shape == edx.shape and _matches(dx, _col2im_assign(dy, x, w, s, p)):
            return "overlapping windows overwrite each other: col2im must add (+=) every window's gradient, not assign"
        return "dcols = dy_mat @ w.reshape(F, -1), then dx = col2im(dcols, x.shape, ...)"

    _run("conv backward", fn, _backward_cases(), _backward_reference, diagnose)


def _col2im_assign(dy, x, w, stride, padding):
    """The classic mistake: scatter windows with '=' instead of '+='."""
    F, C, KH, KW = w.shape
    N, _, H, W = x.shape
    OH, OW = dy.shape[2:]
    dcols = (dy.transpose(0, 2, 3, 1).reshape(-1, F) @ w.reshape(F, -1)).reshape(N, OH, OW, C, KH, KW)
    dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for i in range(OH):
        for j in range(OW):
            dxp[:, :, i * stride : i * stride + KH, j * stride : j * stride + KW] = dcols[:, i, j]
    return dxp[:, :, padding : padding + H, padding : padding + W]


def _grad_cases():
    rng = np.random.default_rng(405)
    fs = [
        ("sum of squares", lambda v: np.sum(v**2)),
        ("sum of sines", lambda v: np.sum(np.sin(v))),
        ("product-ish", lambda v: np.sum(v[:-1] * v[1:]) + v[0] ** 3),
    ]
    return [dict(f=f, x=rng.standard_normal(n)) for (_, f), n in zip(fs, (4, 6, 5))]


def _central(f, x, eps=1e-6):
    return numerical_gradient(lambda v: np.array(f(v)), x, np.array(1.0), eps)


def check_numerical_gradient(fn):
    """Check ``fn(f, x) -> grad``: central differences of a scalar function f at the 1-D point x."""

    def diagnose(a, got, expected):
        got = np.asarray(got, dtype=float)
        if got.shape == expected.shape and np.allclose(got, 2 * expected, rtol=1e-4):
            return "divide by 2*eps: the central difference spans from x - eps to x + eps"
        if got.shape == expected.shape and np.allclose(got, expected / 2, rtol=1e-4):
            return "f(x+eps) - f(x-eps) is a step of 2*eps, so divide by 2*eps, not 4*eps"
        if (
            got.shape == expected.shape
            and np.allclose(got, expected, rtol=1e-2)
            and not np.allclose(got, expected, rtol=1e-6)
        ):
            return (
                "close but not accurate enough: use the central difference (f(x+eps) - f(x-eps)) / "
                "(2*eps), not a one-sided one"
            )
        if got.shape == expected.shape:
            return "restore x[i] after each probe: otherwise later entries are measured at a shifted point"
        return f"return one partial derivative per entry of x: shape {expected.shape}"

    _run("numerical gradient", fn, _grad_cases(), lambda f, x: _central(f, x), diagnose)


# --- notebook 05 ---------------------------------------------------------------


def _rot180_cases():
    """Stride 2 and 3 with leftover rows (a != 0), padding beyond K-1 (a crop), non-square shapes."""
    rng = np.random.default_rng(505)
    specs = [
        ((1, 1, 6, 6), (1, 1, 3, 3), 2, 0),  # a = 1
        ((2, 2, 7, 8), (3, 2, 3, 3), 2, 1),  # a = (0, 1)
        ((1, 2, 6, 6), (2, 2, 2, 2), 2, 2),  # p = 2 > K-1 = 1: crop
        ((2, 3, 9, 7), (2, 3, 3, 2), 3, 1),  # a = (2, 1), non-square kernel
        ((1, 1, 5, 5), (1, 1, 3, 3), 2, 4),  # p = 4 > K-1 = 2: crop, a = 0
    ]
    cases = []
    for xs, ws, s, p in specs:
        w = rng.standard_normal(ws)
        dy = rng.standard_normal((xs[0], ws[0], output_size(xs[2], ws[2], s, p), output_size(xs[3], ws[3], s, p)))
        cases.append(dict(dy=dy, w=w, x_shape=xs, stride=s, padding=p))
    return cases


def _dx_reference(dy, w, x_shape, stride, padding):
    return conv2d_backward(dy, np.zeros(x_shape), w, stride, padding)[0]


def check_dx_rot180(fn):
    """Check ``fn(dy, w, x_shape, stride, padding) -> dx``, dx by the rot180 route, on unseen cases."""

    def diagnose(a, got, expected):
        dy, w, x_shape, s, p = a["dy"], a["w"], a["x_shape"], a["stride"], a["padding"]
        got = np.asarray(got)
        K = w.shape[2:]
        lead = [k - 1 - p for k in K]
        if got.shape != expected.shape:
            short = [e - g for e, g in zip(expected.shape[2:], got.shape[2:])]
            leftover = [(n + 2 * p - k) % s for n, k in zip(x_shape[2:], K)]
            if got.ndim == 4 and short == leftover and any(leftover):
                return f"dx is short by a = {tuple(leftover)} rows/columns: pad the bottom/right by K-1-p+a, not K-1-p"
            if got.ndim == 4 and got.shape[1] == w.shape[0] and w.shape[0] != w.shape[1]:
                return (
                    "swap the kernel's F and C axes, w.transpose(1, 0, 2, 3): dx has C channels, one per input channel"
                )
            return f"dx must have x's shape {expected.shape}"
        if _matches(got, _rot180_variant(dy, w, x_shape, s, p, rotate=False)):
            return "the kernel must be rotated by 180 degrees (w[:, :, ::-1, ::-1]) before the stride-1 correlation"
        if min(lead) >= 0 and _matches(got, _rot180_variant(dy, w, x_shape, s, p, pad_top=[k - 1 for k in K])):
            return "the top/left padding is K-1-p, not K-1: the forward padding moves the first window"
        return (
            "insert s-1 zeros between dy's entries, pad K-1-p on top/left and K-1-p+a on bottom/right "
            "(crop if negative), then correlate with the rotated, F/C-swapped kernel"
        )

    _run("dx by rot180", fn, _rot180_cases(), _dx_reference, diagnose)


def _rot180_variant(dy, w, x_shape, stride, padding, rotate=True, pad_top=None):
    """The rot180 route with one step changed, to recognise a mistake."""
    K = w.shape[2:]
    a = [(n + 2 * padding - k) % stride for n, k in zip(x_shape[2:], K)]
    top = pad_top if pad_top is not None else [k - 1 - padding for k in K]
    bottom = [k - 1 - padding + ai for k, ai in zip(K, a)]
    try:
        g = pad2d(dilate2d(dy, stride), ((top[0], bottom[0]), (top[1], bottom[1])))
        kernel = (rot180(w) if rotate else w).transpose(1, 0, 2, 3)
        return conv2d(g, kernel)
    except ValueError:
        return None


def _dw_cases():
    return [
        dict(
            dy=c["dy"],
            x=np.random.default_rng(506 + i).standard_normal(c["x_shape"]),
            kernel_size=c["w"].shape[2:],
            stride=c["stride"],
            padding=c["padding"],
        )
        for i, c in enumerate(_rot180_cases())
    ]


def check_dw_correlation(fn):
    """Check ``fn(dy, x, kernel_size, stride, padding) -> dw (F, C, KH, KW)``: dw as a "
    "correlation of x with the dilated dy."""

    def reference(dy, x, kernel_size, stride, padding):
        w = np.zeros((dy.shape[1], x.shape[1]) + tuple(kernel_size))
        return conv2d_backward(dy, x, w, stride, padding)[1]

    def diagnose(a, got, expected):
        got = np.asarray(got)
        if (
            got.ndim == 4
            and got.shape[2:] != expected.shape[2:]
            and all(g >= e for g, e in zip(got.shape[2:], expected.shape[2:]))
        ):
            return "dw is too big: crop the a leftover rows/columns of the padded x first; no window ever reached them"
        if got.shape == expected.shape[1::-1] + expected.shape[2:]:
            return "the result comes out as (C, F, KH, KW): transpose it to (F, C, KH, KW)"
        if got.shape != expected.shape:
            return f"dw must have w's shape {expected.shape}; did you dilate dy by the stride?"
        return "dw[f, c] = sum over n of corr2d(x_padded[n, c], dilate2d(dy[n, f], stride))"

    _run("dw by correlation", fn, _dw_cases(), reference, diagnose)


# --- notebook 06 ---------------------------------------------------------------


def _mse_cases():
    rng = np.random.default_rng(606)
    return [
        dict(y=rng.standard_normal(s), t=rng.standard_normal(s)) for s in [(3,), (2, 4), (2, 1, 3, 3), (1, 2, 5, 4)]
    ]


def check_mse_grad(fn):
    """Check ``fn(y, t) -> dL/dy`` for ``L = mean((y - t)**2)``."""

    def diagnose(a, got, expected):
        y = a["y"]
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            return f"the gradient has one entry per entry of y: shape {expected.shape}"
        if np.allclose(got, -expected):
            return "sign: L grows when y moves away from t, so dL/dy = +2 (y - t) / size"
        if np.allclose(got, expected / 2):
            return "forgot the 2 from differentiating the square"
        if np.allclose(got, expected * y.size):
            return "forgot to divide by y.size: the loss is a mean, not a sum"
        if np.allclose(got, expected * y.size / len(y)):
            return "the mean is over every entry of y, not only over the batch axis: divide by y.size"
        return "dL/dy = 2 * (y - t) / y.size"

    _run("MSE gradient", fn, _mse_cases(), lambda y, t: 2 * (y - t) / y.size, diagnose)


def _relu_cases():
    rng = np.random.default_rng(607)
    cases = []
    for s in [(5,), (2, 3, 4), (1, 2, 3, 3)]:
        z = rng.standard_normal(s)
        z.flat[0] = 0.0  # the kink: PyTorch's convention gives it gradient 0
        cases.append(dict(dout=rng.standard_normal(s), z=z))
    return cases


def check_relu_backward(fn):
    """Check ``fn(dout, z) -> dz`` for ``out = max(z, 0)``; gradient 0 at z == 0."""

    def diagnose(a, got, expected):
        dout, z = a["dout"], a["z"]
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            return f"dz has z's shape {expected.shape}"
        if np.allclose(got, dout * (z >= 0)):
            return "at z == 0 exactly, use gradient 0 (the convention of PyTorch and this series): mask with z > 0"
        if np.allclose(got, np.maximum(dout, 0)):
            return "mask by the sign of the forward input z, not of the incoming gradient"
        if np.allclose(got, (z > 0).astype(float)):
            return "multiply the mask by the incoming gradient: dz = dout * (z > 0)"
        return "dz = dout where z > 0, and 0 elsewhere"

    _run("ReLU backward", fn, _relu_cases(), lambda dout, z: dout * (z > 0), diagnose)


def _xent_cases():
    rng = np.random.default_rng(608)
    return [
        dict(logits=rng.standard_normal((n, k)) * 3, labels=rng.integers(0, k, n))
        for n, k in [(1, 3), (4, 4), (6, 2), (5, 5)]
    ]


def _xent_grad(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def check_softmax_xent_grad(fn):
    """Check ``fn(logits, labels) -> dL/dlogits`` for mean softmax cross-entropy over the batch."""

    def diagnose(a, got, expected):
        logits, labels = a["logits"], a["labels"]
        got = np.asarray(got, dtype=float)
        N = len(labels)
        if got.shape != expected.shape:
            return f"one gradient per logit: shape {expected.shape}"
        if np.allclose(got, expected * N):
            return "divide by the batch size: the loss is the mean over the batch"
        onehot = np.eye(logits.shape[1])[labels]
        if np.allclose(got, expected + onehot / N):
            return "subtract 1 at the true class: dL/dz = (softmax(z) - onehot(label)) / N"
        return "dL/dz = (softmax(z) - onehot(label)) / N; subtract the row max before exp for stability"

    _run("softmax cross-entropy gradient", fn, _xent_cases(), _xent_grad, diagnose)
