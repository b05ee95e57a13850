"""Exercise checkers for notebook 01: sliding windows and output size."""

import numpy as np

from ..blocks import convolve2d, corr2d, output_size
from ._common import matches as _matches
from ._common import run_checker as _run

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


__all__ = [
    "check_output_size",
    "check_corr2d",
    "check_same_padding",
]
