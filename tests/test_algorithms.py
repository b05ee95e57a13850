"""Grouped convolution, the FFT method and Winograd's F(2x2, 3x3), each held to what it rests on.

Every method is also run on the shared property-based cases against the loop oracle in
tests/test_conv.py (grouped cases included) and by category in tests/test_edges.py. Here:
the identities behind each algorithm, larger layers, and what their docstrings promise.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import conv_lab as cl
from tests import oracle
from tests.strategies import ANY_LAYER_METHODS, GROUPED_CASES, WINOGRAD_CASES, cases, make_case, winograd_cases

# ---------------------------------------------------------------------------------------------
# Groups
# ---------------------------------------------------------------------------------------------


class TestGroupedIdentities:
    @pytest.mark.parametrize("method", ANY_LAYER_METHODS)
    @given(case=cases(grouped=True))
    @example(case=GROUPED_CASES["depthwise x2, dilation 2"])
    @settings(max_examples=40)
    def test_a_grouped_layer_is_a_dense_layer_with_a_block_diagonal_weight(self, method, case):
        dense = cl.grouped.block_diagonal(case.w, case.groups)
        assert dense.shape == (case.w.shape[0], case.x.shape[1], *case.w.shape[2:])
        got = cl.conv2d(case.x, case.w, case.b, method=method, **case.layer)
        np.testing.assert_allclose(got, cl.conv2d(case.x, dense, case.b, **case.settings), rtol=1e-10, atol=1e-10)

    @given(case=cases(grouped=True))
    @settings(max_examples=40)
    def test_each_group_is_its_own_convolution(self, case):
        """Group g of the output is the dense convolution of channel block g with filter block g."""
        G, C, F = case.groups, case.x.shape[1], case.w.shape[0]
        y = cl.conv2d(case.x, case.w, **case.layer)
        for g in range(G):
            xs, fs = slice(g * C // G, (g + 1) * C // G), slice(g * F // G, (g + 1) * F // G)
            np.testing.assert_allclose(y[:, fs], cl.conv2d(case.x[:, xs], case.w[fs], **case.settings), atol=1e-12)

    def test_block_diagonal_puts_each_block_on_the_diagonal(self):
        w = np.arange(1, 6 * 2 * 1 * 1 + 1).reshape(6, 2, 1, 1)  # 3 groups: 2 filters x 2 channels each
        dense = cl.grouped.block_diagonal(w, 3)[:, :, 0, 0]
        want = np.zeros((6, 6), dtype=w.dtype)
        for g in range(3):
            want[2 * g : 2 * g + 2, 2 * g : 2 * g + 2] = w[2 * g : 2 * g + 2, :, 0, 0]
        np.testing.assert_array_equal(dense, want)
        assert dense.dtype == w.dtype and np.count_nonzero(dense) == w.size  # G times fewer parameters
        np.testing.assert_array_equal(cl.grouped.block_diagonal(w, 1), w)  # one group: the weight itself

    def test_groups_1_is_the_ordinary_layer(self):
        c = GROUPED_CASES["two groups, leftover, even kernel"]
        w = np.concatenate([c.w, c.w], axis=1)  # (F, C, KH, KW)
        for method in ANY_LAYER_METHODS:
            np.testing.assert_array_equal(
                cl.conv2d(c.x, w, method=method, groups=1, **c.settings), cl.conv2d(c.x, w, method=method, **c.settings)
            )

    def test_integer_backward_with_groups_is_exact(self):
        c = GROUPED_CASES["depthwise x2, dilation 2"]
        x, w = np.round(c.x * 5).astype(np.int16), np.round(c.w * 5).astype(np.int8)
        dy = np.round(np.random.default_rng(0).standard_normal(cl.conv2d(x, w, **c.layer).shape) * 5).astype(int)
        want = oracle.conv_backward(dy, x, w, **c.layer)  # float64 sums of small integers: exact
        for method in cl.BACKWARD_METHODS:
            for got, e in zip(cl.conv2d_backward(dy, x, w, method=method, **c.layer), want):
                assert got.dtype == np.int64
                np.testing.assert_array_equal(got, e)


LIBRARY = str(Path(cl.__file__).parent)


def lines_run(fn):
    """How many lines of conv_lab's own code ``fn()`` executes (sys.settrace line events)."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        count += event == "line"
        return local

    def tracer(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(LIBRARY) else None

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


def _run(name, x, w, dy, groups):
    kind, method = name.rstrip("]").split("[") if "[" in name else (name, None)
    if kind == "conv2d":
        return cl.conv2d(x, w, padding=1, method=method, groups=groups)
    if kind == "backward":
        return cl.conv2d_backward(dy, x, w, padding=1, method=method, groups=groups)
    return cl.conv_transpose2d(dy, w, padding=1, groups=groups)


@pytest.mark.parametrize(
    "name",
    [f"conv2d[{m}]" for m in cl.FORWARD_METHODS] + [f"backward[{m}]" for m in cl.BACKWARD_METHODS] + ["transpose"],
)
def test_no_python_loop_over_the_groups(name):
    """A depthwise layer with 96 groups runs no more lines of Python than the dense layer of the same size.

    A loop over the groups would run its body 96 times. (Loops over pixels, taps and blocks of
    samples do not depend on the groups.)
    """
    rng = np.random.default_rng(0)
    C = 96
    x, dy = rng.standard_normal((2, C, 5, 4)), np.ones((2, C, 5, 4))
    counts = {}
    for groups in (1, C):
        w = rng.standard_normal((C, C // groups, 3, 3))
        counts[groups] = lines_run(lambda w=w, groups=groups: _run(name, x, w, dy, groups))
    assert counts[1] > 0 and counts[C] - counts[1] < 30, counts


# ---------------------------------------------------------------------------------------------
# FFT
# ---------------------------------------------------------------------------------------------


def _smooth(n):
    for p in (2, 3, 5):
        while n % p == 0:
            n //= p
    return n == 1


class TestFFT:
    def test_fast_length_is_the_next_5_smooth_number(self):
        smooth = [m for m in range(1, 2000) if _smooth(m)]
        for n in range(1, 1500):
            assert cl.fft.fast_length(n) == min(m for m in smooth if m >= n)

    @pytest.mark.parametrize(
        "x_shape, w_shape, stride, padding, dilation, groups",
        [
            ((2, 3, 24, 21), (4, 3, 7, 7), (1, 1), (3, 3), (1, 1), 1),  # a large kernel
            ((1, 4, 30, 28), (4, 2, 5, 4), (2, 3), (2, 0), (3, 2), 2),  # dilation spreads it over 13x7
            ((2, 6, 20, 20), (6, 1, 11, 11), (1, 1), (5, 5), (1, 1), 6),  # depthwise, 11x11
            ((1, 2, 17, 23), (3, 2, 2, 6), (3, 2), (4, 7), (2, 1), 1),  # padding beyond reach, leftover rows
        ],
    )
    def test_larger_layers_within_1e_10_of_the_oracle(self, x_shape, w_shape, stride, padding, dilation, groups):
        c = make_case(x_shape, w_shape, stride, padding, dilation, seed=sum(x_shape), groups=groups)
        want = oracle.conv_forward(c.x, c.w, c.b, **c.layer)
        got = cl.conv2d(c.x, c.w, c.b, method="fft", **c.layer)
        assert cl.rel_error(got, want) < 1e-10
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * np.abs(want).max())

    def test_no_wrap_around_in_the_outputs_kept(self):
        """With L = HR exactly (8 is 5-smooth), the circular correlation is right for i <= HR - EH, wrong after."""
        rng = np.random.default_rng(1)
        x, w = rng.standard_normal((1, 1, 8, 8)), rng.standard_normal((1, 1, 3, 3))
        assert cl.fft.fast_length(8) == 8
        circular = np.fft.irfft2(np.fft.rfft2(x[0, 0]) * np.conj(np.fft.rfft2(w[0, 0], s=(8, 8))), s=(8, 8))
        kept = oracle.conv_forward(x, w, None, (1, 1), (0, 0), (1, 1))[0, 0]  # 6x6: i, j <= 8 - 3
        np.testing.assert_allclose(circular[:6, :6], kept, atol=1e-12)
        # beyond, a window hangs over the bottom or right edge: the circular one wraps round to the top rows
        # and left columns, where a linear correlation reads zeros (x zero-extended by 2 on those sides)
        linear = oracle.conv_forward(np.pad(x, ((0, 0), (0, 0), (0, 2), (0, 2))), w, None, (1, 1), (0, 0), (1, 1))[0, 0]
        np.testing.assert_allclose(linear[:6, :6], kept, atol=1e-12)
        for i, j in [(6, 0), (7, 3), (0, 6), (7, 7)]:
            assert abs(circular[i, j] - linear[i, j]) > 1e-3, (i, j)
        np.testing.assert_allclose(cl.conv2d(x, w, method="fft")[0, 0], kept, atol=1e-12)

    def test_correlation_needs_the_conjugate(self):
        """Without conj, the product of transforms is a convolution: the flipped kernel's correlation."""
        rng = np.random.default_rng(2)
        x, w = rng.standard_normal((1, 1, 9, 9)), rng.standard_normal((1, 1, 3, 3))
        plain = np.fft.irfft2(np.fft.rfft2(x[0, 0]) * np.fft.rfft2(w[0, 0], s=(9, 9)), s=(9, 9))
        convolution = cl.conv2d(x, w[..., ::-1, ::-1])[0, 0]  # true convolution = correlation with rot180(w)
        np.testing.assert_allclose(plain[2:, 2:], convolution, atol=1e-12)
        assert not np.allclose(cl.conv2d(x, w, method="fft")[0, 0], convolution)

    @pytest.mark.parametrize("dtype, spectrum", [(np.float32, np.complex64), (np.float16, np.complex64)])
    def test_float32_is_transformed_in_complex64(self, dtype, spectrum, monkeypatch):
        c = WINOGRAD_CASES["two groups"]
        seen = []
        real_rfft2 = np.fft.rfft2
        monkeypatch.setattr(
            np.fft, "rfft2", lambda *a, **k: seen.append(real_rfft2(*a, **k).dtype) or real_rfft2(*a, **k)
        )
        y = cl.conv2d(c.x.astype(dtype), c.w.astype(dtype), method="fft", **c.layer)
        assert y.dtype == np.float32 and seen == [spectrum, spectrum]
        assert cl.rel_error(y, oracle.conv_forward(c.x.astype(dtype), c.w.astype(dtype), None, **c.layer)) < 1e-5

    def test_integers_are_not_transformed(self, monkeypatch):
        """An FFT rounds: 3 * (2**53 + 1) needs the exact int64 path."""
        x = np.zeros((1, 1, 4, 4), dtype=np.int64)
        x[0, 0, 1, 1] = 2**53 + 1
        w = np.full((1, 1, 3, 3), 3, dtype=np.int64)
        monkeypatch.setattr(np.fft, "rfft2", None)  # no transform is taken
        y = cl.conv2d(x, w, method="fft")
        assert y.dtype == np.int64 and (y == 3 * (2**53 + 1)).all()

    def test_non_finite_input_is_not_transformed(self, monkeypatch):
        c = WINOGRAD_CASES["odd output, dense"]
        x = c.x.copy()
        x[1, 2, 3, 3] = np.inf
        monkeypatch.setattr(np.fft, "rfft2", None)
        cl.check_close(cl.conv2d(x, c.w, method="fft"), cl.conv2d(x, c.w), "fft with an inf in x vs im2col")


# ---------------------------------------------------------------------------------------------
# Winograd
# ---------------------------------------------------------------------------------------------


def corr1d(d, g):
    return np.array([d[i] * g[0] + d[i + 1] * g[1] + d[i + 2] * g[2] for i in range(len(d) - 2)])


class TestWinograd:
    def test_transform_matrices(self):
        B_T, G, A_T = cl.winograd.B_T, cl.winograd.G, cl.winograd.A_T
        assert (B_T.shape, G.shape, A_T.shape) == ((4, 4), (4, 3), (2, 4))
        assert B_T.dtype == G.dtype == A_T.dtype == np.float64
        for m in (B_T, G, A_T):
            with pytest.raises(ValueError, match="read-only"):
                m[0, 0] = 7
        assert set(np.unique(B_T)) <= {-1, 0, 1} and set(np.unique(A_T)) <= {-1, 0, 1}  # additions only
        assert set(np.unique(np.abs(G))) <= {0, 0.5, 1}  # and halving

    @given(
        d=st.lists(st.integers(-50, 50), min_size=4, max_size=4),
        g=st.lists(st.integers(-50, 50), min_size=3, max_size=3),
    )
    def test_1d_two_outputs_from_four_products(self, d, g):
        d, g = np.array(d, float), np.array(g, float)
        m = (cl.winograd.G @ g) * (cl.winograd.B_T @ d)  # the 4 multiplications
        assert m.shape == (4,)
        np.testing.assert_array_equal(cl.winograd.A_T @ m, corr1d(d, g))  # small integers and halves: exact

    def test_2d_nested_tile(self):
        """Y = A_T [(G g G.T) * (B_T d B_T.T)] A_T.T: 16 products give the 2x2 outputs of a 4x4 tile."""
        rng = np.random.default_rng(3)
        d, g = rng.standard_normal((4, 4)), rng.standard_normal((3, 3))
        B_T, G, A_T = cl.winograd.B_T, cl.winograd.G, cl.winograd.A_T
        M = (G @ g @ G.T) * (B_T @ d @ B_T.T)
        assert M.size == 16
        want = oracle.conv_forward(d[None, None], g[None, None], None, (1, 1), (0, 0), (1, 1))[0, 0]
        np.testing.assert_allclose(A_T @ M @ A_T.T, want, atol=1e-13)

    @given(case=winograd_cases(channels=(1, 4)))
    @example(case=WINOGRAD_CASES["padding beyond reach"])
    @example(case=WINOGRAD_CASES["depthwise, one window"])
    @settings(max_examples=80)
    def test_matches_the_loop_oracle_to_1e_10(self, case):
        want = oracle.conv_forward(case.x, case.w, case.b, **case.layer)
        got = cl.conv2d(case.x, case.w, case.b, method="winograd", **case.layer)
        assert got.shape == want.shape
        assert cl.rel_error(got, want) < 1e-10
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * max(np.abs(want).max(), 1e-300))

    @pytest.mark.parametrize("groups", [1, 4, 16])
    def test_a_wider_layer(self, groups):
        c = make_case((2, 16, 9, 11), (16, 16 // groups, 3, 3), (1, 1), (1, 2), (1, 1), seed=groups, groups=groups)
        got = cl.conv2d(c.x, c.w, c.b, method="winograd", **c.layer)
        assert cl.rel_error(got, cl.conv2d(c.x, c.w, c.b, method="loops", **c.layer)) < 1e-10

    @pytest.mark.parametrize("dtype", [np.float32, np.float16])
    def test_float32_is_computed_in_float32(self, dtype):
        c = WINOGRAD_CASES["two groups"]
        x, w = c.x.astype(dtype), c.w.astype(dtype)
        y = cl.conv2d(x, w, method="winograd", **c.layer)
        assert y.dtype == np.float32
        want = oracle.conv_forward(x, w, None, **c.layer)  # the float32 inputs, summed in float64
        err = cl.rel_error(y, want)
        assert 0 < err < 1e-5  # float32 rounding: not zero, not float64's

    def test_non_finite_input_is_not_transformed(self, monkeypatch):
        c = WINOGRAD_CASES["two groups"]
        w = c.w.copy()
        w[0, 0, 1, 1] = np.nan
        monkeypatch.setattr(cl.winograd, "_tiles", None)
        cl.check_close(cl.conv2d(c.x, w, method="winograd", **c.layer), cl.conv2d(c.x, w, **c.layer), "nan in w")
