"""One test per kind of bad input, and a test that inputs are never modified."""

import numpy as np
import pytest

import conv_lab as cl

X = np.zeros((2, 3, 6, 6))
W = np.zeros((4, 3, 3, 3))
DY = np.zeros((2, 4, 4, 4))


class TestShapes:
    def test_x_not_4d(self):
        with pytest.raises(ValueError, match=r"x must be 4-D \(N, C, H, W\), got a 3-D array of shape \(3, 6, 6\)"):
            cl.conv2d(X[0], W)

    def test_w_not_4d(self):
        with pytest.raises(ValueError, match=r"w must be 4-D \(F, C, KH, KW\), got a 2-D array"):
            cl.conv2d(X, W[0, 0])

    def test_channel_mismatch(self):
        with pytest.raises(ValueError, match=r"channel mismatch: x has C=3 .* w expects C=2"):
            cl.conv2d(X, np.zeros((4, 2, 3, 3)))

    def test_bias_wrong_length(self):
        with pytest.raises(ValueError, match=r"b must have shape \(F,\) = \(4,\) .* got shape \(3,\)"):
            cl.conv2d(X, W, np.zeros(3))

    def test_bias_not_1d(self):
        with pytest.raises(ValueError, match=r"b must be 1-D"):
            cl.conv2d(X, W, np.zeros((4, 1)))

    def test_kernel_larger_than_padded_input(self):
        with pytest.raises(
            ValueError, match=r"kernel height after dilation.* = 9, is larger than the padded input height.* = 8"
        ):
            cl.conv2d(X, W, padding=1, dilation=4)

    def test_kernel_larger_in_width_names_width(self):
        with pytest.raises(ValueError, match=r"kernel width"):
            cl.conv2d(np.zeros((1, 1, 8, 2)), np.zeros((1, 1, 1, 3)))

    def test_dy_wrong_shape_says_expected(self):
        with pytest.raises(
            ValueError,
            match=r"dy must have the forward output's shape \(N, F, OH, OW\) = \(2, 4, 4, 4\), got \(2, 4, 3, 3\)",
        ):
            cl.conv2d_backward(np.zeros((2, 4, 3, 3)), X, W)

    def test_cols_wrong_shape(self):
        with pytest.raises(
            ValueError, match=r"cols must have shape \(N\*OH\*OW, C\*KH\*KW\) = \(32, 27\).*got \(32, 26\)"
        ):
            cl.col2im(np.zeros((32, 26)), X.shape, 3)

    def test_cols_not_2d(self):
        with pytest.raises(ValueError, match=r"cols must be 2-D"):
            cl.col2im(np.zeros(27), X.shape, 3)

    def test_x_shape_wrong_length(self):
        with pytest.raises(ValueError, match=r"x_shape must be a tuple \(N, C, H, W\)"):
            cl.col2im(np.zeros((32, 27)), (3, 6, 6), 3)

    def test_zero_length_axis(self):
        with pytest.raises(ValueError, match=r"x has a zero-length axis"):
            cl.conv2d(np.zeros((0, 3, 6, 6)), W)

    def test_transpose_channel_mismatch(self):
        with pytest.raises(ValueError, match=r"y has F=4 .* w has F=5"):
            cl.conv_transpose2d(DY, np.zeros((5, 3, 3, 3)))

    def test_transpose_padding_too_large(self):
        with pytest.raises(ValueError, match=r"padding \(5, 5\) is too large"):
            cl.conv_transpose2d(DY, W, padding=5)

    def test_corr2d_wants_2d(self):
        with pytest.raises(ValueError, match=r"x must be 2-D \(H, W\)"):
            cl.corr2d(X, np.ones((2, 2)))


class TestHyperParameters:
    @pytest.mark.parametrize("name", ["stride", "dilation"])
    def test_below_one(self, name):
        with pytest.raises(ValueError, match=rf"{name} must be >= 1, got 0"):
            cl.conv2d(X, W, **{name: 0})

    def test_negative_padding(self):
        with pytest.raises(ValueError, match=r"padding must be >= 0, got \(1, -1\)"):
            cl.conv2d(X, W, padding=(1, -1))

    @pytest.mark.parametrize("bad", [1.5, 2.0, "2", None, True])
    def test_non_integer_stride(self, bad):
        with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints, got"):
            cl.conv2d(X, W, stride=bad)

    def test_tuple_of_wrong_length(self):
        with pytest.raises(ValueError, match=r"dilation must be an int or an \(h, w\) pair, got 3 values: \(1, 1, 1\)"):
            cl.conv2d(X, W, dilation=(1, 1, 1))

    def test_kernel_size_tuple_of_wrong_length(self):
        with pytest.raises(ValueError, match=r"kernel_size must be an int or an \(h, w\) pair, got 3 values"):
            cl.im2col(X, (3, 3, 3))

    @pytest.mark.parametrize(
        "func, valid", [(cl.conv2d, "'loops', 'im2col', 'einsum'"), (cl.conv2d_backward, "'loops', 'im2col', 'rot180'")]
    )
    def test_unknown_method_lists_valid_ones(self, func, valid):
        args = (X, W) if func is cl.conv2d else (DY, X, W)
        with pytest.raises(ValueError, match=rf"unknown method 'fft'; valid methods are {valid}"):
            func(*args, method="fft")

    def test_output_padding_not_smaller_than_stride_or_dilation(self):
        with pytest.raises(
            ValueError,
            match=r"output_padding must be smaller than either stride or dilation, "
            r"got output_padding=\(2, 2\), stride=\(2, 2\), dilation=\(1, 1\)",
        ):
            cl.conv_transpose2d(DY, W, stride=2, output_padding=2)

    def test_output_padding_below_dilation_is_allowed(self):
        assert cl.conv_transpose2d(DY, W, stride=1, output_padding=1, dilation=2).shape == (2, 3, 9, 9)

    @pytest.mark.parametrize("size, msg", [(0, "size must be >= 1"), (2.5, "size must be an int")])
    def test_output_size_checks_its_ints(self, size, msg):
        with pytest.raises((ValueError, TypeError), match=msg):
            cl.output_size(size, 3)


class TestDtypes:
    @pytest.mark.parametrize(
        "bad, kind",
        [
            (np.array([["a"]]), "<U1"),
            (np.zeros((2, 3, 6, 6), dtype=complex), "complex128"),
            (np.zeros((2, 3, 6, 6), dtype=object), "object"),
            (np.zeros((2, 3, 6, 6), dtype="datetime64[s]"), r"datetime64\[s\]"),
            ([[[["1"]]]], "<U1"),
        ],
    )
    def test_non_numeric_dtype(self, bad, kind):
        with pytest.raises(
            TypeError, match=rf"x must have a real numeric dtype \(bool, integer or floating\), got dtype {kind}"
        ):
            cl.conv2d(bad, W)

    def test_non_numeric_everywhere(self):
        s = np.array([["a", "b"], ["c", "d"]])
        for call in (
            lambda: cl.im2col(s[None, None], 1),
            lambda: cl.pad2d(s, 1),
            lambda: cl.dilate2d(s, 2),
            lambda: cl.rot180(s),
            lambda: cl.sliding_windows(s, 1),
            lambda: cl.rel_error(s, s),
        ):
            with pytest.raises(TypeError, match="real numeric dtype"):
                call()

    def test_ragged_input(self):
        with pytest.raises(ValueError, match="x could not be turned into an array"):
            cl.conv2d([[1, 2], [3]], W)


def _every_public_call(x, w, b, dy, cols):
    cl.conv2d(x, w, b, stride=2, padding=1)
    for m in cl.FORWARD_METHODS:
        cl.conv2d(x, w, b, padding=3, method=m)
    for m in cl.BACKWARD_METHODS:
        cl.conv2d_backward(dy, x, w, stride=2, padding=1, method=m)
    cl.conv_transpose2d(dy, w, stride=2, padding=1, output_padding=1)
    cl.im2col(x, 3, 2, 1)
    cl.col2im(cols, x.shape, 3, 2, 1)
    cl.sliding_windows(x, 3)
    cl.pad2d(x, -1)
    cl.dilate2d(x, 2)
    cl.rot180(w)
    cl.corr2d(x[0, 0], w[0, 0], padding=1)
    cl.convolve2d(x[0, 0], w[0, 0], padding=1)
    cl.numerical_gradient(lambda t: cl.conv2d(t, w[:1, :, :1, :1]), x[:1, :, :2, :2], np.ones((1, 1, 2, 2)))
    cl.rel_error(x, x)
    layer = cl.Conv2d(3, 4, 3, stride=2, padding=1, rng=0)
    layer.backward(np.ones_like(layer.forward(x)))


def test_inputs_are_left_unmodified():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    dy = rng.standard_normal((2, 4, 3, 3))
    cols = rng.standard_normal((18, 27))
    arrays = (x, w, b, dy, cols)
    before = [a.copy() for a in arrays]
    _every_public_call(*arrays)
    for a, a0 in zip(arrays, before):
        np.testing.assert_array_equal(a, a0)
    # stronger: with the inputs read-only, any in-place write would raise
    for a in arrays:
        a.flags.writeable = False
    _every_public_call(*arrays)


def test_sliding_windows_view_cannot_write_through():
    x = np.zeros((4, 4))
    with pytest.raises(ValueError, match="read-only"):
        cl.sliding_windows(x, 2)[0, 0, 0, 0] = 1.0
