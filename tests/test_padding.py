"""Padding per side: ((top, bottom), (left, right)), "valid" and "same", in every method, forward and backward.

The reference is the plain-loop oracle (tests/oracle.py), which reads the padding as offsets and never
builds a padded copy. "same" is checked against its definition: the output has the input's size, and the
odd zero of an even kernel sits at the bottom/right (PyTorch's choice).
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conv_lab as cl
from tests import oracle
from tests.strategies import ANY_LAYER_METHODS, Case, assert_matches, channels_and_groups, winograd_takes


@st.composite
def uneven_axis(draw):
    """(size, K, s, (before, after), d) for one axis, the two paddings drawn independently."""
    K, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    before, after = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    size = max(1, d * (K - 1) + 1 - before - after) + draw(st.integers(0, 5))
    return size, K, s, (before, after), d


@st.composite
def uneven_cases(draw, max_batch=2):
    (H, KH, sh, ph, dh), (W, KW, sw, pw, dw) = draw(uneven_axis()), draw(uneven_axis())
    C, F, G = draw(channels_and_groups((1, 3), grouped=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return Case(
        x=rng.standard_normal((draw(st.integers(1, max_batch)), C, H, W)),
        w=rng.standard_normal((F, C // G, KH, KW)),
        b=rng.standard_normal(F),
        stride=(sh, sw),
        padding=(ph, pw),  # ((top, bottom), (left, right))
        dilation=(dh, dw),
        groups=G,
    )


class TestUnevenPadding:
    @settings(max_examples=60, deadline=None)
    @given(uneven_cases())
    def test_every_forward_method_matches_the_oracle(self, c):
        want = oracle.conv_forward(c.x, c.w, c.b, **c.layer)
        methods = ANY_LAYER_METHODS + (["winograd"] if winograd_takes(c) else [])
        for method in methods:
            got = cl.conv2d(c.x, c.w, c.b, **c.layer, method=method)
            assert_matches(got, want, method, f"{method} {c}")

    @settings(max_examples=60, deadline=None)
    @given(uneven_cases())
    def test_every_backward_method_matches_the_oracle(self, c):
        dy = np.random.default_rng(1).standard_normal(oracle.conv_forward(c.x, c.w, None, **c.layer).shape)
        want = oracle.conv_backward(dy, c.x, c.w, **c.layer)
        for method in cl.BACKWARD_METHODS:
            got = cl.conv2d_backward(dy, c.x, c.w, **c.layer, method=method)
            for name, g, e in zip(("dx", "dw", "db"), got, want):
                np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10, err_msg=f"{method} {name} {c}")

    @settings(max_examples=40, deadline=None)
    @given(uneven_cases())
    def test_the_transposed_convolution_with_output_padding_a_is_dx(self, c):
        dy = np.random.default_rng(2).standard_normal(oracle.conv_forward(c.x, c.w, None, **c.layer).shape)
        dx = oracle.conv_backward(dy, c.x, c.w, **c.layer)[0]
        got = cl.conv_transpose2d(dy, c.w, c.stride, c.padding, c.leftover(), c.dilation, groups=c.groups)
        np.testing.assert_allclose(got, dx, rtol=1e-10, atol=1e-10, err_msg=str(c))
        want = oracle.conv_transpose(dy, c.w, c.stride, c.padding, c.leftover(), c.dilation, c.groups)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=str(c))

    @settings(max_examples=40, deadline=None)
    @given(uneven_cases())
    def test_the_leftover_and_size_count_each_side(self, c):
        for k in range(2):
            size, K = c.x.shape[2 + k], c.w.shape[2 + k]
            (before, after), s, d = c.padding[k], c.stride[k], c.dilation[k]
            want_out = oracle._out(size, K, s, (before, after), d)
            assert cl.conv2d(c.x, c.w, **c.layer).shape[2 + k] == want_out
        # the im2col route agrees with the public im2col of the same uneven padding (C = 1 groups aside)
        if c.groups == 1:
            cols = cl.im2col(c.x, c.w.shape[2:], **c.settings)
            y = cl.conv2d(c.x, c.w, **c.settings)
            y_mat = cols @ c.w.reshape(c.w.shape[0], -1).T  # (N*OH*OW, F)
            np.testing.assert_allclose(y_mat.reshape(y.shape[0], *y.shape[2:], -1).transpose(0, 3, 1, 2), y, atol=1e-10)
            ones = cl.col2im(np.ones_like(cols), c.x.shape, c.w.shape[2:], **c.settings)
            want = oracle.coverage(*c.x.shape[2:], *c.w.shape[2:], c.stride, c.padding, c.dilation)
            np.testing.assert_array_equal(ones[0, 0], want)

    def test_symmetric_nested_padding_is_the_pair(self):
        rng = np.random.default_rng(0)
        x, w = rng.standard_normal((2, 3, 7, 8)), rng.standard_normal((4, 3, 3, 2))
        nested = cl.conv2d(x, w, padding=((2, 2), (1, 1)), stride=2)
        np.testing.assert_array_equal(nested, cl.conv2d(x, w, padding=(2, 1), stride=2))


class TestSameAndValid:
    @pytest.mark.parametrize("K", [1, 2, 3, 4, 5])
    @pytest.mark.parametrize("d", [1, 2])
    def test_same_keeps_the_size_with_the_odd_zero_at_the_bottom_right(self, K, d):
        rng = np.random.default_rng(K + 10 * d)
        x, w = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, K, K + 1))
        total_h, total_w = d * (K - 1), d * K
        sides = ((total_h // 2, total_h - total_h // 2), (total_w // 2, total_w - total_w // 2))
        want = oracle.conv_forward(x, w, None, (1, 1), sides, (d, d))
        for method in ANY_LAYER_METHODS:
            y = cl.conv2d(x, w, padding="same", dilation=d, method=method)
            assert y.shape == (2, 4, 9, 8)
            assert_matches(y, want, method, f"{method} K={K} d={d}")
        dy = rng.standard_normal(want.shape)
        want_grads = oracle.conv_backward(dy, x, w, (1, 1), sides, (d, d))
        for method in cl.BACKWARD_METHODS:
            for g, e in zip(cl.conv2d_backward(dy, x, w, padding="same", dilation=d, method=method), want_grads):
                np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10, err_msg=method)

    def test_a_2x2_same_kernel_reads_the_row_below_not_the_row_above(self):
        """PyTorch puts the odd zero at the bottom/right, so y[0, 0] reads x[0:2, 0:2]."""
        x = np.arange(1, 10, dtype=float).reshape(1, 1, 3, 3)
        w = np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])
        y = cl.conv2d(x, w, padding="same")[0, 0]
        assert y[0, 0] == 1 * 1 + 2 * 10 + 4 * 100 + 5 * 1000
        assert y[2, 2] == 9 * 1  # the bottom-right output reads only x[2, 2]; the rest is padding

    def test_same_with_winograd(self):
        rng = np.random.default_rng(3)
        x, w = rng.standard_normal((2, 2, 6, 5)), rng.standard_normal((3, 2, 3, 3))
        assert_matches(cl.conv2d(x, w, padding="same", method="winograd"), cl.conv2d(x, w, padding=1), "winograd")

    def test_valid_is_no_padding(self):
        rng = np.random.default_rng(4)
        x, w = rng.standard_normal((1, 2, 7, 6)), rng.standard_normal((3, 2, 2, 3))
        np.testing.assert_array_equal(cl.conv2d(x, w, padding="valid", stride=2), cl.conv2d(x, w, stride=2))

    def test_same_refuses_a_stride(self):
        x, w = np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3))
        with pytest.raises(ValueError, match=r"padding='same' needs stride 1.*stride=\(2, 1\)"):
            cl.conv2d(x, w, padding="same", stride=(2, 1))
        with pytest.raises(ValueError, match=r"padding='same' needs stride 1"):
            cl.Conv2d(1, 1, 3, padding="same", stride=2)

    @pytest.mark.parametrize("bad", ["full", "SAME", ""])
    def test_other_strings_are_refused_by_name(self, bad):
        with pytest.raises(TypeError, match=r"padding must be an int, a pair, 'valid' or 'same', got"):
            cl.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), padding=bad)

    def test_negative_side_is_refused(self):
        with pytest.raises(ValueError, match=r"padding\[0\] \(top, bottom\) must be >= 0"):
            cl.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), padding=((-1, 1), (0, 0)))

    def test_layer_with_same_padding(self):
        layer = cl.Conv2d(2, 3, (2, 3), padding="same", rng=0)
        assert layer.padding == "same" and "padding='same'" in repr(layer)
        x = np.random.default_rng(5).standard_normal((2, 2, 5, 6))
        y = layer(x)
        assert y.shape == (2, 3, 5, 6)
        sides = ((0, 1), (1, 1))  # KH = 2: one zero, at the bottom; KW = 3: one on each side
        np.testing.assert_allclose(y, oracle.conv_forward(x, layer.weight, layer.bias, (1, 1), sides, (1, 1)))
        dx = layer.backward(np.ones_like(y))
        want = oracle.conv_backward(np.ones_like(y), x, layer.weight, (1, 1), sides, (1, 1))[0]
        np.testing.assert_allclose(dx, want, atol=1e-12)

    def test_layer_with_uneven_padding(self):
        layer = cl.Conv2d(1, 1, 2, padding=((0, 1), (1, 0)), rng=0)
        assert layer.padding == ((0, 1), (1, 0))
        assert cl.Conv2d(1, 1, 2, padding=((1, 1), (2, 2))).padding == (1, 2)


class TestPad2dCrops:
    def test_cropping_more_rows_than_exist_is_refused(self):
        message = r"padding \(\(-5, 2\), \(0, 0\)\) crops 5 rows/columns from an input height of 4"
        with pytest.raises(ValueError, match=message):
            cl.pad2d(np.ones((4, 4)), ((-5, 2), (0, 0)))
        with pytest.raises(ValueError, match=r"crops 5 rows/columns from an input width of 4"):
            cl.pad2d(np.ones((4, 4)), ((0, 0), (3, -5)))

    def test_cropping_every_row_into_added_zeros_is_allowed(self):
        out = cl.pad2d(np.ones((4, 4)), ((-4, 2), (0, 0)))
        np.testing.assert_array_equal(out, np.zeros((2, 4)))
        np.testing.assert_array_equal(cl.pad2d(np.ones((2, 2)), ((-2, 1), (0, 0))), np.zeros((1, 2)))


def test_torch_agrees_where_installed():
    """PyTorch's own "same" and explicit padding; runs only where torch is installed (it is not required)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(6)
    for K, d in ((2, 1), (4, 2), (3, 1)):
        x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, K, K))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns that an even kernel makes it copy the input
            want = F.conv2d(torch.tensor(x), torch.tensor(w), padding="same", dilation=d).numpy()
        np.testing.assert_allclose(cl.conv2d(x, w, padding="same", dilation=d), want, atol=1e-10)
    x, w = rng.standard_normal((1, 2, 6, 7)), rng.standard_normal((3, 2, 3, 2))
    padded = F.pad(torch.tensor(x), (2, 0, 1, 3))  # torch's order: (left, right, top, bottom)
    want = F.conv2d(padded, torch.tensor(w), stride=2).numpy()
    np.testing.assert_allclose(cl.conv2d(x, w, padding=((1, 3), (2, 0)), stride=2), want, atol=1e-10)


class TestOneAxis:
    @settings(max_examples=60, deadline=None)
    @given(uneven_axis())
    def test_size_leftover_and_rows_read_with_uneven_padding(self, axis):
        size, K, s, (before, after), d = axis
        OH = oracle._out(size, K, s, (before, after), d)
        assert cl.output_size(size, K, s, (before, after), d) == OH
        assert cl.stride_leftover(size, K, s, (before, after), d) == (size + before + after - d * (K - 1) - 1) % s
        coverage = oracle.coverage(size, 1, K, 1, (s, 1), ((before, after), (0, 0)), (d, 1))[:, 0]
        np.testing.assert_array_equal(cl.rows_read(size, K, s, (before, after), d), coverage > 0)

    def test_same_and_valid_on_one_axis(self):
        assert cl.output_size(7, 4, padding="same") == 7
        assert cl.output_size(7, 4, padding="valid") == 4
        assert cl.rows_read(5, 2, padding="same").all()
        with pytest.raises(ValueError, match=r"padding='same' needs stride 1"):
            cl.output_size(7, 3, stride=2, padding="same")


class TestPictures:
    def test_unread_mask_with_uneven_padding(self):
        from conv_lab import draw

        H, W, K, s = 7, 6, (2, 3), (3, 2)
        mask = draw.unread_mask(H, W, K, s, ((0, 2), (1, 0)))
        assert mask.shape == (H + 2, W + 1)
        rows, cols = cl.rows_read(H, 2, 3, (0, 2)), cl.rows_read(W, 3, 2, (1, 0))
        np.testing.assert_array_equal(mask[0:H, 1:], ~rows[:, None] | ~cols[None, :])
        assert not mask[H:].any() and not mask[:, 0].any()  # padding is never marked

    def test_window_step_draws_same_padding_of_an_even_kernel(self):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from conv_lab import draw

        x = np.arange(1.0, 17.0).reshape(4, 4)
        w = np.array([[1.0, 2.0], [3.0, 4.0]])
        fig = draw.window_step(x, w, 3, 3, padding="same")
        texts = [t.get_text() for t in fig.axes[0].texts]
        want = cl.conv2d(x[None, None], w[None, None], padding="same")[0, 0, 3, 3]
        assert want == 16 * 1  # the bottom-right window reads x[3, 3] and three zeros of the bottom/right padding
        assert f"{want:g}" in fig.axes[0].get_title() + fig.axes[2].get_title()
        assert "16×1" in "".join(texts)  # the window's first tap is the last input pixel
        plt.close(fig)


def test_the_transposed_convolution_takes_the_forward_layers_padding_string():
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 2, 3))
    dy = rng.standard_normal(cl.conv2d(x, w, padding="same").shape)
    dx = cl.conv2d_backward(dy, x, w, padding="same")[0]
    np.testing.assert_allclose(cl.conv_transpose2d(dy, w, padding="same"), dx, atol=1e-12)


def test_the_animation_and_the_window_step_take_every_padding_and_check_w_first():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from conv_lab import draw

    x, w = np.arange(16.0).reshape(4, 4), np.ones((2, 2))
    assert "<" in draw.sliding_animation(x, w, padding="same")  # HTML of the animation, one frame per output
    plt.close("all")
    with pytest.raises(ValueError, match=r"^w must be 2-D"):
        draw.window_step(x, np.ones(3), 0, 0, padding="same")
    with pytest.raises(ValueError, match=r"^stride must be >= 1"):
        draw.unread_mask(4, 4, 2, stride=0)
