"""Hypothesis strategies for convolution configurations that are valid by construction."""

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

import conv_lab as cl


@dataclass
class Case:
    x: np.ndarray
    w: np.ndarray  # (F, C/groups, KH, KW)
    b: np.ndarray
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int = 1

    @property
    def settings(self):
        """stride, padding and dilation: what every function of the layer takes."""
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)

    @property
    def layer(self):
        """settings and groups: what conv2d, conv2d_backward and the oracle take."""
        return dict(self.settings, groups=self.groups)

    def leftover(self):
        out = []
        for k in range(2):
            size, K = self.x.shape[2 + k], self.w.shape[2 + k]
            s, p, d = self.stride[k], self.padding[k], self.dilation[k]
            before, after = p if isinstance(p, tuple) else (p, p)  # padding per side: ((top, bottom), (left, right))
            out.append((size + before + after - d * (K - 1) - 1) % s)
        return tuple(out)

    def __repr__(self):  # short, readable failure reports
        return (
            f"Case(x{self.x.shape}, w{self.w.shape}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, a={self.leftover()})"
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
def channels_and_groups(draw, channels=(1, 3), grouped=False):
    """(C, F, groups): groups=1 only, or with grouped=True one of 1, 2 and C (depthwise)."""
    kind = draw(st.sampled_from(["dense", "two groups", "depthwise"])) if grouped else "dense"
    if kind == "dense":
        return draw(st.integers(*channels)), draw(st.integers(1, 3)), 1
    if kind == "two groups":  # C/G and F/G from 1 to 3
        return 2 * draw(st.integers(1, 3)), 2 * draw(st.integers(1, 3)), 2
    C = draw(st.integers(1, 4))
    return C, C * draw(st.integers(1, 2)), C  # one or two filters per channel


@st.composite
def cases(draw, max_batch=2, channels=(1, 3), grouped=False):
    """Any layer: even and non-square kernels, stride with leftover rows, padding beyond reach, dilation.

    With grouped=True, groups is drawn from 1, 2 and C (depthwise) too.
    """
    (H, KH, sh, ph, dh), (W, KW, sw, pw, dw) = draw(axis()), draw(axis())
    N = draw(st.integers(1, max_batch))
    C, F, G = draw(channels_and_groups(channels, grouped))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return Case(
        x=rng.standard_normal((N, C, H, W)),
        w=rng.standard_normal((F, C // G, KH, KW)),
        b=rng.standard_normal(F),
        stride=(sh, sw),
        padding=(ph, pw),
        dilation=(dh, dw),
        groups=G,
    )


@st.composite
def winograd_cases(draw, max_batch=2, channels=(1, 3), grouped=True):
    """Layers Winograd F(2x2, 3x3) computes: 3x3 kernels, stride 1, dilation 1, any padding (beyond
    reach too, p > 2), odd and even output sizes, groups 1, 2 and C."""
    ph, pw = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    H = max(1, 3 - 2 * ph) + draw(st.integers(0, 6))
    W = max(1, 3 - 2 * pw) + draw(st.integers(0, 6))
    N = draw(st.integers(1, max_batch))
    C, F, G = draw(channels_and_groups(channels, grouped))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return Case(
        x=rng.standard_normal((N, C, H, W)),
        w=rng.standard_normal((F, C // G, 3, 3)),
        b=rng.standard_normal(F),
        stride=(1, 1),
        padding=(ph, pw),
        dilation=(1, 1),
        groups=G,
    )


def make_case(x_shape, w_shape, stride, padding, dilation, seed=0, groups=1):
    """A fixed case, for @example and for the named hard cases. w_shape is (F, C/groups, KH, KW)."""
    rng = np.random.default_rng(seed)
    return Case(
        x=rng.standard_normal(x_shape),
        w=rng.standard_normal(w_shape),
        b=rng.standard_normal(w_shape[0]),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
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

# Grouped hard cases: the same traps, with groups 2 and depthwise (groups = C).
GROUPED_CASES = {
    # two groups, leftover a = (1, 1), even non-square kernel, padding beyond reach in width
    "two groups, leftover, even kernel": make_case((2, 4, 7, 8), (6, 2, 2, 3), (2, 3), (0, 3), (1, 1), groups=2),
    # depthwise, two filters per channel, dilation 2 and stride 2
    "depthwise x2, dilation 2": make_case((2, 3, 9, 8), (6, 1, 3, 2), (2, 2), (1, 2), (2, 2), groups=3),
    # depthwise, one filter per channel, stride 3 with a = 2
    "depthwise, leftover a=2": make_case((3, 4, 9, 9), (4, 1, 3, 3), (3, 3), (1, 1), (1, 1), groups=4),
}

# Layers Winograd computes, by name: odd output sizes (tiles cropped), padding beyond reach, groups.
WINOGRAD_CASES = {
    # OH = 5, OW = 4: odd height; the padded input is not a whole number of tiles
    "odd output, dense": make_case((2, 3, 7, 6), (4, 3, 3, 3), (1, 1), (0, 0), (1, 1)),
    # p = 3 > d*(K-1) = 2 and OW odd: outputs that read only padding
    "padding beyond reach": make_case((1, 2, 4, 5), (3, 2, 3, 3), (1, 1), (3, 2), (1, 1)),
    # two groups of 2 channels, 3 filters each
    "two groups": make_case((2, 4, 6, 7), (6, 2, 3, 3), (1, 1), (1, 1), (1, 1), groups=2),
    # depthwise, the minimal input: one 3x3 window
    "depthwise, one window": make_case((2, 3, 3, 3), (3, 1, 3, 3), (1, 1), (0, 0), (1, 1), groups=3),
}


def winograd_takes(case):
    """Whether method="winograd" computes this layer: a 3x3 kernel at stride 1 and dilation 1."""
    return case.w.shape[2:] == (3, 3) and tuple(case.stride) == (1, 1) and tuple(case.dilation) == (1, 1)


def methods_for(case):
    """The forward methods that compute this layer: all of them, Winograd only for the layers it takes."""
    return [m for m in cl.FORWARD_METHODS if m != "winograd" or winograd_takes(case)]


# Forward methods that compute any layer, and those that round differently from a plain sum of products.
ANY_LAYER_METHODS = [m for m in cl.FORWARD_METHODS if m != "winograd"]
TRANSFORM_METHODS = ("fft", "winograd")


def assert_matches(got, want, method, what=""):
    """The direct methods within 1e-12; the transform methods (FFT, Winograd) within 1e-10 relative to the result."""
    assert got.shape == want.shape, what
    if method in TRANSFORM_METHODS:
        scale = max(float(np.abs(want).max()), 1e-300)
        assert cl.rel_error(got, want) < 1e-10, (what, cl.rel_error(got, want))
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * scale, err_msg=what)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=what)
