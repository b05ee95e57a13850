"""The library's four promises at its edges, tested by category.

1. Integer inputs of every width (and bool) give exact int64 results.
2. Numpy scalars and 0-d arrays are accepted wherever a Python number is, with the same result.
3. NaN and inf propagate through every method exactly as through the default one.
4. Every public function returns a new array the caller may write to, and modifies no input
   (read-only, non-contiguous, negative-stride and Fortran-order inputs included).
5. The result dtype follows one stated rule (float32 in, float32 out; the bias never widens it).

Argument validation of every parameter is in tests/test_validation.py.
"""

import inspect

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import conv_lab as cl
from tests import oracle
from tests.strategies import (
    ANY_LAYER_METHODS,
    GROUPED_CASES,
    HARD_CASES,
    WINOGRAD_CASES,
    cases,
    make_case,
    methods_for,
    winograd_cases,
)

INT_DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]
FLOAT_DTYPES = [np.float16, np.float32, np.float64]
MY_MODULES = {"conv_lab.blocks", "conv_lab.columns", "conv_lab.conv", "conv_lab.gradcheck", "conv_lab.layer"}


def case_for(method, grouped=False):
    """A named hard case the method computes: Winograd takes only 3x3 kernels at stride 1 and dilation 1."""
    if method == "winograd":
        return WINOGRAD_CASES["two groups" if grouped else "odd output, dense"]
    return GROUPED_CASES["two groups, leftover, even kernel"] if grouped else HARD_CASES["dilation 3"]


def spread_ints(rng, shape, dtype):
    """Integers covering the dtype's range (capped at 2**20 so every sum stays far inside int64)."""
    info = np.iinfo(dtype) if dtype is not np.bool_ else None
    if info is None:
        return rng.integers(0, 2, size=shape).astype(bool)
    lo, hi = max(info.min, -(2**20)), min(info.max, 2**20)
    a = rng.integers(lo, hi, size=shape, endpoint=True)
    a.flat[0], a.flat[-1] = lo, hi  # the extremes, where a narrow dtype would wrap
    return a.astype(dtype)


def exact(a):
    """A Python-int (object) copy: arithmetic on it cannot overflow or round."""
    return np.asarray(a).astype(np.int64).astype(object)


def exact_conv(x, w, b, c):
    """The forward pass in Python ints, from im2col's copied windows (im2col is checked against the oracle)."""
    F = w.shape[0]
    cols = exact(cl.im2col(x, w.shape[2:], **c.settings))
    y = cols @ exact(w).reshape(F, -1).T  # (N*OH*OW, F)
    if b is not None:
        y = y + exact(b)[None, :]
    N, OH, OW = x.shape[0], *cl.conv2d(np.zeros(x.shape), np.zeros(w.shape), **c.settings).shape[2:]
    return y.reshape(N, OH, OW, F).transpose(0, 3, 1, 2)


def assert_exact(got, want):
    assert got.dtype == np.int64, got.dtype
    np.testing.assert_array_equal(got.astype(object), want)


def exact_conv_by_taps(x, w, b, c):
    """The forward pass in Python ints, summed over the oracle's taps (any groups)."""
    (N, C, H, W), (F, Cg, KH, KW) = x.shape, w.shape
    OH, OW = cl.conv2d(np.zeros(x.shape), np.zeros(w.shape), **c.layer).shape[2:]
    X, Wt = exact(x), exact(w)
    y = np.zeros((N, F, OH, OW), dtype=object) + (0 if b is None else exact(b)[None, :, None, None])
    for n, f, i, j, ch, u, v, r, q in oracle._taps(N, C, H, W, F, KH, KW, OH, OW, **c.layer):
        y[n, f, i, j] += X[n, ch, r, q] * Wt[f, ch % Cg, u, v]
    return y


# ---------------------------------------------------------------------------------------------
# 1. Integer widths
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
class TestIntegerWidths:
    """Each integer width, filled up to its extremes, against Python-int arithmetic."""

    case = HARD_CASES["dilation 3"]

    def arrays(self, dtype, seed=0, case=None):
        rng = np.random.default_rng(seed)
        c = case or self.case
        x = spread_ints(rng, c.x.shape, dtype)
        w = spread_ints(rng, c.w.shape, dtype)
        b = spread_ints(rng, c.b.shape, dtype)
        return x, w, b

    @pytest.mark.parametrize("method", cl.FORWARD_METHODS)
    def test_conv2d(self, dtype, method):
        c = case_for(method)
        x, w, b = self.arrays(dtype, case=c)
        assert_exact(cl.conv2d(x, w, b, method=method, **c.settings), exact_conv(x, w, b, c))

    @pytest.mark.parametrize("method", cl.FORWARD_METHODS)
    def test_conv2d_grouped(self, dtype, method):
        c = case_for(method, grouped=True)
        x, w, b = self.arrays(dtype, seed=4, case=c)
        assert_exact(cl.conv2d(x, w, b, method=method, **c.layer), exact_conv_by_taps(x, w, b, c))

    @pytest.mark.parametrize("method", cl.BACKWARD_METHODS)
    def test_conv2d_backward(self, dtype, method):
        x, w, _ = self.arrays(dtype)
        c = self.case
        dy = spread_ints(np.random.default_rng(1), cl.conv2d(x, w, **c.settings).shape, dtype)
        dx, dw, db = cl.conv2d_backward(dy, x, w, method=method, **c.settings)
        # independent exact references: each gradient is a sum of products over the oracle's taps
        want_dx, want_dw = np.zeros(x.shape, object), np.zeros(w.shape, object)
        (N, C, H, W), (F, _, KH, KW), (OH, OW) = x.shape, w.shape, dy.shape[2:]
        X, Wt, DY = exact(x), exact(w), exact(dy)
        for n, f, i, j, ch, u, v, r, q in oracle._taps(N, C, H, W, F, KH, KW, OH, OW, **c.settings):
            want_dx[n, ch, r, q] += DY[n, f, i, j] * Wt[f, ch, u, v]
            want_dw[f, ch, u, v] += DY[n, f, i, j] * X[n, ch, r, q]
        assert_exact(dx, want_dx)
        assert_exact(dw, want_dw)
        assert_exact(db, DY.sum(axis=(0, 2, 3)))

    def test_conv_transpose2d_col2im_corr2d(self, dtype):
        x, w, _ = self.arrays(dtype)
        c = self.case
        dy = spread_ints(np.random.default_rng(2), cl.conv2d(x, w, **c.settings).shape, dtype)
        dx = cl.conv2d_backward(dy.astype(np.int64), x.astype(np.int64), w.astype(np.int64), **c.settings)[0]
        assert_exact(cl.conv_transpose2d(dy, w, c.stride, c.padding, c.leftover(), c.dilation), dx.astype(object))
        cols = spread_ints(np.random.default_rng(3), cl.im2col(x, w.shape[2:], **c.settings).shape, dtype)
        want = cl.col2im(cols.astype(np.int64), x.shape, w.shape[2:], **c.settings)
        assert_exact(cl.col2im(cols, x.shape, w.shape[2:], **c.settings), want.astype(object))
        y2 = cl.corr2d(x[0, 0], w[0, 0], **c.settings)
        assert_exact(y2, exact_conv(x[:1, :1], w[:1, :1], None, c)[0, 0])
        assert_exact(
            cl.convolve2d(x[0, 0], w[0, 0], **c.settings), exact_conv(x[:1, :1], w[:1, :1, ::-1, ::-1], None, c)[0, 0]
        )

    def test_value_moving_functions_keep_the_dtype(self, dtype):
        x, w, _ = self.arrays(dtype)
        for got, want in [
            (cl.im2col(x, 3, 2, 1), None),
            (cl.pad2d(x, ((1, -1), (2, 0))), np.pad(x, ((0, 0), (0, 0), (1, 0), (2, 0)))[..., :-1, :]),
            (cl.dilate2d(x, (2, 3)), None),
            (cl.rot180(w), w[..., ::-1, ::-1]),
            (cl.sliding_windows(x, 2), None),
        ]:
            assert got.dtype == np.dtype(dtype)
            if want is not None:
                np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(cl.dilate2d(x, (2, 3))[..., ::2, ::3], x)


class TestIntegerRange:
    """Integer sums that could leave int64 are refused; everything inside the range is exact."""

    def test_sums_beyond_int64_are_refused_not_wrapped(self):
        x = np.full((1, 1, 3, 3), 2**40, dtype=np.int64)
        w = np.full((1, 1, 3, 3), 2**30, dtype=np.int64)  # 9 * 2**70 > 2**63
        for call in (
            *(lambda m=m: cl.conv2d(x, w, method=m) for m in cl.FORWARD_METHODS),
            lambda: cl.conv2d(x, -w),
            lambda: cl.conv2d_backward(np.full((1, 1, 1, 1), 2**40), x, w),
            lambda: cl.conv_transpose2d(np.full((1, 1, 1, 1), 2**40), w),
            lambda: cl.corr2d(x[0, 0], w[0, 0]),
        ):
            with pytest.raises(
                ValueError, match=r"too large for exact int64 arithmetic: .* outside \[-2\*\*63, 2\*\*63-1\]"
            ):
                call()
        with pytest.raises(ValueError, match=r"too large for exact int64 arithmetic: a pixel's sum could reach"):
            cl.col2im(np.full((1, 9), 2**62), (1, 1, 3, 3), 3)

    def test_uint64_beyond_int64_is_refused(self):
        x = np.full((1, 1, 3, 3), 2**63, dtype=np.uint64)
        with pytest.raises(ValueError, match=r"y could reach 83010348331692982272 \(x in \[9223372036854775808, "):
            cl.conv2d(x, np.ones((1, 1, 3, 3), dtype=np.uint8))
        assert cl.conv2d(x, np.zeros((1, 1, 3, 3), dtype=np.uint8))[0, 0, 0, 0] == 0

    @pytest.mark.parametrize(
        "x, w, want",
        [
            ([2**31 - 1, -(2**31)], [2**31, 2**31], (2**31 - 1) * 2**31 - 2**31 * 2**31),
            ([-(2**63)], [1], -(2**63)),  # the most negative int64
            ([2**62 - 1, 2**62], [1, 1], 2**63 - 1),  # the largest int64... refused below: the check is conservative
            ([3**39], [-1], -(3**39)),  # beyond float64's 2**53: float64 would round it
        ],
    )
    def test_exact_up_to_the_range(self, x, w, want):
        x, w = np.array(x, dtype=np.int64)[None, None, None], np.array(w, dtype=np.int64)[None, None, None]
        if want == 2**63 - 1:  # each product may reach 2**62, two of them 2**63: refused, though this sum fits
            with pytest.raises(ValueError, match="could reach 9223372036854775808"):
                cl.conv2d(x, w)
            return
        for method in ANY_LAYER_METHODS:  # Winograd takes only 3x3 kernels: see the next test
            y = cl.conv2d(x, w, method=method)
            assert y.dtype == np.int64 and int(y[0, 0, 0, 0]) == want

    @pytest.mark.parametrize("groups", [1, 2])
    def test_winograd_exact_beyond_float64(self, groups, monkeypatch):
        """Winograd's own integer path (2G, then / 4) is exact where float64 rounds: 3 * (2**53 + 1)."""
        x = np.zeros((1, 2, 3, 3), dtype=np.int64)
        x[0, :, 1, 1] = 2**53 + 1
        w = np.zeros((2, 2 // groups, 3, 3), dtype=np.int64)
        w[:, 0, 1, 1] = 3
        w[:, 0, 0, 0] = -1  # reads x[.., 0, 0] = 0
        want = exact_conv_by_taps(x, w, None, make_case(x.shape, w.shape, (1, 1), (0, 0), (1, 1), groups=groups))
        assert want[0, 0, 0, 0] == 3 * (2**53 + 1)  # one channel of each filter is non-zero
        monkeypatch.setattr(cl.winograd, "gemm_forward", None)  # the default path is not taken
        assert_exact(cl.conv2d(x, w, method="winograd", groups=groups), want)
        float_result = cl.conv2d(x.astype(np.float64), w.astype(np.float64), method="winograd", groups=groups)
        assert int(float_result[0, 0, 0, 0]) != want[0, 0, 0, 0]  # float64 rounds: the test can tell

    def test_winograd_falls_back_when_4y_could_overflow(self, monkeypatch):
        """|y| fits in int64 but 4|y| might not: the default method computes it, exactly."""
        x = np.full((1, 1, 3, 3), 2**29, dtype=np.int64)
        w = np.full((1, 1, 3, 3), 2**30, dtype=np.int64)  # 9 * 2**59 < 2**63 <= 4 * 9 * 2**59
        monkeypatch.setattr(cl.winograd, "_tiles", None)  # Winograd's own path is not taken
        y = cl.conv2d(x, w, method="winograd")
        assert y.dtype == np.int64 and int(y[0, 0, 0, 0]) == 9 * 2**59


# ---------------------------------------------------------------------------------------------
# 2. Numpy scalars and 0-d arrays as arguments
# ---------------------------------------------------------------------------------------------

INT_SCALARS = [int, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64, np.array]


def as_scalar(kind, value):
    """``value`` as a numpy scalar of ``kind`` (or a 0-d array), when it fits; else a Python int."""
    if kind is np.array:
        return np.array(value)
    if kind is not int and np.iinfo(kind).min <= value <= np.iinfo(kind).max:
        return kind(value)
    return value


class TestNumpyScalarArguments:
    @given(
        size=st.integers(1, 300),
        k=st.integers(1, 9),
        s=st.integers(1, 130),
        p=st.integers(0, 130),
        d=st.integers(1, 40),
        kinds=st.lists(st.sampled_from(INT_SCALARS), min_size=5, max_size=5),
    )
    @example(size=250, k=3, s=2, p=100, d=1, kinds=[np.uint8] * 5)  # 250 + 2*100 overflows uint8
    @example(size=100, k=3, s=7, p=100, d=1, kinds=[np.int8] * 5)  # 100 + 2*100 overflows int8
    def test_size_arithmetic_is_done_in_python_ints(self, size, k, s, p, d, kinds):
        plain = (size, k, s, p, d)
        args = [as_scalar(kind, v) for kind, v in zip(kinds, plain)]
        if d * (k - 1) + 1 > size + 2 * p:
            for func in (cl.output_size, cl.stride_leftover, cl.rows_read):
                with pytest.raises(ValueError, match="larger than the padded input"):
                    func(*args)
            return
        for func in (cl.output_size, cl.stride_leftover):
            got = func(*args)
            assert type(got) is int and got == func(*plain)
        np.testing.assert_array_equal(cl.rows_read(*args), cl.rows_read(*plain))

    @given(kinds=st.lists(st.sampled_from(INT_SCALARS), min_size=4, max_size=4), case=cases())
    @settings(max_examples=40)
    def test_array_functions_give_the_python_int_result(self, kinds, case):
        def conv(kind):
            return dict(
                stride=tuple(as_scalar(kind, v) for v in case.stride),
                padding=tuple(as_scalar(kind, v) for v in case.padding),
                dilation=tuple(as_scalar(kind, v) for v in case.dilation),
            )

        c, k = case, case.w.shape[2:]
        kw = conv(kinds[0])
        np.testing.assert_array_equal(cl.conv2d(c.x, c.w, c.b, **kw), cl.conv2d(c.x, c.w, c.b, **c.settings))
        y = cl.conv2d(c.x, c.w, **c.settings)
        dy = np.ones_like(y)
        for got, want in zip(
            cl.conv2d_backward(dy, c.x, c.w, **conv(kinds[1])), cl.conv2d_backward(dy, c.x, c.w, **c.settings)
        ):
            np.testing.assert_array_equal(got, want)
        ksize = tuple(as_scalar(kinds[2], v) for v in k)
        np.testing.assert_array_equal(cl.im2col(c.x, ksize, **conv(kinds[2])), cl.im2col(c.x, k, **c.settings))
        cols = cl.im2col(c.x, k, **c.settings)
        x_shape = tuple(as_scalar(kinds[3], v) for v in c.x.shape)
        np.testing.assert_array_equal(
            cl.col2im(cols, x_shape, ksize, **conv(kinds[3])), cl.col2im(cols, c.x.shape, k, **c.settings)
        )
        a = tuple(as_scalar(kinds[0], v) for v in c.leftover())
        np.testing.assert_array_equal(
            cl.conv_transpose2d(dy, c.w, kw["stride"], kw["padding"], a, kw["dilation"]),
            cl.conv_transpose2d(dy, c.w, c.stride, c.padding, c.leftover(), c.dilation),
        )

    @pytest.mark.parametrize("kind", INT_SCALARS, ids=lambda t: t.__name__)
    def test_every_int_parameter(self, kind):
        x = np.arange(2 * 3 * 6 * 5.0).reshape(2, 3, 6, 5)
        n = lambda v: as_scalar(kind, v)  # noqa: E731
        np.testing.assert_array_equal(cl.pad2d(x, n(2)), cl.pad2d(x, 2))
        np.testing.assert_array_equal(cl.pad2d(x, ((n(1), n(0)), (n(2), n(1)))), cl.pad2d(x, ((1, 0), (2, 1))))
        np.testing.assert_array_equal(
            cl.pad2d(x, np.array([[1, 0], [2, 1]], dtype=np.int8)), cl.pad2d(x, ((1, 0), (2, 1)))
        )
        np.testing.assert_array_equal(cl.dilate2d(x, n(3)), cl.dilate2d(x, 3))
        np.testing.assert_array_equal(cl.sliding_windows(x, n(2), n(2), n(2)), cl.sliding_windows(x, 2, 2, 2))
        np.testing.assert_array_equal(
            cl.corr2d(x[0, 0], x[0, 0, :2, :2], n(2), n(1)), cl.corr2d(x[0, 0], x[0, 0, :2, :2], 2, 1)
        )
        np.testing.assert_array_equal(
            cl.col2im(cl.im2col(x, 3), np.array(x.shape, dtype=np.int16), n(3)), cl.col2im(cl.im2col(x, 3), x.shape, 3)
        )
        layer = cl.Conv2d(n(3), n(2), n(3), n(2), n(1), n(1), rng=n(7))
        np.testing.assert_array_equal(layer.weight, cl.Conv2d(3, 2, 3, 2, 1, 1, rng=7).weight)
        assert (layer.stride, layer.padding, layer.dilation) == ((2, 2), (1, 1), (1, 1))
        assert all(type(v) is int for v in layer.stride + layer.padding + layer.dilation)
        wg = x[:, :1, :3, :3]  # (2, 1, 3, 3): depthwise on 3 channels needs F = 3, so take 6 filters
        wg = np.concatenate([wg, wg + 1, wg - 1])  # (6, 1, 3, 3)
        for method in cl.FORWARD_METHODS:
            np.testing.assert_array_equal(
                cl.conv2d(x, wg, groups=n(3), method=method), cl.conv2d(x, wg, groups=3, method=method)
            )
        dy = np.ones((2, 6, 4, 3))
        for method in cl.BACKWARD_METHODS:
            for got, want in zip(
                cl.conv2d_backward(dy, x, wg, groups=n(3), method=method), cl.conv2d_backward(dy, x, wg, groups=3)
            ):
                np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(cl.conv_transpose2d(dy, wg, groups=n(3)), cl.conv_transpose2d(dy, wg, groups=3))
        np.testing.assert_array_equal(cl.grouped.block_diagonal(wg, n(3)), cl.grouped.block_diagonal(wg, 3))
        layer = cl.Conv2d(n(3), n(6), n(3), groups=n(3), rng=7)
        assert type(layer.groups) is int and layer.groups == 3
        np.testing.assert_array_equal(layer.weight, cl.Conv2d(3, 6, 3, groups=3, rng=7).weight)

    @pytest.mark.parametrize("kind", [np.float16, np.float32, np.float64, np.array, np.int8, np.uint64])
    def test_every_real_parameter(self, kind, capsys):
        num = kind if kind is np.array or np.dtype(kind).kind == "f" else lambda v: kind(max(1, round(v)))
        x = np.array([0.5, -1.0, 2.0])
        eps = num(1e-3)
        h = float(eps)  # the step really used: the scalar's value, however it was given
        want = (np.sin(x + h) - np.sin(x - h)) / (2 * h)
        np.testing.assert_allclose(cl.numerical_gradient(np.sin, x, np.ones(3), eps=eps), want, rtol=1e-9)
        assert cl.rel_error(x, x, floor=num(1e-3)) == 0.0
        cl.check_close(x, x + 1e-4, atol=num(1e-3), rtol=num(0.5))
        assert "OK" in capsys.readouterr().out
        layer = cl.Conv2d(1, 1, 1, rng=0, dtype=np.float32)
        layer.backward(np.ones_like(layer.forward(np.ones((1, 1, 2, 2), dtype=np.float32))))
        layer.sgd_step(num(0.1))
        assert layer.weight.dtype == layer.bias.dtype == np.float32


# ---------------------------------------------------------------------------------------------
# 3. NaN and inf, method by method
# ---------------------------------------------------------------------------------------------

SPECIAL = [np.nan, np.inf, -np.inf, 0.0]


@st.composite
def sprinkle(draw, a, max_count=3):
    """A copy of ``a`` with a few entries set to NaN, +inf, -inf or 0 (so that 0 * inf occurs)."""
    a = a.copy()
    for _ in range(draw(st.integers(0, max_count))):
        a.flat[draw(st.integers(0, a.size - 1))] = draw(st.sampled_from(SPECIAL))
    return a


@st.composite
def nonfinite_cases(draw):
    """Any layer, grouped ones and the layers Winograd takes included, with NaN, inf and 0 sprinkled in."""
    case = draw(st.one_of(cases(grouped=True), winograd_cases()))
    y_shape = (case.x.shape[0], case.w.shape[0]) + tuple(
        oracle._out(case.x.shape[2 + k], case.w.shape[2 + k], case.stride[k], case.padding[k], case.dilation[k])
        for k in range(2)
    )
    dy = np.random.default_rng(draw(st.integers(0, 99))).standard_normal(y_shape)
    case.x, case.w, case.b = draw(sprinkle(case.x)), draw(sprinkle(case.w)), draw(sprinkle(case.b, 1))
    return case, draw(sprinkle(dy))


def assert_same_values(got, want, what=""):
    """Same NaN places, same infinities with their signs, and finite values equal up to rounding."""
    assert got.shape == want.shape, what
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{what}: NaN places")
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(want), err_msg=f"{what}: +inf places")
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want), err_msg=f"{what}: -inf places")
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-9, atol=1e-9, err_msg=what)


def nonfinite_winograd_case():
    """NaN, inf and -inf in x and w of a grouped 3x3 layer, where a transform would spread them."""
    c = make_case((2, 4, 6, 5), (4, 2, 3, 3), (1, 1), (1, 1), (1, 1), seed=9, groups=2)
    c.x[0, 0, 2, 2], c.x[1, 3, 0, 4], c.x[1, 2, 5, 0] = np.nan, np.inf, -np.inf
    c.w[2, 1, 0, 0] = np.inf
    return c


def inf_weight_case():
    """The probe's case: an infinite weight, stride 2 (inserted zeros) and padding; dx is finite or inf, not NaN."""
    c = make_case((1, 2, 7, 6), (2, 2, 3, 2), (2, 2), (1, 1), (1, 1), seed=4)
    c.w[0, 1, 1, 0] = np.inf
    shape = cl.conv2d(c.x, c.w, **c.settings).shape
    dy = np.random.default_rng(5).uniform(1.0, 2.0, shape)  # no zero in dy, so no NaN anywhere
    return c, dy


class TestNonFinite:
    @given(data=nonfinite_cases())
    @example(data=(nonfinite_winograd_case(), None))
    @settings(max_examples=80)
    def test_forward_methods_match_the_default(self, data):
        """FFT and Winograd too: they hand non-finite input to the default method (see conv_lab.fft)."""
        c, _ = data
        want = cl.conv2d(c.x, c.w, c.b, **c.layer)
        for method in methods_for(c):
            assert_same_values(cl.conv2d(c.x, c.w, c.b, method=method, **c.layer), want, method)
        corr = cl.corr2d(c.x[0, 0], c.w[0, 0], **c.settings)
        assert_same_values(corr, cl.conv2d(c.x[:1, :1], c.w[:1, :1], **c.settings)[0, 0], "corr2d")

    @pytest.mark.parametrize("method", ["fft", "winograd"])
    def test_one_nan_stays_in_the_windows_that_read_it(self, method):
        """The example the transform methods would get wrong: one NaN in x, NaN only in the outputs that read it."""
        c = WINOGRAD_CASES["odd output, dense"]
        x = c.x.copy()
        x[0, 1, 0, 0] = np.nan  # read only by output (0, 0) of sample 0
        y = cl.conv2d(x, c.w, method=method)
        assert np.isnan(y[0, :, 0, 0]).all() and np.isnan(y).sum() == c.w.shape[0]

    @pytest.mark.parametrize("method", ["fft", "winograd"])
    def test_overflow_inside_the_transforms(self, method):
        """Finite inputs whose transforms overflow (sums of 1e308s) but whose outputs do not: the default's result."""
        x = np.full((1, 1, 6, 6), 1.5e308)
        x[..., ::2, :] *= -1
        w = np.full((1, 1, 3, 3), 1e-300)
        want = cl.conv2d(x, w)
        assert np.isfinite(want).all()
        assert_same_values(cl.conv2d(x, w, method=method), want, method)

    @given(data=nonfinite_cases())
    @example(data=inf_weight_case())
    @settings(max_examples=60)
    def test_backward_methods_match_the_default_and_the_oracle(self, data):
        c, dy = data
        want = cl.conv2d_backward(dy, c.x, c.w, **c.layer)
        # dx is a sum over the taps that really read each pixel: the oracle computes exactly that
        with np.errstate(invalid="ignore"):  # the oracle's inf - inf warns
            oracle_dx = oracle.conv_backward(dy, c.x, c.w, **c.layer)[0]
        assert_same_values(want[0], oracle_dx, "default dx vs oracle")
        for method in cl.BACKWARD_METHODS:
            got = cl.conv2d_backward(dy, c.x, c.w, method=method, **c.layer)
            for name, g, e in zip(("dx", "dw", "db"), got, want):
                assert_same_values(g, e, f"{method} {name}")

    @given(data=nonfinite_cases())
    @example(data=inf_weight_case())
    @settings(max_examples=60)
    def test_transpose_matches_dx_and_the_stamping_oracle(self, data):
        c, dy = data
        got = cl.conv_transpose2d(dy, c.w, c.stride, c.padding, c.leftover(), c.dilation, groups=c.groups)
        assert_same_values(got, cl.conv2d_backward(dy, c.x, c.w, **c.layer)[0], "vs default dx")
        with np.errstate(invalid="ignore"):  # the oracle's inf - inf warns
            want = oracle.conv_transpose(dy, c.w, c.stride, c.padding, c.leftover(), c.dilation, c.groups)
        assert_same_values(got, want, "vs stamping oracle")

    def test_an_infinite_weight_gives_no_nan_in_dx(self):
        c, dy = inf_weight_case()
        for method in cl.BACKWARD_METHODS:
            dx = cl.conv2d_backward(dy, c.x, c.w, method=method, **c.settings)[0]
            assert not np.isnan(dx).any(), method
            assert np.isinf(dx).any(), method

    @given(data=nonfinite_cases())
    @settings(max_examples=30)
    def test_col2im_matches_a_scatter_by_taps(self, data):
        c, _ = data
        k = c.w.shape[2:]
        cols = cl.im2col(c.x, k, **c.settings)  # carries the sprinkled values
        (N, C, H, W), (KH, KW) = c.x.shape, k
        OH, OW = (oracle._out(c.x.shape[2 + i], k[i], c.stride[i], c.padding[i], c.dilation[i]) for i in range(2))
        want = np.zeros(c.x.shape)
        with np.errstate(invalid="ignore"):  # inf - inf warns
            for n, _, i, j, ch, u, v, r, q in oracle._taps(N, C, H, W, 1, KH, KW, OH, OW, **c.settings):
                want[n, ch, r, q] += cols[(n * OH + i) * OW + j, (ch * KH + u) * KW + v]
        assert_same_values(cl.col2im(cols, c.x.shape, k, **c.settings), want, "col2im")

    def test_no_runtime_warnings(self):
        """0 * inf warns in some numpy code paths and not in others; the library never warns (as PyTorch)."""
        c, dy = inf_weight_case()
        c.x[0, 0, 0, 0] = np.nan
        for method in methods_for(c):
            cl.conv2d(c.x, c.w, c.b, method=method, **c.settings)  # filterwarnings=error makes a warning fail
        wc = nonfinite_winograd_case()
        for method in methods_for(wc):
            cl.conv2d(wc.x, wc.w, wc.b, method=method, **wc.layer)
        x = np.full((1, 1, 6, 6), 1e308)  # overflows inside the transforms
        for method in cl.FORWARD_METHODS:
            cl.conv2d(x, np.full((1, 1, 3, 3), 1e300), method=method)
        for method in cl.BACKWARD_METHODS:
            cl.conv2d_backward(dy * 0, c.x, c.w, method=method, **c.settings)
        cl.conv_transpose2d(dy, c.w, c.stride, c.padding, c.leftover(), c.dilation)


# ---------------------------------------------------------------------------------------------
# 4. Results are new, writeable arrays; inputs are never modified
# ---------------------------------------------------------------------------------------------


def public_calls(x, w, b, dy, cols, w3):
    """Every public function of the library, called once: name -> (result, inputs it was given).

    ``w3`` is a 3x3 kernel, for Winograd. Grouped calls read the first two channels of x and the
    first channel of w or w3 (views, in whatever layout those arrays have): two groups, depthwise.
    """
    calls = {}
    two = lambda a, n: np.asarray(a)[:, :n]  # noqa: E731
    for m in cl.FORWARD_METHODS:
        if m == "winograd":  # 3x3 kernels at stride 1 only
            call = lambda: cl.conv2d(x, w3, b, padding=1, method="winograd")  # noqa: E731
            grouped = lambda: cl.conv2d(two(x, 2), two(w3, 1), b, padding=1, method="winograd", groups=2)  # noqa: E731
            calls[f"conv2d[{m}]"], calls[f"conv2d[{m}] groups=2"] = (call, (x, w3, b)), (grouped, (x, w3, b))
            continue
        calls[f"conv2d[{m}]"] = (lambda m=m: cl.conv2d(x, w, b, stride=2, padding=1, method=m), (x, w, b))
        calls[f"conv2d[{m}] groups=2"] = (
            lambda m=m: cl.conv2d(two(x, 2), two(w, 1), b, stride=2, padding=1, method=m, groups=2),
            (x, w, b),
        )
    for m in cl.BACKWARD_METHODS:
        calls[f"conv2d_backward[{m}]"] = (
            lambda m=m: cl.conv2d_backward(dy, x, w, stride=2, padding=1, method=m),
            (dy, x, w),
        )
        calls[f"conv2d_backward[{m}] groups=2"] = (
            lambda m=m: cl.conv2d_backward(dy, two(x, 2), two(w, 1), stride=2, padding=1, method=m, groups=2),
            (dy, x, w),
        )
    calls.update(
        {
            "conv_transpose2d": (lambda: cl.conv_transpose2d(dy, w, 2, 1, 0), (dy, w)),
            "conv_transpose2d groups=2": (lambda: cl.conv_transpose2d(dy, two(w, 1), 2, 1, 0, groups=2), (dy, w)),
            "grouped.block_diagonal": (lambda: cl.grouped.block_diagonal(w, 2), (w,)),
            "Conv2d[winograd].forward": (
                lambda: cl.Conv2d(3, 3, 3, padding=1, groups=3, forward_method="winograd", rng=0).forward(x),
                (x,),
            ),
            "Conv2d[fft].forward": (
                lambda: cl.Conv2d(3, 4, (3, 2), 2, 1, forward_method="fft", rng=0).forward(x),
                (x,),
            ),
            "im2col": (lambda: cl.im2col(x, (3, 2), 2, 1), (x,)),
            "col2im": (lambda: cl.col2im(cols, np.shape(x), (3, 2), 2, 1), (cols,)),
            "pad2d": (lambda: cl.pad2d(x, ((1, -1), (0, 2))), (x,)),
            "pad2d zero padding": (lambda: cl.pad2d(x, 0), (x,)),
            "dilate2d": (lambda: cl.dilate2d(x, 2), (x,)),
            "dilate2d factor 1": (lambda: cl.dilate2d(x, 1), (x,)),
            "rot180": (lambda: cl.rot180(w), (w,)),
            "corr2d": (lambda: cl.corr2d(np.asarray(x)[0, 0], np.asarray(w)[0, 0], padding=1), (x, w)),
            "convolve2d": (lambda: cl.convolve2d(np.asarray(x)[0, 0], np.asarray(w)[0, 0]), (x, w)),
            "rows_read": (lambda: cl.rows_read(7, 3, 2), ()),
            "numerical_gradient": (
                lambda: cl.numerical_gradient(np.tanh, np.asarray(w)[0, 0], np.asarray(w)[1, 0]),
                (w,),
            ),
            "Conv2d.forward": (lambda: cl.Conv2d(3, 4, (3, 2), 2, 1, rng=0).forward(x), (x,)),
            "Conv2d.backward": (lambda: _layer_backward(x, dy), (x, dy)),
        }
    )
    return calls


def _layer_backward(x, dy):
    layer = cl.Conv2d(3, 4, (3, 2), 2, 1, rng=0)
    layer.forward(x)
    dx = layer.backward(dy)
    layer.sgd_step(0.1)
    return dx, layer.dweight, layer.dbias


def other_public_calls(x, w, b, dy, cols, w3=None):
    """The public functions that return no array (or a view, by design), called for the mutation test."""
    cl.sliding_windows(x, (3, 2), 2)
    cl.rel_error(w, w)
    cl.check_close(w, w, "same")
    cl.output_size(7, 3, 2)
    cl.stride_leftover(7, 3, 2)


def base_arrays(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    dy = rng.standard_normal((2, 4, 4, 4))  # conv2d(x, w, stride=2, padding=1)
    cols = rng.standard_normal((2 * 4 * 4, 3 * 3 * 2))
    w3 = rng.standard_normal((4, 3, 3, 3))  # for Winograd
    if np.dtype(dtype).kind != "f":
        x, w, b, dy, cols, w3 = (np.round(4 * a) for a in (x, w, b, dy, cols, w3))
    return [a.astype(dtype) for a in (x, w, b, dy, cols, w3)]


def test_public_calls_cover_every_public_function():
    """A new public function must be added to the tables above."""
    names = {
        name
        for name in cl.__all__
        if callable(getattr(cl, name)) and getattr(getattr(cl, name), "__module__", "") in MY_MODULES
    }
    called = {k.split("[")[0].split(".")[0].split(" ")[0] for k in public_calls(*base_arrays())}
    src = inspect.getsource(other_public_calls)
    called |= {n for n in names if f"cl.{n}(" in src}
    assert names - called == set()


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int16])
def test_results_are_new_writeable_arrays(dtype):
    arrays = base_arrays(dtype)
    for name, (call, inputs) in public_calls(*arrays).items():
        result = call()
        for r in result if isinstance(result, tuple) else (result,):
            assert isinstance(r, np.ndarray), name
            assert r.flags.writeable, name
            for a in inputs:
                assert not np.shares_memory(r, a), name
            r[...] = 0  # the caller may write to it


@given(case=cases(), kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)))
@settings(max_examples=50)
@example(case=make_case((1, 1, 3, 3), (1, 1, 3, 3), (1, 1), (0, 0), (1, 1)), kernel=(3, 3))  # one window
@example(case=make_case((2, 1, 4, 4), (1, 1, 1, 1), (1, 1), (0, 0), (1, 1)), kernel=(1, 1))  # 1x1 kernel
def test_im2col_is_writeable_for_every_shape(case, kernel):
    """Reshaping the window view can itself return a (read-only) view; im2col must copy."""
    x = case.x[:, :, : max(case.x.shape[2], 4), :]
    try:
        cols = cl.im2col(x, kernel, **case.settings)
    except ValueError:
        return  # the kernel does not fit this input
    assert cols.flags.writeable and cols.flags.c_contiguous and not np.shares_memory(cols, x)


def layouts():
    """Ways to hold the same values in memory; every one of them read-only."""

    def readonly(a):
        a = a.copy()
        a.flags.writeable = False
        return a

    def strided(a):
        big = np.zeros(tuple(2 * n for n in a.shape), a.dtype)
        view = big[tuple(slice(None, None, 2) for _ in a.shape)]
        view[...] = a
        big.flags.writeable = False
        return view

    def reversed_(a):
        flipped = readonly(a[..., ::-1].copy())
        return flipped[..., ::-1]  # negative last stride

    def fortran(a):
        return readonly(np.asfortranarray(a))

    def broadcast(a):  # a read-only view with zero strides where an axis has length 1
        return np.broadcast_to(a, a.shape)

    return st.sampled_from([readonly, strided, reversed_, fortran, broadcast, as_list])


def as_list(a):
    return a.tolist()


@given(
    layout=st.lists(layouts(), min_size=6, max_size=6),
    dtype=st.sampled_from([np.float64, np.float32, np.float16, np.int8, np.uint8, np.int64, np.bool_]),
)
@settings(max_examples=40)
def test_no_public_function_modifies_its_inputs(layout, dtype):
    """Read-only, non-contiguous, negative-stride, Fortran-order and list inputs: unchanged, and no write is tried."""
    base = base_arrays(dtype)
    given_ = [f(a) for f, a in zip(layout, base)]
    for call, _ in public_calls(*given_).values():
        call()
    other_public_calls(*given_)
    for g, a in zip(given_, base):
        np.testing.assert_array_equal(np.asarray(g), a)


@given(
    layout=st.lists(layouts(), min_size=6, max_size=6),
    dtype=st.sampled_from([np.float64, np.float32, np.int16, np.uint8]),
)
@settings(max_examples=25)
def test_memory_layout_does_not_change_results(layout, dtype):
    """The same values in any memory layout (or as nested lists) give the same results."""
    base = base_arrays(dtype)
    want = {name: call() for name, (call, _) in public_calls(*base).items()}
    got = {name: call() for name, (call, _) in public_calls(*[f(a) for f, a in zip(layout, base)]).items()}
    for name in want:
        w_, g_ = want[name], got[name]
        for g, w in zip(g_ if isinstance(g_, tuple) else (g_,), w_ if isinstance(w_, tuple) else (w_,)):
            if as_list not in layout:  # a list of numbers has no dtype to keep
                assert g.dtype == w.dtype, name
            tol = 1e-5 if np.float32 in (g.dtype, w.dtype) else 1e-12
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=name)


def test_layer_keeps_its_own_copy_of_x():
    layer = cl.Conv2d(3, 4, (3, 2), 2, 1, rng=0)
    x, _, _, dy, _, _ = base_arrays()
    layer.forward(x)
    want = cl.conv2d_backward(dy, x, layer.weight, 2, 1)[1]
    x[...] = 0  # the caller reuses its buffer
    layer.backward(dy)
    np.testing.assert_array_equal(layer.dweight, want)


# ---------------------------------------------------------------------------------------------
# 5. The dtype rule
# ---------------------------------------------------------------------------------------------

ALL_DTYPES = INT_DTYPES + FLOAT_DTYPES


def rule(*dtypes):
    """The README's rule, written out: int64 for integers; else the widest float, float16 -> float32."""
    floats = [np.dtype(d) for d in dtypes if np.dtype(d).kind == "f"]
    if not floats:
        return np.dtype(np.int64)
    widest = max(floats, key=lambda d: d.itemsize)
    return np.dtype(np.float32) if widest == np.float16 else widest


class TestDtypeRule:
    @given(dx=st.sampled_from(ALL_DTYPES), dw=st.sampled_from(ALL_DTYPES), db=st.sampled_from(ALL_DTYPES + [None]))
    @settings(max_examples=80)
    def test_conv2d(self, dx, dw, db):
        want = rule(dx, dw)
        if db is not None and want.kind != "f":
            want = rule(dx, dw, db)  # integer x and w with a floating b
        for c in (HARD_CASES["leftover a=1"], WINOGRAD_CASES["two groups"]):
            x, w = np.abs(np.round(c.x * 2)).astype(dx), np.abs(np.round(c.w * 2)).astype(dw)  # unsigned: no negatives
            b = None if db is None else np.abs(np.round(c.b * 2)).astype(db)
            ref = oracle.conv_forward(
                x.astype(float), w.astype(float), None if b is None else b.astype(float), **c.layer
            )
            for method in methods_for(c):
                y = cl.conv2d(x, w, b, method=method, **c.layer)
                assert y.dtype == want, (method, y.dtype, want)
                tol = 1e-1 if want == np.float32 else 1e-9  # the values are small integers
                np.testing.assert_allclose(y, ref, rtol=0, atol=tol)

    @given(a=st.sampled_from(ALL_DTYPES), b=st.sampled_from(ALL_DTYPES), c_=st.sampled_from(ALL_DTYPES))
    @settings(max_examples=60)
    def test_backward_and_transpose(self, a, b, c_):
        c = HARD_CASES["padding beyond reach"]
        x, w = np.abs(np.round(c.x * 2)).astype(b), np.abs(np.round(c.w * 2)).astype(c_)  # unsigned: no negatives
        dy = np.random.default_rng(0).integers(0, 3, cl.conv2d(c.x, c.w, **c.settings).shape).astype(a)
        for method in cl.BACKWARD_METHODS:
            assert {g.dtype for g in cl.conv2d_backward(dy, x, w, method=method, **c.settings)} == {rule(a, b, c_)}
        assert cl.conv_transpose2d(dy, w, c.stride, c.padding, c.leftover(), c.dilation).dtype == rule(a, c_)
        assert cl.col2im(cl.im2col(x, 3), x.shape, 3).dtype == rule(b)
        assert cl.corr2d(x[0, 0], w[0, 0]).dtype == rule(b, c_)

    def test_float32_with_a_float64_bias_stays_float32(self):
        c = HARD_CASES["dilation 3"]
        y = cl.conv2d(c.x.astype(np.float32), c.w.astype(np.float32), c.b, **c.settings)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y, oracle.conv_forward(c.x, c.w, c.b, **c.settings), rtol=1e-4, atol=1e-4)

    def test_integers_never_widen_a_float32_result(self):
        x = np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5)  # int64, as from a list of Python ints
        assert cl.conv2d(x, np.ones((2, 3, 3, 3), np.float32)).dtype == np.float32
        assert cl.conv2d(x.tolist(), np.ones((2, 3, 3, 3), np.float32)).dtype == np.float32


class TestLayerDtype:
    @pytest.mark.parametrize("method", cl.FORWARD_METHODS)
    @pytest.mark.parametrize("groups", [1, 3])
    def test_float32_forward_methods(self, method, groups):
        layer = cl.Conv2d(3, 6, 3, padding=1, groups=groups, rng=0, dtype=np.float32, forward_method=method)
        x, _, _, _, _, _ = base_arrays()
        y = layer.forward(x)  # float64 x
        assert y.dtype == np.float32
        want = cl.conv2d(x, layer.weight.astype(np.float64), layer.bias, padding=1, groups=groups, method="loops")
        np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4)
        dx = layer.backward(np.ones_like(y))
        assert dx.dtype == layer.dweight.dtype == np.float32

    @pytest.mark.parametrize("method", cl.BACKWARD_METHODS)
    @pytest.mark.parametrize("x_dtype", [np.float32, np.float64, np.uint8, np.int64])
    def test_float32_end_to_end(self, method, x_dtype):
        layer = cl.Conv2d(3, 4, (3, 2), stride=2, padding=1, rng=0, dtype=np.float32, backward_method=method)
        x, _, _, dy, _, _ = base_arrays()
        for _ in range(2):
            y = layer.forward((x * 10).astype(x_dtype))
            dx = layer.backward(dy)  # a float64 dy too
            layer.sgd_step(np.float64(0.01))
            for a in (y, dx, layer.dweight, layer.dbias, layer.weight, layer.bias):
                assert a.dtype == np.float32
        assert layer.dtype == np.float32

    def test_casting_the_weight_casts_the_layer(self):
        layer = cl.Conv2d(3, 4, 3, rng=0)
        layer.weight = layer.weight.astype(np.float32)  # the bias stays float64
        x = base_arrays(np.float32)[0]
        y = layer.forward(x)
        assert y.dtype == np.float32 and layer.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32
        assert layer.dweight.dtype == layer.dbias.dtype == np.float32

    def test_same_seed_same_weights_in_either_dtype(self):
        w64 = cl.Conv2d(3, 4, 3, rng=5).weight
        w32 = cl.Conv2d(3, 4, 3, rng=5, dtype=np.float32).weight
        assert w64.dtype == np.float64 and w32.dtype == np.float32
        np.testing.assert_array_equal(w32, w64.astype(np.float32))

    @pytest.mark.parametrize(
        "rng",
        [None, 3, np.uint8(3), np.array(3), np.random.default_rng(3), np.random.PCG64(3), np.random.SeedSequence(3)],
    )
    def test_rng_kinds(self, rng):
        layer = cl.Conv2d(3, 4, 3, rng=rng)
        assert layer.weight.shape == (4, 3, 3, 3)
        if rng is not None:
            np.testing.assert_array_equal(layer.weight, cl.Conv2d(3, 4, 3, rng=np.random.default_rng(3)).weight)

    def test_legacy_random_state(self):
        a = cl.Conv2d(3, 4, 3, rng=np.random.RandomState(0)).weight
        np.testing.assert_array_equal(a, cl.Conv2d(3, 4, 3, rng=np.random.RandomState(0)).weight)


# ---------------------------------------------------------------------------------------------
# check_close and rel_error with non-finite values
# ---------------------------------------------------------------------------------------------


class TestComparingNonFinite:
    @given(
        values=st.lists(st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.5, -2.0]), min_size=1, max_size=6),
    )
    def test_an_array_matches_itself(self, values):
        a = np.array(values)
        cl.check_close(a, a.copy(), "self")
        if not np.isnan(a).any():
            assert cl.rel_error(a, a.copy()) == 0.0
        else:
            assert np.isnan(cl.rel_error(a, a.copy()))

    @pytest.mark.parametrize(
        "got, expected",
        [
            ([np.inf], [-np.inf]),
            ([np.inf], [1e308]),
            ([1e300], [np.inf]),
            ([np.nan], [0.0]),
            ([0.0], [np.nan]),
            ([np.nan], [np.inf]),
        ],
    )
    def test_different_non_finite_values_mismatch(self, got, expected, capsys):
        with pytest.raises(AssertionError, match=r"max \|diff\| = inf at index \(0,\)"):
            cl.check_close(np.array(got), np.array(expected), "x")
        assert "MISMATCH" in capsys.readouterr().out
        assert cl.rel_error(np.array(got), np.array(expected)) in (np.inf,) or np.isnan(
            cl.rel_error(np.array(got), np.array(expected))
        )

    def test_nan_may_be_required_to_differ(self):
        with pytest.raises(AssertionError):
            cl.check_close(np.array([np.nan]), np.array([np.nan]), equal_nan=False)

    def test_reports_the_worst_mismatch_not_a_matching_infinity(self):
        with pytest.raises(AssertionError, match=r"at index \(2,\): got 3.0, expected 2.0"):
            cl.check_close(np.array([np.inf, 1.0, 3.0]), np.array([np.inf, 1.0, 2.0]))

    def test_numbers_and_0d_arrays(self, capsys):
        cl.check_close(np.inf, np.float32(np.inf), "scalars")
        cl.check_close(np.array(2.0), 2, "0-d")
        assert capsys.readouterr().out.count("OK") == 2
        assert cl.rel_error(1.0, 2.0) == 0.5
        assert cl.rel_error(np.array(np.inf), np.inf) == 0.0
        with pytest.raises(AssertionError, match=r"at index \(\): got 1.0, expected 2"):
            cl.check_close(1.0, 2)


def test_layer_passes_non_finite_values_silently():
    """A float32 layer fed float64 values beyond float32's range: inf, no warning (filterwarnings=error)."""
    layer = cl.Conv2d(1, 1, 1, rng=0, dtype=np.float32)
    y = layer.forward(np.full((1, 1, 2, 2), 1e300))
    assert y.dtype == np.float32 and np.isinf(y).all()
    layer.backward(np.full(y.shape, np.inf))
    layer.sgd_step(0.1)
    assert not np.isfinite(layer.weight).any()


@given(
    a=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=5),
    shift=st.one_of(st.just(0.0), st.floats(1e-6, 1e3), st.floats(-1e3, -1e-6)),
    exponent=st.integers(-200, 200),  # squares neither overflow nor underflow: the norms are exact formulas
)
def test_rel_error_is_the_formula_at_every_scale(a, shift, exponent):
    """Same digits as ||a - b|| / max(||a||, ||b||, floor) where that formula does not overflow; 2.0 at 1e308."""
    a = np.array(a)
    b = a + shift
    direct = np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-12)
    assert cl.rel_error(a, b) == direct
    k = 2.0**exponent  # scaling both arrays and the floor by a power of two changes nothing
    assert cl.rel_error(a * k, b * k, floor=1e-12 * k) == direct
    assert cl.rel_error(np.array([1.7e308, -1.7e308]), np.array([-1.7e308, 1.7e308])) == 2.0
