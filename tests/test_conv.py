"""conv2d, conv2d_backward and conv_transpose2d against the scalar-loop oracle."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import conv_lab as cl
import conv_lab.columns as columns
from conv_lab._checks import geometry
from tests import oracle
from tests.strategies import (
    ANY_LAYER_METHODS,
    GROUPED_CASES,
    HARD_CASES,
    WINOGRAD_CASES,
    assert_matches,
    cases,
    make_case,
    methods_for,
    winograd_cases,
)

hard = [example(case=c) for c in (*HARD_CASES.values(), *GROUPED_CASES.values())]


def with_hard_cases(test):
    for ex in hard:
        test = ex(test)
    return test


def test_hard_cases_are_hard():
    """The named cases really exercise a != 0, crop, dilation, even and non-square kernels, groups."""
    cs = list(HARD_CASES.values())
    assert any(max(c.leftover()) > 0 for c in cs)
    assert any(max(c.leftover()) == 2 for c in cs)
    assert any(p > d * (K - 1) for c in cs for p, d, K in zip(c.padding, c.dilation, c.w.shape[2:]))
    assert any(max(c.dilation) == 3 for c in cs)
    assert any(c.w.shape[2] % 2 == 0 and c.w.shape[2] != c.w.shape[3] for c in cs)
    gs = list(GROUPED_CASES.values())
    assert {c.groups for c in gs} >= {2, 3, 4} and any(c.groups == c.x.shape[1] for c in gs)  # depthwise
    assert any(c.w.shape[0] > c.groups == c.x.shape[1] for c in gs)  # depthwise, several filters per channel
    assert all(max(c.leftover()) > 0 for c in gs)
    ws = list(WINOGRAD_CASES.values())
    assert any(o % 2 for c in ws for o in cl.conv2d(c.x, c.w, **c.layer).shape[2:])  # odd output sizes
    assert any(p > 2 for c in ws for p in c.padding) and {c.groups for c in ws} >= {1, 2, 3}


class TestConv2d:
    @pytest.mark.parametrize("method", ANY_LAYER_METHODS)
    @given(case=cases(grouped=True))
    @with_hard_cases
    @settings(max_examples=100)
    def test_matches_loop_oracle(self, method, case):
        expected = oracle.conv_forward(case.x, case.w, case.b, **case.layer)
        got = cl.conv2d(case.x, case.w, case.b, method=method, **case.layer)
        assert_matches(got, expected, method)

    @given(case=st.one_of(winograd_cases(), cases(grouped=True)))
    @settings(max_examples=100)
    def test_methods_agree(self, case):
        """The direct methods to 1e-12 of each other; FFT and Winograd (where it applies) within 1e-10 relative."""
        ys = {m: cl.conv2d(case.x, case.w, case.b, method=m, **case.layer) for m in methods_for(case)}
        for m, y in ys.items():
            assert_matches(y, ys["im2col"], m, m)

    def test_without_bias_equals_zero_bias(self):
        c = HARD_CASES["dilation 3"]
        y0 = cl.conv2d(c.x, c.w, None, **c.settings)
        y1 = cl.conv2d(c.x, c.w, np.zeros(c.w.shape[0]), **c.settings)
        np.testing.assert_array_equal(y0, y1)

    @pytest.mark.parametrize("method", cl.FORWARD_METHODS)
    @pytest.mark.parametrize("grouped", [False, True], ids=["dense", "grouped"])
    def test_float32_in_float32_out(self, method, grouped):
        if method == "winograd":
            c = WINOGRAD_CASES["two groups" if grouped else "odd output, dense"]
        else:
            c = GROUPED_CASES["two groups, leftover, even kernel"] if grouped else HARD_CASES["leftover a=1"]
        y = cl.conv2d(c.x.astype(np.float32), c.w.astype(np.float32), c.b.astype(np.float32), method=method, **c.layer)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y, oracle.conv_forward(c.x, c.w, c.b, **c.layer), rtol=1e-4, atol=1e-4)

    @pytest.mark.parametrize("method", cl.FORWARD_METHODS)
    @pytest.mark.parametrize("groups", [1, 2])
    def test_integer_inputs_give_exact_integers(self, method, groups):
        kernel, stride = ((3, 3), 1) if method == "winograd" else ((2, 3), 2)
        x = np.arange(2 * 2 * 5 * 6).reshape(2, 2, 5, 6)
        w = np.arange(4 * (2 // groups) * kernel[0] * kernel[1]).reshape(4, 2 // groups, *kernel) - 10
        b = np.array([1, 2, 3, 4])
        y = cl.conv2d(x, w, b, stride=stride, padding=1, method=method, groups=groups)
        assert y.dtype.kind == "i"
        s = (stride, stride)
        np.testing.assert_array_equal(y, oracle.conv_forward(x, w, b, s, (1, 1), (1, 1), groups))

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
        self.check(case, block_bytes)

    @pytest.mark.parametrize("block_bytes", [1, columns.BLOCK_BYTES])
    @pytest.mark.parametrize("C, F, groups", [(32, 8, 2), (32, 4, 1), (32, 32, 32), (36, 6, 2), (6, 6, 3)])
    def test_grouped_layouts(self, block_bytes, C, F, groups):
        """C/groups >= CHANNELS_LAST_MIN_C is channels-last, split by group; fewer is channels-first."""
        c = make_case((3, C, 6, 5), (F, C // groups, 3, 2), (2, 1), (1, 2), (1, 2), seed=C + F, groups=groups)
        self.check(c, block_bytes)

    @staticmethod
    def check(case, block_bytes):
        original = columns.BLOCK_BYTES
        columns.BLOCK_BYTES = block_bytes
        try:
            y = cl.conv2d(case.x, case.w, case.b, method="im2col", **case.layer)
            dy = np.random.default_rng(8).standard_normal(y.shape)
            dx, dw, db = cl.conv2d_backward(dy, case.x, case.w, method="im2col", **case.layer)
        finally:
            columns.BLOCK_BYTES = original
        np.testing.assert_allclose(y, oracle.conv_forward(case.x, case.w, case.b, **case.layer), atol=1e-11)
        for got, want in zip((dx, dw, db), oracle.conv_backward(dy, case.x, case.w, **case.layer)):
            np.testing.assert_allclose(got, want, atol=1e-11)

    def test_both_layouts_are_reached(self):
        assert columns.CHANNELS_LAST_MIN_C <= 16  # C/groups = 16 and 18 above, and 1, 2 and 3

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
    @given(case=cases(grouped=True))
    @with_hard_cases
    @settings(max_examples=100)
    def test_matches_scatter_oracle(self, method, case):
        y = oracle.conv_forward(case.x, case.w, None, **case.layer)
        dy = np.random.default_rng(1).standard_normal(y.shape)
        expected = oracle.conv_backward(dy, case.x, case.w, **case.layer)
        got = cl.conv2d_backward(dy, case.x, case.w, method=method, **case.layer)
        for name, g, e in zip(("dx", "dw", "db"), got, expected):
            assert g.shape == e.shape, name
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12, err_msg=name)

    @given(case=cases(grouped=True))
    @settings(max_examples=100)
    def test_methods_agree_to_1e_12(self, case):
        y = cl.conv2d(case.x, case.w, **case.layer)
        dy = np.random.default_rng(2).standard_normal(y.shape)
        results = [cl.conv2d_backward(dy, case.x, case.w, method=m, **case.layer) for m in cl.BACKWARD_METHODS]
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


ALL_NAMED = {**HARD_CASES, **GROUPED_CASES}


@pytest.mark.parametrize("method", cl.BACKWARD_METHODS)
@pytest.mark.parametrize("name", sorted(ALL_NAMED))
def test_gradients_match_float64_numerical_gradient(method, name):
    c = ALL_NAMED[name]
    # keep it quick: one sample, the full spatial extent
    x, w, b = c.x[:1], c.w, c.b
    y = cl.conv2d(x, w, b, **c.layer)
    dy = np.random.default_rng(3).standard_normal(y.shape)
    dx, dw, db = cl.conv2d_backward(dy, x, w, method=method, **c.layer)
    num_dx = cl.numerical_gradient(lambda t: cl.conv2d(t, w, b, **c.layer), x, dy)
    num_dw = cl.numerical_gradient(lambda t: cl.conv2d(x, t, b, **c.layer), w, dy)
    num_db = cl.numerical_gradient(lambda t: cl.conv2d(x, w, t, **c.layer), b, dy)
    assert cl.rel_error(dx, num_dx) < 1e-7
    assert cl.rel_error(dw, num_dw) < 1e-7
    assert cl.rel_error(db, num_db) < 1e-7


class TestConvTranspose2d:
    @given(case=cases(grouped=True))
    @with_hard_cases
    @settings(max_examples=100)
    def test_with_output_padding_a_equals_dx(self, case):
        y = cl.conv2d(case.x, case.w, **case.layer)
        dy = np.random.default_rng(4).standard_normal(y.shape)
        dx = oracle.conv_backward(dy, case.x, case.w, **case.layer)[0]
        got = cl.conv_transpose2d(
            dy, case.w, case.stride, case.padding, case.leftover(), case.dilation, groups=case.groups
        )
        assert got.shape == case.x.shape
        np.testing.assert_allclose(got, dx, rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("groups", [1, 3])
    @pytest.mark.parametrize(
        "stride, padding, output_padding, dilation",
        [(1, 0, 0, 1), (2, 1, 1, 1), (3, 0, 2, 1), (1, 2, 1, 2), ((2, 3), (0, 1), (1, 2), (1, 1)), (2, 0, 2, 3)],
    )
    def test_matches_stamping_oracle(self, stride, padding, output_padding, dilation, groups):
        rng = np.random.default_rng(5)
        y = rng.standard_normal((2, 3, 4, 3))
        w = rng.standard_normal((3, 2, 3, 2))  # groups=3: F=3 filters, each mapped back to its own 2 channels of 6
        pair = lambda v: v if isinstance(v, tuple) else (v, v)  # noqa: E731
        expected = oracle.conv_transpose(
            y, w, pair(stride), pair(padding), pair(output_padding), pair(dilation), groups
        )
        got = cl.conv_transpose2d(y, w, stride, padding, output_padding, dilation, groups)
        assert got.shape[1] == 2 * groups
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)

    def test_output_padding_picks_among_input_sizes(self):
        """H = 5, 6 both give OH = 2 at K=3, s=2; output_padding 0 and 1 recover them."""
        w = np.ones((1, 1, 3, 3))
        dy = np.ones((1, 1, 2, 2))
        for H in (5, 6):
            assert cl.output_size(H, 3, stride=2) == 2
            a = cl.stride_leftover(H, 3, stride=2)
            assert cl.conv_transpose2d(dy, w, 2, 0, a).shape == (1, 1, H, H)


@given(case=cases(grouped=True))
@example(case=HARD_CASES["padding beyond reach"])  # the crop case
@example(case=GROUPED_CASES["depthwise x2, dilation 2"])
@settings(max_examples=60)
def test_adjoint_identity_conv_and_transpose(case):
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)>, with groups too."""
    c = case
    y = np.random.default_rng(6).standard_normal(cl.conv2d(c.x, c.w, **c.layer).shape)
    lhs = np.vdot(cl.conv2d(c.x, c.w, **c.layer), y)
    rhs = np.vdot(c.x, cl.conv_transpose2d(y, c.w, c.stride, c.padding, c.leftover(), c.dilation, groups=c.groups))
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
