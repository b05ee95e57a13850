"""im2col / col2im: layout, the adjoint identity and coverage counts."""

import numpy as np
import pytest
from hypothesis import given, settings

import conv_lab as cl
from tests import oracle
from tests.strategies import HARD_CASES, cases


class TestIm2col:
    @given(case=cases())
    @settings(max_examples=100)
    def test_rows_are_windows_in_c_kh_kw_order(self, case):
        """Row (n, oh, ow), column (c, kh, kw) holds xp[n, c, oh*sh + kh*dh, ow*sw + kw*dw]."""
        N, C, H, W = case.x.shape
        KH, KW = case.w.shape[2:]
        cols = cl.im2col(case.x, (KH, KW), **case.settings)
        OH = oracle._out(H, KH, case.stride[0], case.padding[0], case.dilation[0])
        OW = oracle._out(W, KW, case.stride[1], case.padding[1], case.dilation[1])
        want = np.zeros((N * OH * OW, C * KH * KW))  # taps in the padding stay 0
        for n, _, i, j, c, u, v, r, q in oracle._taps(N, C, H, W, 1, KH, KW, OH, OW, **case.settings):
            want[(n * OH + i) * OW + j, (c * KH + u) * KW + v] = case.x[n, c, r, q]
        np.testing.assert_array_equal(cols, want)

    @given(case=cases())
    @settings(max_examples=30)
    def test_forward_is_one_matrix_multiply(self, case):
        F = case.w.shape[0]
        cols = cl.im2col(case.x, case.w.shape[2:], **case.settings)
        y = oracle.conv_forward(case.x, case.w, None, **case.settings)
        N, _, OH, OW = y.shape
        y_mat = cols @ case.w.reshape(F, -1).T  # (N*OH*OW, F)
        np.testing.assert_allclose(y_mat.reshape(N, OH, OW, F).transpose(0, 3, 1, 2), y, atol=1e-12)


class TestCol2im:
    @given(case=cases())
    @settings(max_examples=100)
    def test_adjoint_identity(self, case):
        """<im2col(x), c> == <x, col2im(c)> for every x and c."""
        k = case.w.shape[2:]
        cols = cl.im2col(case.x, k, **case.settings)
        c = np.random.default_rng(7).standard_normal(cols.shape)
        lhs = np.vdot(cols, c)
        rhs = np.vdot(case.x, cl.col2im(c, case.x.shape, k, **case.settings))
        assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))

    @given(case=cases())
    @settings(max_examples=100)
    def test_ones_give_coverage_count(self, case):
        N, C, H, W = case.x.shape
        k = case.w.shape[2:]
        ones = np.ones_like(cl.im2col(case.x, k, **case.settings))
        got = cl.col2im(ones, case.x.shape, k, **case.settings)
        want = oracle.coverage(H, W, *k, **case.settings)
        np.testing.assert_array_equal(got, np.broadcast_to(want, got.shape))

    def test_is_not_the_inverse(self):
        x = np.arange(16.0).reshape(1, 1, 4, 4)
        back = cl.col2im(cl.im2col(x, 3), x.shape, 3)
        assert not np.array_equal(back, x)
        np.testing.assert_array_equal(back, x * oracle.coverage(4, 4, 3, 3, (1, 1), (0, 0), (1, 1)))

    def test_dtype_follows_cols(self):
        cols = np.ones((4, 9), dtype=np.float32)
        assert cl.col2im(cols, (1, 1, 4, 4), 3).dtype == np.float32
        assert cl.col2im(cols.astype(int), (1, 1, 4, 4), 3).dtype.kind == "i"


@pytest.mark.parametrize("name", sorted(HARD_CASES))
def test_im2col_float32_stays_float32(name):
    c = HARD_CASES[name]
    assert cl.im2col(c.x.astype(np.float32), c.w.shape[2:], **c.settings).dtype == np.float32
