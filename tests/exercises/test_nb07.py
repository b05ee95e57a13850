"""Checkers of notebook 07: reference solutions pass, typical mistakes get their own hint."""

import json
from pathlib import Path

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from conv_lab.exercises import nb07
from tests import oracle
from tests.exercises.helpers import load, not_done, run


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_grouped_conv, "my_grouped_conv"),
        (ex.check_fft_corr_fixed, "fft_corr_fixed"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(load("nb07"), solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


# --- 2. grouped convolution ------------------------------------------------------------------------


def student_grouped(channels="block", x_step="C", order="block", bias=True, dilation=True):
    """A student's grouped convolution from im2col, with one step optionally wrong."""

    def fn(x, w, b, groups, stride, padding, dilation_):
        N, C = x.shape[:2]
        F, Cg, KH, KW = w.shape
        Fg = F // groups
        d = dilation_ if dilation else 1
        parts = []
        for g in range(groups):
            if channels == "strided":
                xg = x[:, g::groups]
            elif channels == "first":
                xg = x[:, :Cg]
            else:
                step = Cg if x_step == "C" else Fg
                xg = x[:, g * step : (g + 1) * step]
            wg = w[g * Fg : (g + 1) * Fg]
            cols = cl.im2col(xg, (KH, KW), stride, padding, d)  # (N*OH*OW, Cg*KH*KW)
            OH = cl.output_size(x.shape[2], KH, stride, padding, d)
            OW = cl.output_size(x.shape[3], KW, stride, padding, d)
            parts.append((cols @ wg.reshape(Fg, -1).T).reshape(N, OH, OW, Fg).transpose(0, 3, 1, 2))
        if order == "block":
            y = np.concatenate(parts, axis=1)
        else:
            y = np.stack(parts, axis=2).reshape(N, F, *parts[0].shape[2:])
        return y + b[None, :, None, None] if bias else y

    def student(x, w, b, groups, stride, padding, dilation):
        return fn(x, w, b, groups, stride, padding, dilation)

    return student


def filters_sliced_by_channels(x, w, b, groups, stride, padding, dilation):
    """Slices the filters by C/G as well: right only when F == C."""
    N, C = x.shape[:2]
    F, Cg, KH, KW = w.shape
    parts = []
    for g in range(groups):
        wg = w[g * Cg : (g + 1) * Cg]
        cols = cl.im2col(x[:, g * Cg : (g + 1) * Cg], (KH, KW), stride, padding, dilation)
        OH = cl.output_size(x.shape[2], KH, stride, padding, dilation)
        OW = cl.output_size(x.shape[3], KW, stride, padding, dilation)
        parts.append((cols @ wg.reshape(len(wg), -1).T).reshape(N, OH, OW, len(wg)).transpose(0, 3, 1, 2))
    y = np.concatenate(parts, axis=1)
    return y + b[: y.shape[1], None, None] if y.shape[1] <= F else y


@pytest.mark.parametrize(
    "fn, hint",
    [
        (student_grouped(channels="strided"), "not every G-th channel"),
        (student_grouped(channels="first"), "every group reads the same channels"),
        (student_grouped(order="interleaved"), "not interleaved"),
        (student_grouped(bias=False), "add the bias"),
        (student_grouped(dilation=False), "the taps are dilation = 2 apart"),
        (filters_sliced_by_channels, "slice the filters by F/G"),
        (student_grouped(x_step="F"), "the windows of group g hold C/G·KH·KW numbers"),
    ],
)
def test_grouped_hints(fn, hint, capsys):
    ok, out = run(ex.check_grouped_conv, fn, capsys)
    assert not ok
    assert hint in out, out


def test_grouped_slicing_mistakes_pass_at_groups_one(capsys):
    """The cases start with groups=1, where a wrong channel slice is invisible; the hint comes later."""
    for fn in (student_grouped(channels="strided"), student_grouped(channels="first"), student_grouped(x_step="F")):
        out = run(ex.check_grouped_conv, fn, capsys)[1]
        assert "case 1 of" not in out, out


def test_grouped_cases_cover_the_hard_conditions():
    cases = nb07._grouped_cases()
    assert cases[0]["groups"] == 1
    assert any(c["groups"] == c["x"].shape[1] == c["w"].shape[0] for c in cases)  # depthwise
    assert any(c["groups"] == c["x"].shape[1] and c["w"].shape[0] > c["x"].shape[1] for c in cases)  # multiplier
    assert any(c["w"].shape[0] // c["groups"] != c["x"].shape[1] // c["groups"] for c in cases)  # F/G != C/G
    assert any(c["dilation"] > 1 and c["stride"] > 1 for c in cases)
    assert any(c["w"].shape[2] != c["w"].shape[3] for c in cases)


def test_grouped_reference_is_the_loop_oracle():
    """The checker's reference (conv2d on slices) equals plain loops over the grouped definition."""
    for case in nb07._grouped_cases():
        x, w, b, G, s, p, d = (case[k] for k in ("x", "w", "b", "groups", "stride", "padding", "dilation"))
        C, F = x.shape[1], w.shape[0]
        want = (
            np.concatenate(
                [
                    oracle.conv_forward(
                        x[:, g * (C // G) : (g + 1) * (C // G)],
                        w[g * (F // G) : (g + 1) * (F // G)],
                        None,
                        (s, s),
                        (p, p),
                        (d, d),
                    )
                    for g in range(G)
                ],
                axis=1,
            )
            + b[None, :, None, None]
        )
        np.testing.assert_allclose(nb07._grouped_reference(**case), want)


@pytest.mark.parametrize(
    "delegate, name",
    [
        (lambda x, w, b, groups, stride, padding, dilation: cl.conv2d(x, w, b, stride, padding, dilation), "conv2d"),
        (
            lambda x, w, b, groups, stride, padding, dilation: np.concatenate(
                [
                    cl.corr2d(x[0, 0], w[0, 0])[None, None],
                ],
                axis=1,
            ),
            "corr2d",
        ),
    ],
)
def test_grouped_rejects_delegation(delegate, name, capsys):
    assert f"without {name}" in run(ex.check_grouped_conv, delegate, capsys)[1]


def test_grouped_detects_mutation(capsys):
    sol = load("nb07").my_grouped_conv

    def mutating(x, w, b, groups, stride, padding, dilation):
        out = sol(x, w, b, groups, stride, padding, dilation)
        b[:] = 0
        return out

    assert "changed its input b in place" in run(ex.check_grouped_conv, mutating, capsys)[1]


# --- 3. find the bug: FFT correlation ------------------------------------------------------------


def student_fft(length="padded", conj=True, s_out=True, kernel_size=False):
    """A student's FFT correlation, with one step optionally wrong."""

    def fn(x, w, padding):
        N, C, H, W = x.shape
        F, _, KH, KW = w.shape
        p = padding
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        size = xp.shape[2:] if length == "padded" else (H + KH - 1, W + KW - 1)
        X = np.fft.rfft2(xp, s=size)
        Wf = np.fft.rfft2(w) if kernel_size else np.fft.rfft2(w, s=size)
        Y = np.einsum("nchw,fchw->nfhw", X, Wf.conj() if conj else Wf)
        y = np.fft.irfft2(Y, s=size) if s_out else np.fft.irfft2(Y)
        return y[:, :, : H + 2 * p - KH + 1, : W + 2 * p - KW + 1]

    return fn


def fft_corr_buggy(x, w, padding):
    """The function the notebook shows."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    Lh, Lw = H + KH - 1, W + KW - 1
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    X = np.fft.rfft2(xp, s=(Lh, Lw))
    Wf = np.fft.rfft2(w, s=(Lh, Lw))
    y = np.fft.irfft2(np.einsum("nchw,fchw->nfhw", X, Wf.conj()), s=(Lh, Lw))
    return y[:, :, : H + 2 * padding - KH + 1, : W + 2 * padding - KW + 1]


def fft_of_image_alone(x, w, padding):
    """No room for the padding: the circle supplies the opposite edge."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    y = np.fft.irfft2(np.einsum("nchw,fchw->nfhw", np.fft.rfft2(x), np.fft.rfft2(w, s=(H, W)).conj()), s=(H, W))
    y = np.roll(y, (padding, padding), axis=(2, 3))
    return y[:, :, : H + 2 * padding - KH + 1, : W + 2 * padding - KW + 1]


def fft_complex(x, w, padding):
    """fft2/ifft2 without taking the real part."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    Hp, Wp = xp.shape[2:]
    KH, KW = w.shape[2:]
    Y = np.einsum("nchw,fchw->nfhw", np.fft.fft2(xp), np.fft.fft2(w, s=(Hp, Wp)).conj())
    return np.fft.ifft2(Y)[:, :, : Hp - KH + 1, : Wp - KW + 1]


def fft_flipped(offset):
    """The flipped kernel instead of the conjugate; right only when read from index K - 1 on."""

    def fn(x, w, padding):
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        Hp, Wp = xp.shape[2:]
        KH, KW = w.shape[2:]
        Y = np.einsum("nchw,fchw->nfhw", np.fft.rfft2(xp), np.fft.rfft2(w[..., ::-1, ::-1], s=(Hp, Wp)))
        y = np.fft.irfft2(Y, s=(Hp, Wp))
        r, c = (KH - 1, KW - 1) if offset else (0, 0)
        return y[:, :, r : r + Hp - KH + 1, c : c + Wp - KW + 1]

    return fn


def test_fft_other_correct_routes_pass(capsys):
    assert run(ex.check_fft_corr_fixed, fft_flipped(offset=True), capsys)[0]
    assert run(ex.check_fft_corr_fixed, lambda x, w, padding: fft_complex(x, w, padding).real, capsys)[0]


def test_fft_buggy_passes_paddings_up_to_k_minus_one_and_gets_its_hint(capsys):
    out = run(ex.check_fft_corr_fixed, fft_corr_buggy, capsys)[1]
    assert "case 5 of" in out  # cases 1-4 (no, "same" and "full" padding, p <= K - 1) pass
    assert "the FFT is shorter than the padded input" in out


@pytest.mark.parametrize(
    "fn, hint",
    [
        (student_fft(length="H+K-1"), "the FFT is shorter than the padded input"),
        (student_fft(conj=False), "that is a convolution, not a correlation"),
        (student_fft(s_out=False), "pass s=(Hp, Wp) to np.fft.irfft2"),
        (student_fft(kernel_size=True), "transform the kernel at the padded input's size"),
        (fft_of_image_alone, "the padding's zeros must really be in the array"),
        (fft_complex, "the numbers are right but complex"),
        (fft_flipped(offset=False), "its entry i + K - 1 holds the window that starts at row i"),
    ],
)
def test_fft_hints(fn, hint, capsys):
    ok, out = run(ex.check_fft_corr_fixed, fn, capsys)
    assert not ok
    assert hint in out, out


def test_fft_cases_cover_the_hard_conditions():
    cases = nb07._fft_cases()
    K = [c["w"].shape[2:] for c in cases]
    p = [c["padding"] for c in cases]
    assert p[0] == 0 and all(2 * p[i] == K[i][0] - 1 for i in (1, 2)) and p[3] == K[3][0] - 1
    assert all(pi <= min(k) - 1 for pi, k in zip(p[:4], K[:4]))  # the buggy function passes these
    assert sum(pi >= min(k) for pi, k in zip(p, K)) >= 3  # padding where H + K - 1 cuts off image rows
    assert any(k[0] % 2 == 0 for k in K) and any(k[0] != k[1] for k in K)
    assert any((c["x"].shape[3] + 2 * c["padding"]) % 2 for c in cases)  # odd padded width
    assert any(c["x"].shape[0] > 1 and c["x"].shape[1] > 1 and c["w"].shape[0] > 1 for c in cases)


@pytest.mark.parametrize(
    "delegate, name",
    [
        (lambda x, w, padding: cl.conv2d(x, w, padding=padding, method="fft"), "conv2d"),
        (lambda x, w, padding: cl.im2col(x, w.shape[2:], padding=padding), "im2col"),
        (lambda x, w, padding: cl.sliding_windows(x, w.shape[2:]), "sliding_windows"),
    ],
)
def test_fft_rejects_delegation(delegate, name, capsys):
    assert f"without {name}" in run(ex.check_fft_corr_fixed, delegate, capsys)[1]


def test_fft_detects_mutation(capsys):
    sol = load("nb07").fft_corr_fixed

    def mutating(x, w, padding):
        out = sol(x, w, padding)
        x *= 2
        return out

    assert "changed its input x in place" in run(ex.check_fft_corr_fixed, mutating, capsys)[1]


@pytest.mark.parametrize(
    "fn",
    [
        lambda *a, **k: None,
        lambda *a, **k: "y",
        lambda *a, **k: np.zeros((2, 2)),
        lambda *a, **k: [[1, 2], [3]],
        lambda *a, **k: 1 / 0,
        lambda *a, **k: np.full((2, 4, 6, 6), np.nan),
    ],
)
def test_checkers_never_raise(fn, capsys):
    for checker in (ex.check_grouped_conv, ex.check_fft_corr_fixed):
        ok, out = run(checker, fn, capsys)
        assert not ok and out


# --- 1 and 4. predict, then check ------------------------------------------------------------------


def test_separable_counts(capsys):
    def answer(value):
        ex.check_separable_counts(value)
        return capsys.readouterr().out

    L = nb07.SEPARABLE_LAYER
    C, F, H, K, s, p = (L[k] for k in ("C", "F", "H", "K", "stride", "padding"))
    OH = cl.output_size(H, K, s, p)
    # the truth, counted independently: weights by array sizes, products on all-ones data
    w_dw, w_pw = np.ones((C, 1, K, K)), np.ones((F, C, 1, 1))
    weights = w_dw.size + w_pw.size
    dw_out = np.stack(
        [oracle.conv_forward(np.ones((1, 1, H, H)), w_dw[[c]], None, (s, s), (p, p), (1, 1)) for c in range(2)]
    )
    assert dw_out.shape[-1] == OH
    macs = OH * OH * weights
    assert "correct" in answer(load("nb07").my_separable_counts)
    assert load("nb07").my_separable_counts == (weights, macs)
    assert "correct" in answer(np.array([weights, macs]))
    assert "not answered yet" in answer(...)
    assert "a dense 3x3 layer's count" in answer((F * C * K * K, OH * OH * F * C * K * K))
    assert "without biases" in answer((weights + C + F, macs))
    assert "not C·C·9" in answer((C * C * K * K + F * C, macs))
    assert "multiply by the number of output pixels" in answer((weights, weights))
    assert f"the output is {OH}x{OH}, not {H}x{H}" in answer((weights, H * H * weights))
    assert "the depthwise layer has stride 2" in answer((weights, H * H * C * K * K + OH * OH * F * C))
    assert "the 1x1 layer runs on the depthwise layer's output" in answer(
        (weights, OH * OH * C * K * K + H * H * F * C)
    )
    assert "the weights are right" in answer((weights, macs + 1))
    for odd in ("1, 2", None, [1], 7, (1.5, 2), object(), (True, False)):
        assert answer(odd)  # a message, never a traceback


def test_winograd_counts(capsys):
    def answer(value):
        ex.check_winograd_counts(value)
        return capsys.readouterr().out

    L = nb07.WINOGRAD_LAYER
    N, C, F, H = L["N"], L["C"], L["F"], L["H"]
    OH = cl.output_size(H, L["K"], 1, L["padding"])
    assert OH % 2 == 1  # the odd output size is the point of the exercise
    # Winograd's count, independently: the tiles a 2x2-tiled cover of the output needs, 16 products each
    tiles = len(range(0, OH, 2)) ** 2
    truth = (N * tiles * 16 * C * F, N * OH * OH * 9 * C * F)
    assert "correct" in answer(load("nb07").my_winograd_counts)
    assert load("nb07").my_winograd_counts == truth
    assert "not answered yet" in answer(...)
    direct = truth[1]
    assert "direct / 2.25" in answer((direct * 4 // 9, direct))
    assert "round the tiles up" in answer(((OH // 2) ** 2 * 16 * C * F, direct))
    assert "36 is the direct count per 2x2 tile" in answer((tiles * 36 * C * F, direct))
    assert "times C·F" in answer((tiles * 16, direct))
    assert "not over the padded input" in answer((25 * 16 * C * F, direct))
    assert "the first number is Winograd's count" in answer((direct, direct))
    assert "every output pixel costs 9" in answer((truth[0], OH * OH * 9))
    assert "count outputs, not padded inputs" in answer((truth[0], (H + 2) ** 2 * 9 * C * F))
    for odd in ("1, 2", None, [1], 7, (1.5, 2), object()):
        assert answer(odd)  # a message, never a traceback


def test_the_notebook_states_the_checkers_layers():
    """The layers the prediction exercises describe in words are the ones their checkers use."""
    path = Path(__file__).resolve().parents[2] / "notebooks" / "07_algorithms.ipynb"
    text = "".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"])
    L = nb07.SEPARABLE_LAYER
    assert (
        f"$C = {L['C']}$ channels of {L['H']}×{L['H']} pixels, a depthwise {L['K']}×{L['K']} layer with stride "
        f"{L['stride']} and padding {L['padding']}, then a 1×1 layer to $F = {L['F']}$ channels" in text
    )
    L = nb07.WINOGRAD_LAYER
    assert (
        f"{L['H']}×{L['H']} input with $C = {L['C']}$ channels, $F = {L['F']}$ filters of {L['K']}×{L['K']}, "
        f"padding {L['padding']}, one image" in text
    )


def test_the_notebook_names_every_routine_its_checkers_switch_off():
    """Exercises 2 and 3 list what is off-limits; the lists are the checkers' forbid lists."""
    path = Path(__file__).resolve().parents[2] / "notebooks" / "07_algorithms.ipynb"
    cells = ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]
    texts = {
        nb07._GROUPED_FORBID: next(c for c in cells if c.startswith("**2. A grouped convolution.**")),
        nb07._FFT_FORBID: next(c for c in cells if "fft_corr_fixed(x, w, padding)" in c and "switched off" in c),
    }
    for forbid, text in texts.items():
        for name in forbid:
            assert f"{name}`" in text, (name, text)
