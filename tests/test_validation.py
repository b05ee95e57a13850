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
        "func, valid",
        [
            (cl.conv2d, "'loops', 'im2col', 'einsum', 'fft', 'winograd'"),
            (cl.conv2d_backward, "'loops', 'im2col', 'rot180'"),
        ],
    )
    def test_unknown_method_lists_valid_ones(self, func, valid):
        args = (X, W) if func is cl.conv2d else (DY, X, W)
        with pytest.raises(ValueError, match=rf"unknown method 'fast'; valid methods are {valid}$"):
            func(*args, method="fast")

    @pytest.mark.parametrize("method", ["fft", "winograd"])
    def test_forward_only_methods_in_backward(self, method):
        with pytest.raises(
            ValueError,
            match=rf"^method '{method}' computes only the forward pass \(conv2d\); "
            r"conv2d_backward's methods are 'loops', 'im2col', 'rot180'$",
        ):
            cl.conv2d_backward(DY, X, W, method=method)

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


class TestGroups:
    """groups must divide C and F, and w must have C/groups channels; every message names the values."""

    X4 = np.zeros((2, 4, 6, 6))

    @pytest.mark.parametrize("method", cl.FORWARD_METHODS)
    def test_c_not_divisible(self, method):
        with pytest.raises(
            ValueError,
            match=r"^groups=3 must divide C, the input channels, but x has C=4 \(shape \(2, 4, 6, 6\)\): "
            r"4 % 3 = 1$",
        ):
            cl.conv2d(self.X4, np.zeros((3, 1, 3, 3)), groups=3, method=method)

    def test_f_not_divisible(self):
        with pytest.raises(
            ValueError,
            match=r"^groups=2 must divide F, the number of filters, but w has F=3 filters \(shape \(3, 2, 3, 3\)\): "
            r"3 % 2 = 1$",
        ):
            cl.conv2d(self.X4, np.zeros((3, 2, 3, 3)), groups=2)

    @pytest.mark.parametrize(
        "w_shape, groups, expected", [((4, 4, 3, 3), 2, 2), ((4, 2, 3, 3), 4, 1), ((4, 1, 3, 3), 2, 2)]
    )
    def test_w_channels_must_be_c_over_groups(self, w_shape, groups, expected):
        with pytest.raises(
            ValueError,
            match=rf"^channel mismatch: x has C=4 channels \(shape \(2, 4, 6, 6\)\) in groups={groups}, "
            rf"so w must have C/groups = {expected} channels per filter, but w has {w_shape[1]} ",
        ):
            cl.conv2d(self.X4, np.zeros(w_shape), groups=groups)

    def test_backward_checks_groups_like_the_forward(self):
        dy = np.zeros((2, 4, 4, 4))
        with pytest.raises(ValueError, match=r"^groups=3 must divide C"):
            cl.conv2d_backward(dy, self.X4, np.zeros((4, 1, 3, 3)), groups=3)
        with pytest.raises(ValueError, match=r"^channel mismatch: .* in groups=2, so w must have C/groups = 2"):
            cl.conv2d_backward(dy, self.X4, np.zeros((4, 1, 3, 3)), groups=2)
        with pytest.raises(
            ValueError, match=r"dy must have the forward output's shape \(N, F, OH, OW\) = \(2, 4, 4, 4\)"
        ):
            cl.conv2d_backward(np.zeros((2, 2, 4, 4)), self.X4, np.zeros((4, 2, 3, 3)), groups=2)

    def test_transpose_f_not_divisible(self):
        with pytest.raises(
            ValueError,
            match=r"^groups=2 must divide F, the number of filters, but y and w have F=3 \(w shape \(3, 1, 3, 3\)\)",
        ):
            cl.conv_transpose2d(np.zeros((1, 3, 2, 2)), np.zeros((3, 1, 3, 3)), groups=2)

    def test_layer(self):
        with pytest.raises(
            ValueError, match=r"^groups=4 must divide C, the input channels, but in_channels=6: 6 % 4 = 2$"
        ):
            cl.Conv2d(6, 8, 3, groups=4)
        with pytest.raises(ValueError, match=r"^groups=3 must divide F, the number of filters, but out_channels=4: "):
            cl.Conv2d(6, 4, 3, groups=3)

    def test_block_diagonal(self):
        with pytest.raises(ValueError, match=r"^groups=2 must divide F, the number of filters, but w has F=3 filters"):
            cl.grouped.block_diagonal(np.zeros((3, 1, 3, 3)), 2)
        with pytest.raises(ValueError, match=r"^w must be 4-D \(F, C/groups, KH, KW\)"):
            cl.grouped.block_diagonal(np.zeros((3, 3, 3)), 1)


class TestWinogradLayers:
    """method='winograd' says what it needs (3x3, stride 1, dilation 1) and what it was given."""

    @pytest.mark.parametrize(
        "kernel, stride, dilation, got",
        [
            ((5, 5), 1, 1, r"kernel 5x5, stride=\(1, 1\), dilation=\(1, 1\)"),
            ((3, 2), 1, 1, r"kernel 3x2, stride=\(1, 1\), dilation=\(1, 1\)"),
            ((1, 1), 1, 1, r"kernel 1x1, stride=\(1, 1\), dilation=\(1, 1\)"),
            ((3, 3), 2, 1, r"kernel 3x3, stride=\(2, 2\), dilation=\(1, 1\)"),
            ((3, 3), (1, 2), 1, r"kernel 3x3, stride=\(1, 2\), dilation=\(1, 1\)"),
            ((3, 3), 1, 2, r"kernel 3x3, stride=\(1, 1\), dilation=\(2, 2\)"),
        ],
    )
    def test_other_layers_are_refused(self, kernel, stride, dilation, got):
        msg = rf"^method='winograd' computes F\(2x2, 3x3\): it needs a 3x3 kernel, stride 1 and dilation 1; got {got}$"
        x = np.zeros((1, 2, 9, 9))
        with pytest.raises(ValueError, match=msg):
            cl.conv2d(x, np.zeros((2, 2, *kernel)), stride=stride, dilation=dilation, method="winograd")
        with pytest.raises(ValueError, match=msg):  # refused when the layer is built, not at its first forward
            cl.Conv2d(2, 2, kernel, stride=stride, dilation=dilation, forward_method="winograd")

    def test_any_padding_and_groups_are_fine(self):
        for padding in (0, 1, 2, 5, (0, 3)):
            assert cl.conv2d(
                np.ones((1, 2, 4, 5)), np.ones((4, 1, 3, 3)), padding=padding, groups=2, method="winograd"
            ).size

    @pytest.mark.parametrize("method", ["fft", "winograd"])
    def test_forward_only_methods_in_the_layer(self, method):
        with pytest.raises(
            ValueError,
            match=rf"^backward_method '{method}' is a forward method only; the backward methods are "
            rf"'loops', 'im2col', 'rot180' \(forward_method='{method}' with any of them is fine\)$",
        ):
            cl.Conv2d(1, 1, 3, backward_method=method)


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


# ---------------------------------------------------------------------------------------------
# Every argument, not only the arrays: each bad value gets an error naming its parameter.
# ---------------------------------------------------------------------------------------------

X1 = np.zeros((1, 1, 5, 5))
W1 = np.zeros((1, 1, 3, 3))
Y1 = np.zeros((1, 1, 3, 3))
COLS = np.zeros((9, 9))

# A call that takes an int (or pair of ints) parameter, as a function of that parameter's value.
INT_PARAMETERS = {
    "conv2d stride": ("stride", lambda v: cl.conv2d(X1, W1, stride=v)),
    "conv2d padding": ("padding", lambda v: cl.conv2d(X1, W1, padding=v)),
    "conv2d dilation": ("dilation", lambda v: cl.conv2d(X1, W1, dilation=v)),
    "backward stride": ("stride", lambda v: cl.conv2d_backward(Y1, X1, W1, stride=v)),
    "im2col kernel_size": ("kernel_size", lambda v: cl.im2col(X1, v)),
    "col2im kernel_size": ("kernel_size", lambda v: cl.col2im(COLS, X1.shape, v)),
    "col2im x_shape": ("x_shape", lambda v: cl.col2im(COLS, (1, 1, v, 5), 3)),
    "transpose stride": ("stride", lambda v: cl.conv_transpose2d(Y1, W1, stride=v)),
    "transpose output_padding": ("output_padding", lambda v: cl.conv_transpose2d(Y1, W1, 2, 0, v)),
    "sliding_windows kernel_size": ("kernel_size", lambda v: cl.sliding_windows(X1, v)),
    "pad2d padding": ("padding", lambda v: cl.pad2d(X1, v)),
    "dilate2d factor": ("factor", lambda v: cl.dilate2d(X1, v)),
    "corr2d padding": ("padding", lambda v: cl.corr2d(X1[0, 0], W1[0, 0], padding=v)),
    "output_size size": ("size", lambda v: cl.output_size(v, 3)),
    "stride_leftover stride": ("stride", lambda v: cl.stride_leftover(5, 3, v)),
    "rows_read dilation": ("dilation", lambda v: cl.rows_read(5, 3, 1, 0, v)),
    "Conv2d in_channels": ("in_channels", lambda v: cl.Conv2d(v, 1, 3)),
    "Conv2d kernel_size": ("kernel_size", lambda v: cl.Conv2d(1, 1, v)),
    "Conv2d stride": ("stride", lambda v: cl.Conv2d(1, 1, 3, stride=v)),
    "conv2d groups": ("groups", lambda v: cl.conv2d(X1, W1, groups=v)),
    "conv2d[fft] groups": ("groups", lambda v: cl.conv2d(X1, W1, groups=v, method="fft")),
    "conv2d[winograd] groups": ("groups", lambda v: cl.conv2d(X1, W1, groups=v, method="winograd")),
    "backward groups": ("groups", lambda v: cl.conv2d_backward(Y1, X1, W1, groups=v)),
    "transpose groups": ("groups", lambda v: cl.conv_transpose2d(Y1, W1, groups=v)),
    "block_diagonal groups": ("groups", lambda v: cl.grouped.block_diagonal(W1, v)),
    "Conv2d groups": ("groups", lambda v: cl.Conv2d(1, 1, 3, groups=v)),
    "fast_length n": ("n", lambda v: cl.fft.fast_length(v)),
}
NOT_INTS = [1.5, 2.0, np.float32(2.0), "2", None, True, np.bool_(True), 2j, np.array(2.0), [1, 2.5]]


class TestEveryIntParameter:
    @pytest.mark.parametrize("bad", NOT_INTS, ids=repr)
    @pytest.mark.parametrize("call", sorted(INT_PARAMETERS))
    def test_not_an_int_is_a_type_error(self, call, bad):
        name, f = INT_PARAMETERS[call]
        with pytest.raises(TypeError, match=rf"^{name}(\[\d\] \(\w+, \w+\))? must be an int"):
            f(bad)

    @pytest.mark.parametrize("call", sorted(INT_PARAMETERS))
    def test_below_its_minimum_is_a_value_error(self, call):
        name, f = INT_PARAMETERS[call]
        if call in ("pad2d padding",):  # negative padding crops in pad2d
            with pytest.raises(ValueError, match=r"^padding -9 crops away the whole input height"):
                f(-9)
            return
        with pytest.raises(ValueError, match=rf"^{name} must be >= \d, got -9"):
            f(-9)

    @pytest.mark.parametrize("bad", [(1, 2, 3), [1], np.array([1, 2, 3]), np.ones((2, 2), dtype=int)], ids=repr)
    @pytest.mark.parametrize("call", ["conv2d stride", "im2col kernel_size", "dilate2d factor", "Conv2d stride"])
    def test_wrong_number_of_values(self, call, bad):
        name, f = INT_PARAMETERS[call]
        with pytest.raises(ValueError, match=rf"^{name} must be an int or an \(h, w\) pair, got"):
            f(bad)


class TestAbsurdSizes:
    """Refused with the parameter's name before numpy fails (MemoryError, 'array is too big', overflow)."""

    @pytest.mark.parametrize(
        "call, name",
        [
            (lambda: cl.conv2d(X1, W1, padding=10**12), r"padding=\(1000000000000, 1000000000000\)"),
            (lambda: cl.conv2d(X1, W1, padding=(0, 10**9), method="loops"), r"padding=\(0, 1000000000\)"),
            (lambda: cl.conv2d_backward(Y1, X1, W1, padding=10**6, method="rot180"), r"padding=\(1000000, 1000000\)"),
            (lambda: cl.im2col(X1, 3, padding=10**12), r"padding="),
            (lambda: cl.im2col(np.zeros((1, 1, 200000, 1)), (100000, 1)), r"kernel_size=\(100000, 1\)"),
            (
                lambda: cl.col2im(COLS, (1, 1, 10**6, 10**6), 3, stride=10**6),
                r"x_shape shape \(1, 1, 1000000, 1000000\)",
            ),
            (lambda: cl.conv_transpose2d(Y1, W1, stride=10**6), r"stride=\(1000000, 1000000\)"),
            (lambda: cl.conv_transpose2d(Y1, W1, dilation=10**6), r"dilation=\(1000000, 1000000\)"),
            (lambda: cl.pad2d(X1, 10**12), r"padding=1000000000000"),
            (lambda: cl.pad2d(X1, ((0, 0), (0, 10**18))), r"padding=\(\(0, 0\), \(0, 1000000000000000000\)\)"),
            (lambda: cl.dilate2d(X1, 10**9), r"factor=\(1000000000, 1000000000\)"),
            (lambda: cl.corr2d(X1[0, 0], W1[0, 0], padding=10**12), r"padding="),
            (lambda: cl.rows_read(10**12, 3), r"size=1000000000000"),
            (lambda: cl.Conv2d(1, 1, 3, padding=10**12).forward(X1), r"padding="),
            (lambda: cl.conv2d(X1, W1, padding=10**12, method="fft"), r"padding="),
            (lambda: cl.conv2d(X1, W1, padding=10**12, method="winograd"), r"padding="),
            (  # the padded input and the output fit, but the FFT's stride-1 output for 8 filters would not
                lambda: cl.conv2d(np.ones((1, 1, 1, 1)), np.ones((8, 1, 1, 1)), padding=10000, stride=2, method="fft"),
                r"method='fft' with stride=\(2, 2\)",
            ),
            (  # ... nor the transforms of 64 kernels of 64 channels, each as large as the padded input
                lambda: cl.conv2d(np.ones((1, 64, 1, 1)), np.ones((64, 64, 1, 1)), padding=2000, method="fft"),
                r"method='fft' with w shape \(64, 64, 1, 1\) on a padded input of 4001x4001",
            ),
            (  # Winograd's transformed tiles hold 4 times the padded input
                lambda: cl.conv2d(
                    np.ones((1, 8, 1, 1)), np.ones((8, 1, 3, 3)), padding=6000, groups=8, method="winograd"
                ),
                r"method='winograd' with padding=\(6000, 6000\)",
            ),
            (
                lambda: cl.Conv2d(10**4, 10**4, 10**2),
                r"in_channels=10000, out_channels=10000, kernel_size=\(100, 100\)",
            ),
        ],
    )
    def test_refused_naming_the_parameter(self, call, name):
        with pytest.raises(ValueError, match=rf"{name}.* is too large: .* beyond conv_lab's limit of 2\*\*31 elements"):
            call()

    def test_pure_arithmetic_has_no_limit(self):
        """output_size and stride_leftover create no array, so any size is fine (computed in Python ints)."""
        assert cl.output_size(10**30, 3, stride=10**12, padding=10**20) == (10**30 + 2 * 10**20 - 3) // 10**12 + 1
        assert cl.stride_leftover(10**30, 3, stride=7) == (10**30 - 3) % 7

    def test_huge_stride_with_one_output_is_fine(self):
        """A stride far beyond the input asks for no memory: one window."""
        y = cl.conv2d(X1 + 1, W1 + 1, stride=10**30)
        assert y.shape == (1, 1, 1, 1) and y[0, 0, 0, 0] == 9


REALS = {
    "numerical_gradient eps": ("eps", lambda v: cl.numerical_gradient(np.sin, np.ones(2), np.ones(2), eps=v), True),
    "rel_error floor": ("floor", lambda v: cl.rel_error(np.ones(2), np.ones(2), floor=v), True),
    "check_close atol": ("atol", lambda v: cl.check_close(np.ones(2), np.ones(2), atol=v), False),
    "check_close rtol": ("rtol", lambda v: cl.check_close(np.ones(2), np.ones(2), rtol=v), False),
    "sgd_step lr": ("lr", lambda v: _trained_layer().sgd_step(v), None),
}


def _trained_layer():
    layer = cl.Conv2d(1, 1, 3, rng=0)
    layer.backward(np.ones_like(layer.forward(X1)))
    return layer


class TestEveryRealParameter:
    @pytest.mark.parametrize("bad", ["1e-3", None, True, np.bool_(False), 1j, [1e-3], np.array([1e-3])], ids=repr)
    @pytest.mark.parametrize("call", sorted(REALS))
    def test_not_a_real_number_is_a_type_error(self, call, bad):
        name, f, _ = REALS[call]
        with pytest.raises(TypeError, match=rf"^{name} must be a real number, got"):
            f(bad)

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, np.float32(np.nan)], ids=repr)
    @pytest.mark.parametrize("call", sorted(REALS))
    def test_not_finite_is_a_value_error(self, call, bad):
        name, f, _ = REALS[call]
        with pytest.raises(ValueError, match=rf"^{name} must be finite, got"):
            f(bad)

    @pytest.mark.parametrize("call", sorted(REALS))
    def test_out_of_range(self, call, capsys):
        name, f, strict = REALS[call]
        if strict is None:  # lr may be any finite number
            f(-0.5)
            return
        with pytest.raises(ValueError, match=rf"^{name} must be >?=? 0, got -1e-09"):
            f(-1e-9)
        if strict:
            with pytest.raises(ValueError, match=rf"^{name} must be > 0, got 0.0"):
                f(0)
        else:
            f(0)
            assert "OK" in capsys.readouterr().out


class TestOtherParameters:
    @pytest.mark.parametrize("bad", ["seed", 1.5, True, np.float64(3.0), [1, 2], object()], ids=repr)
    def test_rng_of_the_wrong_kind(self, bad):
        with pytest.raises(TypeError, match=r"^rng must be None, an int seed, or a numpy Generator"):
            cl.Conv2d(1, 1, 3, rng=bad)

    @pytest.mark.parametrize("bad", [-1, np.int8(-5), np.array(-1)], ids=repr)
    def test_rng_negative_seed(self, bad):
        with pytest.raises(ValueError, match=r"^rng as a seed must be >= 0, got -\d"):
            cl.Conv2d(1, 1, 3, rng=bad)

    @pytest.mark.parametrize("bad", [np.int64, np.float16, "int8", complex, "bogus", np.longdouble], ids=repr)
    def test_layer_dtype(self, bad):
        with pytest.raises(TypeError, match=r"^dtype must be numpy.float32 or numpy.float64, got"):
            cl.Conv2d(1, 1, 3, dtype=bad)

    @pytest.mark.parametrize("good", [np.float32, "float32", np.dtype(">f4"), float, "float64"], ids=repr)
    def test_layer_dtype_spellings(self, good):
        assert cl.Conv2d(1, 1, 3, dtype=good).weight.dtype == np.dtype(good).newbyteorder("=")

    def test_layer_weight_replaced_by_integers(self):
        layer = cl.Conv2d(1, 1, 3)
        layer.weight = np.ones((1, 1, 3, 3), dtype=int)
        with pytest.raises(TypeError, match=r"^weight must be a floating-point array, got dtype int64"):
            layer.forward(X1)

    @pytest.mark.parametrize("bad", [1, "yes", None, np.array([True])], ids=repr)
    def test_layer_bias_flag(self, bad):
        with pytest.raises(TypeError, match=r"^bias must be True or False"):
            cl.Conv2d(1, 1, 3, bias=bad)

    @pytest.mark.parametrize("bad", [None, 3, ["im2col"], b"im2col", "IM2COL"], ids=repr)
    def test_method_names(self, bad):
        with pytest.raises(ValueError, match=r"^unknown method .*; valid methods are"):
            cl.conv2d(X1, W1, method=bad)
        with pytest.raises(ValueError, match=r"^unknown method"):
            cl.Conv2d(1, 1, 3, forward_method=bad)

    def test_check_close_label_and_equal_nan(self):
        with pytest.raises(TypeError, match=r"^label must be a str, got 3"):
            cl.check_close(np.ones(2), np.ones(2), 3)
        with pytest.raises(TypeError, match=r"^equal_nan must be True or False, got 'no'"):
            cl.check_close(np.ones(2), np.ones(2), equal_nan="no")

    def test_numerical_gradient_f_result(self):
        with pytest.raises(TypeError, match=r"^f\(x\) must have a real numeric dtype"):
            cl.numerical_gradient(lambda v: v.astype(complex), np.ones(2), np.ones(2))

    @pytest.mark.parametrize("bad", [(1, 1, 5), "11", 7, (1, 1, 5, 5, 1)], ids=repr)
    def test_col2im_x_shape(self, bad):
        with pytest.raises(ValueError, match=r"^x_shape must be a tuple \(N, C, H, W\) of 4 ints"):
            cl.col2im(COLS, bad, 3)

    @pytest.mark.parametrize(
        "padding, msg",
        [
            (((-5, 0), (0, 0)), r"crops away the whole input height: 5 -5 \+0 = 0"),
            (((0, 0), (-2, -3)), r"crops away the whole input width: 5 -2 -3 = 0"),
            (((1, 2, 3), (0, 0)), r"padding\[0\] \(top, bottom\) must be an int or an \(h, w\) pair, got 3 values"),
            (((1, 0.5), (0, 0)), r"padding\[0\] \(top, bottom\) must be an int or a pair of ints"),
            (((1, 1), 2), r"padding must be an int or a pair of ints"),
        ],
    )
    def test_pad2d_crop_amounts(self, padding, msg):
        with pytest.raises((ValueError, TypeError), match=msg):
            cl.pad2d(X1, padding)

    def test_zero_d_and_scalar_arrays_are_not_images(self):
        for bad in (np.float64(1.0), np.array(1.0), 3):
            with pytest.raises(ValueError, match=r"^x must be 4-D \(N, C, H, W\), got a 0-D array"):
                cl.conv2d(bad, W1)
            with pytest.raises(ValueError, match=r"^x must have at least 2 dimensions"):
                cl.pad2d(bad, 1)
