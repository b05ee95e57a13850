"""Checkers of notebook 06: reference solutions pass, typical mistakes get their own hint."""

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from conv_lab import net
from conv_lab.exercises import nb06
from conv_lab.exercises._common import same
from tests.exercises.helpers import load, not_done, run

SOL = load("nb06")
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "06_training.ipynb"


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_readout_backward, "my_readout_backward"),
        (ex.check_two_conv_backward, "my_two_conv_backward"),
        (ex.check_net_gradients, "net_gradients_fixed"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(SOL, solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


ODD_RETURNS = [
    lambda *a, **k: None,
    lambda *a, **k: "dx",
    lambda *a, **k: 3.0,
    lambda *a, **k: (np.zeros(2),),
    lambda *a, **k: (np.zeros((2, 2)), np.zeros(3), "x", None),
    lambda *a, **k: [[1, 2], [3]],
    lambda *a, **k: 1 / 0,
    lambda *a, **k: np.zeros(10)[20],
    lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")),
]


@pytest.mark.parametrize("checker", [ex.check_readout_backward, ex.check_two_conv_backward, ex.check_net_gradients])
@pytest.mark.parametrize("fn", ODD_RETURNS)
def test_checkers_never_raise(checker, fn, capsys):
    ok, out = run(checker, fn, capsys)
    assert not ok and out.strip()


# --- 1. read-out after global average pooling ----------------------------------------------------


def readout(transpose_dV=False, flat_dh=False, mean_dc=False, sum_pool_dV=False, undivided_dh=False, one_spot=False):
    def fn(h, V, dlogits):
        N, C, H, W = h.shape
        pooled = h.sum(axis=(2, 3)) if sum_pool_dV else h.mean(axis=(2, 3))
        dV = dlogits.T @ pooled if transpose_dV else pooled.T @ dlogits
        dc = dlogits.mean(axis=0) if mean_dc else dlogits.sum(axis=0)
        dpooled = dlogits @ V.T  # (N, C)
        if flat_dh:
            return dV, dc, dpooled
        dh = np.zeros(h.shape)
        if one_spot:  # all of the gradient to the first position
            dh[:, :, 0, 0] = dpooled
        else:
            dh[:] = dpooled[:, :, None, None] / (1 if undivided_dh else H * W)
        return dV, dc, dh

    return fn


@pytest.mark.parametrize(
    "flags, hint",
    [
        (dict(transpose_dV=True), "dV must have V's shape"),
        (dict(flat_dh=True), "still has to go back through the mean"),
        (dict(mean_dc=True), "not a mean"),
        (dict(sum_pool_dV=True), "a mean over the H*W positions, not a sum"),
        (dict(undivided_dh=True), "each of the H*W positions receives 1/(H*W)"),
        (dict(one_spot=True), "spreads the pooled value's gradient evenly"),
    ],
)
def test_readout_hints(flags, hint, capsys):
    ok, out = run(ex.check_readout_backward, readout(**flags), capsys)
    assert not ok and hint in out, out


def test_readout_reference_matches_numerical_gradient():
    """The checker's reference against a float64 numerical gradient of logits = pooled @ V + c."""
    for case in nb06._readout_cases():
        h, V, dlogits = case["h"], case["V"], case["dlogits"]
        dV, dc, dh = nb06._readout_reference(**case)
        c = np.zeros(V.shape[1])

        def logits(h_=h, V_=V, c_=c):
            return h_.mean(axis=(2, 3)) @ V_ + c_

        assert cl.rel_error(dV, cl.numerical_gradient(lambda v: logits(V_=v), V, dlogits)) < 1e-8  # noqa: B023
        assert cl.rel_error(dc, cl.numerical_gradient(lambda v: logits(c_=v), c, dlogits)) < 1e-8  # noqa: B023
        assert cl.rel_error(dh, cl.numerical_gradient(lambda v: logits(h_=v), h, dlogits)) < 1e-8  # noqa: B023


def test_readout_cases_are_pooled_over_several_positions():
    """Without H*W > 1 the mean could not be told from a sum; non-square V catches a transposed dV."""
    cases = nb06._readout_cases()
    assert all(c["h"].shape[2] * c["h"].shape[3] > 1 for c in cases)
    assert any(c["V"].shape[0] != c["V"].shape[1] for c in cases)


def test_readout_detects_mutation_and_tuple_shape(capsys):
    def mutating(h, V, dlogits):
        result = SOL.my_readout_backward(h, V, dlogits)
        dlogits *= 2
        return result

    assert "changed its input dlogits" in run(ex.check_readout_backward, mutating, capsys)[1]
    out = run(ex.check_readout_backward, lambda h, V, dlogits: SOL.my_readout_backward(h, V, dlogits)[:2], capsys)[1]
    assert "(dV, dc, dh)" in out


# --- 2. the two-layer backward --------------------------------------------------------------------


def two_conv(
    mask="z1", layer2_input="a1", dx_kernel="w1", route="columns", transpose_dy=True, dx_from="dz1", layer1_padding=1
):
    """A student's two-layer backward from im2col/col2im (or the rot180 route without the leftover)."""

    def layer_backward(dy, x, w, stride, padding):
        F = w.shape[0]
        cols = cl.im2col(x, w.shape[2:], stride, padding)
        dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F) if transpose_dy else dy.reshape(-1, F)
        dw = (dy_mat.T @ cols).reshape(w.shape)
        dx = cl.col2im(dy_mat @ w.reshape(F, -1), x.shape, w.shape[2:], stride, padding)
        return dx, dw

    def rot180_no_leftover(dy, w, stride, padding):
        K = w.shape[2]
        g = cl.pad2d(cl.dilate2d(dy, stride), K - 1 - padding)  # K-1-p on every side: no a
        wr = cl.rot180(w).transpose(1, 0, 2, 3)  # (C, F, KH, KW)
        return cl.conv2d(g, wr)

    def rot180_no_insertion(dy, w, stride, padding, a1_shape):
        K = w.shape[2]
        a = cl.stride_leftover(a1_shape[2], K, stride, padding)
        g = cl.pad2d(dy, ((K - 1 - padding, K - 1 - padding + a), (K - 1 - padding, K - 1 - padding + a)))
        wr = cl.rot180(w).transpose(1, 0, 2, 3)  # (C, F, KH, KW)
        return cl.conv2d(g, wr)

    def fn(x, w1, w2, dy, stride, padding):
        z1 = cl.conv2d(x, w1, padding=1)
        a1 = np.maximum(z1, 0)
        if route == "rot180":
            da1 = rot180_no_leftover(dy, w2, stride, padding)
            _, dw2 = layer_backward(dy, a1, w2, stride, padding)
        elif route == "rot180, zero-filled":  # exercise 3's bug: the rows da1 is short of get zeros
            da1 = rot180_no_leftover(dy, w2, stride, padding)
            missing = (a1.shape[2] - da1.shape[2], a1.shape[3] - da1.shape[3])
            da1 = np.pad(da1, ((0, 0), (0, 0), (0, missing[0]), (0, missing[1])))
            _, dw2 = layer_backward(dy, a1, w2, stride, padding)
        elif route == "rot180 without zero insertion":
            da1 = rot180_no_insertion(dy, w2, stride, padding, a1.shape)
            _, dw2 = layer_backward(dy, a1, w2, stride, padding)
        else:
            da1, dw2 = layer_backward(dy, a1 if layer2_input == "a1" else z1, w2, stride, padding)
        dz1 = {"z1": da1 * (z1 > 0), "none": da1, "gradient": np.maximum(da1, 0), "a1": da1 * a1}[mask]
        p1 = padding if layer1_padding == "layer 2's" else 1  # layer 2's padding used in layer 1 by mistake
        dx, dw1 = layer_backward(dz1, x, w1, 1, p1)
        if dx_from == "da1":  # the ReLU mask left out of layer 1's dx
            dx = layer_backward(da1, x, w1, 1, 1)[0]
        if dx_kernel == "flipped":
            F = w1.shape[0]
            dz_mat = dz1.transpose(0, 2, 3, 1).reshape(-1, F)
            dx = cl.col2im(dz_mat @ w1[..., ::-1, ::-1].reshape(F, -1), x.shape, w1.shape[2:], 1, 1)
        return dx, dw1, dw2

    return fn


@pytest.mark.parametrize(
    "flags, hint",
    [
        (dict(mask="none"), "multiply da1 by (z1 > 0)"),
        (dict(mask="gradient"), "not of the gradient da1"),
        (dict(layer2_input="z1"), "not z1"),
        (dict(dx_kernel="flipped"), "dx = col2im(dz1_mat @ w1_mat"),
        (dict(route="rot180"), "da1 came out 7x7 but a1 is 8x8: it is short by layer 2's leftover"),
        (dict(route="rot180"), "windows can read some of them, so they need their own gradient"),
        (dict(mask="a1"), "multiply by the 0/1 mask (z1 > 0), not by the activation's value"),
        (
            dict(layer1_padding="layer 2's"),
            "layer 1 has its own padding, 1: its im2col/col2im got layer 2's padding (0)",
        ),
        (dict(route="rot180 without zero insertion"), "leftover rows included"),
        (dict(transpose_dy=False), "move F last first"),
        (dict(route="rot180, zero-filled"), "da1 ignores layer 2's leftover on the rows and columns"),
        (dict(route="rot180, zero-filled"), "here row 7 and column 7 of a1 are read by a window"),
        (dict(dx_from="da1"), "dx must come from dz1 = da1 * (z1 > 0)"),
    ],
)
def test_two_conv_hints(flags, hint, capsys):
    ok, out = run(ex.check_two_conv_backward, two_conv(**flags), capsys)
    assert not ok and hint in out, out


def test_short_by_leftover_hint_counts_rows_and_columns_separately():
    """Case 4 (a1 7x7, layer-2 kernel 2x3, stride 2, padding 1) leaves one row and no column: a = (1, 0)."""
    cases = nb06._two_conv_cases()
    case = cases[3]
    a1_hw = [case["x"].shape[k] + 2 - case["w1"].shape[k] + 1 for k in (2, 3)]
    a = [cl.stride_leftover(a1_hw[k], case["w2"].shape[2 + k], case["stride"], case["padding"]) for k in (0, 1)]
    assert a1_hw == [7, 7] and a == [1, 0]
    n, c1 = case["x"].shape[0], case["w1"].shape[0]
    exc = ValueError(f"operands could not be broadcast together with shapes ({n},{c1},6,7) ({n},{c1},7,7) ")
    hint = nb06._short_by_leftover(case, exc)
    assert "da1 came out 6x7 but a1 is 7x7" in hint and "(1 here)" in hint and "(0 here)" in hint
    assert nb06._short_by_leftover(case, ValueError(f"shapes ({n},{c1},7,6) ({n},{c1},7,7)")) is None
    assert nb06._short_by_leftover(cases[0], ValueError("shapes (1,2,5,5) (1,2,5,5)")) is None  # a = 0


def test_two_conv_rejects_the_library_backward(capsys):
    def delegating(x, w1, w2, dy, stride, padding):
        z1 = cl.conv2d(x, w1, padding=1)
        a1 = np.maximum(z1, 0)
        da1, dw2, _ = cl.conv2d_backward(dy, a1, w2, stride=stride, padding=padding)
        dx, dw1, _ = cl.conv2d_backward(da1 * (z1 > 0), x, w1, padding=1)
        return dx, dw1, dw2

    def by_layer(x, w1, w2, dy, stride, padding):
        layer = cl.Conv2d(w2.shape[1], w2.shape[0], w2.shape[2:], bias=False)
        layer.weight = w2
        layer.stride, layer.padding = (stride, stride), (padding, padding)
        layer.forward(np.maximum(cl.conv2d(x, w1, padding=1), 0))
        return layer.backward(dy)

    for fn, name in [(delegating, "conv2d_backward"), (by_layer, "Conv2d.backward")]:
        ok, out = run(ex.check_two_conv_backward, fn, capsys)
        assert not ok and f"without {name}" in out, out


def test_readout_refuses_the_linear_classifiers_backward(capsys):
    def by_classifier(h, V, dlogits):
        clf = net.LinearClassifier(V.shape[0], V.shape[1])
        clf.W = V
        clf.forward(h.mean(axis=(2, 3)))
        clf.backward(dlogits)
        dh = (dlogits @ V.T)[:, :, None, None] / (h.shape[2] * h.shape[3]) * np.ones(h.shape[2:])
        return clf.grads["W"], clf.grads["c"], dh

    ok, out = run(ex.check_readout_backward, by_classifier, capsys)
    assert not ok and "without net.LinearClassifier.backward" in out, out


def test_two_conv_cases_cover_unread_rows():
    """Case 3 and 5 leave rows of a1 unread (a > p), so their da1 rows are zero."""
    leftovers = []
    for case in nb06._two_conv_cases():
        H1 = case["x"].shape[2] + 2 - case["w1"].shape[2] + 1
        read = cl.rows_read(H1, case["w2"].shape[2], case["stride"], case["padding"])
        leftovers.append(int((~read).sum()))
    assert leftovers[0] == 0 and leftovers[2] == 1 and leftovers[4] == 2


def test_two_conv_reference_matches_numerical_gradient():
    """The checker's reference is itself checked against a float64 numerical gradient."""
    case = nb06._two_conv_cases()[2]
    x, w1, w2, dy, s, p = (case[k] for k in ("x", "w1", "w2", "dy", "stride", "padding"))
    dx, dw1, dw2 = nb06._two_conv_reference(**case)
    net = lambda x_, w1_, w2_: cl.conv2d(np.maximum(cl.conv2d(x_, w1_, padding=1), 0), w2_, stride=s, padding=p)  # noqa: E731
    assert cl.rel_error(dx, cl.numerical_gradient(lambda v: net(v, w1, w2), x, dy)) < 1e-7
    assert cl.rel_error(dw1, cl.numerical_gradient(lambda v: net(x, v, w2), w1, dy)) < 1e-7
    assert cl.rel_error(dw2, cl.numerical_gradient(lambda v: net(x, w1, v), w2, dy)) < 1e-7


# --- 3. find the bug: layer 2's dx by the rot180 route, leftover filled with zeros -----------------


def _notebook_net_gradients():
    """The buggy function exactly as the notebook shows it."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    source = next("".join(c["source"]) for c in nb["cells"] if "def net_gradients(" in "".join(c["source"]))
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "net_gradients")
    namespace = {"np": np, "cl": cl}
    exec(ast.get_source_segment(source, node), namespace)  # noqa: S102 - the notebook's own function
    return namespace["net_gradients"]


def student_net(
    rows="right",
    cols="right",
    mask="z1",
    fit=True,
    layer2_input="a1",
    scale_dw1=1,
    pad=cl.pad2d,
    correlate="conv2d",
    rotate=True,
):
    """A student's repair from the allowed blocks; each axis's leftover handled as ``rows``/``cols`` say.

    "right" pads K-1-p+a at the bottom/right, "ignored" K-1-p (the function shown), "top" puts the a on top,
    "unpadded" computes a as (H - K) mod s, "both" adds a on both sides. ``fit`` zero-pads da1 to a1's shape
    at the bottom/right, as the function shown does. ``pad`` pads the zero-inserted dy (np.pad can't crop);
    ``correlate`` correlates it with the rotated kernel by cl.conv2d or, channel by channel, cl.corr2d;
    ``rotate=False`` forgets to turn the kernel.
    """

    def fn(x, w1, b1, w2, b2, dy, stride, padding):
        z1 = cl.conv2d(x, w1, b1, padding=1)
        a1 = np.maximum(z1, 0)
        F2, _, KH, KW = w2.shape
        dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F2)  # (N*OH*OW, F2)
        layer2_in = a1 if layer2_input == "a1" else z1
        dw2 = (dy_mat.T @ cl.im2col(layer2_in, (KH, KW), stride, padding)).reshape(w2.shape)
        db2 = dy.sum(axis=(0, 2, 3))
        pads = []
        for kind, size, K in ((rows, a1.shape[2], KH), (cols, a1.shape[3], KW)):
            a, a_unpadded = (size + 2 * padding - K) % stride, (size - K) % stride
            extra = {"right": (0, a), "ignored": (0, 0), "top": (a, 0), "unpadded": (0, a_unpadded), "both": (a, a)}
            pads.append(tuple(K - 1 - padding + e for e in extra[kind]))
        g, k = pad(cl.dilate2d(dy, stride), tuple(pads)), cl.rot180(w2) if rotate else w2
        if correlate == "conv2d":
            da1 = cl.conv2d(g, k.transpose(1, 0, 2, 3))  # kernel (C2, F2, KH, KW)
        else:  # one channel pair at a time: da1[n, c] = sum over f of corr2d(g[n, f], k[f, c])
            C2, N = w2.shape[1], len(x)
            da1 = np.array([[sum(cl.corr2d(g[n, f], k[f, c]) for f in range(F2)) for c in range(C2)] for n in range(N)])
        if fit:
            missing = (a1.shape[2] - da1.shape[2], a1.shape[3] - da1.shape[3])
            da1 = np.pad(da1, ((0, 0), (0, 0), (0, missing[0]), (0, missing[1])))
        masks = {"z1": z1 > 0, "a1": a1 > 0, "gradient": da1 > 0, "none": True, "z1>=0": z1 >= 0}
        dz1 = da1 * masks[mask]  # "gradient" is np.maximum(da1, 0)
        F1 = w1.shape[0]
        dz1_mat = dz1.transpose(0, 2, 3, 1).reshape(-1, F1)  # (N*H1*W1, F1)
        dw1 = scale_dw1 * (dz1_mat.T @ cl.im2col(x, w1.shape[2:], 1, 1)).reshape(w1.shape)
        return dw1, dz1.sum(axis=(0, 2, 3)), dw2, db2

    return fn


def _clipped_np_pad(g, pads):
    """np.pad with every width clipped at 0: np.pad can't crop, so a negative K-1-p becomes 0."""
    return np.pad(g, ((0, 0), (0, 0)) + tuple(tuple(max(0, n) for n in pair) for pair in pads))


def _a(case):
    """Layer 2's leftover (rows, columns) in a case."""
    return tuple(axis[3] for axis in nb06._net_axes(case))


def test_the_notebooks_buggy_function_passes_at_stride_1_and_fails_at_stride_2(capsys):
    buggy = _notebook_net_gradients()
    cases = nb06._net_cases()
    results = [same(buggy(**case), nb06._net_reference(**case)) for case in cases]
    assert all(ok for ok, case in zip(results, cases) if case["stride"] == 1)
    assert all(ok for ok, case in zip(results, cases) if _a(case) == (0, 0))  # right whenever a = 0
    assert not results[2] and cases[2]["stride"] == 2  # DigitNet's layer 2
    ok, out = run(ex.check_net_gradients, buggy, capsys)
    assert not ok and "case 3 of" in out and "da1 still ignores layer 2's leftover on the rows and columns" in out
    assert "here row 7 and column 7 of a1 are read by a window" in out, out


def test_the_buggy_function_is_wrong_exactly_when_it_zeroes_a_line_that_a_window_reads():
    """What the hint says, on every case: its zeros are right for unread lines (p = 0 here), wrong for read ones."""
    buggy = _notebook_net_gradients()
    for case in nb06._net_cases():
        s, p = case["stride"], case["padding"]
        zeroes_read = any(
            cl.rows_read(size, K, s, p)[size - a :].any() for _, size, K, a, _ in nb06._net_axes(case) if a
        )
        assert same(buggy(**case), nb06._net_reference(**case)) == (not zeroes_read)


@pytest.mark.parametrize(
    "flags, hint",
    [
        (dict(rows="ignored", cols="ignored"), "da1 still ignores layer 2's leftover on the rows and columns"),
        (dict(cols="ignored"), "da1 still ignores layer 2's leftover on the columns."),
        (dict(rows="ignored"), "da1 still ignores layer 2's leftover on the rows."),
        (dict(rows="top", cols="top"), "go at the bottom/right of the zero-inserted dy, not at the top/left"),
        (dict(cols="top"), "the extra a columns of padding go at the bottom/right"),
        (dict(rows="unpadded", cols="unpadded"), "on the rows, (H + 2p - KH) mod s = 2, not (H - KH) mod s = 1"),
        (dict(rows="both", cols="both"), "np.pad got a negative width"),
        (dict(rows="ignored", cols="ignored", fit=False), "da1 came out 7x7 but a1 is 8x8"),
        (dict(pad=lambda g, pads: np.pad(g, ((0, 0), (0, 0)) + pads)), "cl.pad2d crops for a negative amount"),
        (dict(pad=_clipped_np_pad), "a pad clipped at 0 keeps lines that must go"),
        (dict(pad=_clipped_np_pad, fit=False), "a pad clipped at 0 keeps lines that must go"),
        (dict(rotate=False), "with the kernel turned by 180 degrees, cl.rot180(w2)"),
        (dict(rows="ignored", cols="ignored", rotate=False), "here the kernel was used as it is"),
        (dict(mask="gradient"), "not of the gradient da1"),
        (dict(mask="none"), "the ReLU step is gone"),
        (dict(mask="z1>=0"), "the mask z1 > 0 of the function shown was right"),
        (dict(layer2_input="z1"), "dw2 and db2 were right in the function shown"),
        (dict(scale_dw1=2), "only layer 2's da1 needs to change"),
    ],
)
def test_net_gradient_hints(flags, hint, capsys):
    ok, out = run(ex.check_net_gradients, student_net(**flags), capsys)
    assert not ok and hint in out, out


def test_net_gradient_hints_for_the_leftover_never_offer_col2im(capsys):
    """col2im is refused in exercise 3, so its hints must not suggest it."""
    for flags in (dict(rows="ignored", cols="ignored", fit=False), dict(rows="both", cols="both")):
        out = run(ex.check_net_gradients, student_net(**flags), capsys)[1]
        assert "col2im" not in out, out


def test_net_gradients_a_wrong_mask_on_top_of_the_bug_is_named_first(capsys):
    """At stride 1 the route is right, so the mask is what the first case shows."""
    ok, out = run(ex.check_net_gradients, student_net(rows="ignored", cols="ignored", mask="z1>=0"), capsys)
    assert not ok and "case 1 of" in out and "the mask z1 > 0 of the function shown was right" in out, out


def test_net_gradients_accepts_the_repair_written_differently(capsys):
    """a1 > 0 exactly where z1 > 0; and with the right pads np.pad adds nothing."""
    for fn in (student_net(mask="a1"), student_net(fit=False)):
        ok, out = run(ex.check_net_gradients, fn, capsys)
        assert ok, out


def test_net_gradients_refuses_every_gradient_routine(capsys):
    fixed = student_net()

    def by_backward(x, w1, b1, w2, b2, dy, stride, padding):
        z1 = cl.conv2d(x, w1, b1, padding=1)
        da1, dw2, db2 = cl.conv2d_backward(dy, np.maximum(z1, 0), w2, stride=stride, padding=padding)
        _, dw1, db1 = cl.conv2d_backward(da1 * (z1 > 0), x, w1, padding=1)
        return dw1, db1, dw2, db2

    def by_col2im(x, w1, b1, w2, b2, dy, stride, padding):
        z1 = cl.conv2d(x, w1, b1, padding=1)
        F2 = w2.shape[0]
        dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F2)
        da1 = cl.col2im(dy_mat @ w2.reshape(F2, -1), z1.shape, w2.shape[2:], stride, padding)
        return fixed(x, w1, b1, w2, b2, dy, stride, padding) if da1 is not None else None

    def by_transpose(x, w1, b1, w2, b2, dy, stride, padding):
        z1 = cl.conv2d(x, w1, b1, padding=1)
        a = [cl.stride_leftover(z1.shape[k], w2.shape[k], stride, padding) for k in (2, 3)]
        cl.conv_transpose2d(dy, w2, stride, padding, output_padding=tuple(a))
        return fixed(x, w1, b1, w2, b2, dy, stride, padding)

    def by_numerical_gradient(x, w1, b1, w2, b2, dy, stride, padding):
        def y_of_w1(v):
            return cl.conv2d(np.maximum(cl.conv2d(x, v, b1, padding=1), 0), w2, b2, stride, padding)

        dw1 = cl.numerical_gradient(y_of_w1, w1, dy)
        return (dw1,) + fixed(x, w1, b1, w2, b2, dy, stride, padding)[1:]

    for fn, name in [
        (by_backward, "conv2d_backward"),
        (by_col2im, "col2im"),
        (by_transpose, "conv_transpose2d"),
        (by_numerical_gradient, "numerical_gradient"),
    ]:
        ok, out = run(ex.check_net_gradients, fn, capsys)
        assert not ok and f"without {name}" in out, out


def test_net_gradients_allows_corr2d_for_the_rot180_correlation(capsys):
    """The exercise text allows cl.corr2d: a repair that correlates channel by channel with it passes."""
    ok, out = run(ex.check_net_gradients, student_net(correlate="corr2d"), capsys)
    assert ok, out


def test_net_cases_cover_the_geometries_the_exercise_promises():
    """Strides 1-3, padding 0-2, non-square kernels, a = 0 and a != 0, a > p and 0 < a <= p, a crop, biases."""
    cases = nb06._net_cases()
    assert {c["stride"] for c in cases} == {1, 2, 3} and {c["padding"] for c in cases} == {0, 1, 2}
    assert any(c["w1"].shape[2] != c["w1"].shape[3] for c in cases)
    assert any(c["w2"].shape[2] != c["w2"].shape[3] for c in cases)
    leftovers = [(a, c["padding"]) for c in cases for a in _a(c)]
    assert any(a == 0 for a, _ in leftovers) and any(a > p for a, p in leftovers)
    assert any(0 < a <= p for a, p in leftovers)
    assert any(_a(c)[0] != _a(c)[1] for c in cases)  # rows and columns with different leftovers
    assert any(c["padding"] > min(c["w2"].shape[2:]) - 1 for c in cases)  # the rot180 route crops
    assert sum(c["b1"].any() and c["b2"].any() for c in cases) >= len(cases) - 2  # biases, mostly non-zero
    digitnet = cases[2]  # the notebook's layer 2: 8x8 input, 3x3 kernel, stride 2, padding 1
    assert digitnet["x"].shape[2:] == (8, 8) and digitnet["w2"].shape[2:] == (3, 3)
    assert (digitnet["stride"], digitnet["padding"], _a(digitnet)) == (2, 1, (1, 1))


def test_net_variants_right_route_is_the_reference():
    """The checker's rot180 variants, with every axis right and the mask z1 > 0, give the library's gradients."""
    for case in nb06._net_cases():
        variants = dict(nb06._net_variants(**case))
        assert same(variants[("right", "right", "z1")], nb06._net_reference(**case))


def test_net_reference_matches_numerical_gradient():
    """The checker's reference against a float64 numerical gradient, on a case moved off the ReLU's kink."""
    case = dict(nb06._net_cases()[2])
    case["x"] = case["x"] + 0.01 * np.random.default_rng(0).standard_normal(case["x"].shape)
    x, s, p = case["x"], case["stride"], case["padding"]
    params = {k: case[k] for k in ("w1", "b1", "w2", "b2")}

    def forward(**kw):
        q = {**params, **kw}
        z1 = cl.conv2d(x, q["w1"], q["b1"], padding=1)
        assert np.abs(z1).min() > 1e-4  # away from the kink
        return cl.conv2d(np.maximum(z1, 0), q["w2"], q["b2"], stride=s, padding=p)

    got = nb06._net_reference(**case)
    for (name, value), g in zip(params.items(), got):
        numeric = cl.numerical_gradient(lambda v, name=name: forward(**{name: v}), value, case["dy"])
        assert cl.rel_error(g, numeric) < 1e-7, name


def test_net_cases_have_exact_zeros_in_z1():
    """Without exact zeros, the z1 >= 0 mistake could not be told apart from the right mask."""
    assert any(
        (cl.conv2d(c["x"], c["w1"], c["b1"], padding=1) == 0).any()
        and not same(dict(nb06._net_variants(**c))[("right", "right", "z1>=0")], nb06._net_reference(**c))
        for c in nb06._net_cases()
    )


# --- 4. predict, then check -----------------------------------------------------------------------


def test_parameter_counts_truth_is_the_network():
    """The expected counts are those of exercise 4's variant, counted from the arrays of its layers."""
    conv1 = cl.Conv2d(1, 8, 3, padding=1, rng=0)
    conv2 = cl.Conv2d(8, 16, 3, rng=0)
    h = conv2.forward(conv1.forward(np.zeros((1, 1, 8, 8))))  # (1, 16, 6, 6)
    readout = h.size * 10 + 10  # W (inputs, 10) and c (10,)
    total = conv1.weight.size + conv1.bias.size + conv2.weight.size + conv2.bias.size + readout
    assert SOL.PARAMETER_COUNTS == (total, readout) == nb06._counts()


@pytest.mark.parametrize(
    "answer, text",
    [
        (SOL.PARAMETER_COUNTS, "correct"),
        ((7018, 7018), "only the read-out"),
        ((7018, 1000), "the frozen control trains the read-out's W and c"),
        ((5770, 7018), "the two numbers are swapped"),
        ((72 + 1152 + 5760, 5760), "count the biases"),
        ((80 + 1168 + 2570, 2570), "its output is not 4x4"),
        ((80 + 1168 + 10250, 10250), "gives 6x6, not 8x8"),
        ((80 + 160 + 5770, 5770), "spans all 8 channels"),
        (("many", 3), "two whole numbers"),
        (("7018", "5770"), "not strings"),
        ((str(SOL.PARAMETER_COUNTS[0]), SOL.PARAMETER_COUNTS[1]), "not strings"),
        ((True, SOL.PARAMETER_COUNTS[1]), "two whole numbers"),
        ((float("nan"), 5770), "two whole numbers"),
        ((np.int32(SOL.PARAMETER_COUNTS[0]), np.int64(SOL.PARAMETER_COUNTS[1])), "correct"),
        ((float(SOL.PARAMETER_COUNTS[0]), SOL.PARAMETER_COUNTS[1]), "correct"),
        ((1.5, 2), "two whole numbers"),
        ((1, 2), "weights of a conv layer"),
        ((..., ...), "not answered yet"),
    ],
)
def test_parameter_counts_hints(answer, text, capsys):
    ex.check_parameter_counts(*answer)
    out = capsys.readouterr().out
    assert text in out, out


def test_exercise_4_variant_is_not_in_the_notebooks_table():
    """The variant's read-out inputs (16*6*6 = 576) appear nowhere in the notebook: the count needs layer 2's OH."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        texts = ["".join(cell["source"])] + ["".join(o.get("text", "")) for o in cell.get("outputs", [])]
        for text in texts:
            assert "576" not in text and "5770" not in text and "7018" not in text, text[:300]


# --- float32 answers: the formula is right, only the precision is low --------------------------------


def _in_float32(fn):
    def wrapped(*args, **kwargs):
        return tuple(np.asarray(g, dtype=np.float32) for g in fn(*args, **kwargs))

    return wrapped


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_readout_backward, "my_readout_backward"),
        (ex.check_two_conv_backward, "my_two_conv_backward"),
        (ex.check_net_gradients, "net_gradients_fixed"),
    ],
)
def test_a_float32_answer_is_told_its_formula_is_right(checker, solution, capsys):
    ok, out = run(checker, _in_float32(getattr(SOL, solution)), capsys)
    if ok:  # the checker accepted it at a float32 tolerance: also fair
        return
    assert "float32 precision" in out and "formula is right" in out and "compute in float64" in out


def test_a_wrong_float32_answer_is_not_called_right(capsys):
    ok, out = run(ex.check_readout_backward, _in_float32(readout(undivided_dh=True)), capsys)
    assert not ok and "formula is right" not in out and "dh disagree" in out and "dV" not in out.split("hint:")[-1]


def test_float32_hint_needs_every_answer_close():
    e, names = (np.ones(3), np.arange(4.0)), ("da", "db")
    assert "formula is right" in nb06._float32_hint((np.ones(3, np.float32), np.arange(4, dtype=np.float32)), e, names)
    assert nb06._float32_hint((np.ones(3), np.arange(4.0) + 1e-6), e, names) is None  # float64: not this hint
    hint = nb06._float32_hint((np.ones(3, np.float32), np.arange(4, dtype=np.float32) + 1), e, names)
    assert "formula is right" not in hint and "db disagree" in hint and "da" not in hint.split("rounding,")[-1]


def test_the_repair_of_exercise_3_is_not_on_screen():
    """No cell (source or output) shows the rot180 route's bottom/right pad K-1-p+a that exercise 3 asks for."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    pad = re.compile(r"K\s*-\s*1\s*-\s*p(adding)?\s*\+\s*a|d\(K\s*-\s*1\)\s*-\s*p\s*\+\s*a|K - 1 - p \+ a")
    for cell in nb["cells"]:
        texts = ["".join(cell["source"])]
        texts += ["".join(o.get("text", "")) for o in cell.get("outputs", [])]
        for text in texts:
            assert not pad.search(text), text[:300]


def test_clipped_pad_hint_names_the_shapes_and_only_comes_where_k_minus_1_minus_p_is_negative(capsys):
    """The clipped pad changes nothing unless p > K-1: the hint comes at the crop case, with its shapes."""
    cases = nb06._net_cases()
    crop = [i for i, c in enumerate(cases) if c["padding"] > min(c["w2"].shape[2:]) - 1]
    assert crop == [len(cases) - 1]
    ok, out = run(ex.check_net_gradients, student_net(pad=_clipped_np_pad), capsys)
    assert not ok and f"case {crop[0] + 1} of" in out and "da1 came out 8x8 against a1's 7x6" in out, out


def test_unrotated_kernel_is_not_told_about_the_leftover(capsys):
    ok, out = run(ex.check_net_gradients, student_net(rotate=False), capsys)
    assert not ok and "leftover" not in out.split("hint:")[-1], out
