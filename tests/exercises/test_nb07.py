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
        (ex.check_grouped_product, "my_grouped_product"),
        (ex.check_fft_length, "my_fft_length"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(load("nb07"), solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


# --- 2. a grouped layer's product from the whole input's cols ---------------------------------------


def student_grouped(columns="block", order="block", bias=True, transpose=False):
    """A student's grouped product, with one step optionally wrong."""

    def student(cols, w, b, groups):
        F, Cg, KH, KW = w.shape
        Fg = F // groups
        parts = []
        for g in range(groups):
            if columns == "strided":
                cg = cols[:, g::groups]
            elif columns == "by channels":  # C/G columns per group: forgets that a channel brings KH*KW columns
                cg = cols[:, g * Cg : (g + 1) * Cg]
            elif columns == "all":
                cg = cols
            else:
                cg = cols[:, g * Cg * KH * KW : (g + 1) * Cg * KH * KW]
            parts.append(cg @ w[g * Fg : (g + 1) * Fg].reshape(Fg, -1).T)
        y = np.concatenate(parts, axis=1) if order == "block" else np.stack(parts, axis=2).reshape(len(cols), F)
        y = y + b if bias else y
        return y.T if transpose else y

    return student


def filters_sliced_by_channels(cols, w, b, groups):
    """Slices the filters by C/G as well: right only when F == C."""
    F, Cg, KH, KW = w.shape
    width = Cg * KH * KW
    parts = [
        cols[:, g * width : (g + 1) * width] @ w[g * Cg : (g + 1) * Cg].reshape(-1, width).T for g in range(groups)
    ]
    return np.concatenate(parts, axis=1)


def filters_flattened_channels_last(cols, w, b, groups):
    """Right columns and filters, but each filter flattened in (kh, kw, c) order."""
    F, Cg, KH, KW = w.shape
    width, Fg = Cg * KH * KW, F // groups
    parts = [
        cols[:, g * width : (g + 1) * width] @ w[g * Fg : (g + 1) * Fg].transpose(0, 2, 3, 1).reshape(Fg, -1).T
        for g in range(groups)
    ]
    return np.concatenate(parts, axis=1) + b


def dense_product(cols, w, b, groups):
    """Ignores the groups: the ordinary layer's product."""
    return cols @ w.reshape(w.shape[0], -1).T + b


@pytest.mark.parametrize(
    "fn, hint",
    [
        (student_grouped(columns="strided"), "cols[:, g::G] takes every G-th column"),
        (
            student_grouped(columns="by channels"),
            "you took C/G = 3 columns per group, but each channel brings KH·KW = 9 of them",
        ),
        (dense_product, "you used all 36 columns of cols for every filter"),
        (student_grouped(order="interleaved"), "the groups' outputs come out interleaved"),
        (filters_flattened_channels_last, "whether each filter is flattened in cols' column order"),
        (student_grouped(bias=False), "add the bias"),
        (student_grouped(transpose=True), "transpose it: one row per output pixel"),
        (filters_sliced_by_channels, "slice the filters by F/G"),
    ],
)
def test_grouped_hints(fn, hint, capsys):
    ok, out = run(ex.check_grouped_product, fn, capsys)
    assert not ok
    assert hint in out, out


def test_grouped_refuses_the_block_diagonal_zeros(capsys):
    """A hand-built block-diagonal weight (zeros included) gives the right numbers but does G times the work."""

    def hand_dense(cols, w, b, groups):
        F, Cg, KH, KW = w.shape
        Fg = F // groups
        dense = np.zeros((F, Cg * groups, KH, KW))
        for g in range(groups):
            dense[g * Fg : (g + 1) * Fg, g * Cg : (g + 1) * Cg] = w[g * Fg : (g + 1) * Fg]
        return cols @ dense.reshape(F, -1).T + b

    ok, out = run(ex.check_grouped_product, hand_dense, capsys)
    assert not ok
    assert "you multiply by the block-diagonal weight's zeros" in out, out
    cases = nb07._grouped_cases()
    assert any(not np.all(np.isfinite(c["cols"])) and c["groups"] > 1 for c in cases)


def test_grouped_mistakes_pass_at_groups_one(capsys):
    """The cases start with groups=1, where a wrong column slice is invisible; the hint comes later."""
    for fn in (student_grouped(columns="strided"), student_grouped(order="interleaved"), dense_product):
        out = run(ex.check_grouped_product, fn, capsys)[1]
        assert "case 1 of" not in out, out


def test_grouped_cases_cover_the_hard_conditions():
    cases = nb07._grouped_cases()
    assert cases[0]["groups"] == 1
    C = [c["w"].shape[1] * c["groups"] for c in cases]
    F = [c["w"].shape[0] for c in cases]
    G = [c["groups"] for c in cases]
    assert any(g == c == f for g, c, f in zip(G, C, F))  # depthwise
    assert any(g == c and f > c for g, c, f in zip(G, C, F))  # depthwise with a channel multiplier
    assert any(f // g != c // g for g, c, f in zip(G, C, F))  # F/G != C/G
    assert any(c["w"].shape[2] != c["w"].shape[3] for c in cases)
    assert any(geo["dilation"] > 1 and geo["stride"] > 1 for _, _, geo in nb07._grouped_layers())


def test_grouped_reference_is_the_loop_oracle():
    """The checker's reference (cols times the block-diagonal weight) equals plain loops over the grouped
    definition, with the output's channels moved last."""
    for x, case, geo in nb07._grouped_layers():
        w, b, G = case["w"], case["b"], case["groups"]
        C, F = x.shape[1], w.shape[0]
        s, p, d = geo["stride"], geo["padding"], geo["dilation"]
        y = np.concatenate(
            [
                oracle.conv_forward(
                    x[:, g * (C // G) : (g + 1) * (C // G)], w[g * (F // G) : (g + 1) * (F // G)], None,
                    (s, s), (p, p), (d, d),
                )
                for g in range(G)
            ],
            axis=1,
        ) + b[None, :, None, None]  # fmt: skip
        np.testing.assert_allclose(nb07._grouped_reference(**case), y.transpose(0, 2, 3, 1).reshape(-1, F))


def test_grouped_rejects_the_block_diagonal_weight(capsys):
    def block(cols, w, b, groups):
        return cols @ cl.grouped.block_diagonal(w, groups).reshape(w.shape[0], -1).T + b

    assert "without grouped.block_diagonal" in run(ex.check_grouped_product, block, capsys)[1]


def test_grouped_detects_mutation(capsys):
    sol = load("nb07").my_grouped_product

    def mutating(cols, w, b, groups):
        out = sol(cols, w, b, groups)
        b[:] = 0
        return out

    assert "changed its input b in place" in run(ex.check_grouped_product, mutating, capsys)[1]


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


def test_fft_length_hint_names_no_length_that_is_not_the_shortest(capsys):
    """At H = 10, K = 3, p = 0 the shortest is 10: the hint on H + K - 1 = 12 must not point at 11."""
    ok, out = run(ex.check_fft_length, lambda H, K, padding: H + K - 1, capsys)
    assert not ok and "a shorter length is exact too" in out and "11" not in out, out


def test_fft_length_accepts_numpy_scalars_0d_arrays_and_float_whole_numbers(capsys):
    assert run(ex.check_fft_length, lambda H, K, padding: np.int64(shortest(H, K, padding)), capsys)[0]
    assert run(ex.check_fft_length, lambda H, K, padding: float(shortest(H, K, padding)), capsys)[0]
    assert run(ex.check_fft_length, lambda H, K, padding: np.array(shortest(H, K, padding)), capsys)[0]  # 0-d
    assert run(ex.check_fft_length, lambda H, K, padding: np.float32(shortest(H, K, padding)), capsys)[0]
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
    for checker in (ex.check_grouped_product, ex.check_fft_length):
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
    assert "in the wrong order: the order is (weights, multiply_adds)" in answer((macs, weights))
    assert "that is the count in flops" in answer((weights, 2 * macs))
    assert "correct" in answer((np.array(weights), np.int64(macs)))  # 0-d arrays and numpy scalars
    for odd in ("1, 2", None, [1], 7, (1.5, 2), object(), (True, False)):
        assert answer(odd)  # a message, never a traceback


def test_winograd_counts(capsys):
    def answer(value):
        ex.check_winograd_counts(value)
        return capsys.readouterr().out

    L = nb07.WINOGRAD_LAYER
    N, C, F, H, m = L["N"], L["C"], L["F"], L["H"], L["m"]
    OH = cl.output_size(H, L["K"], 1, L["padding"])
    assert OH % m != 0  # the tiles do not divide the output: the point of the exercise
    # Winograd's count, independently: the m x m tiles that cover the output, one product per entry of the
    # transformed (m + 2) x (m + 2) tile, built and counted from the Toom-Cook matrices' shapes
    tiles = len(range(0, OH, m)) ** 2
    n = m + 3 - 1
    truth = (N * tiles * n * n * C * F, N * OH * OH * 9 * C * F)
    assert "correct" in answer(load("nb07").my_winograd_counts)
    assert load("nb07").my_winograd_counts == truth
    assert "not answered yet" in answer(...)
    direct = truth[1]
    assert "direct / 4" in answer((direct // 4, direct))
    assert "round the tiles up" in answer(((OH // m) ** 2 * n * n * C * F, direct))
    assert "that is F(2x2, 3x3)'s count" in answer((len(range(0, OH, 2)) ** 2 * 16 * C * F, direct))
    assert "its products are (m + 2)² = 36" in answer((tiles * m * m * C * F, direct))
    assert "144 is the direct count per 4x4 tile" in answer((tiles * m * m * 9 * C * F, direct))
    assert "times C·F" in answer((tiles * n * n, direct))
    assert "not over the padded input" in answer((9 * n * n * C * F, direct))
    assert "count multiplications, not flops" in answer((2 * truth[0], 2 * direct))
    assert "the direct count is twice the answer: that is flops" in answer((truth[0], 2 * direct))
    assert "Winograd's count is twice the answer: that is flops" in answer((2 * truth[0], direct))
    assert "the first number is Winograd's count" in answer((direct, direct))
    assert "in the wrong order: the order is (winograd, direct)" in answer((direct, truth[0]))
    assert "every output pixel costs 9" in answer((truth[0], OH * OH * 9))
    assert "count outputs, not padded inputs" in answer((truth[0], (H + 2) ** 2 * 9 * C * F))
    assert "padding 1 keeps the size: the output is 7x7, not 5x5" in answer((truth[0], 5 * 5 * 9 * C * F))
    assert "correct" in answer((np.array(truth[0]), float(truth[1])))
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
