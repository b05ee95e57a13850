"""Checkers of notebook 01: reference solutions pass, each typical mistake gets its own hint, nothing raises."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import draw, speed, views
from conv_lab import exercises as ex
from tests.exercises.helpers import load, not_done, run

SOLUTION = load("nb01")
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01_sliding_windows.ipynb"


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_padding_for, "my_padding_for"),
        (ex.check_corr2d, "my_corr2d"),
        (ex.check_unread_rows, "unread_rows"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(SOLUTION, solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


def _odd_returns():
    """Things a student's function can return or do that are not answers."""

    def returns_none(*args, **kwargs):
        return None

    def returns_text(*args, **kwargs):
        return "twelve"

    def returns_array(*args, **kwargs):
        return np.zeros((2, 3, 4))

    def returns_object(*args, **kwargs):
        return object()

    def raises_key(*args, **kwargs):
        raise KeyError("oops")

    def exits(*args, **kwargs):
        sys.exit(1)

    return [returns_none, returns_text, returns_array, returns_object, raises_key, exits, 42]


@pytest.mark.parametrize("checker", [ex.check_padding_for, ex.check_corr2d, ex.check_unread_rows])
@pytest.mark.parametrize("fn", _odd_returns())
def test_checkers_never_raise(checker, fn, capsys):
    ok, out = run(checker, fn, capsys)
    assert not ok and out.strip()


# --- 1. padding for an output size ---------------------------------------------------------------


def padding_formula(halve=True, ceil=True, clip=True, use_dilation=True, windows_minus_one=True):
    def fn(size, kernel_size, stride, dilation, out_size):
        span = (dilation if use_dilation else 1) * (kernel_size - 1) + 1
        need = ((out_size - 1) if windows_minus_one else out_size) * stride + span - size
        p = (-(-need // 2) if ceil else need // 2) if halve else need
        return max(0, p) if clip else p

    return fn


def largest_padding(size, kernel_size, stride, dilation, out_size):
    """Brute force that keeps the last padding that works instead of the first."""
    best = None
    for p in range(60):
        if (size + 2 * p - dilation * (kernel_size - 1) - 1) // stride + 1 == out_size:
            best = p
    return best


@pytest.mark.parametrize(
    "fn, hint",
    [
        (padding_formula(ceil=False), "number of rows: round the half up.\n"),  # the tutorials' floor formula
        (padding_formula(clip=False), "can't be negative"),
        (padding_formula(halve=False), "padding is per side"),
        (padding_formula(use_dilation=False), "dilation ignored"),
        (padding_formula(windows_minus_one=False), "off by one window"),
        (largest_padding, "return the smallest"),
        (lambda size, kernel_size, stride, dilation, out_size: dilation * (kernel_size - 1) // 2, "'same' padding"),
        (
            lambda size, kernel_size, stride, dilation, out_size: (out_size * stride - size + kernel_size) / 2,
            "whole number",
        ),
    ],
)
def test_padding_for_hints(fn, hint, capsys):
    ok, out = run(ex.check_padding_for, fn, capsys)
    assert not ok
    assert hint in out and "expected:" in out and "call:" in out


def test_padding_for_rejects_the_library(capsys):
    def by_library(size, kernel_size, stride, dilation, out_size):
        return next(p for p in range(99) if cl.output_size(size, kernel_size, stride, p, dilation) == out_size)

    def by_shape(size, kernel_size, stride, dilation, out_size):
        x, w = np.zeros((size, 1)), np.zeros((kernel_size, 1))
        return next(p for p in range(99) if cl.corr2d(x, w, stride, p, dilation).shape[0] == out_size)

    for fn, name in ((by_library, "output_size"), (by_shape, "corr2d")):
        ok, out = run(ex.check_padding_for, fn, capsys)
        assert not ok and f"without {name}" in out


# --- 2. predict, then check ------------------------------------------------------------------------


def test_prediction_solutions_are_correct(capsys):
    for name in ex.PREDICTION_LAYERS:
        ex.check_layer_prediction(name, getattr(SOLUTION, name))
        assert ": correct." in capsys.readouterr().out


def test_prediction_accepts_any_sequence_of_whole_numbers(capsys):
    ex.check_layer_prediction("shortcut", [np.int64(6), 0.0, np.array([0, 2, 4, 6, 8])])
    assert ": correct." in capsys.readouterr().out
    for wrong in ((6, 0, [0, 2, 4, 6, 8.5]), ("6", 0, [0, 2, 4, 6, 8]), (6, False, [0, 2, 4, 6, 8])):
        ex.check_layer_prediction("shortcut", wrong)
        assert "correct." not in capsys.readouterr().out


def test_padding_for_wants_a_number(capsys):
    ok, out = run(ex.check_padding_for, lambda size, kernel_size, stride, dilation, out_size: "1", capsys)
    assert not ok and "whole number" in out


@pytest.mark.parametrize("order", [list, lambda rows: rows[::-1], set, tuple, np.array])
def test_prediction_rows_in_any_order(order, capsys):
    for name in ex.PREDICTION_LAYERS:
        OH, a, rows = getattr(SOLUTION, name)
        ex.check_layer_prediction(name, (OH, a, order(list(rows))))
        out = capsys.readouterr().out
        assert "correct." in out and "not yet" not in out, (name, out)


def test_prediction_answers_match_an_independent_count():
    """The solution's numbers, recounted from the taps with plain loops (not rows_read)."""
    for name, layer in ex.PREDICTION_LAYERS.items():
        H, K, s, p, d = (layer[k] for k in ("size", "kernel_size", "stride", "padding", "dilation"))
        starts = [t for t in range(0, H + 2 * p) if t + d * (K - 1) + 1 <= H + 2 * p and t % s == 0]
        taps = {t + u * d - p for t in starts for u in range(K)}
        last_end = starts[-1] + d * (K - 1) + 1
        assert getattr(SOLUTION, name) == (len(starts), H + 2 * p - last_end, [i for i in range(H) if i not in taps])


@pytest.mark.parametrize(
    "name, answer, hint",
    [
        ("spaced", ..., "not answered yet"),
        ("spaced", (3, 1, [9]), "rows of the PADDED input"),  # the old misconception: the last a rows
        ("spaced", (4, 1, [2, 6]), "OH is not right"),
        ("shortcut", (5, 0, [1, 3, 5, 7]), "OH is not right"),  # padding forgotten
        ("shortcut", (6, 0, [1, 3, 5, 7]), "the unread rows are not"),  # the p = 0 rows: padding shifts them
        ("shortcut", (6, 1, [0, 2, 4, 6, 8]), "a is not"),
        ("shortcut", (6, 0, [0, 2, 4, 6, 8, 10]), "padding rows are not input rows"),
        ("spaced", (3, 1, [3, 7]), "input row i is padded row i + p"),
        ("spaced", (3, 1, [2, 6, 11]), "padding rows are not input rows"),
        ("spaced", "3, 1, [2, 6]", "answer with a tuple"),
        ("spaced", 3, "answer with a tuple"),
        ("spaced", (3, 1), "answer with a tuple"),
        ("nonsense", (3, 1, []), "the layers are"),
    ],
)
def test_prediction_hints(name, answer, hint, capsys):
    _prediction_hint(name, answer, hint, capsys)


def test_prediction_row_that_does_not_exist_without_padding(monkeypatch, capsys):
    """A layer without padding: a row past the end is named as missing, with no talk of padding rows."""
    layer = dict(size=7, kernel_size=1, stride=2, padding=0, dilation=1)
    monkeypatch.setitem(ex.PREDICTION_LAYERS, "unpadded", layer)
    _prediction_hint("unpadded", (4, 0, [1, 3, 5, 7]), "row 7 does not exist", capsys)


def _prediction_hint(name, answer, hint, capsys):
    ex.check_layer_prediction(name, answer)
    out = capsys.readouterr().out
    assert hint in out and "correct." not in out
    if ex.PREDICTION_LAYERS.get(name, {}).get("padding") == 0:
        assert "padding rows" not in out, out  # a layer without padding has no padding rows to blame


# --- 3. corr2d with stride, padding and dilation ---------------------------------------------------


def corr_variant(
    flip=False,
    row_stride=True,
    col_stride=True,
    tap_dilation=True,
    size_dilation=True,
    pad="right",
    kh_for_kw=False,
    transpose=False,
    swap_stride=False,
    swap_dilation=False,
    one_stride=None,
    int_out=False,
):
    """The student's loop with one mistake switched on."""

    def fn(x, w, stride, padding, dilation):
        (sh, sw), (dh, dw) = stride[::-1] if swap_stride else stride, dilation[::-1] if swap_dilation else dilation
        if one_stride is not None:
            sh = sw = stride[one_stride]  # stride[0] (or [1]) used on both axes
        if flip:
            w = w[::-1, ::-1]
        KH, KW = w.shape
        if kh_for_kw:
            KW = KH  # the cs231n-style square assumption
        (top, bottom), (left, right) = padding
        pads = {
            "right": padding,
            "none": 0,
            "rows for both": padding[0],  # np.pad(x, padding[0])
            "first of each": ((top, top), (left, left)),
            "last of each": ((bottom, bottom), (right, right)),
            "one side": ((top, 0), (left, 0)),
            "other side": ((0, bottom), (0, right)),
        }[pad]
        xp = np.pad(x, pads)
        if not tap_dilation:
            dh = dw = 1
        span_h, span_w = dh * (KH - 1) + 1, dw * (KW - 1) + 1
        size_h, size_w = (span_h, span_w) if size_dilation else (KH, KW)
        rs, cs = (sh if row_stride else 1), (sw if col_stride else 1)
        OH = (xp.shape[0] - size_h) // rs + 1
        OW = (xp.shape[1] - size_w) // cs + 1
        if not row_stride and col_stride:  # size right, windows wrong
            OH = (xp.shape[0] - size_h) // sh + 1
        y = np.zeros((OH, OW), dtype=int if int_out else float)
        for i in range(OH):
            for j in range(OW):
                win = xp[i * rs : i * rs + span_h : dh, j * cs : j * cs + span_w : dw]
                y[i, j] = np.sum(win * w[:, :KW])
        return y.T if transpose else y

    return fn


@pytest.mark.parametrize(
    "fn, hint",
    [
        (corr_variant(flip=True), "flipped the kernel"),
        (corr_variant(row_stride=False), "don't move by the stride: output row i"),
        (corr_variant(row_stride=False, col_stride=False), "not every row and column"),
        (corr_variant(swap_stride=True), "stride is (sh, sw)"),
        (corr_variant(swap_dilation=True), "dilation is (dh, dw)"),
        (corr_variant(tap_dilation=False), "ignores dilation: the kernel spans d(K-1)+1 rows"),
        (corr_variant(size_dilation=False), "ignores dilation: the kernel spans d(K-1)+1 rows"),
        (corr_variant(pad="none"), "pad x first"),
        (corr_variant(pad="rows for both"), "((top, bottom), (left, right))"),
        (corr_variant(pad="first of each"), "e.g. the top amount for the bottom too"),
        (corr_variant(pad="last of each"), "e.g. the top amount for the bottom too"),
        (corr_variant(pad="one side"), "you padded one side of each axis only"),
        (corr_variant(pad="other side"), "you padded one side of each axis only"),
        (corr_variant(one_stride=0), "you seem to use one of them on both axes"),
        (corr_variant(int_out=True), "the array you fill is of an integer type"),
        (corr_variant(kh_for_kw=True), "OW from the padded width, KW"),
        (corr_variant(transpose=True), "rows and columns are swapped"),
    ],
)
def test_corr2d_hints(fn, hint, capsys):
    ok, out = run(ex.check_corr2d, fn, capsys)
    assert not ok
    assert hint in out, out


def _corr_loop(pad_form="right", dilation_step=0, dilated_start=False):
    """A tap-by-tap loop that skips taps past the end, with one mistake switched on.

    pad_form="tlbr": padding unpacked as ((top, left), (bottom, right)); dilation_step=1: taps d + 1 apart
    (numpy-ml's convention); dilated_start: window (i, j) starts at (i*sh*dh, j*sw*dw).
    """

    def fn(x, w, stride, padding, dilation):
        (sh, sw), (dh, dw) = stride, dilation
        dh, dw = dh + dilation_step, dw + dilation_step
        KH, KW = w.shape
        if pad_form == "tlbr":
            (top, left), (bottom, right) = padding
        else:
            (top, bottom), (left, right) = padding
        xp = np.pad(x, ((top, bottom), (left, right)))
        OH = (xp.shape[0] - dh * (KH - 1) - 1) // sh + 1
        OW = (xp.shape[1] - dw * (KW - 1) - 1) // sw + 1
        y = np.zeros((OH, OW))
        for i in range(OH):
            for j in range(OW):
                r0, q0 = (i * sh * dh, j * sw * dw) if dilated_start else (i * sh, j * sw)
                for u in range(KH):
                    for v in range(KW):
                        r, q = r0 + u * dh, q0 + v * dw
                        if r < xp.shape[0] and q < xp.shape[1]:
                            y[i, j] += xp[r, q] * w[u, v]
        return y

    return fn


def test_corr2d_loop_helper_is_right_without_a_mistake(capsys):
    ok, out = run(ex.check_corr2d, _corr_loop(), capsys)
    assert ok, out


@pytest.mark.parametrize(
    "fn, hint",
    [
        (_corr_loop(dilated_start=True), "dilation moved the windows"),
        (_corr_loop(pad_form="tlbr"), "not ((top, left), (bottom, right))"),
        (_corr_loop(dilation_step=1), "dilation=1 means no dilation"),
    ],
)
def test_corr2d_cold_reader_mistakes(fn, hint, capsys):
    ok, out = run(ex.check_corr2d, fn, capsys)
    assert not ok and hint in out, out


@pytest.mark.parametrize(
    "fn",
    [
        corr_variant(flip=True),
        corr_variant(row_stride=False),
        corr_variant(swap_dilation=True),
        _corr_loop(dilated_start=True),
        lambda x, w, stride, padding, dilation: SOLUTION.my_corr2d(x, w, stride, padding, dilation) + 1,
    ],
)
def test_corr2d_same_shape_failure_says_where_it_differs(fn, capsys):
    """expected/got print only 'array of shape (5, 6)' twice; the hint must then point at a wrong entry."""
    ok, out = run(ex.check_corr2d, fn, capsys)
    assert not ok
    expected_line = next(line for line in out.splitlines() if "expected:" in line)
    got_line = next(line for line in out.splitlines() if "got:" in line)
    if "array of shape" in expected_line and expected_line.split(":", 1)[1] == got_line.split(":", 1)[1]:
        assert "First wrong entry: y[" in out and "should be" in out and "yours is" in out, out


def test_corr2d_nearly_right_values_are_called_rounding(capsys):
    """A result off by 1e-4 relative shows digits that differ, and says it is only rounding."""

    def fn(x, w, stride, padding, dilation):
        return SOLUTION.my_corr2d(x, w, stride, padding, dilation) * (1 + 1e-4) + 1e-4

    ok, out = run(ex.check_corr2d, fn, capsys)
    assert (
        not ok
        and "First wrong entry" in out
        and "rounding, not a wrong window" in out
        and "place the window" not in out
    ), out


def test_corr2d_dilation_in_size_but_not_in_taps(capsys):
    """The size uses d, the window slice forgets the ::d step and reads K contiguous cells."""

    def fn(x, w, stride, padding, dilation):
        (sh, sw), (dh, dw) = stride, dilation
        KH, KW = w.shape
        xp = np.pad(x, padding)
        OH = (xp.shape[0] - dh * (KH - 1) - 1) // sh + 1
        OW = (xp.shape[1] - dw * (KW - 1) - 1) // sw + 1
        y = np.zeros((OH, OW))
        for i in range(OH):
            for j in range(OW):
                y[i, j] = np.sum(xp[i * sh : i * sh + KH, j * sw : j * sw + KW] * w)
        return y

    ok, out = run(ex.check_corr2d, fn, capsys)
    assert not ok and "dilation ignored in the taps" in out


def _past_the_end(pad_both, use_dilation_in_size):
    def fn(x, w, stride, padding, dilation):
        (sh, sw), (dh, dw) = stride, dilation
        KH, KW = w.shape
        (top, bottom), (left, right) = padding
        xp = np.pad(x, padding if pad_both else ((top, 0), (left, 0)))
        size_h, size_w = (dh * (KH - 1) + 1, dw * (KW - 1) + 1) if use_dilation_in_size else (KH, KW)
        OH = (x.shape[0] + top + bottom - size_h) // sh + 1
        OW = (x.shape[1] + left + right - size_w) // sw + 1
        y = np.zeros((OH, OW))
        for i in range(OH):
            for j in range(OW):
                win = xp[i * sh : i * sh + dh * (KH - 1) + 1 : dh, j * sw : j * sw + dw * (KW - 1) + 1 : dw]
                y[i, j] = np.sum(win * w)
        return y

    return fn


def test_corr2d_window_past_the_end_gets_a_hint(capsys):
    """One-sided padding with the right output size: a slice runs off the end and numpy can't broadcast."""
    ok, out = run(ex.check_corr2d, _past_the_end(pad_both=False, use_dilation_in_size=True), capsys)
    assert not ok and "raised ValueError" in out and "pad all four sides" in out


def test_corr2d_output_size_without_dilation_is_not_blamed_on_padding(capsys):
    """OH from K instead of d(K-1)+1: too many windows, the last ones run off the end."""
    ok, out = run(ex.check_corr2d, _past_the_end(pad_both=True, use_dilation_in_size=False), capsys)
    assert not ok and "ignores dilation: the kernel spans d(K-1)+1 rows" in out and "pad" not in out.split("hint")[-1]


def test_corr2d_by_index_loops_gets_the_dilation_hint_on_an_index_error(capsys):
    def fn(x, w, stride, padding, dilation):
        (sh, sw), (dh, dw) = stride, dilation
        KH, KW = w.shape
        xp = np.pad(x, padding)
        OH, OW = (xp.shape[0] - KH) // sh + 1, (xp.shape[1] - KW) // sw + 1  # dilation forgotten
        y = np.zeros((OH, OW))
        for i in range(OH):
            for j in range(OW):
                for u in range(KH):
                    for v in range(KW):
                        y[i, j] += xp[i * sh + u * dh, j * sw + v * dw] * w[u, v]
        return y

    ok, out = run(ex.check_corr2d, fn, capsys)
    assert not ok and "IndexError" in out and "ignores dilation" in out


def _ints_not_pairs(x, w, stride, padding, dilation):
    """The exercise of a one-number-per-setting corr2d, called with pairs."""
    KH, KW = w.shape
    xp = np.pad(x, padding)
    OH = (xp.shape[0] - dilation * (KH - 1) - 1) // stride + 1
    OW = (xp.shape[1] - dilation * (KW - 1) - 1) // stride + 1
    y = np.zeros((OH, OW))
    for i in range(OH):
        for j in range(OW):
            y[i, j] = np.sum(
                xp[i * stride : i * stride + dilation * (KH - 1) + 1 : dilation, j * stride :: dilation] * w
            )
    return y


def _slices_with_pairs(x, w, stride, padding, dilation):
    KH, KW = w.shape
    return np.array([[np.sum(x[i * stride : i * stride + KH] * w) for i in range(2)]])


@pytest.mark.parametrize("fn", [_ints_not_pairs, _slices_with_pairs])
def test_corr2d_settings_used_as_numbers_get_the_pairs_hint(fn, capsys):
    ok, out = run(ex.check_corr2d, fn, capsys)
    assert not ok and "raised TypeError" in out and "unpack them first" in out, out


def test_corr2d_cases_cover_the_geometry():
    cases = ex.nb01._corr_cases()
    assert any(c["stride"][0] != c["stride"][1] for c in cases)
    assert any(c["dilation"][0] != c["dilation"][1] for c in cases)
    assert any(c["padding"][0][0] != c["padding"][0][1] for c in cases)  # top != bottom
    assert any(c["padding"][1][0] != c["padding"][1][1] for c in cases)  # left != right
    assert any(c["w"].shape[0] != c["w"].shape[1] for c in cases)
    outputs = [ex.nb01._corr_reference(**c) for c in cases]
    assert any(not np.array_equal(y, np.round(y)) for y in outputs)  # fractions: an integer output array fails


def test_corr2d_reference_is_the_plain_loop():
    """The checker's expected answers against a loop written from the definition, tap by tap."""
    for c in ex.nb01._corr_cases():
        x, w, (sh, sw), padding, (dh, dw) = c["x"], c["w"], c["stride"], c["padding"], c["dilation"]
        xp = np.pad(x, padding)
        KH, KW = w.shape
        starts_h = [t for t in range(0, xp.shape[0], sh) if t + dh * (KH - 1) < xp.shape[0]]
        starts_w = [t for t in range(0, xp.shape[1], sw) if t + dw * (KW - 1) < xp.shape[1]]
        y = np.array(
            [
                [sum(xp[r + u * dh, q + v * dw] * w[u, v] for u in range(KH) for v in range(KW)) for q in starts_w]
                for r in starts_h
            ]
        )
        np.testing.assert_allclose(ex.nb01._corr_reference(**c), y, rtol=1e-12, atol=1e-12)  # case 0 has fractions


def _corr_by_layer(x, w, stride, padding, dilation):
    layer = cl.Conv2d(1, 1, w.shape, stride, 0, dilation, bias=False)
    layer.weight = w[None, None].astype(float)
    return layer.forward(np.pad(x, padding)[None, None].astype(float))[0, 0]


def test_corr2d_rejects_the_library_and_mutation(capsys):
    for fn, name in (
        (lambda x, w, stride, padding, dilation: cl.corr2d(np.pad(x, padding), w, stride, 0, dilation), "corr2d"),
        (
            lambda x, w, stride, padding, dilation: cl.conv2d(
                np.pad(x, padding)[None, None], w[None, None], None, stride, 0, dilation
            )[0, 0],
            "conv2d",
        ),
        (
            lambda x, w, stride, padding, dilation: np.einsum(
                "ijuv,uv->ij", cl.sliding_windows(np.pad(x, padding), w.shape, stride, dilation), w
            ),
            "sliding_windows",
        ),
        (_corr_by_layer, "Conv2d.forward"),
        (
            lambda x, w, stride, padding, dilation: speed.conv2d_textbook(
                np.pad(x, padding)[None, None], w[None, None], stride=stride, dilation=dilation
            )[0, 0],
            "speed.conv2d_textbook",
        ),
    ):
        ok, out = run(ex.check_corr2d, fn, capsys)
        assert not ok and f"without {name}" in out

    def vandal(x, w, stride, padding, dilation):
        result = SOLUTION.my_corr2d(x, w, stride, padding, dilation)
        x[...] = 0
        return result

    ok, out = run(ex.check_corr2d, vandal, capsys)
    assert not ok and "changed its input x in place" in out


# --- 4. find the bug: unread rows ------------------------------------------------------------------


def _notebook_unread_rows():
    """The buggy function exactly as the notebook shows it."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    source = next("".join(c["source"]) for c in nb["cells"] if "def unread_rows" in "".join(c["source"]))
    code = source[: source.index("exercises.check_unread_rows")]
    namespace = {"np": np}
    exec(code, namespace)  # noqa: S102 - the notebook's own cell
    return namespace["unread_rows"]


def test_the_notebooks_buggy_function_passes_plain_stride_1_and_gets_its_hint(capsys):
    buggy = _notebook_unread_rows()
    ok, out = run(ex.check_unread_rows, buggy, capsys)
    assert not ok and "still the last a" in out
    failing_case = int(out.split("case ")[1].split(" ")[0])
    stride_1 = [i + 1 for i, c in enumerate(ex.nb01.UNREAD_CASES) if c["stride"] == 1 and c["dilation"] == 1]
    assert failing_case > max(stride_1)
    for case in ex.nb01.UNREAD_CASES[: failing_case - 1]:  # it is right on the cases before
        assert buggy(**case) == ex.nb01._unread(**case)


def taps_variant(shift=True, tap_dilation=True, answer="unread", order=1, whole_span=False):
    def fn(size, kernel_size, stride, padding, dilation):
        out = (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
        d = dilation if tap_dilation else 1
        offsets = range(dilation * (kernel_size - 1) + 1) if whole_span else [t * d for t in range(kernel_size)]
        read = {o * stride + t - (padding if shift else 0) for o in range(out) for t in offsets}
        rows = [i for i in range(size) if (i in read) == (answer == "read")]
        if answer == "mask":
            return np.array([i in read for i in range(size)])
        return rows[::order]

    return fn


def bottom_only(size, kernel_size, stride, padding, dilation):
    """Fixed at the bottom edge (padding subtracted), still blind to rows skipped inside."""
    a = (size + 2 * padding - dilation * (kernel_size - 1) - 1) % stride
    return list(range(size - max(0, a - padding), size))


def padded_rows(size, kernel_size, stride, padding, dilation):
    """Lists every unread row of the padded input, padding included."""
    out = (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    read = {o * stride + t * dilation for o in range(out) for t in range(kernel_size)}
    return [r - padding for r in range(size + 2 * padding) if r not in read]


@pytest.mark.parametrize(
    "fn, hint",
    [
        (bottom_only, "a repeating gap exactly when KH < s or gcd(s, d) > 1"),
        (taps_variant(shift=False), "input row i is padded row i + p"),
        (taps_variant(tap_dilation=False), "dilation ignored"),
        (taps_variant(whole_span=True), "the d - 1 rows between two taps are not read"),
        (taps_variant(answer="read"), "ARE read"),
        (taps_variant(answer="mask"), "not a mask"),
        (taps_variant(order=-1), "in increasing order"),
        (padded_rows, "padding rows are not input rows"),
    ],
)
def test_unread_rows_hints(fn, hint, capsys):
    ok, out = run(ex.check_unread_rows, fn, capsys)
    assert not ok
    assert hint in out, out


def test_unread_rows_rejects_the_library(capsys):
    def by_mask(size, kernel_size, stride, padding, dilation):
        return list(np.nonzero(~cl.rows_read(size, kernel_size, stride, padding, dilation))[0])

    def by_gradient(size, kernel_size, stride, padding, dilation):
        x, w = np.zeros((1, 1, size, 1)), np.ones((1, 1, kernel_size, 1))
        dy = np.ones((1, 1, cl.output_size(size, kernel_size, stride, padding, dilation), 1))
        dx = cl.conv2d_backward(dy, x, w, stride, padding, dilation)[0]
        return list(np.nonzero(dx[0, 0, :, 0] == 0)[0])

    def by_numerical_gradient(size, kernel_size, stride, padding, dilation):
        x, w = np.zeros((1, 1, size, 1)), np.ones((1, 1, kernel_size, 1))
        dy = np.ones((1, 1, cl.output_size(size, kernel_size, stride, padding, dilation), 1))
        dx = cl.numerical_gradient(lambda x: cl.conv2d(x, w, None, stride, padding, dilation), x, dy)
        return list(np.nonzero(dx[0, 0, :, 0] == 0)[0])

    def by_view(size, kernel_size, stride, padding, dilation):
        return list(views.view_state(size, 1, kernel_size, 1, stride, padding, dilation).unread_rows)

    def by_drawing_mask(size, kernel_size, stride, padding, dilation):
        mask = draw.unread_mask(size, 1, (kernel_size, 1), stride, padding, dilation)
        return list(np.nonzero(mask[padding : padding + size, 0])[0])

    for fn, name in (
        (by_mask, "rows_read"),
        (by_gradient, "conv2d_backward"),
        (by_numerical_gradient, "numerical_gradient"),
        (by_view, "views.view_state"),
        (by_drawing_mask, "draw.unread_mask"),
    ):
        ok, out = run(ex.check_unread_rows, fn, capsys)
        assert not ok and f"without {name}" in out


def test_the_notebook_states_the_layers_the_prediction_checker_uses():
    text = "".join("".join(c["source"]) for c in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"])
    for name, layer in ex.PREDICTION_LAYERS.items():
        row = " | ".join(str(layer[k]) for k in ("size", "kernel_size", "stride", "padding", "dilation"))
        assert f"| `{name}` | {row} |" in text, name


@pytest.mark.parametrize("as_returned", [np.array, lambda rows: np.array(rows, dtype=np.int64), tuple])
def test_unread_rows_may_come_back_as_an_array(as_returned, capsys):
    def answer(size, kernel_size, stride, padding, dilation):
        return as_returned(SOLUTION.unread_rows(size, kernel_size, stride, padding, dilation))

    ok, out = run(ex.check_unread_rows, answer, capsys)
    assert ok, out


def test_padding_for_refuses_the_pictures(capsys):
    def by_view(size, kernel_size, stride, dilation, out_size):
        p = 0
        while views.view_state(size, 1, kernel_size, 1, stride, p, dilation).OH != out_size:
            p += 1
        return p

    ok, out = run(ex.check_padding_for, by_view, capsys)
    assert not ok and "without views.view_state" in out


@pytest.mark.parametrize("as_returned", [np.array, np.int64, np.float64, lambda p: np.array(float(p))])
def test_padding_for_accepts_a_numpy_number_or_a_0d_array(as_returned, capsys):
    def answer(size, kernel_size, stride, dilation, out_size):
        return as_returned(SOLUTION.my_padding_for(size, kernel_size, stride, dilation, out_size))

    ok, out = run(ex.check_padding_for, answer, capsys)
    assert ok, out


def test_padding_for_gives_a_0d_array_the_same_hints(capsys):
    def fn(size, kernel_size, stride, dilation, out_size):
        return np.array(padding_formula(ceil=False)(size, kernel_size, stride, dilation, out_size))

    ok, out = run(ex.check_padding_for, fn, capsys)
    assert not ok and "rounded down" in out


@pytest.mark.parametrize(
    "H, K, s, p, d, line", [(7, 3, 2, 0, 1, "ends at the edge"), (8, 3, 3, 0, 1, "dashed line: 2")]
)
def test_geometry_names_a_dashed_line_only_when_it_draws_one(H, K, s, p, d, line):
    """At a = 0 the dashed line would lie on the border, so it is not drawn and the legend says so."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    _, a = draw.geometry(ax, H, K, s, p, d)
    title = ax.get_legend().get_title().get_text()
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    plt.close(fig)
    assert line in title and (len(dashed) == 2) == (a > 0), title
