"""Exercise checkers for notebook 03: the batched forward pass."""

import numpy as np

from ..conv import conv2d
from ._common import matches as _matches
from ._common import run_checker as _run


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


__all__ = [
    "check_conv_forward",
    "check_param_count",
]
