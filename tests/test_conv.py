"""conv2d, conv2d_backward and conv_transpose2d against the scalar-loop oracle."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import conv_lab as cl
import conv_lab.columns as columns
from conv_lab._checks import geometry
from tests import oracle
from tests.strategies import HARD_CASES, cases

hard = [example(case=c) for c in HARD_CASES.values()]


def with_hard_cases(test):
    for ex in hard:
        test = ex(test)
    return test


def test_hard_cases_are_hard():
    """The named cases really exercise a != 0, crop, dilation, even and non-square kernels."""
    cs = list(HARD_CASES.values())
    assert any(max(c.leftover()) > 0 for c in cs)
    assert any(max(c.leftover()) == 2 for c in cs)
    assert any(p > d * (K - 1) for c in cs for p, d, K in zip(c.padding, c.dilation, c.w.shape[2:]))
    assert any(max(c.dilation) == 3 for c in cs)
    assert any(c.w.shape[2] % 2 == 0 and c.w.shape[2] != c.w.shape[3] for c in cs)


class TestConv2d:
    @pytest.mark.parametrize("method", cl.FORWARD_METHODS)
    @given(case=cases())
    @with_hard_cases
    @settings(max_examples=100)
    def test_matches_loop_oracle(self, method, case):
        expected = oracle.conv_forward(case.x, case.w, case.b, **case.settings)
        got = cl.conv2d(case.x, case.w, case.b, method=method, **case.settings)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)

    @given(case=cases())
    @settings(max_examples=100)
    def test_methods_agree_to_1e_12(self, case):
        ys = [cl.conv2d(case.x, case.w, case.b, method=m, **case.settings) for m in cl.FORWARD_METHODS]
        for y in ys[1:]:
            np.testing.assert_allclose(y, ys[0], rtol=0, atol=1e-12)

    def test_without_bias_equals_zero_bias(self):
        c = HARD_CASES["dilation 3"]
        y0 = cl.conv2d(c.x, c.w, None, **c.settings)
        y1 = cl.conv2d(c.x, c.w, np.zeros(c.w.shape[0]), **c.settings)
        np.testing.assert_array_equal(y0, y1)

    @pytest.mark.parametrize("method", cl.FORWARD_METHODS)
    def test_float32_in_float32_out(self, method):
        c = HARD_CASES["leftover a=1"]
        y = cl.conv2d(
            c.x.astype(np.float32), c.w.astype(np.float32), c.b.astype(np.float32), method=method, **c.settings
        )
        assert y.dtype == np.float32
        np.testing.assert_allclose(y, oracle.conv_forward(c.x, c.w, c.b, **c.settings), rtol=1e-4, atol=1e-4)

    @pytest.mark.parametrize("method", cl.FORWARD_METHODS)
    def test_integer_inputs_give_exact_integers(self, method):
        x = np.arange(2 * 2 * 5 * 6).reshape(2, 2, 5, 6)
        w = np.arange(3 * 2 * 2 * 3).reshape(3, 2, 2, 3) - 10
        y = cl.conv2d(x, w, np.array([1, 2, 3]), stride=2, padding=1, method=method)
        assert y.dtype.kind == "i"
        np.testing.assert_array_equal(y, oracle.conv_forward(x, w, [1, 2, 3], (2, 2), (1, 1), (1, 1)))

    def test_pair_and_int_arguments_mean_the_same(self):
        c = HARD_CASES["leftover a=1"]
        np.testing.assert_array_equal(
            cl.conv2d(c.x, c.w, stride=2, padding=1, dilation=1),
            cl.conv2d(c.x, c.w, stride=(2, 2), padding=[1, 1], dilation=(1, 1)),
        )


class TestBlockedGemmPaths:
    """The im2col method picks a memory layout by channel count and works in blocks of samples."""

    @pytest.mark.parametrize("block_bytes", [1, columns.BLOCK_BYTES])
    @given(case=cases(max_batch=3, channels=(1, 20)))
    @settings(max_examples=30)
    def test_every_layout_and_block_size(self, block_bytes, case):
        """C from 1 to 20 crosses CHANNELS_LAST_MIN_C; block_bytes=1 makes every sample its own block."""
        original = columns.BLOCK_BYTES
        columns.BLOCK_BYTES = block_bytes
        try:
            y = cl.conv2d(case.x, case.w, case.b, method="im2col", **case.settings)
            dy = np.random.default_rng(8).standard_normal(y.shape)
            dx, dw, db = cl.conv2d_backward(dy, case.x, case.w, method="im2col", **case.settings)
        finally:
            columns.BLOCK_BYTES = original
        np.testing.assert_allclose(y, oracle.conv_forward(case.x, case.w, case.b, **case.settings), atol=1e-11)
        for got, want in zip((dx, dw, db), oracle.conv_backward(dy, case.x, case.w, **case.settings)):
            np.testing.assert_allclose(got, want, atol=1e-11)

    def test_both_layouts_are_reached(self):
        assert columns.CHANNELS_LAST_MIN_C <= 20

    @given(N=st.integers(1, 64), C=st.integers(1, 64), H=st.integers(1, 80), K=st.integers(1, 5))
    @settings(max_examples=200)
    def test_a_block_holds_about_block_bytes_and_at_least_one_sample(self, N, C, H, K):
        g = geometry((N, C, H, H), K, 1, 1, K // 2, 1)
        per_sample = g.OH * g.OW * C * K * K * 8  # bytes of copied windows, float64
        step = columns._block_size(g, 8)
        assert 1 <= step <= N
        if step > 1:
            assert step * per_sample <= 4 / 3 * columns.BLOCK_BYTES
        if step < N:
            assert (step + 1) * per_sample > columns.BLOCK_BYTES  # one more sample would not fit

    @pytest.mark.parametrize(
        "x_shape, kernel_size, stride, padding, samples",
        [
            ((2, 3, 7, 6), (3, 2), 2, 1, 2),  # notebook 02, section 2: 2304 bytes a sample, one block
            ((32, 64, 32, 32), 3, 1, 1, 1),  # notebook 02, section 5: 4.5 MiB a sample, one sample a block
        ],
    )
    def test_notebook_02s_blocks(self, x_shape, kernel_size, stride, padding, samples):
        assert columns.BLOCK_BYTES == 2.5 * 2**20
        g = geometry(x_shape, kernel_size, 4, stride, padding, 1)
        assert columns._block_size(g, 8) == samples


class TestConv2dBackward:
    @pytest.mark.parametrize("method", cl.BACKWARD_METHODS)
    @given(case=cases())
    @with_hard_cases
    @settings(max_examples=100)
    def test_matches_scatter_oracle(self, method, case):
        y = oracle.conv_forward(case.x, case.w, None, **case.settings)
        dy = np.random.default_rng(1).standard_normal(y.shape)
        expected = oracle.conv_backward(dy, case.x, case.w, **case.settings)
        got = cl.conv2d_backward(dy, case.x, case.w, method=method, **case.settings)
        for name, g, e in zip(("dx", "dw", "db"), got, expected):
            assert g.shape == e.shape, name
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12, err_msg=name)

    @given(case=cases())
    @settings(max_examples=100)
    def test_methods_agree_to_1e_12(self, case):
        y = cl.conv2d(case.x, case.w, **case.settings)
        dy = np.random.default_rng(2).standard_normal(y.shape)
        results = [cl.conv2d_backward(dy, case.x, case.w, method=m, **case.settings) for m in cl.BACKWARD_METHODS]
        for other in results[1:]:
            for g, e in zip(other, results[0]):
                np.testing.assert_allclose(g, e, rtol=0, atol=1e-12)

    def test_leftover_rows_get_zero_gradient(self):
        c = HARD_CASES["leftover a=2"]  # H=9, p=1, K=3, s=3: a=2, padded rows 9, 10 are never reached
        dy = np.ones(cl.conv2d(c.x, c.w, **c.settings).shape)
        for method in cl.BACKWARD_METHODS:
            dx, _, _ = cl.conv2d_backward(dy, c.x, c.w, method=method, **c.settings)
            np.testing.assert_array_equal(dx[:, :, -1, :], 0)  # padded row 9 = input row 8
            np.testing.assert_array_equal(dx[:, :, :, -1], 0)
            assert np.all(np.abs(dx[:, :, -2, :-1]).sum() > 0)


@pytest.mark.parametrize("method", cl.BACKWARD_METHODS)
@pytest.mark.parametrize("name", sorted(HARD_CASES))
def test_gradients_match_float64_numerical_gradient(method, name):
    c = HARD_CASES[name]
    # keep it quick: one sample, the full spatial extent
    x, w, b = c.x[:1], c.w, c.b
    y = cl.conv2d(x, w, b, **c.settings)
    dy = np.random.default_rng(3).standard_normal(y.shape)
    dx, dw, db = cl.conv2d_backward(dy, x, w, method=method, **c.settings)
    num_dx = cl.numerical_gradient(lambda t: cl.conv2d(t, w, b, **c.settings), x, dy)
    num_dw = cl.numerical_gradient(lambda t: cl.conv2d(x, t, b, **c.settings), w, dy)
    num_db = cl.numerical_gradient(lambda t: cl.conv2d(x, w, t, **c.settings), b, dy)
    assert cl.rel_error(dx, num_dx) < 1e-7
    assert cl.rel_error(dw, num_dw) < 1e-7
    assert cl.rel_error(db, num_db) < 1e-7


class TestConvTranspose2d:
    @given(case=cases())
    @with_hard_cases
    @settings(max_examples=100)
    def test_with_output_padding_a_equals_dx(self, case):
        y = cl.conv2d(case.x, case.w, **case.settings)
        dy = np.random.default_rng(4).standard_normal(y.shape)
        dx = oracle.conv_backward(dy, case.x, case.w, **case.settings)[0]
        got = cl.conv_transpose2d(dy, case.w, case.stride, case.padding, case.leftover(), case.dilation)
        assert got.shape == case.x.shape
        np.testing.assert_allclose(got, dx, rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize(
        "stride, padding, output_padding, dilation",
        [(1, 0, 0, 1), (2, 1, 1, 1), (3, 0, 2, 1), (1, 2, 1, 2), ((2, 3), (0, 1), (1, 2), (1, 1)), (2, 0, 2, 3)],
    )
    def test_matches_stamping_oracle(self, stride, padding, output_padding, dilation):
        rng = np.random.default_rng(5)
        y = rng.standard_normal((2, 3, 4, 3))
        w = rng.standard_normal((3, 2, 3, 2))
        pair = lambda v: v if isinstance(v, tuple) else (v, v)  # noqa: E731
        expected = oracle.conv_transpose(y, w, pair(stride), pair(padding), pair(output_padding), pair(dilation))
        got = cl.conv_transpose2d(y, w, stride, padding, output_padding, dilation)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)

    def test_output_padding_picks_among_input_sizes(self):
        """H = 5, 6 both give OH = 2 at K=3, s=2; output_padding 0 and 1 recover them."""
        w = np.ones((1, 1, 3, 3))
        dy = np.ones((1, 1, 2, 2))
        for H in (5, 6):
            assert cl.output_size(H, 3, stride=2) == 2
            a = cl.stride_leftover(H, 3, stride=2)
            assert cl.conv_transpose2d(dy, w, 2, 0, a).shape == (1, 1, H, H)


def test_adjoint_identity_conv_and_transpose():
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)>, in the crop case."""
    c = HARD_CASES["padding beyond reach"]
    y = np.random.default_rng(6).standard_normal(cl.conv2d(c.x, c.w, **c.settings).shape)
    lhs = np.vdot(cl.conv2d(c.x, c.w, **c.settings), y)
    rhs = np.vdot(c.x, cl.conv_transpose2d(y, c.w, c.stride, c.padding, c.leftover(), c.dilation))
    assert abs(lhs - rhs) < 1e-10 * max(1.0, abs(lhs))


@pytest.mark.parametrize("method", cl.BACKWARD_METHODS)
def test_backward_and_transpose_keep_float32(method):
    c = HARD_CASES["dilation 3"]
    x, w = c.x.astype(np.float32), c.w.astype(np.float32)
    dy = np.ones(cl.conv2d(x, w, **c.settings).shape, dtype=np.float32)
    grads = cl.conv2d_backward(dy, x, w, method=method, **c.settings)
    assert [g.dtype for g in grads] == [np.float32] * 3
    want = oracle.conv_backward(dy, c.x, c.w, **c.settings)
    for g, e in zip(grads, want):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-3)
    assert cl.conv_transpose2d(dy, w, c.stride, c.padding, c.leftover(), c.dilation).dtype == np.float32


def test_integer_backward_is_exact():
    x = np.arange(2 * 2 * 6 * 5).reshape(2, 2, 6, 5) % 7
    w = np.arange(3 * 2 * 3 * 2).reshape(3, 2, 3, 2) % 5 - 2
    dy = np.arange(2 * 3 * 2 * 3).reshape(2, 3, 2, 3) % 3 - 1
    want = oracle.conv_backward(dy, x, w, (2, 2), (0, 1), (1, 1))
    for method in cl.BACKWARD_METHODS:
        for g, e in zip(cl.conv2d_backward(dy, x, w, stride=2, padding=(0, 1), method=method), want):
            assert g.dtype.kind == "i"
            np.testing.assert_array_equal(g, e)
