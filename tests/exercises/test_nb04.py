"""Checkers of notebook 04: reference solutions pass, each documented mistake gets its own hint."""

import sys

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from tests.exercises.helpers import load, not_done, run

SOL = load("nb04")


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_corr1d_backward, "my_corr1d_backward"),
        (ex.check_conv_backward, "my_conv_dx"),
        (ex.check_dw_correlation, "dw_by_correlation"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(SOL, solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


# --- 1. the 1-D warm-up, with stride and dilation -------------------------------------------------


def corr1d(
    assign=False,
    flip_dx=False,
    flip_dw=False,
    swapped=False,
    no_stride=False,
    undilated=False,
    mixed=False,
    short=False,
    last=False,
):
    """The reference with one documented mistake switched on."""

    def fn(dy, x, w, stride, dilation):
        K = len(w)
        s = 1 if no_stride else (dilation if mixed else stride)
        d = 1 if undilated else (stride if mixed else dilation)
        if short:
            n = (len(dy) - 1) * stride + dilation * (K - 1) + 1  # only the entries the windows span
        else:
            n = len(x) + (s + d) * (len(dy) + K)
        xx = np.concatenate([x, np.zeros(n)])
        dx = np.zeros(n)
        dw = np.zeros(K)
        taps = w[::-1] if flip_dx else w
        for i in range(len(dy) - 1 if last else len(dy)):
            where = slice(i * s, i * s + d * (K - 1) + 1, d)
            if assign:
                dx[where] = dy[i] * taps
            else:
                dx[where] += dy[i] * taps
            dw += dy[i] * xx[where]
        if not short:
            dx = dx[: len(x)]
        dw = dw[::-1] if flip_dw else dw
        return (dw, dx) if swapped else (dx, dw)

    return fn


@pytest.mark.parametrize(
    "flags, hint",
    [
        (dict(assign=True), "don't assign"),
        (dict(flip_dx=True), "kernel is reversed in dx"),
        (dict(flip_dw=True), "dw is reversed"),
        (dict(swapped=True), "the pair is in the wrong order: return (dx, dw)"),
        (dict(no_stride=True), "window i starts at x[i*s], not x[i]"),
        (dict(undilated=True), "the dilation is ignored"),
        (dict(mixed=True), "stride and dilation are mixed up"),
        (dict(short=True), "leftover entries after the last window (a = 1) are missing"),
        (dict(last=True), "the last window is missing"),
    ],
)
def test_corr1d_hints(flags, hint, capsys):
    ok, out = run(ex.check_corr1d_backward, corr1d(**flags), capsys)
    assert not ok and hint in out, out


def test_corr1d_helper_without_mistakes_passes(capsys):
    ok, out = run(ex.check_corr1d_backward, corr1d(), capsys)
    assert ok, out


def test_corr1d_cases_combine_stride_and_dilation_with_overlap_gaps_and_a_leftover_entry():
    cases = ex.nb04.CORR1D_CASES
    geometries = [(len(c["x"]), len(c["w"]), c["stride"], c["dilation"]) for c in cases]
    assert geometries[0][2:] == (1, 1)
    assert all(s > 1 and d > 1 and s != d for _, _, s, d in geometries[1:])  # both, and not interchangeable
    assert any(d * (K - 1) + 1 > s for _, K, s, d in geometries[1:])  # windows overlap
    assert any(np.flatnonzero(~cl.rows_read(H, K, s, 0, d)).size for H, K, s, d in geometries)  # unread entries
    assert any((H - d * (K - 1) - 1) % s > 0 for H, K, s, d in geometries)  # a leftover entry
    for c, (H, K, s, d) in zip(cases, geometries):
        assert len(c["dy"]) == (H - d * (K - 1) - 1) // s + 1


def test_corr1d_reference_matches_a_numerical_gradient():
    """The checker's reference against conv2d's float64 numerical gradient (an independent oracle)."""
    for c in ex.nb04.CORR1D_CASES:
        s, d = c["stride"], c["dilation"]
        x, w, dy = (c[k][None, None, None] for k in ("x", "w", "dy"))
        dx, dw = ex.nb04._corr1d_backward(c["dy"], c["x"], c["w"], s, d)
        num_dx = cl.numerical_gradient(lambda u, w=w, s=s, d=d: cl.conv2d(u, w, stride=(1, s), dilation=(1, d)), x, dy)
        num_dw = cl.numerical_gradient(lambda u, x=x, s=s, d=d: cl.conv2d(x, u, stride=(1, s), dilation=(1, d)), w, dy)
        assert cl.rel_error(dx, num_dx[0, 0, 0]) < 1e-8 and cl.rel_error(dw, num_dw[0, 0, 0]) < 1e-8


def test_corr1d_accepts_float32_on_its_whole_number_cases(capsys):
    def in_float32(dy, x, w, stride, dilation):
        return tuple(a.astype(np.float32) for a in SOL.my_corr1d_backward(dy, x, w, stride, dilation))

    ok, out = run(ex.check_corr1d_backward, in_float32, capsys)
    assert ok, out


def test_corr1d_old_signature_is_told_to_take_the_dilation(capsys):
    ok, out = run(ex.check_corr1d_backward, lambda dy, x, w, stride: (x, w), capsys)
    assert not ok and "keep that signature" in out and "dilation=" in out, out


def test_corr1d_rejects_library_and_odd_returns(capsys):
    def delegating(dy, x, w, stride, dilation):
        dx = cl.conv2d_backward(
            dy[None, None, None], x[None, None, None], w[None, None, None], (1, stride), 0, (1, dilation)
        )[0]
        return dx[0, 0, 0], np.zeros(len(w))

    ok, out = run(ex.check_corr1d_backward, delegating, capsys)
    assert not ok and "without conv2d_backward" in out
    for odd in (
        lambda dy, x, w, stride, dilation: None,
        lambda dy, x, w, stride, dilation: "dx",
        lambda dy, x, w, stride, dilation: (1, 2, 3),
        lambda dy, x, w, stride, dilation: 1 / 0,
    ):
        ok, out = run(ex.check_corr1d_backward, odd, capsys)
        assert not ok and "hint" in out


# --- 2. dx of a dilated layer by scattering, without col2im ------------------------------------------


def student(
    reshape=False,
    caffe=False,
    flip=False,
    crop=None,
    span_buffer=False,
    assign=False,
    step=None,
    undilated=False,
    last_tap_missing=False,
    filter0=False,
    mixed=False,
    dtype=np.float64,
):
    """The matrix-form solution with one documented mistake switched on; calls no forbidden routine."""

    def fn(dy, w, x_shape, stride, padding, dilation):
        N, C, H, W = x_shape
        F, _, KH, KW = w.shape
        OH, OW = dy.shape[2:]
        p, d = padding, dilation
        dy_mat = dy.reshape(-1, F) if reshape else dy.transpose(0, 2, 3, 1).reshape(-1, F)  # (N*OH*OW, F)
        w_mat = (w[:, :, ::-1, ::-1] if flip else w).reshape(F, -1)  # (F, C*KH*KW)
        if filter0:
            dy_mat, w_mat = dy_mat[:, :1], w_mat[:1]
        if caffe:
            dcols = (w_mat.T @ dy_mat.T).reshape(N, OH, OW, C, KH, KW)  # (C*KH*KW, N*OH*OW) misread
        else:
            dcols = (dy_mat @ w_mat).reshape(N, OH, OW, C, KH, KW)
        s = stride if step is None else step
        t = 1 if undilated else d
        if mixed:
            s, t = d, stride
        end = t * (KH - 1) if last_tap_missing else t * (KH - 1) + 1
        if span_buffer:
            dxp = np.zeros((N, C, (OH - 1) * stride + d * (KH - 1) + 1, (OW - 1) * stride + d * (KW - 1) + 1))
        else:
            room = (s * OH + t * KH, s * OW + t * KW) if (mixed or step) else (0, 0)  # space for the wrong spans
            dxp = np.zeros((N, C, H + 2 * p + room[0], W + 2 * p + room[1]))
        for i in range(OH):
            for j in range(OW):
                window = (
                    slice(None),
                    slice(None),
                    slice(i * s, i * s + end, t),
                    slice(j * s, j * s + t * (KW - 1) + 1, t),
                )
                if assign:
                    dxp[window] = dcols[:, i, j]
                else:
                    dxp[window] += dcols[:, i, j]
        if crop == "none":
            dx = dxp
        elif mixed or step:
            dx = dxp[:, :, p : p + H, p : p + W]
        elif crop == "minus":
            dx = dxp[:, :, p:-p, p:-p]
        elif crop == "top":
            dx = dxp[:, :, :H, :W]
        elif crop == "bottom":
            dx = dxp[:, :, 2 * p : 2 * p + H, 2 * p : 2 * p + W]
        else:
            dx = dxp[:, :, p : p + H, p : p + W]
        return dx.astype(dtype)

    return fn


def test_conv_dx_student_helper_without_mistakes_passes(capsys):
    ok, out = run(ex.check_conv_backward, student(), capsys)
    assert ok, out


def test_conv_dx_hidden_cases_cover_dilation_stride_and_unread_rows():
    """Dilation 1 to 3, strides 1 to 3, non-square kernels, a > p, and rows unread inside the image."""
    cases = ex.nb04._dx_cases()
    assert {c["dilation"] for c in cases} == {1, 2, 3} and {c["stride"] for c in cases} == {1, 2, 3}
    assert any(c["w"].shape[2] != c["w"].shape[3] for c in cases)
    assert cases[0]["dilation"] == 1 and cases[0]["stride"] == 1 and cases[1]["dilation"] > 1
    geometries = [(c["x_shape"][2], c["w"].shape[2], c["stride"], c["padding"], c["dilation"]) for c in cases]
    assert any(cl.stride_leftover(*g) > g[3] for g in geometries)  # input rows below the last window
    inside = []
    for H, K, s, p, d in geometries:
        unread = np.flatnonzero(~cl.rows_read(H, K, s, p, d))
        last_read = np.flatnonzero(cl.rows_read(H, K, s, p, d)).max()
        if np.gcd(s, d) > 1 and np.any(unread < last_read):
            inside.append((s, d))
    assert inside  # stride and dilation share a factor: rows inside the image unread


@pytest.mark.parametrize(
    "flags, hint",
    [
        (dict(reshape=True), "dy.reshape(-1, F) mixes up the axes"),
        (dict(caffe=True), "transposed layout"),
        (dict(flip=True), "rotated by 180 degrees"),
        (dict(crop="none"), "still includes the padding"),
        (dict(crop="minus"), "-0 is 0"),
        (dict(span_buffer=True), "leftover input rows"),
        (dict(assign=True), "don't assign"),
        (dict(step=1), "stride rows apart"),
        (dict(filter0=True), "only filter 0's share"),
        (dict(mixed=True), "stride and dilation are mixed up"),
        (dict(crop="top"), "it kept the first H of the padded dx"),
        (dict(crop="bottom"), "it kept the last H of the padded dx"),
        (dict(undilated=True), "dx is right for dilation 1 only, and this case has dilation 2"),
        (dict(last_tap_missing=True), "i*s : i*s + d*(KH-1) + 1 : d"),
    ],
)
def test_conv_dx_hints(flags, hint, capsys):
    ok, out = run(ex.check_conv_backward, student(**flags), capsys)
    assert not ok and hint in out, out


def test_conv_dx_float32_is_judged_at_float32s_tolerance(capsys):
    """One decision, in run_checker: a float32 answer is compared at float32's tolerance; values computed in
    float32 but returned as float64 are told to compute in float64, and no hint blames the formula."""
    ok, out = run(ex.check_conv_backward, student(dtype=np.float32), capsys)
    assert ok, out

    def inside(dy, w, x_shape, stride, padding, dilation):
        f32 = student(dtype=np.float32)(dy.astype(np.float32), w.astype(np.float32), x_shape, stride, padding, dilation)
        return f32.astype(np.float64)

    ok, out = run(ex.check_conv_backward, inside, capsys)
    hint = out.split("hint:")[-1]
    assert not ok and "compute in float64" in hint and "float32" in hint and "dx of padded pixel" not in hint, out


def test_conv_dx_wrong_float32_still_gets_the_mistake(capsys):
    ok, out = run(ex.check_conv_backward, student(assign=True, dtype=np.float32), capsys)
    assert not ok and "don't assign" in out and "float32" not in out, out


def backward_by_index(dy, x, w, stride=1, padding=0):
    """Copied from the notebook's section 1: the three formulas as loops, dilation 1 only."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    db = np.zeros(F)
    for n in range(N):
        for f in range(F):
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    rows = slice(i * stride, i * stride + KH)
                    cols = slice(j * stride, j * stride + KW)
                    db[f] += dy[n, f, i, j]
                    dw[f] += dy[n, f, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dy[n, f, i, j] * w[f]  # += : stamps add up
    return dxp[:, :, padding : padding + H, padding : padding + W], dw, db


def test_conv_dx_rejects_the_loops_on_screen(capsys):
    """The notebook shows backward_by_index above the exercise: as it stands, it must not pass."""
    ok, out = run(ex.check_conv_backward, backward_by_index, capsys)
    assert not ok and "raised TypeError" in out and "keep that signature" in out, out


def test_conv_dx_rejects_the_loops_on_screen_with_dilation_ignored(capsys):
    """A student who only adapts the call passes case 1 (dilation 1) and is told about the dilation at case 2."""

    def with_dilation_ignored(dy, w, x_shape, stride, padding, dilation):
        return backward_by_index(dy, np.zeros(x_shape), w, stride, padding)[0]

    ok, out = run(ex.check_conv_backward, with_dilation_ignored, capsys)
    assert not ok and "case 2 of 6" in out, out
    assert "dx is right for dilation 1 only, and this case has dilation 2" in out, out


def test_conv_dx_span_buffer_with_minus_crop_gets_a_hint(capsys):
    # the buffer ends where the windows end and the crop is [p:-p]: wrong at p = 0 first
    ok, out = run(ex.check_conv_backward, student(span_buffer=True, crop="minus"), capsys)
    assert not ok and "-0 is 0" in out


@pytest.mark.parametrize(
    "routine", ["conv2d_backward", "col2im", "conv_transpose2d", "Conv2d.backward", "numerical_gradient"]
)
def test_conv_dx_rejects_library_routines(routine, capsys):
    def delegating(dy, w, x_shape, stride, padding, dilation):
        F, C, KH, KW = w.shape
        x = np.zeros(x_shape)
        if routine == "conv2d_backward":
            return cl.conv2d_backward(dy, x, w, stride, padding, dilation)[0]
        if routine == "Conv2d.backward":
            layer = cl.Conv2d(C, F, (KH, KW), stride=stride, padding=padding, dilation=dilation, bias=False)
            layer.weight = w
            layer.forward(x)
            return layer.backward(dy)
        if routine == "numerical_gradient":  # exact up to rounding: the forward pass is linear in x
            forward = lambda t: cl.conv2d(t, w, stride=stride, padding=padding, dilation=dilation)
            return cl.numerical_gradient(forward, x, dy)
        if routine == "col2im":
            dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F)
            return cl.col2im(dy_mat @ w.reshape(F, -1), x_shape, (KH, KW), stride, padding, dilation)
        return cl.conv_transpose2d(dy, w, stride, padding, dilation=dilation)

    ok, out = run(ex.check_conv_backward, delegating, capsys)
    assert not ok and f"without {routine}" in out, out


@pytest.mark.parametrize(
    "odd",
    [
        lambda dy, w, x_shape, stride, padding, dilation: None,
        lambda dy, w, x_shape, stride, padding, dilation: "dx",
        lambda dy, w, x_shape, stride, padding, dilation: (np.zeros(3),),
        lambda dy, w, x_shape, stride, padding, dilation: (None, None, None),
        lambda dy, w, x_shape, stride, padding, dilation: ("a", "b", "c"),
        lambda dy, w, x_shape, stride, padding, dilation: [np.zeros((2, 2))] * 3,
        lambda dy, w, x_shape, stride, padding, dilation: np.zeros((3, 2, 2)),
        lambda dy, w, x_shape, stride, padding, dilation: 1 / 0,
        lambda dy, w, x_shape, stride, padding, dilation: sys.exit(1),
        lambda dy, w, x_shape, stride, padding, dilation: dy.reshape(-1, 7),
    ],
)
def test_conv_dx_never_raises(odd, capsys):
    ok, out = run(ex.check_conv_backward, odd, capsys)
    assert not ok and "hint" in out


def test_conv_dx_reports_mutated_input(capsys):
    def mutating(dy, w, x_shape, stride, padding, dilation):
        w *= 0
        return SOL.my_conv_dx(dy, w, x_shape, stride, padding, dilation)

    ok, out = run(ex.check_conv_backward, mutating, capsys)
    assert not ok and "changed its input w" in out


def test_conv_dx_broadcast_error_gets_the_buffer_hint(capsys):
    def unpadded_buffer(dy, w, x_shape, stride, padding, dilation):
        d = dilation
        KH, KW = w.shape[2:]
        dxp = np.zeros(x_shape)  # the padding forgotten: windows run off the end once p > 0
        for i in range(dy.shape[2]):
            for j in range(dy.shape[3]):
                rows = slice(i * stride, i * stride + d * (KH - 1) + 1, d)
                columns = slice(j * stride, j * stride + d * (KW - 1) + 1, d)
                dxp[:, :, rows, columns] += np.einsum("nf,fcuv->ncuv", dy[:, :, i, j], w)
        return dxp

    ok, out = run(ex.check_conv_backward, unpadded_buffer, capsys)
    assert not ok and "case 2 of 6 raised ValueError" in out and "padded input's shape (N, C, H + 2p, W + 2p)" in out, (
        out
    )


# --- 3. find the bug: dw as a correlation -------------------------------------------------------------


def dw_corr(dilate=True, crop="first"):
    def fn(dy, x, kernel_size, stride, padding):
        N, C = x.shape[:2]
        F = dy.shape[1]
        KH, KW = kernel_size
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        out = []
        for f in range(F):
            row = []
            for c in range(C):
                g = sum(cl.corr2d(xp[n, c], dy[n, f], dilation=stride if dilate else 1) for n in range(N))
                if crop == "first":
                    g = g[:KH, :KW]
                elif crop == "last":
                    g = g[-KH:, -KW:]
                row.append(g)
            out.append(row)
        return np.array(out)

    return fn


def test_dw_correlation_the_function_shown_gets_the_dilation_hint(capsys):
    def as_shown(dy, x, kernel_size, stride, padding):
        N, C = x.shape[:2]
        F = dy.shape[1]
        KH, KW = kernel_size
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        dw = np.zeros((F, C, KH, KW))
        for n in range(N):
            for f in range(F):
                for c in range(C):
                    dw[f, c] += cl.corr2d(xp[n, c], dy[n, f])[:KH, :KW]
        return dw

    ok, out = run(ex.check_dw_correlation, as_shown, capsys)
    assert not ok and "case 2 of 4" in out and "dilation" in out, out


@pytest.mark.parametrize(
    "flags, hint",
    [
        (dict(crop=None), "Keep the first KH rows"),
        (dict(crop="last"), "you kept the last KH rows"),
        (dict(dilate=False), "dilation = stride"),
    ],
)
def test_dw_correlation_hints(flags, hint, capsys):
    ok, out = run(ex.check_dw_correlation, dw_corr(**flags), capsys)
    assert not ok and hint in out, out


def test_dw_correlation_missing_crop_with_the_dilation_right_leads_with_the_crop(capsys):
    def uncropped_in_place(dy, x, kernel_size, stride, padding):
        N, C = x.shape[:2]
        F = dy.shape[1]
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        dw = np.zeros((F, C) + tuple(kernel_size))
        for n in range(N):
            for f in range(F):
                for c in range(C):
                    dw[f, c] += cl.corr2d(xp[n, c], dy[n, f], dilation=stride)  # no [:KH, :KW]
        return dw

    ok, out = run(ex.check_dw_correlation, uncropped_in_place, capsys)
    assert not ok and "case 3 of 4" in out and "the crop is missing" in out and "spread out" not in out, out


def test_dw_correlation_broadcast_error_without_the_dilation_gets_the_dilation_hint(capsys):
    def undilated_uncropped(dy, x, kernel_size, stride, padding):
        N, C = x.shape[:2]
        F = dy.shape[1]
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        dw = np.zeros((F, C) + tuple(kernel_size))
        for n in range(N):
            for f in range(F):
                for c in range(C):
                    dw[f, c] += cl.corr2d(xp[n, c], dy[n, f])  # neither dilated nor cropped
        return dw

    ok, out = run(ex.check_dw_correlation, undilated_uncropped, capsys)
    assert not ok and "spread out by the stride" in out and "the crop is missing" not in out, out


def test_dw_correlation_float32_is_judged_at_float32s_tolerance(capsys):
    """A float32 answer passes at float32's tolerance; computed in float32 and returned as float64, it is told
    to compute in float64, never that the formula is wrong."""

    def in_float32(dy, x, kernel_size, stride, padding):
        return SOL.dw_by_correlation(dy, x, kernel_size, stride, padding).astype(np.float32)

    ok, out = run(ex.check_dw_correlation, in_float32, capsys)
    assert ok, out

    def inside(dy, x, kernel_size, stride, padding):
        f32 = SOL.dw_by_correlation(dy.astype(np.float32), x.astype(np.float32), kernel_size, stride, padding)
        return np.asarray(f32, dtype=np.float64)

    ok, out = run(ex.check_dw_correlation, inside, capsys)
    hint = out.split("hint:")[-1]
    assert not ok and "compute in float64" in hint and "float32" in hint and "dilation = stride" not in hint, out


def test_dw_correlation_uncropped_passes_when_a_is_zero(capsys):
    # the second case has a = 0, the third a = 1: the missing crop is caught at case 3
    ok, out = run(ex.check_dw_correlation, dw_corr(crop=None), capsys)
    assert "case 3 of 4" in out


def test_dw_correlation_rejects_library_routines(capsys):
    def delegating(dy, x, kernel_size, stride, padding):
        w = np.zeros((dy.shape[1], x.shape[1]) + tuple(kernel_size))
        return cl.conv2d_backward(dy, x, w, stride, padding)[1]

    ok, out = run(ex.check_dw_correlation, delegating, capsys)
    assert not ok and "without conv2d_backward" in out

    def by_im2col(dy, x, kernel_size, stride, padding):
        F = dy.shape[1]
        cols = cl.im2col(x, kernel_size, stride, padding)
        return (dy.transpose(0, 2, 3, 1).reshape(-1, F).T @ cols).reshape(F, x.shape[1], *kernel_size)

    ok, out = run(ex.check_dw_correlation, by_im2col, capsys)
    assert not ok and "without im2col" in out


@pytest.mark.parametrize("odd", [None, "dw", 1 / 3, [[1]], ValueError("x")])
def test_dw_correlation_never_raises(odd, capsys):
    def fn(dy, x, kernel_size, stride, padding):
        if isinstance(odd, Exception):
            raise odd
        return odd

    ok, out = run(ex.check_dw_correlation, fn, capsys)
    assert not ok and "hint" in out


# --- 4. predict, then check -------------------------------------------------------------------------


def check_answer(rows, cols, capsys):
    assert ex.check_zero_dx(rows, cols) is None
    return capsys.readouterr().out


def test_zero_dx_unanswered(capsys):
    out = check_answer(None, None, capsys)
    assert "not answered yet" in out


def test_zero_dx_solution_and_independent_count(capsys):
    assert "correct" in check_answer(SOL.zero_rows, SOL.zero_cols, capsys)
    # independent of rows_read: run the backward pass on random dy and w and look for all-zero rows/columns
    L = ex.ZERO_DX_LAYER
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 1, L["H"], L["W"]))
    w = rng.standard_normal((1, 1) + L["kernel_size"])
    y = cl.conv2d(x, w, stride=L["stride"], padding=L["padding"], dilation=L["dilation"])
    dy = rng.standard_normal(y.shape)
    dx = cl.conv2d_backward(dy, x, w, L["stride"], L["padding"], L["dilation"], method="loops")[0][0, 0]
    rows = [int(r) for r in np.flatnonzero(np.all(dx == 0, axis=1))]
    cols = [int(c) for c in np.flatnonzero(np.all(dx == 0, axis=0))]
    assert "correct" in check_answer(rows, cols, capsys)
    assert "correct" in check_answer(np.array(rows), tuple(cols), capsys)


@pytest.mark.parametrize(
    "rows, cols, hint",
    [
        ([0, 8], [0, 7], "only p = 1 are bottom padding"),
        ([0, 8, 10], [0, 7, 8], "leftover columns (a = 1, right of the last window) are all right padding"),
        ([], [], "rows: that is the answer without dilation"),
        ([0, 8, 10], [], "columns: that is the answer without dilation"),
        ([10], [0, 7], "between two taps"),
        ([0, 8, 10], [0], "between two taps"),
        ([1, 9, 11, 12], [0, 7], "padded index"),
        ([0, 8, 10], [1, 8], "padded index"),
        ([0, 8, 10], [-1], "number them like the input"),
        ("1, 4", [], "list of whole numbers"),
        ([1.5], [], "list of whole numbers"),
        (None, [], "list of whole numbers"),
        ([[1, 4]], [], "list of whole numbers"),
    ],
)
def test_zero_dx_hints(rows, cols, hint, capsys):
    out = check_answer(rows, cols, capsys)
    assert "not yet" in out and hint in out, out


@pytest.mark.parametrize(
    "rows, cols, also",
    [([0, 8], [0, 7, 8], True), ([], [0], True), ([0, 8], [0, 7], False), ([0, 8], SOL.zero_cols, False)],
)
def test_zero_dx_rows_hint_says_when_the_columns_are_wrong_too(rows, cols, also, capsys):
    out = check_answer(rows, cols, capsys)
    assert "not yet" in out and "rows:" in out, out
    assert ("The columns are wrong too" in out) == also, out


def test_zero_dx_layer_needs_the_dilation_and_has_a_leftover_input_row():
    L = ex.ZERO_DX_LAYER
    s, p, d = L["stride"], L["padding"], L["dilation"]
    for n, k in zip((L["H"], L["W"]), L["kernel_size"]):
        assert not np.array_equal(cl.rows_read(n, k, s, p, d), cl.rows_read(n, k, s, p))
    assert cl.stride_leftover(L["H"], L["kernel_size"][0], s, p, d) > p  # an input row below the last window
    assert cl.stride_leftover(L["W"], L["kernel_size"][1], s, p, d) <= p  # only padding right of the last window
