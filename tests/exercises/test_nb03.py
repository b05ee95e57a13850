"""Checkers of notebook 03: the solutions pass, each typical mistake gets its own hint, nothing raises."""

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from conv_lab import speed
from conv_lab.exercises import nb03
from tests.exercises.helpers import load, not_done, run

SOLUTIONS = load("nb03")


# --- wrong implementations, written without the forbidden routines --------------------------------


def forward(x, w, b, stride, padding, dilation, bug=None):
    """The batched forward by hand-made im2col + one product, with one chosen bug."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    s, p, d = stride, padding, (1 if bug == "no dilation" else dilation)
    KH_, KW_ = (KW, KH) if bug == "KH and KW swapped in OH, OW" else (KH, KW)
    d_ = 1 if bug == "OH without dilation" else d
    OH = (H + 2 * p - d_ * (KH_ - 1) - 1) // s + 1
    OW = (W + 2 * p - d_ * (KW_ - 1) - 1) // s + 1
    xp = np.pad(x, p) if bug == "pad every axis" else np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    if bug in ("pad one side", "pad one side, OH from the padded array"):
        xp = np.pad(x, ((0, 0), (0, 0), (p, 0), (p, 0)))
    if bug == "pad 2p after":  # a zero canvas of the right size, x in its top-left corner
        xp = np.zeros((N, C, H + 2 * p, W + 2 * p))
        xp[:, :, :H, :W] = x
    if bug == "pad 2p before":
        xp = np.pad(x, ((0, 0), (0, 0), (2 * p, 0), (2 * p, 0)))
    if bug == "pad one side, OH from the padded array":
        OH = (H + p - d_ * (KH_ - 1) - 1) // s + 1
        OW = (W + p - d_ * (KW_ - 1) - 1) // s + 1
    st = 1 if bug == "no stride in the taps" else s
    if bug == "sample 0":
        xp = np.broadcast_to(xp[:1], xp.shape)
    cols = np.empty((N, OH, OW, C, KH, KW))
    for u in range(KH):
        for v in range(KW):
            dt = 1 if bug == "undilated taps" else d  # OH is right, the taps are not spread
            tap = xp[:, :, u * dt : u * dt + st * (OH - 1) + 1 : st, v * dt : v * dt + st * (OW - 1) + 1 : st]
            cols[:, :, :, :, u, v] = tap.transpose(0, 2, 3, 1)
    cols = cols.reshape(N * OH * OW, -1)  # (N*OH*OW, C*KH*KW), columns (c, kh, kw)
    w_mat = w.transpose(0, 2, 3, 1).reshape(F, -1) if bug == "weights channels-last" else w.reshape(F, -1)
    y = cols @ w_mat.T  # (N*OH*OW, F)
    if bug not in ("no bias", "bias on width", "bias on height", "bias on batch"):
        y = y + b
    if bug == "straight reshape":
        return y.reshape(N, F, OH, OW)
    y = y.reshape(N, OH, OW, F)
    if bug == "no transpose":
        return y
    y = y.transpose(0, 3, 1, 2)
    if bug == "bias on width":
        return y + b  # broadcasts along OW
    if bug == "bias on height":
        return y + b[:, None]  # broadcasts along OH
    if bug == "bias on batch":
        return y + b[:, None, None, None]  # broadcasts along N
    return y


FORWARD_BUGS = {
    "weights channels-last": "flattened in different orders",
    "sample 0": "every sample got the output of sample 0",
    "bias on width": "b[None, :, None, None]",
    "bias on height": "the bias went along the height axis",
    "straight reshape": "reshaped the (N*OH*OW, F) product straight",
    "no transpose": "transpose it to (N, F, OH, OW)",
    "no bias": "the bias is missing",
    "no dilation": "the dilation is ignored",
    "pad every axis": "np.pad(x, p)",
    "KH and KW swapped in OH, OW": "OH uses KH and H, OW uses KW and W",
    "OH without dilation": "OH and OW ignore the dilation",
    "pad one side": "the padding went on one side only",
    "pad one side, OH from the padded array": "the padding went on one side only",
    "pad 2p after": "all 2p rows and columns of zeros went below and to the right",
    "pad 2p before": "all 2p rows and columns of zeros went above and to the left",
    "undilated taps": "its slice starts at u*d, not u",
    "no stride in the taps": "the stride is missing from the tap slices",
    "bias on batch": "the bias went along the batch axis",
}


def test_the_forward_cases_cover_what_the_exercise_asks():
    cases = nb03._forward_cases()
    geo = [(c["stride"], c["padding"], c["dilation"]) for c in cases]
    assert any(s > 1 and p > 0 and d > 1 for s, p, d in geo)
    assert any(c["w"].shape[2] != c["w"].shape[3] for c in cases)
    # some input rows that no window reads: at the bottom edge, and inside the image
    unread = [~cl.rows_read(c["x"].shape[2], c["w"].shape[2], c["stride"], c["padding"], c["dilation"]) for c in cases]
    assert any(u[-1] for u in unread) and any(u[:-1].any() for u in unread)
    # in some case OW == F, so a bias added along the width gives wrong values instead of an error
    assert any(cl.conv2d(**c).shape[3] == c["w"].shape[0] for c in cases)


class TestConvForward:
    def test_solution_passes_and_stub_is_reported(self, capsys):
        assert run(ex.check_conv_forward, SOLUTIONS.my_conv_forward, capsys)[0]
        ok, out = run(ex.check_conv_forward, not_done, capsys)
        assert not ok and "not implemented yet" in out

    def test_the_bug_free_helper_passes(self, capsys):
        ok, out = run(ex.check_conv_forward, forward, capsys)
        assert ok, out

    @pytest.mark.parametrize("bug", FORWARD_BUGS)
    def test_each_bug_gets_its_hint(self, bug, capsys):
        def wrong(x, w, b, stride, padding, dilation):
            return forward(x, w, b, stride, padding, dilation, bug=bug)

        ok, out = run(ex.check_conv_forward, wrong, capsys)
        assert not ok and FORWARD_BUGS[bug] in out, out

    def test_the_other_flattening_order_gets_the_same_hint(self, capsys):
        def cols_channels_last(x, w, b, stride, padding, dilation):
            F, C, KH, KW = w.shape
            w_wrong = w.reshape(F, KH, KW, C).transpose(0, 3, 1, 2)  # what (kh, kw, c) columns with w.reshape do
            return forward(x, w_wrong, b, stride, padding, dilation)

        assert "flattened in different orders" in run(ex.check_conv_forward, cols_channels_last, capsys)[1]

    @pytest.mark.parametrize(
        "delegate, name",
        [
            (lambda x, w, b, stride, padding, dilation: cl.conv2d(x, w, b, stride, padding, dilation), "conv2d"),
            (
                lambda x, w, b, stride, padding, dilation: forward_from_cols(x, w, b, stride, padding, dilation),
                "im2col",
            ),
            (
                lambda x, w, b, stride, padding, dilation: speed.conv2d_textbook(x, w, b, stride, padding, dilation),
                "speed.conv2d_textbook",
            ),
            (
                lambda x, w, b, stride, padding, dilation: (
                    speed.forward_contenders(x, w, stride, padding, dilation)["loops"]() + b[None, :, None, None]
                ),
                "speed.forward_contenders",
            ),
            (
                lambda x, w, b, stride, padding, dilation: np.einsum(
                    "nchwuv,fcuv->nfhw", cl.sliding_windows(np.pad(x, padding), w.shape[2:], stride, dilation), w
                ),
                "sliding_windows",
            ),
            (
                lambda x, w, b, stride, padding, dilation: (
                    cl.columns.gemm_forward(x, w, cl._checks.conv_inputs(x, w, stride, padding, dilation)[2])
                    + b[None, :, None, None]
                ),
                "columns.gemm_forward",
            ),
        ],
    )
    def test_delegating_is_refused(self, delegate, name, capsys):
        ok, out = run(ex.check_conv_forward, delegate, capsys)
        assert not ok and f"without {name}" in out

    @pytest.mark.parametrize(
        "returned",
        [None, "y", [1, 2], np.zeros((2, 2)), np.full((2, 4, 6, 6), np.nan), (np.zeros(1), np.zeros(2)), object()],
    )
    def test_never_raises_on_strange_answers(self, returned, capsys):
        ok, out = run(ex.check_conv_forward, lambda x, w, b, stride, padding, dilation: returned, capsys)
        assert not ok and "case 1 of" in out

    @pytest.mark.parametrize("error", [RuntimeError("boom"), ValueError(), ZeroDivisionError("x"), IndexError("i")])
    def test_never_raises_on_exceptions(self, error, capsys):
        def raising(x, w, b, stride, padding, dilation):
            raise error

        ok, out = run(ex.check_conv_forward, raising, capsys)
        assert not ok and "raised" in out

    def test_a_wrong_signature_gets_a_message(self, capsys):
        ok, out = run(ex.check_conv_forward, lambda x, w, b, stride, padding: x, capsys)
        assert not ok and "keep the signature" in out

    def test_changing_x_is_reported(self, capsys):
        def vandal(x, w, b, stride, padding, dilation):
            y = forward(x, w, b, stride, padding, dilation)
            x[...] = 0
            return y

        assert "changed its input x in place" in run(ex.check_conv_forward, vandal, capsys)[1]


def forward_by_windows(x, w, b, stride, padding, dilation):
    """One window at a time, with OH and OW computed without the dilation: a window runs off the padded input."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    s, p, d = stride, padding, dilation
    OH, OW = (H + 2 * p - KH) // s + 1, (W + 2 * p - KW) // s + 1
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    y = np.empty((N, F, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = xp[:, :, i * s : i * s + d * (KH - 1) + 1 : d, j * s : j * s + d * (KW - 1) + 1 : d]
            y[:, :, i, j] = window.reshape(N, -1) @ w.reshape(F, -1).T + b
    return y


def test_oh_without_dilation_is_named_when_a_window_runs_short(capsys):
    ok, out = run(ex.check_conv_forward, forward_by_windows, capsys)
    assert not ok and "OH and OW ignore the dilation" in out and "np.pad(x, p)" not in out, out


def forward_from_cols(x, w, b, stride, padding, dilation):
    N, F = x.shape[0], w.shape[0]
    cols = cl.im2col(x, w.shape[2:], stride, padding, dilation)
    OH = cl.output_size(x.shape[2], w.shape[2], stride, padding, dilation)
    return (cols @ w.reshape(F, -1).T + b).reshape(N, OH, -1, F).transpose(0, 3, 1, 2)


# --- exercise 1: 1x1 ---------------------------------------------------------------------------


def conv1x1(x, w, b, stride, bug=None):
    N, C, H, W = x.shape
    F = w.shape[0]
    s = 1 if bug == "no stride" else stride
    xs = np.ascontiguousarray(x[:, :, ::s, ::s])  # (N, C, OH, OW)
    if bug == "stride on rows only":
        xs = np.ascontiguousarray(x[:, :, ::s, :])
    elif bug == "offset start":
        xs = np.ascontiguousarray(x[:, :, s - 1 :: s, s - 1 :: s])
    elif bug == "OH = H // s":
        xs = np.ascontiguousarray(xs[:, :, : H // s, : W // s])
    OH, OW = xs.shape[2:]
    m = w[:, :, 0, 0]  # (F, C)
    if bug == "mixed batch":
        y = (m @ xs.reshape(C, -1)).reshape(F, N, OH, OW).transpose(1, 0, 2, 3)
    elif bug == "mixed batch, straight reshape":
        y = (m @ xs.reshape(C, -1)).reshape(N, F, OH, OW)
    elif bug == "F/C swapped":
        y = (m.T @ xs.transpose(1, 0, 2, 3).reshape(C, -1)).reshape(F, N, OH, OW).transpose(1, 0, 2, 3)
    else:
        y = np.einsum("fc,nchw->nfhw", m, xs)
    if bug == "no transpose":
        return y.transpose(0, 2, 3, 1) + b
    if bug == "bias on width":
        return y + b
    if bug == "bias on batch":
        return y + b[:, None, None, None]
    return y + b[None, :, None, None]


CONV1X1_BUGS = {
    "no stride": "reads only every 2nd row and column",
    "mixed batch": "x.reshape(C, -1) mixes samples and channels",
    "mixed batch, straight reshape": "x.reshape(C, -1) mixes samples and channels",
    "bias on batch": "the bias went along the batch axis",
    "F/C swapped": "w[:, :, 0, 0] is (F, C)",
    "no transpose": "transpose it to (N, F, OH, OW)",
    "bias on width": "b[None, :, None, None]",
    "stride on rows only": "the stride is applied to the rows only",
    "offset start": "the first window starts at row and column 1",
    "OH = H // s": "OW = W // s drops the last one",
}


class TestConv1x1:
    def test_solution_passes_and_stub_is_reported(self, capsys):
        assert run(ex.check_conv1x1, SOLUTIONS.my_conv1x1, capsys)[0]
        assert "not implemented yet" in run(ex.check_conv1x1, not_done, capsys)[1]

    @pytest.mark.parametrize("bug", CONV1X1_BUGS)
    def test_each_bug_gets_its_hint(self, bug, capsys):
        ok, out = run(ex.check_conv1x1, lambda x, w, b, stride: conv1x1(x, w, b, stride, bug), capsys)
        assert not ok and CONV1X1_BUGS[bug] in out, out

    def test_delegating_is_refused(self, capsys):
        out = run(ex.check_conv1x1, lambda x, w, b, stride: cl.conv2d(x, w, b, stride), capsys)[1]
        assert "without conv2d" in out

    @pytest.mark.parametrize("returned", [None, "y", np.zeros(3), 1.0])
    def test_never_raises(self, returned, capsys):
        ok, out = run(ex.check_conv1x1, lambda x, w, b, stride: returned, capsys)
        assert not ok and "case 1 of" in out


# --- exercise 3: find the bug ----------------------------------------------------------------------


class TestFindTheBug:
    def test_the_fixed_function_passes(self, capsys):
        ok, out = run(ex.check_conv_forward_fixed, SOLUTIONS.conv_forward_fixed, capsys)
        assert ok, out

    def test_the_buggy_function_fails_exactly_when_a_exceeds_p(self):
        for case in nb03._fixed_cases():
            a_above_p = any(a > case["padding"] for a in nb03._leftover(case))
            if a_above_p:
                with pytest.raises(ValueError):
                    nb03._small_canvas(**case)
            else:
                np.testing.assert_allclose(nb03._small_canvas(**case), cl.conv2d(**case))
        assert any(any(a > c["padding"] for a in nb03._leftover(c)) for c in nb03._fixed_cases()[2:])

    def test_the_leftover_is_the_notebook_rule(self):
        for case in nb03._fixed_cases():
            H, W = case["x"].shape[2:]
            KH, KW = case["w"].shape[2:]
            s, p = case["stride"], case["padding"]
            OH, OW = cl.output_size(H, KH, s, p), cl.output_size(W, KW, s, p)
            assert nb03._leftover(case) == (H + 2 * p - ((OH - 1) * s + KH), W + 2 * p - ((OW - 1) * s + KW))

    def test_the_unfixed_function_gets_its_hint(self, capsys):
        ok, out = run(ex.check_conv_forward_fixed, nb03._small_canvas, capsys)
        assert not ok and "x does not fit on the canvas" in out and "case 3 of" in out, out

    def test_one_extra_row_gets_its_hint(self, capsys):
        ok, out = run(ex.check_conv_forward_fixed, nb03._canvas_plus_one, capsys)
        assert not ok and "One extra row or column is not enough" in out and "case 5 of" in out, out

    def test_some_case_has_a_minus_p_at_least_2(self):
        assert any(max(nb03._leftover(c)) - c["padding"] >= 2 for c in nb03._fixed_cases())

    def test_rounding_up_gets_its_hint(self, capsys):
        ok, out = run(ex.check_conv_forward_fixed, nb03._rounded_up, capsys)
        assert not ok and "rounds down" in out and "case 2 of" in out, out

    def test_filling_the_canvas_to_the_end_gets_its_hint(self, capsys):
        ok, out = run(ex.check_conv_forward_fixed, nb03._filled_to_the_end, capsys)
        assert not ok and "although x fits" in out and "case 2 of" in out, out

    def test_a_stride_1_failure_is_not_blamed_on_the_leftover(self, capsys):
        def no_bias(x, w, b, stride, padding):
            return SOLUTIONS.conv_forward_fixed(x, w, b, stride, padding) - b[None, :, None, None]

        ok, out = run(ex.check_conv_forward_fixed, no_bias, capsys)
        assert not ok and "case 1 of" in out and "broke something else" in out

    def test_copying_only_the_rows_read_is_a_correct_fix(self, capsys):
        def cropped(x, w, b, stride, padding):  # x cut to the rows and columns some window reads
            H, W = x.shape[2:]
            KH, KW = w.shape[2:]
            a_h, a_w = (H + 2 * padding - KH) % stride, (W + 2 * padding - KW) % stride
            rows, cols = H - max(0, a_h - padding), W - max(0, a_w - padding)
            return nb03._canvas_forward(x[:, :, :rows, :cols], w, b, stride, padding)

        ok, out = run(ex.check_conv_forward_fixed, cropped, capsys, trust=nb03)  # the helper is the notebook's code
        assert ok, out
        ok, out = run(ex.check_conv_forward_fixed, cropped, capsys)  # from a student, the checker's helper is refused
        assert not ok and "without exercises.nb03._canvas_forward" in out, out

    def test_delegating_is_refused(self, capsys):
        out = run(
            ex.check_conv_forward_fixed, lambda x, w, b, stride, padding: cl.conv2d(x, w, b, stride, padding), capsys
        )[1]
        assert "without conv2d" in out


# --- exercise 4: predict, then check ----------------------------------------------------------------


def counts_output(capsys, params, mult_adds):
    assert ex.check_layer_counts(params, mult_adds) is None
    return capsys.readouterr().out


class TestLayerCounts:
    def test_the_solution_is_correct(self, capsys):
        out = counts_output(capsys, SOLUTIONS.params, SOLUTIONS.mult_adds)
        assert out.count("correct") == 2 and "not yet" not in out

    def test_the_answer_agrees_with_the_library(self):
        L = nb03.COUNTS_LAYER
        x = np.zeros((L["N"], L["C"], L["H"], L["W"]))
        w, b = np.zeros((L["F"], L["C"], L["K"], L["K"])), np.zeros(L["F"])
        geo = dict(stride=L["stride"], padding=L["padding"], dilation=L["dilation"])
        assert w.size + b.size == SOLUTIONS.params
        cols = cl.im2col(x, L["K"], **geo)  # (N*OH*OW, C*KH*KW)
        assert cols.shape[0] * cols.shape[1] * L["F"] == SOLUTIONS.mult_adds
        assert cl.conv2d(x, w, b, **geo).shape[2:] == (14, 14)

    def test_unanswered(self, capsys):
        assert "not answered yet" in counts_output(capsys, None, None)

    @pytest.mark.parametrize(
        "params, hint",
        [
            (128 * 64 * 9, "including the bias"),
            (128 * 64 * 25 + 128, "each kernel still has 3·3 weights"),
            (128 * 64 * 9 + 128 * 14 * 14, "one number per filter"),
            (64 * 9 + 1, "that is one filter"),
            (8 * (128 * 64 * 9 + 128), "N, OH and OW do not appear"),
            ("73856", "give a number, an int"),
            ("many", "give a number, an int"),
            (1.5, "plus one bias per filter"),
        ],
    )
    def test_params_hints(self, params, hint, capsys):
        out = counts_output(capsys, params, SOLUTIONS.mult_adds)
        assert "parameters: not yet" in out and hint in out, out

    @pytest.mark.parametrize(
        "mult_adds, hint",
        [
            (2 * 8 * 128 * 196 * 576, "2 FLOPs per multiply-add"),
            (8 * 128 * 196 * 576 + 8 * 128 * 196, "bias additions"),
            (8 * 128 * 256 * 576, "OH = 16 ignores the dilation"),
            (8 * 128 * 144 * 576, "OH = 12 leaves out the padding"),
            (8 * 128 * 196 * 64 * 25, "3·3 taps, not 5·5"),
            (8 * 128 * 196 * 576 * 128, "F is counted twice"),
            (128 * 196 * 576, "that is one image"),
            (8 * 196 * 576, "that is one filter"),
            (str(8 * 128 * 196 * 576), "give a number, an int"),
            (12345, "work out OH first"),
        ],
    )
    def test_mult_adds_hints(self, mult_adds, hint, capsys):
        out = counts_output(capsys, SOLUTIONS.params, mult_adds)
        assert "multiply-adds: not yet" in out and hint in out, out


# --- a claim of the notebook's speed section (Going deeper) ------------------------------------------


def test_einsum_operand_order_picks_the_layout_of_the_copy(monkeypatch):
    """Notebook 03: windows first, numpy copies the view in runs of O_W = 32; weights first, in runs of K_W = 3."""
    einsumfunc = pytest.importorskip("numpy._core.einsumfunc")
    if not hasattr(einsumfunc, "reshape"):
        pytest.skip("this numpy's einsum does not reshape through numpy._core.einsumfunc.reshape")
    runs = []

    def spy(a, shape, *args, **kwargs):
        a = np.asanyarray(a)
        if a.ndim == 6:  # the window view, (N, C, OH, OW, KH, KW) in some order
            n = 1
            for size, step in zip(a.shape[::-1], a.strides[::-1]):
                if step != n * a.itemsize:
                    break
                n *= size
            runs.append(n)
        return np.reshape(a, shape, *args, **kwargs)

    monkeypatch.setattr(einsumfunc, "reshape", spy)
    rng = np.random.default_rng(0)
    view = cl.sliding_windows(cl.pad2d(rng.standard_normal((2, 4, 32, 32)), 1), 3)  # (N, C, OH, OW, KH, KW)
    w = rng.standard_normal((5, 4, 3, 3))
    np.einsum("nchwuv,fcuv->nfhw", view, w, optimize=True)
    np.einsum("fcuv,nchwuv->nfhw", w, view, optimize=True)
    assert runs == [32, 3]
