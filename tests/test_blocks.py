"""The building blocks: output_size, stride_leftover, sliding_windows, pad2d, dilate2d, rot180, corr2d, convolve2d."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import conv_lab as cl
from tests import oracle


class TestOutputSize:
    @given(
        size=st.integers(1, 40),
        k=st.integers(1, 7),
        s=st.integers(1, 4),
        p=st.integers(0, 5),
        d=st.integers(1, 3),
    )
    def test_counts_the_window_positions(self, size, k, s, p, d):
        """The formula equals the number of top-left positions whose window fits."""
        reach = d * (k - 1) + 1
        if reach > size + 2 * p:
            with pytest.raises(ValueError, match="larger than the padded input"):
                cl.output_size(size, k, s, p, d)
            return
        positions = [t for t in range(0, size + 2 * p, s) if t + reach <= size + 2 * p]
        assert cl.output_size(size, k, s, p, d) == len(positions)
        # the leftover rows are those after the last window's end
        assert cl.stride_leftover(size, k, s, p, d) == size + 2 * p - (positions[-1] + reach)

    @pytest.mark.parametrize(
        "args, expected",
        [((4, 3), 2), ((5, 3, 2), 2), ((6, 3, 2), 2), ((7, 3, 2), 3), ((5, 3, 1, 1), 5), ((7, 3, 1, 0, 2), 3)],
    )
    def test_worked_cases(self, args, expected):
        assert cl.output_size(*args) == expected


class TestRowsRead:
    """Which input rows the windows read: the leftover-row facts, against a brute-force count."""

    @given(
        size=st.integers(1, 30),
        k=st.integers(1, 6),
        s=st.integers(1, 5),
        p=st.integers(0, 5),
        d=st.integers(1, 4),
    )
    def test_matches_the_oracle_coverage(self, size, k, s, p, d):
        if d * (k - 1) + 1 > size + 2 * p:
            with pytest.raises(ValueError, match="larger than the padded input"):
                cl.rows_read(size, k, s, p, d)
            return
        count = oracle.coverage(size, 1, k, 1, (s, 1), (p, 0), (d, 1))[:, 0]
        np.testing.assert_array_equal(cl.rows_read(size, k, s, p, d), count > 0)
        # an input row below the last window exists only when the leftover passes the padding
        a = cl.stride_leftover(size, k, s, p, d)
        below = size - max(0, a - p)
        assert cl.rows_read(size, k, s, p, d)[below:].sum() == 0

    @given(k=st.integers(1, 6), s=st.integers(1, 6), p=st.integers(0, 3), d=st.integers(1, 6))
    def test_a_repeating_gap_exactly_when_k_below_s_or_a_shared_factor(self, k, s, p, d):
        # the rule README and stride_leftover state; far from both edges only the repeating pattern is left
        size = 8 * (d * k + s) + 2 * p
        middle = oracle.coverage(size, 1, k, 1, (s, 1), (p, 0), (d, 1))[:, 0][size // 3 : 2 * size // 3]
        assert bool((middle == 0).any()) == (k < s or math.gcd(s, d) > 1)

    @pytest.mark.parametrize(
        "args, unread",
        [
            ((6, 3, 2), [5]),  # a = 1 and no padding: the last input row is unread
            ((6, 3, 2, 1), []),  # a = 1, but that row is padding: every input row is read
            ((8, 1, 2), [1, 3, 5, 7]),  # a 1x1 stride-2 shortcut
            ((9, 3, 2, 0, 2), [1, 3, 5, 7]),  # stride and dilation share the factor 2
            ((8, 2, 3), [2, 5]),  # stride 3 > kernel span 2: gaps inside the image
        ],
    )
    def test_worked_cases(self, args, unread):
        np.testing.assert_array_equal(np.flatnonzero(~cl.rows_read(*args)), unread)

    def test_unread_rows_get_zero_gradient(self):
        rng = np.random.default_rng(0)
        x, w = rng.normal(size=(1, 1, 9, 8)), rng.normal(size=(1, 1, 3, 2))
        y = cl.conv2d(x, w, stride=(2, 3), dilation=(2, 1))
        dx, _, _ = cl.conv2d_backward(np.ones_like(y), x, w, stride=(2, 3), dilation=(2, 1))
        zero_rows = np.all(dx[0, 0] == 0, axis=1)
        zero_cols = np.all(dx[0, 0] == 0, axis=0)
        np.testing.assert_array_equal(zero_rows, ~cl.rows_read(9, 3, 2, 0, 2))
        np.testing.assert_array_equal(zero_cols, ~cl.rows_read(8, 2, 3))


class TestSlidingWindows:
    def test_shape_values_and_read_only(self):
        x = np.arange(7 * 8).reshape(7, 8)
        v = cl.sliding_windows(x, (2, 3), stride=(2, 1), dilation=(3, 2))
        assert v.shape == (cl.output_size(7, 2, 2, 0, 3), cl.output_size(8, 3, 1, 0, 2), 2, 3)
        for i in range(v.shape[0]):
            for j in range(v.shape[1]):
                np.testing.assert_array_equal(v[i, j], x[2 * i : 2 * i + 4 : 3, j : j + 5 : 2])
        assert not v.flags.writeable
        assert np.shares_memory(v, x)

    def test_leading_axes_are_kept(self):
        assert cl.sliding_windows(np.zeros((2, 3, 5, 5)), 3).shape == (2, 3, 3, 3, 3, 3)


class TestPad2d:
    def test_pads_only_last_two_axes(self):
        x = np.ones((2, 3, 2, 2))
        out = cl.pad2d(x, (1, 2))
        assert out.shape == (2, 3, 4, 6)
        assert out.sum() == x.sum()
        np.testing.assert_array_equal(out[..., 1:3, 2:4], x)

    def test_negative_amount_crops(self):
        x = np.arange(20).reshape(4, 5)
        np.testing.assert_array_equal(cl.pad2d(x, ((-1, 0), (0, -2))), x[1:, :3])
        np.testing.assert_array_equal(cl.pad2d(x, ((-1, 2), (1, -1)))[:3, 1:], x[1:, :4])

    def test_cropping_everything_is_an_error(self):
        with pytest.raises(ValueError, match="crops away the whole input"):
            cl.pad2d(np.ones((2, 2)), -1)


class TestDilate2d:
    def test_inserts_zeros(self):
        x = np.arange(1, 7).reshape(2, 3)
        out = cl.dilate2d(x, (3, 2))
        assert out.shape == (4, 5)
        np.testing.assert_array_equal(out[::3, ::2], x)
        assert out.sum() == x.sum()

    def test_factor_one_is_a_copy(self):
        x = np.ones((3, 3))
        out = cl.dilate2d(x, 1)
        np.testing.assert_array_equal(out, x)
        assert not np.shares_memory(out, x)


class TestRot180:
    def test_flips_both_axes(self):
        w = np.arange(6).reshape(1, 2, 3)
        np.testing.assert_array_equal(cl.rot180(w)[0], [[5, 4, 3], [2, 1, 0]])
        np.testing.assert_array_equal(cl.rot180(cl.rot180(w)), w)


class TestCorr2dConvolve2d:
    @given(
        H=st.integers(3, 8), W=st.integers(3, 8), KH=st.integers(1, 3), KW=st.integers(1, 3),
        s=st.integers(1, 3), p=st.integers(0, 3), d=st.integers(1, 2), seed=st.integers(0, 1000),
    )  # fmt: skip
    def test_single_channel_matches_oracle(self, H, W, KH, KW, s, p, d, seed):
        rng = np.random.default_rng(seed)
        x, w = rng.standard_normal((H, W)), rng.standard_normal((KH, KW))
        if d * (KH - 1) + 1 > H + 2 * p or d * (KW - 1) + 1 > W + 2 * p:
            return
        want = oracle.conv_forward(x[None, None], w[None, None], None, (s, s), (p, p), (d, d))[0, 0]
        np.testing.assert_allclose(cl.corr2d(x, w, s, p, d), want, atol=1e-12)
        flipped = oracle.conv_forward(x[None, None], w[None, None, ::-1, ::-1], None, (s, s), (p, p), (d, d))[0, 0]
        np.testing.assert_allclose(cl.convolve2d(x, w, s, p, d), flipped, atol=1e-12)

    def test_convolution_is_commutative_but_correlation_is_not(self):
        """Full convolution of two signals commutes; correlation does not. A known identity."""
        a = np.array([[1.0, 2.0], [3.0, 5.0]])
        k = np.array([[0.0, 1.0], [2.0, 7.0]])
        np.testing.assert_allclose(cl.convolve2d(a, k, padding=1), cl.convolve2d(k, a, padding=1))
        assert not np.allclose(cl.corr2d(a, k, padding=1), cl.corr2d(k, a, padding=1))
