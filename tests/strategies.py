"""Hypothesis strategies for convolution configurations that are valid by construction."""

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st


@dataclass
class Case:
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    stride: tuple
    padding: tuple
    dilation: tuple

    @property
    def settings(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)

    def leftover(self):
        out = []
        for k in range(2):
            size, K = self.x.shape[2 + k], self.w.shape[2 + k]
            s, p, d = self.stride[k], self.padding[k], self.dilation[k]
            out.append((size + 2 * p - d * (K - 1) - 1) % s)
        return tuple(out)

    def __repr__(self):  # short, readable failure reports
        return (
            f"Case(x{self.x.shape}, w{self.w.shape}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, a={self.leftover()})"
        )


@st.composite
def axis(draw):
    """(size, K, s, p, d) for one spatial axis, with the kernel fitting the padded input."""
    K = draw(st.integers(1, 4))
    s = draw(st.integers(1, 3))
    d = draw(st.integers(1, 3))
    p = draw(st.integers(0, 4))  # up to 4 > d*(K-1) for small K: the crop case
    reach = d * (K - 1) + 1
    size = max(1, reach - 2 * p) + draw(st.integers(0, 5))
    return size, K, s, p, d


@st.composite
def cases(draw, max_batch=2, channels=(1, 3)):
    (H, KH, sh, ph, dh), (W, KW, sw, pw, dw) = draw(axis()), draw(axis())
    N = draw(st.integers(1, max_batch))
    C = draw(st.integers(*channels))
    F = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return Case(
        x=rng.standard_normal((N, C, H, W)),
        w=rng.standard_normal((F, C, KH, KW)),
        b=rng.standard_normal(F),
        stride=(sh, sw),
        padding=(ph, pw),
        dilation=(dh, dw),
    )


def make_case(x_shape, w_shape, stride, padding, dilation, seed=0):
    """A fixed case, for @example and for the named hard cases."""
    rng = np.random.default_rng(seed)
    return Case(
        x=rng.standard_normal(x_shape),
        w=rng.standard_normal(w_shape),
        b=rng.standard_normal(w_shape[0]),
        stride=stride,
        padding=padding,
        dilation=dilation,
    )


# The hard cases by name: each must be among the cases every property test sees.
HARD_CASES = {
    # H=6, K=3, s=2: a = (6 - 2 - 1) % 2 = 1 leftover row; non-square input
    "leftover a=1": make_case((2, 2, 6, 7), (3, 2, 3, 3), (2, 2), (0, 0), (1, 1)),
    # even, non-square 2x4 kernel at stride 3: a = ((9-1-1) % 3, (8+2-3-1) % 3) = (1, 0)
    "even non-square kernel, stride 3": make_case((2, 3, 9, 8), (2, 3, 2, 4), (3, 3), (0, 1), (1, 1)),
    # p = 3 > d*(K-1) = 2: the rot180 route must crop
    "padding beyond reach": make_case((1, 2, 5, 5), (2, 2, 3, 3), (2, 2), (3, 3), (1, 1)),
    # dilation 3 with stride 2 and leftover, on a 2x3 kernel
    "dilation 3": make_case((2, 2, 11, 10), (3, 2, 2, 3), (2, 3), (1, 2), (3, 2)),
    # a = (9 + 2 - 2 - 1) % 3 = 2 with stride 3
    "leftover a=2": make_case((1, 2, 9, 9), (2, 2, 3, 3), (3, 3), (1, 1), (1, 1)),
}
