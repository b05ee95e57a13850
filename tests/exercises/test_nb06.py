"""Checkers of notebook 06: reference solutions pass, typical mistakes get their own hint."""

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from conv_lab import net
from conv_lab.exercises import nb06
from tests.exercises.helpers import load, not_done, run

SOL = load("nb06")


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


# --- 1. read-out backward -------------------------------------------------------------------------


def readout(transpose_dW=False, flat_dh=False, mean_dc=False, wrong_dW=False):
    def fn(h, W, dlogits):
        h_flat = h.reshape(len(h), -1)
        dW = dlogits.T @ h_flat if transpose_dW else h_flat.T @ dlogits
        if wrong_dW:
            dW = h_flat.T @ dlogits * len(h)
        dc = dlogits.mean(axis=0) if mean_dc else dlogits.sum(axis=0)
        dh = dlogits @ W.T
        return dW, dc, dh if flat_dh else dh.reshape(h.shape)

    return fn


@pytest.mark.parametrize(
    "flags, hint",
    [
        (dict(transpose_dW=True), "dW must have W's shape"),
        (dict(flat_dh=True), "reshape it back"),
        (dict(mean_dc=True), "not a mean"),
        (dict(wrong_dW=True), "dW[d, k] = sum over n"),
    ],
)
def test_readout_hints(flags, hint, capsys):
    ok, out = run(ex.check_readout_backward, readout(**flags), capsys)
    assert not ok and hint in out, out


def test_readout_detects_mutation_and_tuple_shape(capsys):
    def mutating(h, W, dlogits):
        result = SOL.my_readout_backward(h, W, dlogits)
        dlogits *= 2
        return result

    assert "changed its input dlogits" in run(ex.check_readout_backward, mutating, capsys)[1]
    out = run(ex.check_readout_backward, lambda h, W, dlogits: SOL.my_readout_backward(h, W, dlogits)[:2], capsys)[1]
    assert "(dW, dc, dh)" in out


# --- 2. the two-layer backward --------------------------------------------------------------------


def two_conv(mask="z1", layer2_input="a1", dx_kernel="w1", route="columns", transpose_dy=True):
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
        elif route == "rot180 without zero insertion":
            da1 = rot180_no_insertion(dy, w2, stride, padding, a1.shape)
            _, dw2 = layer_backward(dy, a1, w2, stride, padding)
        else:
            da1, dw2 = layer_backward(dy, a1 if layer2_input == "a1" else z1, w2, stride, padding)
        dz1 = {"z1": da1 * (z1 > 0), "none": da1, "gradient": np.maximum(da1, 0)}[mask]
        dx, dw1 = layer_backward(dz1, x, w1, 1, 1)
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
        (dict(route="rot180"), "K-1-p+a on bottom/right"),
        (dict(route="rot180 without zero insertion"), "leftover rows included"),
        (dict(transpose_dy=False), "move F last first"),
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
    def by_classifier(h, W, dlogits):
        clf = net.LinearClassifier(W.shape[0], W.shape[1])
        clf.W = W
        clf.forward(h)
        clf.backward(dlogits)
        return clf.grads["W"], clf.grads["c"], (dlogits @ W.T).reshape(h.shape)

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


# --- 3. find the bug: the ReLU step ---------------------------------------------------------------


def net_grads(mask):
    def fn(x, w1, b1, w2, b2, dy, stride, padding):
        z1 = cl.conv2d(x, w1, b1, padding=1)
        a1 = np.maximum(z1, 0)
        da1, dw2, db2 = cl.conv2d_backward(dy, a1, w2, stride=stride, padding=padding)
        dz1 = {"gradient": np.maximum(da1, 0), "none": da1, "z1>=0": da1 * (z1 >= 0), "a1": da1 * (a1 > 0)}[mask]
        _, dw1, db1 = cl.conv2d_backward(dz1, x, w1, padding=1)
        if mask == "drop db2":
            db2 = np.zeros_like(db2)
        return dw1, db1, dw2, db2

    return fn


@pytest.mark.parametrize(
    "mask, hint",
    [
        ("gradient", "this is still the bug"),
        ("none", "you removed the ReLU step"),
        ("z1>=0", "mask with z1 > 0"),
    ],
)
def test_net_gradient_hints(mask, hint, capsys):
    ok, out = run(ex.check_net_gradients, net_grads(mask), capsys)
    assert not ok and hint in out, out


def test_net_gradients_accepts_mask_from_a1(capsys):
    """a1 > 0 exactly where z1 > 0: a correct repair, written differently."""
    ok, out = run(ex.check_net_gradients, net_grads("a1"), capsys)
    assert ok, out


def test_net_cases_have_exact_zeros_in_z1():
    """Without exact zeros, the z1 >= 0 mistake could not be told apart from the right mask."""
    assert any(
        (cl.conv2d(c["x"], c["w1"], c["b1"], padding=1) == 0).any()
        and not np.array_equal(nb06._net_variant(**c, mask="z1>=0")[0], nb06._net_reference(**c)[0])
        for c in nb06._net_cases()
    )


# --- 4. predict, then check -----------------------------------------------------------------------


def test_parameter_counts_truth_is_the_network():
    """The expected counts are those of the notebook's network, counted from its arrays."""
    from conv_lab.net import DigitNet

    net = DigitNet()
    total = sum(net.get(k).size for k in net.parameters())
    frozen = DigitNet(train_convs=False)
    assert SOL.PARAMETER_COUNTS == (total, sum(frozen.get(k).size for k in frozen.parameters()))


@pytest.mark.parametrize(
    "answer, text",
    [
        (SOL.PARAMETER_COUNTS, "correct"),
        ((9930, 9930), "only the read-out"),
        ((5130, 9930), "the two numbers are swapped"),
        ((9872, 5120), "count the biases"),
        ((160 + 4640 + 32 * 64 * 10 + 10, 20490), "not 8x8"),
        ((16 * 9 + 16 + 32 * 9 + 32 + 5130, 5130), "spans all 16 channels"),
        (("many", 3), "two whole numbers"),
        ((1.5, 2), "two whole numbers"),
        ((1, 2), "weights of a conv layer"),
        ((..., ...), "not answered yet"),
    ],
)
def test_parameter_counts_hints(answer, text, capsys):
    ex.check_parameter_counts(*answer)
    out = capsys.readouterr().out
    assert text in out, out
