"""Checkers of notebook 02: reference solutions pass, each documented mistake gets its own hint."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from conv_lab import speed
from tests.exercises.helpers import load, not_done, run

SOL = load("nb02")
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "02_im2col.ipynb"


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_windows_1d, "my_windows_1d"),
        (ex.check_im2col_nhwc, "my_im2col_nhwc"),
        (ex.check_col2im, "col2im_by_loops"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(SOL, solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


ODD_RETURNS = [None, "cols", 3, (1, 2), [[1, 2], [3]], ZeroDivisionError("x"), SystemExit(1)]


def odd(value):
    def fn(*args, **kwargs):
        if isinstance(value, BaseException):
            raise value
        return value

    return fn


# --- 1. warm-up -------------------------------------------------------------------------------------


def windows_1d(
    off_by_one=False,
    no_stride=False,
    as_columns=False,
    reversed_rows=False,
    span="dilated",
    taps_dilated=True,
    pad="right",
):
    """The solution with one documented mistake.

    span: "dilated" d*(K-1) + 1 (right), "K*d", "K" (dilation ignored in the count), or "partial" (as many
    windows as without dilation, each cut off by the end of x, returned as a list).
    pad: "right", "ignored", "swapped" (after in front) or "before twice" (both ends padded with before).
    """

    def fn(x, K, stride, dilation, padding):
        before, after = padding
        before, after = {
            "right": (before, after),
            "ignored": (0, 0),
            "swapped": (after, before),
            "before twice": (before, before),
        }[pad]
        x = np.concatenate([np.zeros(before), x, np.zeros(after)])
        s = 1 if no_stride else stride
        d = dilation if taps_dilated else 1
        reach = {"dilated": dilation * (K - 1) + 1, "K*d": K * dilation, "K": K, "partial": K}[span]
        OH = (len(x) - reach) // s + (0 if off_by_one else 1)
        rows = [x[i * s : i * s + d * (K - 1) + 1 : d] for i in range(OH)]
        if span == "partial":
            return rows
        rows = np.array(rows).reshape(OH, K)
        if reversed_rows:
            rows = rows[:, ::-1]
        return rows.T if as_columns else rows

    return fn


@pytest.mark.parametrize(
    "flags, hint",
    [
        (dict(off_by_one=True), "one window short"),
        (dict(no_stride=True), "stride ignored"),
        (dict(as_columns=True), "your windows are columns"),
        (dict(reversed_rows=True), "each window is reversed"),
        (dict(span="K*d"), "not K*d"),
        (dict(span="K", taps_dilated=False), "dilation ignored: the taps"),
        (dict(taps_dilated=False), "dilation ignored inside the window"),
        (dict(span="partial"), "are partial: they run past the end of the padded x"),
        (dict(pad="ignored"), "padding ignored"),
        (dict(pad="swapped"), "padding swapped"),
        (dict(pad="before twice"), "both ends padded alike"),
    ],
)
def test_windows_1d_hints(flags, hint, capsys):
    ok, out = run(ex.check_windows_1d, windows_1d(**flags), capsys)
    assert not ok and hint in out, out


def test_windows_1d_partial_windows_stacked_by_numpy_get_their_hint(capsys):
    def stacked(x, K, stride, dilation, padding):
        return np.array(windows_1d(span="partial")(x, K, stride, dilation, padding))  # ragged: numpy raises

    ok, out = run(ex.check_windows_1d, stacked, capsys)
    assert not ok and "partial, cut off by the end of the padded x" in out, out


def test_windows_1d_cases_need_the_dilated_span_and_both_paddings():
    """Some hidden case has dilation and leftover samples, and K*d gives a different count there; the
    padding differs at the two ends somewhere, both ways round."""
    cases = ex.nb02.WINDOWS_1D_CASES
    length = [len(c["x"]) + sum(c["padding"]) for c in cases]
    assert any(c["dilation"] > 1 and c["stride"] > 1 for c in cases)
    assert any(
        (H - c["dilation"] * (c["K"] - 1) - 1) // c["stride"] != (H - c["K"] * c["dilation"]) // c["stride"]
        for c, H in zip(cases, length)
    )
    assert any((H - c["dilation"] * (c["K"] - 1) - 1) % c["stride"] for c, H in zip(cases, length))  # a leftover
    assert any(c["padding"][0] > c["padding"][1] for c in cases) and any(
        c["padding"][0] < c["padding"][1] for c in cases
    )
    # an independent oracle: every tap inside the padded x, by loops, padding read sample by sample
    for c in cases:
        x, K, s, d, (before, after) = c["x"], c["K"], c["stride"], c["dilation"], c["padding"]
        H = len(x) + before + after

        samples = {before + j: v for j, v in enumerate(x)}  # padded index -> sample; the rest are zeros
        rows = []
        start = 0
        while start + d * (K - 1) < H:
            rows.append([samples.get(start + t * d, 0.0) for t in range(K)])
            start += s
        np.testing.assert_array_equal(SOL.my_windows_1d(x, K, s, d, (before, after)), np.array(rows))


def test_windows_1d_rejects_library(capsys):
    ok, out = run(
        ex.check_windows_1d,
        lambda x, K, stride, dilation, padding: cl.sliding_windows(
            np.pad(x, padding)[None, None, None], (1, K), stride, dilation
        )[0, 0, 0],
        capsys,
    )
    assert not ok and "without sliding_windows" in out


@pytest.mark.parametrize(
    "form",
    [
        lambda rows: list(rows),  # a list of window arrays
        lambda rows: [r.tolist() for r in rows],  # a list of lists
        lambda rows: tuple(rows),
        lambda rows: rows,  # one array
    ],
    ids=["list of arrays", "list of lists", "tuple of arrays", "array"],
)
def test_windows_1d_accepts_every_correct_form(form, capsys):
    ok, out = run(
        ex.check_windows_1d,
        lambda x, K, stride, dilation, padding: form(SOL.my_windows_1d(x, K, stride, dilation, padding)),
        capsys,
    )
    assert ok, out


def test_windows_1d_numpy_sliding_window_view_allowed(capsys):
    def by_numpy(x, K, stride, dilation, padding):
        v = np.lib.stride_tricks.sliding_window_view(
            np.pad(x, padding), dilation * (K - 1) + 1
        )  # (H' - span + 1, span)
        return v[::stride, ::dilation]  # (OH, K)

    ok, out = run(ex.check_windows_1d, by_numpy, capsys)
    assert ok, out


def test_windows_1d_list_of_windows_still_gets_its_hints(capsys):
    short_list = lambda x, K, stride, dilation, padding: list(  # noqa: E731
        windows_1d(off_by_one=True)(x, K, stride, dilation, padding)
    )
    ok, out = run(ex.check_windows_1d, short_list, capsys)
    assert not ok and "one window short" in out, out
    ragged = lambda x, K, stride, dilation, padding: [x[i * stride : i * stride + K] for i in range(len(x))]  # noqa: E731
    ok, out = run(ex.check_windows_1d, ragged, capsys)
    assert not ok and "hint" in out, out


@pytest.mark.parametrize("value", ODD_RETURNS)
def test_windows_1d_never_raises(value, capsys):
    ok, out = run(ex.check_windows_1d, odd(value), capsys)
    assert not ok and "hint" in out


# --- 2. im2col for channels-last images ----------------------------------------------------------------


def nhwc_student(
    order="hwc",
    rows="hw",
    dilate=True,
    pad=True,
    pad_axes="hw",
    stride_on=True,
    layout="rows",
    span_dilated=True,
    span_kd=False,
    int_kernel=True,
):
    """The solution with one documented mistake; no forbidden routine."""

    def fn(x, kernel_size, stride, padding, dilation):
        if int_kernel and isinstance(kernel_size, int):
            kernel_size = (kernel_size, kernel_size)
        KH, KW = kernel_size
        N, H, W, C = x.shape
        p = padding if pad else 0
        s = stride if stride_on else 1
        d = dilation if dilate else 1
        if pad_axes == "hw":
            xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        elif pad_axes == "hwc":  # C padded too
            xp = np.pad(x, ((0, 0), (p, p), (p, p), (p, p)))
        elif pad_axes == "all":  # np.pad(x, p): every axis
            xp = np.pad(x, p)
        else:  # section 3's np.pad, copied onto (N, H, W, C): pads W and C
            xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        N = xp.shape[0]
        sd = dilation if span_dilated else 1
        OH = (xp.shape[1] - sd * (KH - 1) - 1) // s + 1
        OW = (xp.shape[2] - sd * (KW - 1) - 1) // s + 1
        if span_kd:  # a window taken to span K*d pixels
            OH = (xp.shape[1] - KH * dilation) // s + 1
            OW = (xp.shape[2] - KW * dilation) // s + 1
        out = np.zeros((N, OH, OW, KH * KW * xp.shape[3]))
        for n in range(N):
            for i in range(OH):
                for j in range(OW):
                    win = xp[n, i * s : i * s + d * (KH - 1) + 1 : d, j * s : j * s + d * (KW - 1) + 1 : d]
                    win = {"chw": win.transpose(2, 0, 1), "wh": win.transpose(1, 0, 2)}.get(order, win)
                    out[n, i, j] = win.ravel()
        if rows == "wh":
            out = out.transpose(0, 2, 1, 3)
        elif rows == "n last":  # cs231n's order: (oh, ow, n)
            out = out.transpose(1, 2, 0, 3)
        cols = out.reshape(N * OH * OW, -1)
        return cols.T if layout == "columns" else cols

    return fn


@pytest.mark.parametrize(
    "flags, hint",
    [
        (dict(order="chw"), "(c, kh, kw) order"),
        (dict(rows="wh"), "(n, ow, oh) order"),
        (dict(rows="n last"), "rows are in (oh, ow, n) order"),
        (dict(order="wh"), "(kw, kh, c) order (kh and kw swapped)"),
        (dict(order="chw", rows="wh"), "(n, ow, oh) order"),
        (dict(pad_axes="hwc"), "you padded the channel axis too: each window has"),
        (dict(pad_axes="all"), "np.pad(x, p) pads every axis"),
        (dict(span_kd=True), "spans d*(KH - 1) + 1 rows, not KH*d"),
        (dict(dilate=False), "dilation ignored inside the window"),
        (dict(dilate=False, span_dilated=False), "dilation ignored in the output size"),
        (dict(layout="columns"), "your windows are columns"),
        (dict(pad=False), "padding ignored"),
        (dict(pad_axes="wc"), "np.pad padded the wrong axes"),
        (dict(stride_on=False), "stride ignored"),
        (dict(int_kernel=False), "turn an int k into (k, k)"),
    ],
)
def test_im2col_nhwc_hints(flags, hint, capsys):
    ok, out = run(ex.check_im2col_nhwc, nhwc_student(**flags), capsys)
    assert not ok and hint in out, out


def test_im2col_nhwc_int_only_kernel_size_gets_its_hint(capsys):
    def int_only(x, kernel_size, stride, padding, dilation):
        return (
            SOL.my_im2col_nhwc(x, kernel_size, stride, padding, dilation)
            if isinstance(kernel_size, int)
            else (
                nhwc_student()(x, (kernel_size, kernel_size), stride, padding, dilation)  # KH = KW = kernel_size
            )
        )

    def square_only(x, kernel_size, stride, padding, dilation):
        span = dilation * (kernel_size - 1) + 1  # an int-only function: (3, 2) - 1 raises a TypeError
        return SOL.my_im2col_nhwc(x, (span - 1) // dilation + 1, stride, padding, dilation)

    for student in (int_only, square_only):
        ok, out = run(ex.check_im2col_nhwc, student, capsys)
        assert not ok and "not an int: it can be a pair (KH, KW)" in out, out


def test_im2col_nhwc_int_kernel_case_is_there():
    kernels = [case["kernel_size"] for case in ex.nb02._nhwc_cases()]
    assert any(isinstance(k, int) for k in kernels) and any(isinstance(k, tuple) and k[0] != k[1] for k in kernels)


def _notebook_im2col_strided():
    """Section 3's im2col_strided, exactly as the notebook shows it."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    source = next("".join(c["source"]) for c in nb["cells"] if "def im2col_strided" in "".join(c["source"]))
    code = source[: source.index("\n\n\nfor ")]
    namespace = {"np": np}
    exec(code, namespace)  # noqa: S102 - the notebook's own cell
    return namespace["im2col_strided"]


def test_a_wrapper_around_the_notebooks_im2col_strided_is_rejected_with_its_hint(capsys):
    im2col_strided = _notebook_im2col_strided()

    def wrapper(x, kernel_size, stride, padding, dilation):
        KH, KW = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
        return im2col_strided(x, KH, KW, stride, padding, dilation)

    ok, out = run(ex.check_im2col_nhwc, wrapper, capsys)
    assert not ok and "axes 1 and 2" in out and "im2col_strided" in out, out

    def wrapper_on_nchw(x, kernel_size, stride, padding, dilation):
        KH, KW = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
        return im2col_strided(x.transpose(0, 3, 1, 2), KH, KW, stride, padding, dilation)

    ok, out = run(ex.check_im2col_nhwc, wrapper_on_nchw, capsys)
    assert not ok and "(c, kh, kw) order" in out, out


def test_im2col_nhwc_per_sample_layout_hint(capsys):
    def per_sample(x, kernel_size, stride, padding, dilation):
        cols = SOL.my_im2col_nhwc(x, kernel_size, stride, padding, dilation)
        return cols.reshape(x.shape[0], -1, cols.shape[1])  # (N, OH*OW, KH*KW*C)

    ok, out = run(ex.check_im2col_nhwc, per_sample, capsys)
    assert not ok and "stack the batch into the rows" in out


@pytest.mark.parametrize("routine", ["im2col", "sliding_windows"])
def test_im2col_nhwc_rejects_library(routine, capsys):
    def delegating(x, kernel_size, stride, padding, dilation):
        KH, KW = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
        C = x.shape[3]
        x_nchw = x.transpose(0, 3, 1, 2)
        if routine == "im2col":
            cols = cl.im2col(x_nchw, kernel_size, stride, padding, dilation)
        else:
            v = cl.sliding_windows(cl.pad2d(x_nchw, padding), kernel_size, stride, dilation)  # (N, C, OH, OW, KH, KW)
            cols = v.transpose(0, 2, 3, 1, 4, 5).reshape(-1, C * KH * KW)
        return cols.reshape(-1, C, KH, KW).transpose(0, 2, 3, 1).reshape(cols.shape)

    ok, out = run(ex.check_im2col_nhwc, delegating, capsys)
    assert not ok and f"without {routine}" in out


def test_im2col_nhwc_numpy_stride_tricks_allowed(capsys):
    def strided(x, kernel_size, stride, padding, dilation):
        KH, KW = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
        xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
        span = (dilation * (KH - 1) + 1, dilation * (KW - 1) + 1)
        v = np.lib.stride_tricks.sliding_window_view(xp, span, axis=(1, 2))  # (N, OH', OW', C, span_h, span_w)
        v = v[:, ::stride, ::stride, :, ::dilation, ::dilation]  # (N, OH, OW, C, KH, KW)
        N, OH, OW, C = v.shape[:4]
        return v.transpose(0, 1, 2, 4, 5, 3).reshape(N * OH * OW, KH * KW * C)  # (kh, kw, c) columns

    ok, out = run(ex.check_im2col_nhwc, strided, capsys)
    assert ok, out


def test_im2col_nhwc_solution_against_the_forward_pass():
    """The statement's promise: cols @ w.transpose(0, 2, 3, 1).reshape(F, -1).T is the forward pass."""
    rng = np.random.default_rng(7)
    for case in ex.nb02._nhwc_cases():
        x = case["x"]
        KH, KW = (case["kernel_size"],) * 2 if isinstance(case["kernel_size"], int) else case["kernel_size"]
        w = rng.standard_normal((3, x.shape[3], KH, KW))
        s, p, d = case["stride"], case["padding"], case["dilation"]
        cols = SOL.my_im2col_nhwc(x, case["kernel_size"], s, p, d)
        y = cl.conv2d(x.transpose(0, 3, 1, 2), w, stride=s, padding=p, dilation=d, method="loops")  # (N, F, OH, OW)
        y_gemm = cols @ w.transpose(0, 2, 3, 1).reshape(3, -1).T  # (N*OH*OW, F)
        np.testing.assert_allclose(y_gemm, y.transpose(0, 2, 3, 1).reshape(-1, 3), atol=1e-12)


def test_im2col_nhwc_reports_mutation(capsys):
    def mutating(x, kernel_size, stride, padding, dilation):
        x += 1
        return SOL.my_im2col_nhwc(x - 1, kernel_size, stride, padding, dilation)

    ok, out = run(ex.check_im2col_nhwc, mutating, capsys)
    assert not ok and "changed its input x" in out


@pytest.mark.parametrize("value", ODD_RETURNS)
def test_im2col_nhwc_never_raises(value, capsys):
    ok, out = run(ex.check_im2col_nhwc, odd(value), capsys)
    assert not ok and "hint" in out


# --- 3. find the bug: col2im ----------------------------------------------------------------------------


def _notebook_cell(marker):
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return next("".join(c["source"]) for c in nb["cells"] if marker in "".join(c["source"]))


def _notebook_buggy_col2im():
    """The find-the-bug function, exactly as the notebook shows it."""
    source = _notebook_cell('def col2im_by_loops(cols, x_shape, kernel_size, stride, padding, dilation):\n    """')
    namespace = {"np": np}
    exec(source[: source.index("\n\n\n")], namespace)  # noqa: S102 - the notebook's own cell
    return namespace["col2im_by_loops"]


def col2im_student(step_stride=True, assign=False, crop="slice", canvas="padded", dilate=True):
    def fn(cols, x_shape, kernel_size, stride, padding, dilation):
        N, C, H, W = x_shape
        KH, KW = kernel_size
        p, d = padding, dilation
        span_h, span_w = d * (KH - 1) + 1, d * (KW - 1) + 1
        OH = (H + 2 * p - span_h) // stride + 1
        OW = (W + 2 * p - span_w) // stride + 1
        c6 = cols.reshape(N, OH, OW, C, KH, KW)
        if canvas == "padded":
            xp = np.zeros((N, C, H + 2 * p, W + 2 * p))
        elif canvas == "rows only":  # a half fix: rows full, columns still end with the last window
            xp = np.zeros((N, C, H + 2 * p, (OW - 1) * stride + span_w))
        else:  # ends where the last window ends: the bug shown
            xp = np.zeros((N, C, (OH - 1) * stride + span_h, (OW - 1) * stride + span_w))
        s = stride if step_stride else 1
        t = d if dilate else 1
        for i in range(OH):
            for j in range(OW):
                window = (
                    slice(None),
                    slice(None),
                    slice(i * s, i * s + t * (KH - 1) + 1, t),
                    slice(j * s, j * s + t * (KW - 1) + 1, t),
                )
                if assign:
                    xp[window] = c6[:, i, j]
                else:
                    xp[window] += c6[:, i, j]
        if crop == "none":
            return xp
        if crop == "minus":
            return xp[:, :, p:-p, p:-p]
        return xp[:, :, p : p + H, p : p + W]

    return fn


def test_col2im_the_function_shown_passes_its_example_and_fails_where_a_exceeds_p(capsys):
    shown = _notebook_buggy_col2im()
    ok, out = run(ex.check_col2im, shown, capsys)
    assert not ok and "case 5 of 6" in out and "a > p" in out and "stops where the last window stops" in out, out
    assert "H + 2p" not in out and "zeros" not in out, out  # the hint names the mistake, not the fix
    # the same mistake rebuilt here, so that the hint does not hang on the notebook's text alone
    ok, out = run(ex.check_col2im, col2im_student(canvas="window span"), capsys)
    assert not ok and "case 5 of 6" in out and "a > p" in out, out


def test_col2im_hidden_cases_are_the_promised_split():
    """The function shown passes exactly the cases with a <= p on both axes, and there are both kinds."""
    shown = _notebook_buggy_col2im()
    passes = []
    for case in ex.nb02._col2im_cases():
        _, _, H, W = case["x_shape"]
        (KH, KW), s, p, d = case["kernel_size"], case["stride"], case["padding"], case["dilation"]
        a = (cl.stride_leftover(H, KH, s, p, d), cl.stride_leftover(W, KW, s, p, d))
        expected = cl.col2im(case["cols"], case["x_shape"], (KH, KW), s, p, d)
        got = shown(**case)
        agree = got.shape == expected.shape and np.allclose(got, expected)
        assert agree == (max(a) <= p), (case["x_shape"], a, p)
        passes.append(agree)
    assert any(passes) and not all(passes)


def test_col2im_example_in_the_notebook_has_a_at_most_p():
    """The notebook's example call (N, C, H, W) = (2, 3, 7, 6), K = (3, 2), s = 2, p = 1, d = 2 has a = (0, 1)."""
    source = _notebook_cell('def col2im_by_loops(cols, x_shape, kernel_size, stride, padding, dilation):\n    """')
    assert "(2, 3, 7, 6), (3, 2), 2, 1, 2" in source
    assert (cl.stride_leftover(7, 3, 2, 1, 2), cl.stride_leftover(6, 2, 2, 1, 2)) == (0, 1)


@pytest.mark.parametrize(
    "flags, hint",
    [
        (dict(assign=True), "don't assign"),
        (dict(assign=True, canvas="window span"), "don't assign"),
        (dict(step_stride=False), "not at (i, j)"),
        (dict(dilate=False), "dilation ignored inside the window"),
        (dict(crop="none"), "still includes the padding"),
        (dict(crop="minus"), "-0 is 0"),
        (dict(canvas="rows only"), "a > p"),
    ],
)
def test_col2im_hints(flags, hint, capsys):
    ok, out = run(ex.check_col2im, col2im_student(**flags), capsys)
    assert not ok and hint in out, out


@pytest.mark.parametrize("canvas", ["padded", "window span"])
def test_col2im_crop_without_the_p_offset_gets_its_hint(canvas, capsys):
    full = col2im_student(canvas=canvas, crop="none")

    def no_offset(cols, x_shape, kernel_size, stride, padding, dilation):
        _, _, H, W = x_shape
        return full(cols, x_shape, kernel_size, stride, padding, dilation)[:, :, :H, :W]

    ok, out = run(ex.check_col2im, no_offset, capsys)
    assert not ok and "you kept the first H rows and W columns" in out, out


def test_col2im_dilated_slice_without_step_gets_its_hint(capsys):
    def no_step(cols, x_shape, kernel_size, stride, padding, dilation):
        N, C, H, W = x_shape
        KH, KW = kernel_size
        span_h, span_w = dilation * (KH - 1) + 1, dilation * (KW - 1) + 1
        OH = (H + 2 * padding - span_h) // stride + 1
        OW = (W + 2 * padding - span_w) // stride + 1
        c6 = cols.reshape(N, OH, OW, C, KH, KW)
        xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
        for i in range(OH):
            for j in range(OW):
                xp[:, :, i * stride : i * stride + span_h, j * stride : j * stride + span_w] += c6[:, i, j]
        return xp[:, :, padding : padding + H, padding : padding + W]

    ok, out = run(ex.check_col2im, no_step, capsys)
    assert not ok and "slice with step d" in out, out


def test_col2im_rejects_library(capsys):
    ok, out = run(
        ex.check_col2im,
        lambda cols, x_shape, kernel_size, stride, padding, dilation: cl.col2im(
            cols, x_shape, kernel_size, stride, padding, dilation
        ),
        capsys,
    )
    assert not ok and "without col2im" in out


@pytest.mark.parametrize("value", ODD_RETURNS)
def test_col2im_never_raises(value, capsys):
    ok, out = run(ex.check_col2im, odd(value), capsys)
    assert not ok and "hint" in out


# --- 4. predict, then check -----------------------------------------------------------------------------


def answer(counts, capsys):
    assert ex.check_coverage_prediction(counts) is None
    return capsys.readouterr().out


def test_coverage_prediction_solution_and_brute_force(capsys):
    assert "correct" in answer(SOL.counts, capsys)
    # an independent count: every window's taps, by loops over the padded grid
    L = ex.COVERAGE_LAYER
    H, K, s, p, d = L["H"], L["kernel_size"], L["stride"], L["padding"], L["dilation"]
    OH = (H + 2 * p - d * (K - 1) - 1) // s + 1
    hits = np.zeros((H + 2 * p, H + 2 * p), int)
    for i in range(OH):
        for j in range(OH):
            for u in range(K):
                for v in range(K):
                    hits[i * s + u * d, j * s + v * d] += 1
    counts = [int(hits[r + p, q + p]) for r, q in ex.COVERAGE_PIXELS]
    assert "correct" in answer(counts, capsys)
    assert "correct" in answer(np.array(counts, dtype=float), capsys)


@pytest.mark.parametrize(
    "counts, hint",
    [
        ([4, 2, 1], "without dilation"),
        ([0, 0, 0], "shift by the padding"),
        ([9, 0], "whole numbers"),
        ("9, 0, 1", "whole numbers"),
        ([9.5, 0, 1], "whole numbers"),
        ([1, 2, 3], "multiply the two counts"),
    ],
)
def test_coverage_prediction_hints(counts, hint, capsys):
    out = answer(counts, capsys)
    assert "not yet" in out and hint in out, out


def test_coverage_prediction_unanswered(capsys):
    assert "not answered yet" in answer(None, capsys)


def test_odd_exit_is_caught(capsys):
    ok, out = run(ex.check_im2col_nhwc, lambda *a: sys.exit(2), capsys)
    assert not ok


def test_col2im_rejects_a_numerical_gradient_of_im2col(capsys):
    # im2col is linear, so its central difference is exact: <im2col(x), cols> differentiated in x is col2im(cols)
    def by_gradient(cols, x_shape, kernel_size, stride, padding, dilation):
        f = lambda x: cl.im2col(x, kernel_size, stride, padding, dilation)  # noqa: E731
        return cl.numerical_gradient(f, np.zeros(x_shape), cols, eps=1.0)

    ok, out = run(ex.check_col2im, by_gradient, capsys)
    assert not ok and "without numerical_gradient" in out


def test_im2col_nhwc_rejects_the_speed_modules_copy(capsys):
    def by_speed(x, kernel_size, stride, padding, dilation):
        KH, KW = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
        C = x.shape[3]
        w = np.zeros((1, C, KH, KW))
        cols = speed.forward_contenders(x.transpose(0, 3, 1, 2), w, stride, padding, dilation)["copy"]()
        return cols.reshape(-1, C, KH, KW).transpose(0, 2, 3, 1).reshape(cols.shape)

    ok, out = run(ex.check_im2col_nhwc, by_speed, capsys)
    assert not ok and "without speed.forward_contenders" in out


def test_col2im_rejects_the_transposed_matrix_of_im2col(capsys):
    def by_adjoint(cols, x_shape, kernel_size, stride, padding, dilation):
        basis = np.eye(int(np.prod(x_shape))).reshape(-1, *x_shape)
        A = np.stack([cl.im2col(e, kernel_size, stride, padding, dilation).ravel() for e in basis], axis=1)
        return (A.T @ cols.ravel()).reshape(x_shape)

    ok, out = run(ex.check_col2im, by_adjoint, capsys)
    assert not ok and "without im2col" in out
