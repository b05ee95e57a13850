"""Every worked example from the seed tutorials, with the numbers they print (corrected where wrong)."""

import numpy as np
import pytest

import conv_lab as cl
from tests import oracle

SAMPLE = np.arange(16).reshape(1, 1, 4, 4)
FILTER = np.array([[-1, -2, 0], [1, 0, -2], [0, -1, 2]]).reshape(1, 1, 3, 3)


@pytest.mark.parametrize("method", cl.FORWARD_METHODS)
def test_4x4_sample_with_bias_5(method):
    y = cl.conv2d(SAMPLE, FILTER, np.array([5]), method=method)
    np.testing.assert_array_equal(y, [[[[6, 3], [-6, -9]]]])
    assert y.dtype.kind == "i"


def test_4x4_im2col_matrix_as_printed():
    expected = [
        [0, 1, 2, 4, 5, 6, 8, 9, 10],
        [1, 2, 3, 5, 6, 7, 9, 10, 11],
        [4, 5, 6, 8, 9, 10, 12, 13, 14],
        [5, 6, 7, 9, 10, 11, 13, 14, 15],
    ]
    np.testing.assert_array_equal(cl.im2col(SAMPLE, 3), expected)


def test_4x4_col2im_coverage_and_round_trip():
    cols = cl.im2col(SAMPLE, 3)
    np.testing.assert_array_equal(
        cl.col2im(np.ones_like(cols), SAMPLE.shape, 3)[0, 0],
        [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]],
    )
    np.testing.assert_array_equal(
        cl.col2im(cols, SAMPLE.shape, 3)[0, 0],
        [[0, 2, 4, 3], [8, 20, 24, 14], [16, 36, 40, 22], [12, 26, 28, 15]],
    )


@pytest.mark.parametrize("method", cl.FORWARD_METHODS)
def test_rgb_example_with_two_kernels(method):
    x = np.arange(1 * 3 * 4 * 4).reshape(1, 3, 4, 4)
    w = np.arange(2 * 3 * 3 * 3).reshape(2, 3, 3, 3)
    y = cl.conv2d(x, w, method=method)
    np.testing.assert_array_equal(y, [[[[10197, 10548], [11601, 11952]], [[25506, 26586], [29826, 30906]]]])
    # the seed's intermediate: cols @ w.reshape(F, -1).T, one row per window
    np.testing.assert_array_equal(
        cl.im2col(x, 3) @ w.reshape(2, -1).T, [[10197, 25506], [10548, 26586], [11601, 29826], [11952, 30906]]
    )


def test_3x3_by_2x2_example():
    np.testing.assert_array_equal(
        cl.corr2d(np.arange(9).reshape(3, 3), np.array([[0, 1], [2, 3]])), [[19, 25], [37, 43]]
    )


def test_5x5_vertical_edge_is_minus_6_everywhere():
    """Seed 004 prints rows -6/-18/-30; every window really sums to -6.

    Each row of x increases by 1 left to right, so every 3x3 window's left
    column exceeds its right column by 2 in each of 3 rows: 3 * (-2) = -6,
    whichever row the window sits on.
    """
    x = np.arange(1, 26).reshape(5, 5)
    k = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    y = cl.corr2d(x, k)
    np.testing.assert_array_equal(y, np.full((3, 3), -6))
    np.testing.assert_array_equal(
        y, oracle.conv_forward(x[None, None], k[None, None], None, (1, 1), (0, 0), (1, 1))[0, 0]
    )
    assert not np.array_equal(y, [[-6] * 3, [-18] * 3, [-30] * 3])


def test_seed_002_stride_2_example_with_2_channels():
    """Seed 002: 2-channel 5x5 input, 3x3 kernel, stride 2 (a = 0); the rot180 rule holds."""
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, size=(1, 2, 5, 5))
    w = rng.integers(-3, 4, size=(1, 2, 3, 3))
    dy = rng.integers(-3, 4, size=(1, 1, 2, 2))
    want = oracle.conv_backward(dy, x, w, (2, 2), (0, 0), (1, 1))
    for method in cl.BACKWARD_METHODS:
        for got, exp in zip(cl.conv2d_backward(dy, x, w, stride=2, method=method), want):
            np.testing.assert_array_equal(got, exp)
