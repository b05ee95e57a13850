"""Checkers of notebook 07: reference solutions pass, typical mistakes get their own hint."""

import ast
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
        (ex.check_fft_length, "my_fft_length"),
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


def filters_sliced_by_channels_then_bias(x, w, b, groups, stride, padding, dilation):
    """Slices the filters by C/G and adds the bias as usual: numpy's broadcast error, which names no product."""
    N, C = x.shape[:2]
    F, Cg, KH, KW = w.shape
    OH = cl.output_size(x.shape[2], KH, stride, padding, dilation)
    OW = cl.output_size(x.shape[3], KW, stride, padding, dilation)
    parts = []
    for g in range(groups):
        wg = w[g * Cg : (g + 1) * Cg]
        cols = cl.im2col(x[:, g * Cg : (g + 1) * Cg], (KH, KW), stride, padding, dilation)
        parts.append((cols @ wg.reshape(len(wg), -1).T).reshape(N, OH, OW, len(wg)).transpose(0, 3, 1, 2))
    return np.concatenate(parts, axis=1) + b[None, :, None, None]


@pytest.mark.parametrize(
    "fn, hint",
    [
        (
            filters_sliced_by_channels_then_bias,
            "y has C = 3 channels where it needs F = 4, one per filter, so the bias b (F,) does not fit it",
        ),
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


def classmate(x, w, padding, Lh, Lw):
    """The notebook's fft_corr_classmate with the FFT size given, written out again for the tests."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    X = np.fft.rfft2(xp, s=(Lh, Lw))
    Wf = np.fft.rfft2(w, s=(Lh, Lw))
    y = np.fft.irfft2(np.einsum("nchw,fchw->nfhw", X, Wf.conj()), s=(Lh, Lw))
    return y[:, :, : H + 2 * padding - KH + 1, : W + 2 * padding - KW + 1]


def exact_lengths(H, K, padding, seed=0):
    """Every FFT length (rows) up to H + 2p + 2 with which the classmate's function equals the loop oracle."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2, H, 3))
    w = rng.standard_normal((2, 2, K, 2))
    want = oracle.conv_forward(x, w, None, (1, 1), (padding, padding), (1, 1))
    Lw = 3 + 2 * padding
    found = []
    for L in range(1, H + 2 * padding + 3):
        got = classmate(x, w, padding, L, Lw)
        if got.shape == want.shape and np.allclose(got, want, rtol=1e-10, atol=1e-10):
            found.append(L)
    return found


def test_fft_length_reference_is_the_shortest_exact_length():
    """The checker's answer, against a search over every length, on its cases and on a grid of layers.

    Exact lengths form a run up to the padded size (any longer FFT is exact too), and the run starts at the
    checker's answer: one shorter is wrong for a random input.
    """
    layers = [(c["H"], c["K"], c["padding"]) for c in nb07._fft_length_cases()]
    layers += [(H, K, p) for H in (1, 2, 5, 8) for K in (1, 2, 3, 4, 6) for p in range(7) if H + 2 * p - K + 1 >= 1]
    for H, K, p in layers:
        found = exact_lengths(H, K, p)
        L = nb07._shortest_fft_length(H, K, p)
        assert found == list(range(L, H + 2 * p + 3)), (H, K, p, found, L)


def test_fft_length_reference_in_two_dimensions():
    """Rows and columns at once: the checker's length on both axes is exact, one less on either is not."""
    rng = np.random.default_rng(3)
    for (H, W), (KH, KW), p in [((7, 9), (3, 2), 3), ((10, 6), (5, 4), 2), ((5, 8), (2, 6), 4)]:
        x, w = rng.standard_normal((2, 3, H, W)), rng.standard_normal((4, 3, KH, KW))
        want = oracle.conv_forward(x, w, None, (1, 1), (p, p), (1, 1))
        Lh, Lw = nb07._shortest_fft_length(H, KH, p), nb07._shortest_fft_length(W, KW, p)
        np.testing.assert_allclose(classmate(x, w, p, Lh, Lw), want, atol=1e-10)
        for short in ((Lh - 1, Lw), (Lh, Lw - 1)):
            got = classmate(x, w, p, *short)
            assert got.shape != want.shape or not np.allclose(got, want), short


def test_fft_length_cases_cover_the_hard_conditions():
    cases = [(c["H"], c["K"], c["padding"]) for c in nb07._fft_length_cases()]
    assert all(p <= K - 1 for H, K, p in cases[:5])  # the classmate's rule is exact on these
    assert cases[0][2] == 0 and any(2 * p == K - 1 for H, K, p in cases[:5]) and any(p == K - 1 for H, K, p in cases)
    assert sum(p >= K for H, K, p in cases) >= 3  # the classmate's rule is too short
    assert any(K == 1 and p > 0 for H, K, p in cases)
    assert any(K > H + p for H, K, p in cases)  # the kernel is longer than the shortest FFT
    assert any(K % 2 == 0 for H, K, p in cases)


def fft_corr_by_hand_from_the_notebook():
    """The notebook's own FFT correlation (section 3.4), read from the notebook itself."""
    path = Path(__file__).resolve().parents[2] / "notebooks" / "07_algorithms.ipynb"
    cells = ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]
    source = next(c for c in cells if c.startswith("def fft_corr_by_hand("))
    tree = ast.parse(source)
    namespace = {"np": np, "cl": cl}
    exec(compile(ast.Module([tree.body[0]], []), "<notebook>", "exec"), namespace)  # noqa: S102
    return namespace["fft_corr_by_hand"]


def test_fft_on_screen_correlation_is_not_the_answer(capsys):
    """The notebook's fft_corr_by_hand (an FFT of the whole padded input) is refused with a clear hint,
    and so is its length, H + 2p: exact, but not the shortest."""
    by_hand = fft_corr_by_hand_from_the_notebook()
    ok, out = run(ex.check_fft_length, by_hand, capsys)
    assert not ok and "the exercise asks for the length, not the correlation" in out, out
    ok, out = run(ex.check_fft_length, lambda H, K, padding: H + 2 * padding, capsys)
    assert not ok and "H + 2p holds the whole padded input and is exact, but it is not the shortest" in out, out


def test_fft_length_names_its_parameters(capsys):
    ok, out = run(ex.check_fft_length, lambda H, K, p: max(H + p, H + 2 * p - K + 1), capsys)
    assert not ok and "name your function's parameters H, K and padding" in out, out


def shortest(H, K, padding):
    return max(H + padding, H + 2 * padding - K + 1)


@pytest.mark.parametrize(
    "fn, hint",
    [
        (lambda H, K, padding: H + K - 1, "that is the classmate's H + K - 1. For H = 10, K = 3, padding = 0"),
        (
            lambda H, K, padding: shortest(H, K, padding) if padding < K else H + K - 1,
            "(p >= K) it is too short: the layer has OH = H + 2p - K + 1 = 11 outputs, an FFT of length 9 returns "
            "only 9 of them, and 2 of those are wrong too",
        ),
        (lambda H, K, padding: H + padding, "H + p leaves room for the image and one padding"),
        (lambda H, K, padding: max(H + padding, H + 2 * padding - K + 1, K), "the kernel need not fit in the FFT"),
        (lambda H, K, padding: shortest(H, K, padding) + 1, "11 is exact for H = 10, K = 3, padding = 0, but not"),
        (lambda H, K, padding: H, "wrap around onto rows of the image, not onto padding: 2 of the 10 rows"),
        (lambda H, K, padding: "H + p", "return a whole number"),
        (lambda H, K, padding: (H + 2 * padding) / 2 + 0.5, "return a whole number"),
        (lambda x, w, padding: x.shape[2] + padding, "the exercise asks for the length, not the correlation"),
        (lambda H, K, padding: H.shape[0], "H, K and padding are whole numbers (sizes), not arrays"),
    ],
)
def test_fft_length_hints(fn, hint, capsys):
    ok, out = run(ex.check_fft_length, fn, capsys)
    assert not ok
    assert hint in out, out


def test_fft_length_accepts_numpy_and_float_whole_numbers(capsys):
    assert run(ex.check_fft_length, lambda H, K, padding: np.int64(shortest(H, K, padding)), capsys)[0]
    assert run(ex.check_fft_length, lambda H, K, padding: float(shortest(H, K, padding)), capsys)[0]
    assert not run(ex.check_fft_length, lambda H, K, padding: np.array([shortest(H, K, padding)]), capsys)[0]
    assert not run(ex.check_fft_length, lambda H, K, padding: True, capsys)[0]


def test_fft_length_rejects_a_search_against_the_library(capsys):
    """Trying lengths until the classmate's function agrees with cl.conv2d is refused."""

    def search(H, K, padding):
        x, w = np.ones((1, 1, H, 1)), np.ones((1, 1, K, 1))
        for L in range(1, H + 2 * padding + 1):
            y = classmate(x, w, padding, L, 1 + 2 * padding)
            if y.shape == cl.conv2d(x, w, padding=padding).shape:
                return L
        return None

    assert "without conv2d" in run(ex.check_fft_length, search, capsys)[1]


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
    for checker in (ex.check_grouped_conv, ex.check_fft_length):
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
    assert "in the wrong order: the order is (winograd, direct)" in answer((direct, truth[0]))
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
        nb07._FFT_FORBID: next(c for c in cells if "my_fft_length(H, K, padding)" in c and "switched off" in c),
    }
    for forbid, text in texts.items():
        for name in forbid:
            assert f"{name}`" in text, (name, text)
