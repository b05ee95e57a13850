"""Checkers of notebook 05: reference solutions pass, typical mistakes get their own hint."""

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from conv_lab.exercises import nb05
from tests.exercises.helpers import load, not_done, run


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_conv_transpose, "my_conv_transpose2d"),
        (ex.check_dx_by_scatter, "my_dx_by_scatter"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(load("nb05"), solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


# --- 2. the transposed convolution by the rot180 route ------------------------------------------


def student_transpose(insert="s", reach="dK", tap="d", add_op=True, sub_p=True, rotate=True, swap=True, prealloc=False):
    """A student's transposed convolution from the allowed blocks, with one step optionally wrong.

    prealloc: write each correlation into np.zeros of the right output shape (the natural style whose
    mistakes end in a broadcast error), instead of stacking the correlations.
    """

    def fn(y, w, stride, padding, output_padding, dilation):
        N, F, L, M = y.shape
        C = w.shape[1]
        amounts = []
        for K in w.shape[2:]:
            r = dilation * (K - 1) if reach == "dK" else K - 1
            q = padding if sub_p else 0
            amounts.append((r - q, r - q + (output_padding if add_op else 0)))
        factor = {"s": stride, "d": dilation, "s+1": stride + 1}[insert]
        g = cl.pad2d(cl.dilate2d(y, factor), tuple(amounts))
        k = cl.rot180(w) if rotate else w
        d_tap = {"d": dilation, "1": 1, "s": stride}[tap]
        chans = range(C) if swap else range(F)
        kernel = (lambda f, c: k[f, c]) if swap else (lambda f, c: k[f, c % C])
        if prealloc:
            size = [
                (n - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1
                for n, K in zip((L, M), w.shape[2:])
            ]
            out = np.zeros((N, len(chans), *size))
            for n in range(N):
                for c in chans:
                    for f in range(F):
                        out[n, c] += cl.corr2d(g[n, f], kernel(f, c), dilation=d_tap)
            return out
        return np.array(
            [[sum(cl.corr2d(g[n, f], kernel(f, c), dilation=d_tap) for f in range(F)) for c in chans] for n in range(N)]
        )

    return fn


MISTAKES = [  # (keyword arguments of student_transpose, the hint's words)
    (dict(add_op=False), "d(K-1) - p + output_padding on bottom/right"),
    (dict(reach="K"), "reaches d(K-1) rows, not K-1"),
    (dict(tap="1"), "keeps its dilation"),
    (dict(insert="s+1"), "insert s - 1 zeros"),
    (dict(sub_p=False), "the padding p was not taken off"),
]


@pytest.mark.parametrize(
    "kwargs, hint",
    MISTAKES
    + [
        (dict(insert="d", tap="s"), "the two spacings are swapped"),
        (dict(rotate=False), "the kernel is turned the wrong way round"),
        (dict(swap=False), "the result has C = 2 channels"),
    ],
)
def test_conv_transpose_hints(kwargs, hint, capsys):
    ok, out = run(ex.check_conv_transpose, student_transpose(**kwargs), capsys)
    assert not ok
    assert hint in out, out


def student_scatter(step="s", tap="d", kernel="w", op_side="bottom", crop="p", add=True, sum_f=True, use_op=True):
    """A student's transposed convolution in the scatter form, with one step optionally wrong."""

    def fn(y, w, stride, padding, output_padding, dilation):
        N, F, L, M = y.shape
        C, KH, KW = w.shape[1:]
        s, p, op, d = stride, padding, output_padding, dilation
        op = op if use_op else 0
        st = s if step == "s" else 1
        dt = d if tap == "d" else 1
        k = {
            "w": w,
            "rot180": w[..., ::-1, ::-1],
            "rows": w[..., ::-1, :],
            "reshape": np.stack([np.stack([w.reshape(C, F, KH, KW)[c, f] for c in range(C)]) for f in range(F)]),
        }[kernel]
        fh, fw = (L - 1) * st + dt * (KH - 1) + 1, (M - 1) * st + dt * (KW - 1) + 1
        canvas = np.zeros((N, C, fh + op, fw + op))
        for i in range(L):
            for j in range(M):
                for n in range(N):
                    for c in range(C):
                        stamp = sum(y[n, f, i, j] * k[f, c] for f in (range(F) if sum_f else range(1)))
                        region = (n, c, slice(i * st, i * st + dt * (KH - 1) + 1, dt),
                                  slice(j * st, j * st + dt * (KW - 1) + 1, dt))  # fmt: skip
                        if add:
                            canvas[region] += stamp
                        else:
                            canvas[region] = stamp
        H, W = fh - 2 * p + op, fw - 2 * p + op
        if op_side == "top":
            canvas = np.pad(canvas[:, :, :fh, :fw], ((0, 0), (0, 0), (op, 0), (op, 0)))
        if op_side == "zeros":  # crop p at both ends, then append output_padding zero rows
            out = np.zeros((N, C, H, W))
            out[:, :, : fh - 2 * p, : fw - 2 * p] = canvas[:, :, p : fh - p, p : fw - p]
            return out
        if crop == "none":
            return canvas
        t0 = {"p": p, "0": 0}[crop]
        return canvas[:, :, t0 : t0 + H, t0 : t0 + W]

    return fn


@pytest.mark.parametrize(
    "kwargs, hint",
    [
        (dict(step="1"), "copies are s apart"),
        (dict(tap="1"), "taps are d apart"),
        (dict(kernel="rot180"), "the kernel is turned the wrong way round"),
        (dict(kernel="rows"), "flipped the kernel's rows only"),
        (dict(kernel="reshape"), "reorders the numbers, it does not swap axes"),
        (dict(sum_f=False), "only channel f = 0 of y reached the result"),
        (dict(add=False), "overlapping copies add up"),
        (dict(op_side="top"), "output_padding adds rows at the bottom"),
        (dict(op_side="zeros"), "output_padding does not append zero rows"),
        (dict(crop="0"), "cut p rows at the top too"),
        (dict(crop="none"), "cut p rows at each end of the canvas"),
        (dict(use_op=False), "output_padding is missing: it adds that many rows at the bottom"),
    ],
)
def test_scatter_transpose_hints(kwargs, hint, capsys):
    ok, out = run(ex.check_conv_transpose, student_scatter(**kwargs), capsys)
    assert not ok
    assert hint in out, out


def test_scatter_transpose_student_passes_when_right(capsys):
    assert run(ex.check_conv_transpose, student_scatter(), capsys)[0]


def test_rot180_route_rows_only_flip_hint(capsys):
    def rows_only(y, w, stride, padding, output_padding, dilation):
        return student_transpose()(y, w[..., :, ::-1], stride, padding, output_padding, dilation)

    assert "Flipping the rows only is a mirror" in run(ex.check_conv_transpose, rows_only, capsys)[1]


@pytest.mark.parametrize("kwargs, hint", MISTAKES)
def test_conv_transpose_hints_when_the_result_is_preallocated(kwargs, hint, capsys):
    """Writing into np.zeros of the output shape turns each mistake into a broadcast error: its own hint."""
    ok, out = run(ex.check_conv_transpose, student_transpose(prealloc=True, **kwargs), capsys)
    assert not ok
    assert hint in out, out
    assert "case 1 of" in out  # case 1 gives every mistake its own shape
    assert "incompatible shapes" not in out


def test_conv_transpose_cases_cover_the_hard_conditions():
    cases = nb05._transpose_cases()
    assert any(c["output_padding"] for c in cases)
    assert any(c["padding"] > c["dilation"] * (min(c["w"].shape[2:]) - 1) for c in cases)  # a crop
    assert any(c["dilation"] > 1 and c["stride"] not in (1, c["dilation"]) for c in cases)
    assert any(c["w"].shape[2] != c["w"].shape[3] for c in cases)  # non-square kernel
    assert any(c["w"].shape[0] > 1 and c["w"].shape[1] > 1 and c["y"].shape[0] > 1 for c in cases)
    assert all(c["output_padding"] < c["stride"] for c in cases)  # sizes a convolution maps back
    first = cases[0]
    want = nb05._transpose_reference(**first).shape
    shapes = [nb05._transpose_variant(first["y"], first["w"], first["stride"], first["padding"],
                                      first["output_padding"], first["dilation"], **kw).shape
              for kw, _ in nb05._transpose_mistakes(first)]  # fmt: skip
    assert len(set(shapes)) == len(shapes) and want not in shapes


def test_conv_transpose_index_error_hint(capsys):
    def wrong_kernel_index(y, w, stride, padding, output_padding, dilation):
        return np.zeros((1,))[y.shape[1] + w.shape[1]]  # an IndexError, as w[c, f] gives when C != F

    assert "w[f, c]" in run(ex.check_conv_transpose, wrong_kernel_index, capsys)[1]


@pytest.mark.parametrize(
    "delegate, name",
    [
        (
            lambda y, w, stride, padding, output_padding, dilation: cl.conv_transpose2d(
                y, w, stride, padding, output_padding, dilation
            ),
            "conv_transpose2d",
        ),
        (lambda y, w, stride, padding, output_padding, dilation: cl.conv2d(y, w), "conv2d"),
    ],
)
def test_conv_transpose_rejects_delegation(delegate, name, capsys):
    out = run(ex.check_conv_transpose, delegate, capsys)[1]
    assert f"without {name}" in out


@pytest.mark.parametrize(
    "fn",
    [
        lambda **k: None,
        lambda **k: "dx",
        lambda **k: np.zeros((2, 2)),
        lambda **k: [[1, 2], [3]],
        lambda **k: 1 / 0,
        lambda **k: np.full((1, 1, 6, 6), np.nan),
    ],
)
def test_checkers_never_raise(fn, capsys):
    for checker in (ex.check_conv_transpose, ex.check_dx_by_scatter):
        ok, out = run(checker, fn, capsys)
        assert not ok and out


def test_conv_transpose_detects_mutation(capsys):
    sol = load("nb05").my_conv_transpose2d

    def mutating(y, w, stride, padding, output_padding, dilation):
        out = sol(y, w, stride, padding, output_padding, dilation)
        y *= 2
        return out

    assert "changed its input y in place" in run(ex.check_conv_transpose, mutating, capsys)[1]


# --- 3. find the bug: the scatter route -----------------------------------------------------------


def dx_by_scatter_buggy(dy, w, x_shape, stride, padding):
    """The function the notebook shows: the canvas ends where the last window ends."""
    N, C = x_shape[:2]
    _, F, OH, OW = dy.shape
    KH, KW = w.shape[2:]
    Hp, Wp = (OH - 1) * stride + KH, (OW - 1) * stride + KW
    dxp = np.zeros((N, C, Hp, Wp))
    for i in range(OH):
        for j in range(OW):
            dxp[:, :, i * stride : i * stride + KH, j * stride : j * stride + KW] += np.einsum(
                "nf,fcuv->ncuv", dy[:, :, i, j], w
            )
    return dxp[:, :, padding : Hp - padding, padding : Wp - padding]


def half_fixed(dy, w, x_shape, stride, padding):
    """Slices p:p+H out of the short canvas: right when a <= p, short when a > p."""
    H, W = x_shape[2:]
    full = np.pad(dx_by_scatter_buggy(dy, w, x_shape, stride, 0), 0)
    return full[:, :, padding : padding + H, padding : padding + W]


def test_scatter_buggy_passes_stride_one_and_gets_its_hint(capsys):
    out = run(ex.check_dx_by_scatter, dx_by_scatter_buggy, capsys)[1]
    assert "case 5 of" in out  # cases 1-4 (stride 1, and stride 2 with a = 0) pass
    assert "the canvas ends where the last window ends" in out
    assert "dx is short by a = (1, 1)" in out  # the mistake is named; the fix is the student's
    assert "H + 2p" not in out
    assert "slicing past the end" in run(ex.check_dx_by_scatter, half_fixed, capsys)[1]


def scatter_fixed(place_at_stride=True, cut=True, slice_style="p:p+H", rotate=False, top="p", one_size=False):
    """The fixed scatter route with one step optionally wrong."""

    def fn(dy, w, x_shape, stride, padding):
        N, F, OH, OW = dy.shape
        _, C, KH, KW = w.shape
        H, W = x_shape[2:]
        if one_size:  # H used for both axes
            W = H
        step = stride if place_at_stride else 1
        if rotate:
            w = w[..., ::-1, ::-1]
        dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
        for i in range(OH):
            for j in range(OW):
                dxp[:, :, i * step : i * step + KH, j * step : j * step + KW] += np.einsum(
                    "nf,fcuv->ncuv", dy[:, :, i, j], w
                )
        if not cut:
            return dxp
        if slice_style == "p:-p":
            return dxp[:, :, padding:-padding, padding:-padding]
        t0 = {"p": padding, 0: 0, "2p": 2 * padding}[top]
        return dxp[:, :, t0 : t0 + H, t0 : t0 + W]

    return fn


@pytest.mark.parametrize(
    "fn, hint",
    [
        (scatter_fixed(slice_style="p:-p"), "with padding 0 the slice padding:-padding is 0:-0"),
        (scatter_fixed(cut=False), "cut the padding off"),
        (scatter_fixed(place_at_stride=False), "the copies are placed at (i, j)"),
        (scatter_fixed(rotate=True), "the scatter stamps w as it is, not rot180(w)"),
        (scatter_fixed(top=0), "you cut the 2p padding rows all from the bottom"),
        (scatter_fixed(top="2p"), "you cut 2p rows at the top"),
        (scatter_fixed(one_size=True), "one size for both axes"),
    ],
)
def test_scatter_hints(fn, hint, capsys):
    ok, out = run(ex.check_dx_by_scatter, fn, capsys)
    assert not ok
    assert hint in out, out


def test_scatter_one_size_for_both_axes_without_an_error(capsys):
    """H used for both axes on a case where the canvas is wide enough: the shape names the slip."""
    case = next(c for c in nb05._scatter_cases() if c["x_shape"][2] > c["x_shape"][3])
    got = scatter_fixed(one_size=True)(**case)
    want = nb05._dx_reference(case["dy"], case["w"], case["x_shape"], case["stride"], case["padding"], 1)
    assert "uses one of them for both axes" in nb05.diagnose_scatter(case, got, want)


def test_scatter_rejects_delegation(capsys):
    out = run(
        ex.check_dx_by_scatter,
        lambda dy, w, x_shape, stride, padding: cl.conv2d_backward(dy, np.zeros(x_shape), w, stride, padding)[0],
        capsys,
    )[1]
    assert "without conv2d_backward" in out


# --- 1. predict, then check ------------------------------------------------------------------------


def test_pads_and_output_padding(capsys):
    def answer(value):
        ex.check_pads_and_output_padding(value)
        return capsys.readouterr().out

    P, Q = nb05.DECODER_LAYERS
    truth = [nb05._layer_truth(layer) for layer in (P, Q)]
    assert "correct" in answer(load("nb05").my_predictions)
    assert "correct" in answer(np.array(truth))
    assert "not answered yet" in answer(...)
    # the truth by independent routes: output_padding gives H back, and the rot180 route with these pads is dx
    for layer, (top, bottom, op) in zip((P, Q), truth):
        H, K, s, p, d = nb05._layer_args(layer)
        OH = cl.output_size(H, K, s, p, d)
        assert (
            cl.conv_transpose2d(np.zeros((1, 1, OH, 1)), np.zeros((1, 1, K, 1)), (s, 1), (p, 0), (op, 0), (d, 1)).shape[
                2
            ]
            == H
        )
        dy, w = np.arange(1.0, OH + 1).reshape(1, 1, OH, 1), np.array([1.0, -2.0, 3.0]).reshape(1, 1, K, 1)
        g = cl.pad2d(cl.dilate2d(dy, (s, 1)), ((top, bottom), (0, 0)))
        dx = cl.corr2d(g[0, 0], cl.rot180(w)[0, 0], dilation=(d, 1))
        want = cl.conv2d_backward(dy, np.zeros((1, 1, H, 1)), w, (s, 1), (p, 0), (d, 1), method="loops")[0]
        np.testing.assert_allclose(dx, want[0, 0])
    (tP, bP, aP), (tQ, bQ, aQ) = truth
    assert tP < 0 and 0 < aP <= P["padding"]  # P: a crop, and a leftover row that is padding
    assert Q["stride"] == 1 and Q["dilation"] > 1  # Q: output_padding 1 is accepted but wrong

    def with_p(top, bottom, op):
        return ((top, bottom, op), truth[1])

    def with_q(top, bottom, op):
        return (truth[0], (top, bottom, op))

    H, K, s, p, d = nb05._layer_args(P)
    assert "not K-1" in answer(with_p(K - 1 - p, K - 1 - p + aP, aP))
    assert "The bottom is the top plus a" in answer(with_p(tP, tP, aP))
    assert "whether they are input rows or padding" in answer(with_p(tP, tP, aP))
    assert "subtract the forward padding" in answer(with_p(tP + p, bP + p, aP))
    assert "a negative amount is a crop" in answer(with_p(0, 0, aP))
    assert "a negative amount is a crop" in answer(with_p(0, aP, aP))
    assert "the sign" in answer(with_p(-tP, -tP - aP, aP))
    assert "the padding counts" in answer(with_p(tP, bP, (H - d * (K - 1) - 1) % s))
    forgot = answer(with_p(tP, bP, 0))  # output_padding 0: forgotten first, then a computed wrongly
    assert (H - d * (K - 1) - 1) % s == 0 and (H + 2 * p - K) % s == 0  # both slips also give 0 for P
    assert forgot.index("a is not 0 for this layer") < forgot.index("the padding counts")
    assert "spans d(K-1) + 1 rows, not K" in answer(with_p(tP, bP, (H + 2 * p - K) % s))
    assert "smaller than 3" in answer(with_p(tP, bP, 3))
    assert "can't be negative" in answer(with_p(tP, bP, -1))
    assert "no leftover rows" in answer(with_q(tQ, bQ, 1))
    assert "layer Q" in answer(with_q(tQ, bQ + 1, aQ))
    for odd in ("1, 2, 2, 0", None, [1], 7, ((1.5, 2, 1), (2, 2, 0)), object(), {"P": 1}, (-1, 0, 1)):
        assert answer(odd)  # a message, never a traceback


def _notebook_text():
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "notebooks" / "05_rot180.ipynb"
    return "".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"])


def test_the_notebook_states_the_checkers_layers():
    """The layers the prediction exercise describes in words are the ones its checker uses."""
    text = _notebook_text()
    for name, layer in zip("PQ", nb05.DECODER_LAYERS):
        H, K, s, p, d = nb05._layer_args(layer)
        assert f"| {name} | {H} | {K} | {s} | {p} | {d} |" in text
