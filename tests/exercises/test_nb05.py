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
        (ex.check_dx_rot180, "my_dx_rot180"),
        (ex.check_dx_by_scatter, "my_dx_by_scatter"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(load("nb05"), solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


# --- 2. dx by the rot180 route ------------------------------------------------------------------


def student_rot180(insert="s", reach="dK", tap="d", add_a=True, sub_p=True, rotate=True, pad=cl.pad2d, swap=True):
    """A student's rot180 route built from the allowed blocks, with one step optionally wrong."""

    def fn(dy, w, x_shape, stride, padding, dilation):
        N, F = dy.shape[:2]
        C = w.shape[1]
        amounts = []
        for size, K in zip(x_shape[2:], w.shape[2:]):
            r = dilation * (K - 1) if reach == "dK" else K - 1
            a = (size + 2 * padding - dilation * (K - 1) - 1) % stride if add_a else 0
            q = padding if sub_p else 0
            amounts.append((r - q, r - q + a))
        factor = {"s": stride, "d": dilation, "s+1": stride + 1}[insert]
        g = pad(cl.dilate2d(dy, factor), tuple(amounts))
        k = cl.rot180(w) if rotate else w
        d_tap = {"d": dilation, "1": 1, "s": stride}[tap]
        out = []
        for n in range(N):
            chans = range(C) if swap else range(F)
            out.append(
                [
                    sum(cl.corr2d(g[n, f], k[f, c] if swap else k[c % F, f % C], dilation=d_tap) for f in range(F))
                    if swap
                    else sum(cl.corr2d(g[n, f], k[f, c % C], dilation=d_tap) for f in range(F))
                    for c in chans
                ]
            )
        return np.array(out)

    return fn


def np_pad_or_fail(g, amounts):
    """np.pad with the computed amounts as they are: raises on a negative amount, as np.pad does."""
    return np.pad(g, ((0, 0), (0, 0)) + tuple(amounts))


@pytest.mark.parametrize(
    "fn, hint",
    [
        (student_rot180(add_a=False), "pad the bottom/right by d(K-1) - p + a"),
        (student_rot180(reach="K"), "reaches d(K-1) rows, not K-1"),
        (student_rot180(tap="1"), "keeps its dilation"),
        (student_rot180(insert="d", tap="s"), "the two spacings are swapped"),
        (student_rot180(insert="s+1"), "insert s - 1 zeros"),
        (student_rot180(sub_p=False), "subtract the forward padding"),
        (student_rot180(rotate=False), "rotated by 180 degrees"),
        (student_rot180(swap=False), "dx has C = 2 channels"),
        (student_rot180(pad=np_pad_or_fail), "crop instead of pad"),
    ],
)
def test_dx_rot180_hints(fn, hint, capsys):
    ok, out = run(ex.check_dx_rot180, fn, capsys)
    assert not ok
    assert hint in out, out


def test_dx_rot180_cases_cover_the_hard_conditions():
    cases = nb05._rot180_cases()
    geo = [(c["x_shape"][2], c["w"].shape[2], c["stride"], c["padding"], c["dilation"]) for c in cases]
    assert any(cl.stride_leftover(*g) for g in geo)  # a != 0
    assert any(p > d * (K - 1) for _, K, _, p, d in geo)  # a crop
    assert any(d > 1 and s != d and s > 1 for _, _, s, _, d in geo)  # zero spacing and tap spacing differ
    assert any(c["w"].shape[2] != c["w"].shape[3] for c in cases)  # non-square kernel
    assert any(c["w"].shape[0] > 1 and c["w"].shape[1] > 1 and c["dy"].shape[0] > 1 for c in cases)


def test_dx_rot180_index_error_hint(capsys):
    def wrong_kernel_index(dy, w, x_shape, stride, padding, dilation):
        return np.zeros((1,))[dy.shape[1] + w.shape[1]]  # an IndexError, as w[c, f] gives when C != F

    assert "w[f, c]" in run(ex.check_dx_rot180, wrong_kernel_index, capsys)[1]


def _forward_by_corr2d(x, w, stride, padding, dilation):
    N, C, H, W = x.shape
    F = w.shape[0]
    return np.stack(
        [
            np.stack([sum(cl.corr2d(x[n, c], w[f, c], stride, padding, dilation) for c in range(C)) for f in range(F)])
            for n in range(N)
        ]
    )  # (N, F, OH, OW)


@pytest.mark.parametrize(
    "delegate, name",
    [
        (
            lambda dy, w, x_shape, stride, padding, dilation: cl.conv_transpose2d(dy, w, stride, padding, 0, dilation),
            "conv_transpose2d",
        ),
        (
            lambda dy, w, x_shape, stride, padding, dilation: cl.conv2d_backward(
                dy, np.zeros(x_shape), w, stride, padding, dilation
            )[0],
            "conv2d_backward",
        ),
        (lambda dy, w, x_shape, stride, padding, dilation: cl.conv2d(dy, w), "conv2d"),
        (
            # the forward pass is linear in x, so its central difference is exactly dx
            lambda dy, w, x_shape, stride, padding, dilation: cl.numerical_gradient(
                lambda x: _forward_by_corr2d(x, w, stride, padding, dilation), np.zeros(x_shape), dy, eps=1.0
            ),
            "numerical_gradient",
        ),
    ],
)
def test_dx_rot180_rejects_delegation(delegate, name, capsys):
    out = run(ex.check_dx_rot180, delegate, capsys)[1]
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
    for checker in (ex.check_dx_rot180, ex.check_dx_by_scatter):
        ok, out = run(checker, fn, capsys)
        assert not ok and out


def test_dx_rot180_detects_mutation(capsys):
    sol = load("nb05").my_dx_rot180

    def mutating(dy, w, x_shape, stride, padding, dilation):
        out = sol(dy, w, x_shape, stride, padding, dilation)
        dy *= 2
        return out

    assert "changed its input dy in place" in run(ex.check_dx_rot180, mutating, capsys)[1]


# --- 3. find the bug: the scatter route -----------------------------------------------------------


def dx_by_scatter_buggy(dy, w, x_shape, stride, padding):
    """The function the notebook shows: the canvas ends where the last window ends."""
    N, F, OH, OW = dy.shape
    _, C, KH, KW = w.shape
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
    assert "slicing past the end" in run(ex.check_dx_by_scatter, half_fixed, capsys)[1]


def test_scatter_rejects_delegation(capsys):
    out = run(
        ex.check_dx_by_scatter,
        lambda dy, w, x_shape, stride, padding: cl.conv2d_backward(dy, np.zeros(x_shape), w, stride, padding)[0],
        capsys,
    )[1]
    assert "without conv2d_backward" in out


# --- 1 and 4. predict, then check ------------------------------------------------------------------


def test_rot180_pads(capsys):
    def answer(value):
        ex.check_rot180_pads(value)
        return capsys.readouterr().out

    assert "correct" in answer(load("nb05").my_pads)
    assert "not answered yet" in answer(...)
    H, K, s, p, d = (nb05.PADS_LAYER[k] for k in ("size", "kernel_size", "stride", "padding", "dilation"))
    top = d * (K - 1) - p
    a = cl.stride_leftover(H, K, s, p, d)
    assert a and top >= 0  # the layer has leftover rows, and pads rather than crops
    assert "not K-1" in answer((K - 1 - p, K - 1 - p + a))
    assert "The bottom needs a more" in answer((top, top))
    assert "subtract the forward padding" in answer((top + p, top + p + a))
    for odd in ("3, 4", None, [1], 7, (1.5, 2), object()):
        assert answer(odd)  # a message, never a traceback


def test_output_padding(capsys):
    def answer(value):
        ex.check_output_padding(value)
        return capsys.readouterr().out

    truth = [cl.stride_leftover(*nb05._layer_args(layer)) for layer in nb05.OUTPUT_PADDING_LAYERS]
    assert "correct" in answer(load("nb05").my_output_paddings)
    assert "correct" in answer(np.array(truth))
    assert "not answered yet" in answer(...)
    # each answer recovers its layer's H, and the checker's layers cover the traps
    for layer, op in zip(nb05.OUTPUT_PADDING_LAYERS, truth):
        H, K, s, p, d = nb05._layer_args(layer)
        y = np.zeros((1, 1, cl.output_size(H, K, s, p, d), 1))
        assert cl.conv_transpose2d(y, np.zeros((1, 1, K, 1)), (s, 1), (p, 0), (op, 0), (d, 1)).shape[2] == H
    no_padding = [
        (L["size"] - L["dilation"] * (L["kernel_size"] - 1) - 1) % L["stride"] for L in nb05.OUTPUT_PADDING_LAYERS
    ]
    no_dilation = [(L["size"] + 2 * L["padding"] - L["kernel_size"]) % L["stride"] for L in nb05.OUTPUT_PADDING_LAYERS]

    def first_wrong_at(index, value):
        return [value if k == index else t for k, t in enumerate(truth)]

    assert "the padding counts" in answer(first_wrong_at(1, no_padding[1]))
    assert "spans d(K-1) + 1 rows, not K" in answer(first_wrong_at(2, no_dilation[2]))
    assert "no leftover rows" in answer(first_wrong_at(3, 1))
    assert "smaller than 2" in answer(first_wrong_at(0, 2))
    assert "can't be negative" in answer(first_wrong_at(0, -1))
    for odd in ("1, 2, 2, 0", None, [1], 7, (1.5, 2, 2, 0), object(), {"A": 1}):
        assert answer(odd)  # a message, never a traceback


def _notebook_text():
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "notebooks" / "05_rot180.ipynb"
    return "".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"])


def test_the_notebook_describes_the_hidden_rot180_cases():
    """Exercise 2's text says which layers the checker uses; the cases are those layers."""
    cases = nb05._rot180_cases()
    geo = [(c["x_shape"][2:], c["w"].shape[2:], c["stride"], c["padding"], c["dilation"]) for c in cases]
    assert {s for _, _, s, _, _ in geo} == {1, 2, 3}
    assert any(cl.stride_leftover(H, K, s, p, d) for (H, _), (K, _), s, p, d in geo)  # leftover rows
    dilated = [(s, d) for _, _, s, _, d in geo if d > 1]
    assert {d for _, d in dilated} == {2, 3}
    assert sum(s == d for s, d in dilated) == 1  # "all but one of those cases with s != d"
    assert (
        "strides 1 to 3 (with leftover rows where $s > 1$), dilations 2 and 3 "
        "(all but one of those cases with $s \\ne d$)" in _notebook_text()
    )


def test_the_notebook_states_the_checkers_layers():
    """The layers the prediction exercises describe in words are the ones their checkers use."""
    text = _notebook_text()
    for name, layer in zip("ABCD", nb05.OUTPUT_PADDING_LAYERS):
        H, K, s, p, d = nb05._layer_args(layer)
        assert f"| {name} | {H} | {K} | {s} | {p} | {d} |" in text
    H, K, s, p, d = nb05._layer_args(nb05.PADS_LAYER)
    assert f"$H = {H}$, $K = {K}$, stride {s}, padding {p} and dilation {d}" in text
