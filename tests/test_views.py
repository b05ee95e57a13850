"""The linked views: view_state against the loop oracle and brute force, and the widget's update path.

Every number the view prints or draws comes from view_state, so view_state is
held against independent computations: the oracle's scalar loops for y, dx
and the transposed convolution, a brute-force count for the rows the windows
read, and the rot180 route rebuilt from the padding amounts view_state reports.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import conv_lab as cl
from conv_lab import views
from tests import oracle
from tests.strategies import axis


def read_1d(size, K, s, p, d):
    """Which rows the windows read, by brute force on a single column (the oracle's coverage)."""
    return oracle.coverage(size, 1, K, 1, (s, 1), (p, 0), (d, 1))[:, 0] > 0


@st.composite
def too_big(draw):
    """(size, K, s, p, d) for one axis whose dilated kernel is larger than the padded input."""
    K, d = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    p = draw(st.integers(0, (d * (K - 1) - 1) // 2))
    size = draw(st.integers(1, d * (K - 1) - 2 * p))  # d(K-1) + 1 > size + 2p
    return size, K, draw(st.integers(1, 3)), p, d


@st.composite
def settings(draw, fitting=True):
    """Any setting of the view's controls, with output_padding PyTorch accepts or refuses.

    ``fitting=False``: the kernel is too large for the padded input on one axis or both.
    """
    if fitting:
        rows, cols = draw(axis()), draw(axis())
    else:
        rows, cols = draw(st.sampled_from([(too_big(), axis()), (axis(), too_big()), (too_big(), too_big())]))
        rows, cols = draw(rows), draw(cols)
    (H, KH, sh, ph, dh), (W, KW, sw, pw, dw) = rows, cols
    return dict(
        H=H, W=W, KH=KH, KW=KW, stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw),
        output_padding=(draw(st.integers(0, 3)), draw(st.integers(0, 3))),
        out_pixel=(draw(st.integers(0, 8)), draw(st.integers(0, 8))),
        in_pixel=(draw(st.integers(0, H - 1)), draw(st.integers(0, W - 1))),
    )  # fmt: skip


def oracle_arrays(state):
    """y, dx (oracle loops) for the state's own example arrays."""
    x4, w4, dy4 = state.x[None, None], state.w[None, None], state.dy[None, None]
    s, p, d = state.stride, state.padding, state.dilation
    y = oracle.conv_forward(x4, w4, None, s, p, d)[0, 0]
    dx = oracle.conv_backward(dy4, x4, w4, s, p, d)[0][0, 0]
    return y, dx


HARD = [
    # (H, W, KH, KW, stride, padding, dilation, output_padding): the cases issue 10 names, non-square, crop, dilation
    dict(H=6, W=6, KH=3, KW=3, stride=2, padding=0, dilation=1),  # a = 1, row 5 unread
    dict(H=6, W=6, KH=3, KW=3, stride=2, padding=1, dilation=1),  # a = 1, but it is padding
    dict(H=8, W=8, KH=1, KW=1, stride=2, padding=0, dilation=1),  # 1x1 stride-2 shortcut
    dict(H=9, W=9, KH=3, KW=3, stride=2, padding=0, dilation=2),  # stride and dilation share a factor
    dict(H=8, W=8, KH=2, KW=2, stride=3, padding=0, dilation=1),  # s > K: rows 2 and 5 unread
    dict(H=5, W=5, KH=3, KW=3, stride=2, padding=3, dilation=1),  # p > d(K-1): the rot180 route crops
    dict(H=7, W=5, KH=2, KW=3, stride=(2, 1), padding=(1, 2), dilation=(2, 1)),  # non-square everything
]


class TestViewState:
    @given(settings())
    @example(dict(HARD[0], out_pixel=(1, 0), in_pixel=(5, 2)))
    @example(dict(HARD[5], out_pixel=(0, 0), in_pixel=(0, 0)))
    @example(dict(HARD[6], output_padding=(1, 0), out_pixel=(2, 1), in_pixel=(3, 4)))
    def test_against_the_oracle(self, kw):
        state = views.view_state(**kw)
        assert state.fits and state.message == ""
        H, W, KH, KW = kw["H"], kw["W"], kw["KH"], kw["KW"]
        s, p, d = state.stride, state.padding, state.dilation
        sizes = []
        for k, (size, K) in enumerate(((H, KH), (W, KW))):
            positions = [t for t in range(0, size + 2 * p[k], s[k]) if t + d[k] * (K - 1) + 1 <= size + 2 * p[k]]
            end = positions[-1] + d[k] * (K - 1) + 1  # one past the last window's last row
            sizes.append((len(positions), size + 2 * p[k] - end))
        assert (state.OH, state.OW) == (sizes[0][0], sizes[1][0])
        assert state.a == (sizes[0][1], sizes[1][1])
        assert state.leftover_input == tuple(max(0, state.a[k] - p[k]) for k in range(2))

        # unread rows and columns, by brute force
        rows = read_1d(H, KH, s[0], p[0], d[0])
        cols = read_1d(W, KW, s[1], p[1], d[1])
        assert state.unread_rows == tuple(np.flatnonzero(~rows))
        assert state.unread_cols == tuple(np.flatnonzero(~cols))
        # the leftover input rows are the unread rows at the bottom edge
        lh = state.leftover_input[0]
        assert all(r in state.unread_rows for r in range(H - lh, H))

        # y and dx of the example arrays
        y, dx = oracle_arrays(state)
        assert np.array_equal(state.y, y) and np.array_equal(state.dx, dx)
        assert not dx[~rows, :].any() and not dx[:, ~cols].any()  # unread rows get zero gradient

        # the rot180 padding amounts rebuild dx
        (top, bottom), (left, right) = state.rot_pad
        assert (top, left) == (d[0] * (KH - 1) - p[0], d[1] * (KW - 1) - p[1])
        dil = np.zeros(((state.OH - 1) * s[0] + 1, (state.OW - 1) * s[1] + 1), dtype=state.dy.dtype)
        dil[:: s[0], :: s[1]] = state.dy  # s - 1 zeros between neighbours
        route = np.pad(dil, ((max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))))
        route = route[max(-top, 0) : route.shape[0] - max(-bottom, 0), max(-left, 0) : route.shape[1] - max(-right, 0)]
        assert route.shape == (H + d[0] * (KH - 1), W + d[1] * (KW - 1))
        assert np.array_equal(cl.corr2d(route, cl.rot180(state.w), dilation=d), dx)

        # the chosen output pixel: its window's taps and products
        i, j = state.out_pixel
        assert (i, j) == (min(kw["out_pixel"][0], state.OH - 1), min(kw["out_pixel"][1], state.OW - 1))
        xp = np.pad(state.x, ((p[0], p[0]), (p[1], p[1])))
        assert [(t.r, t.q) for t in state.window] == [
            (i * s[0] + u * d[0], j * s[1] + v * d[1]) for u in range(KH) for v in range(KW)
        ]
        for t in state.window:
            assert t.x == xp[t.r, t.q] and t.w == state.w[t.u, t.v] and t.product == t.x * t.w
            assert t.padding == (not (p[0] <= t.r < p[0] + H and p[1] <= t.q < p[1] + W))
        assert state.y_value == y[i, j]

        # the chosen input pixel: every output that read it, the taps, dx as the sum
        r, q = state.in_pixel
        taps = oracle._taps(1, 1, H, W, 1, KH, KW, state.OH, state.OW, s, p, d)
        touched = sorted((i, j, u, v) for _, _, i, j, _, u, v, rr, qq in taps if (rr, qq) == (r, q))
        assert sorted((t.i, t.j, t.u, t.v) for t in state.touching) == touched
        for t in state.touching:
            assert t.dy == state.dy[t.i, t.j] and t.w == state.w[t.u, t.v] and t.product == t.dy * t.w
        assert state.dx_value == dx[r, q] == state.dx_library
        assert (len(state.touching) == 0) == (not rows[r] or not cols[q])

    @given(settings())
    @example(dict(HARD[0], output_padding=1, out_pixel=(0, 0), in_pixel=(0, 0)))
    @example(dict(HARD[0], output_padding=2, out_pixel=(0, 0), in_pixel=(0, 0)))
    @example(dict(HARD[0], stride=1, dilation=2, output_padding=1, out_pixel=(0, 0), in_pixel=(0, 0)))
    @example(dict(H=1, W=1, KH=1, KW=1, stride=3, padding=1, dilation=1, output_padding=0, out_pixel=None,
                  in_pixel=None))  # fmt: skip
    def test_transposed(self, kw):
        state = views.view_state(**kw)
        s, p, d, op = state.stride, state.padding, state.dilation, state.output_padding
        allowed = all(op[k] < s[k] or op[k] < d[k] for k in range(2))
        reach = (d[0] * (state.KH - 1), d[1] * (state.KW - 1))
        size = tuple((n - 1) * s[k] - 2 * p[k] + reach[k] + op[k] + 1 for k, n in enumerate((state.OH, state.OW)))
        if not allowed:
            assert not state.transposed_ok and "output_padding" in state.transposed_message
            with pytest.raises(ValueError, match="output_padding"):  # the library refuses it too
                cl.conv_transpose2d(state.dy[None, None], state.w[None, None], s, p, op, d)
            return
        if min(size) < 1:
            assert not state.transposed_ok and "crops away everything" in state.transposed_message
            return
        assert state.transposed_ok and state.transposed_size == size
        expected = oracle.conv_transpose(state.dy[None, None], state.w[None, None], s, p, op, d)[0, 0]
        assert np.array_equal(state.transposed, expected)
        assert state.transposed_pad == (
            (reach[0] - p[0], reach[0] - p[0] + op[0]),
            (reach[1] - p[1], reach[1] - p[1] + op[1]),
        )
        if op == state.a:
            assert np.array_equal(state.transposed, state.dx)
        assert state.transposed_forward == tuple(
            cl.output_size(n, K, s[k], p[k], d[k]) for k, (n, K) in enumerate(zip(size, (state.KH, state.KW)))
        )
        lines = "\n".join(state.transposed_summary())
        assert ("no forward input" in lines or "only because output_padding < dilation" in lines) == (
            state.transposed_forward != (state.OH, state.OW)
        )

    @given(settings(fitting=False))
    @example(dict(H=3, W=5, KH=4, KW=3, stride=1, padding=0, dilation=1, output_padding=0, out_pixel=(0, 0),
                  in_pixel=(0, 0)))  # fmt: skip
    def test_settings_that_do_not_fit_are_explained(self, kw):
        state = views.view_state(**kw)  # never raises
        assert not state.fits and state.OH is None and state.y is None
        assert "does not fit" in state.message
        too_big = [
            (n, K, state.stride[k], state.padding[k], state.dilation[k])
            for k, (n, K) in enumerate(((state.H, state.KH), (state.W, state.KW)))
            if state.dilation[k] * (K - 1) + 1 > n + 2 * state.padding[k]
        ]
        assert too_big and len(too_big) == state.message.count("does not fit")
        for args in too_big:  # the library refuses these settings, with the same numbers
            with pytest.raises(ValueError, match="larger than the padded input"):
                cl.output_size(*args)
            assert f"= {args[0]}+2·{args[3]} = {args[0] + 2 * args[3]}" in state.message
        assert state.summary()[-1] == state.message
        fig = views.draw_view(state, "backward")  # draws the explanation, no traceback
        assert fig.axes[0].get_title() == "the kernel does not fit"

    @pytest.mark.parametrize(
        "kw, rows",
        [(HARD[0], (5,)), (HARD[1], ()), (HARD[2], (1, 3, 5, 7)), (HARD[3], (1, 3, 5, 7)), (HARD[4], (2, 5))],
    )
    def test_the_worked_examples_of_the_leftover_rows(self, kw, rows):
        """The examples the notebooks quote (issue 10), checked against the brute-force count as well."""
        state = views.view_state(**kw)
        assert state.unread_rows == rows == tuple(np.flatnonzero(~read_1d(kw["H"], kw["KH"], kw["stride"],
                                                                          kw["padding"], kw["dilation"])))  # fmt: skip

    def test_summary_prints_the_formula_values(self):
        state = views.view_state(6, 6, 3, 3, stride=2, out_pixel=(1, 0), in_pixel=(5, 0))
        text = "\n".join(state.summary("backward"))
        assert f"= {state.OH}, OW" in text and f"a = {state.a}" in text
        assert "unread input rows: 5;" in text
        assert "dx[5,0] = 0: no window reads this pixel (row 5 unread)" in text
        assert "x[5,0] is read by no window" in "\n".join(state.summary("forward"))
        (top, bottom), _ = state.rot_pad
        assert f"top {top}, bottom {bottom}" in text

    def test_the_printed_sum_lists_every_output_that_read_the_pixel(self):
        state = views.view_state(6, 6, 3, 3, stride=1, in_pixel=(2, 3))  # stride 1: nine outputs read (2, 3)
        assert len(state.touching) == 9
        forward, backward = state.summary("forward")[-2], state.summary("backward")[-1]
        gradient = state.summary("forward")[-1]
        assert forward.startswith("x[2,3] is read by 9 output(s): ")
        assert gradient.startswith("its gradient (notebook 04): dx[2,3] = ") and gradient.count("·") == 9
        for t in state.touching:
            assert f"y[{t.i},{t.j}] (with w[{t.u},{t.v}])" in forward
            assert f"dy[{t.i},{t.j}]·w[{t.u},{t.v}]" in backward
            assert f"dy[{t.i},{t.j}]·w[{t.u},{t.v}]" in gradient
        assert backward.endswith(f"= {state.dx_value} (cl.conv2d_backward: {state.dx_library})")

    def test_crop_is_named(self):
        state = views.view_state(**HARD[5])
        top = state.rot_pad[0][0]
        assert top < 0 and f"top {top} (crop {-top})" in "\n".join(state.summary("backward"))
        assert "rot180" not in "\n".join(state.summary("forward"))  # notebook 01 has not met the route yet

    @pytest.mark.parametrize(
        "kw, error, match",
        [
            (dict(H=0), ValueError, "H must be >= 1, got 0"),
            (dict(KW=2.5), TypeError, "KW must be an int, got 2.5"),
            (dict(stride=0), ValueError, "stride must be >= 1"),
            (dict(padding=(1, 2, 3)), ValueError, "padding must be an int or an \\(h, w\\) pair, got 3 values"),
            (dict(output_padding=-1), ValueError, "output_padding must be >= 0"),
        ],
    )
    def test_bad_arguments_raise(self, kw, error, match):
        args = dict(H=4, W=4, KH=2, KW=2)
        args.update(kw)
        with pytest.raises(error, match=match):
            views.view_state(**args)

    def test_does_not_change_with_the_pixel(self):
        a = views.view_state(6, 5, 3, 2, stride=2, padding=1)
        b = views.view_state(6, 5, 3, 2, stride=2, padding=1, out_pixel=(1, 1), in_pixel=(2, 3))
        assert np.array_equal(a.dx, b.dx) and a.summary() == b.summary()[: len(a.summary())]


class TestDrawView:
    @pytest.mark.parametrize("mode", ["forward", "backward"])
    @pytest.mark.parametrize("kw", HARD)
    def test_draws_every_hard_case(self, mode, kw):
        state = views.view_state(**kw, out_pixel=(1, 1), in_pixel=(1, 1))
        fig = views.draw_view(state, mode)
        assert views.png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(fig.axes) >= 3

    def test_unknown_mode(self):
        with pytest.raises(ValueError, match="mode must be 'forward' or 'backward', got 'sideways'"):
            views.draw_view(views.view_state(3, 3, 2, 2), "sideways")


class TestLinkedView:
    @pytest.mark.parametrize("mode", ["forward", "backward"])
    def test_builds_its_widgets(self, mode):
        import ipywidgets as widgets

        view = views.linked_view(mode)
        assert isinstance(view, widgets.VBox)
        expected = {"H", "W", "KH", "KW", "stride", "padding", "dilation", "out_i", "out_j", "in_r", "in_q"}
        if mode == "backward":
            expected.add("output_padding")
        assert set(view.controls) == expected
        assert all(isinstance(c, widgets.IntSlider) for c in view.controls.values())
        assert view.image.value[:8] == b"\x89PNG\r\n\x1a\n"
        assert "OH = " in views.plain_text(view.values.value)

    @pytest.mark.parametrize("mode", ["forward", "backward"])
    def test_changing_a_control_changes_the_values_and_the_picture(self, mode):
        view = views.linked_view(mode)
        text, picture = view.values.value, view.image.value
        view.controls["stride"].value = 1  # the same path a browser's slider takes: the observer runs update()
        assert view.state.stride == (1, 1)
        assert view.values.value != text and view.image.value != picture
        assert f"= {cl.output_size(6, 3, 1)}, OW" in views.plain_text(view.values.value)

    @pytest.mark.parametrize("mode, in_pixel", [("forward", (5, 0)), ("backward", (2, 1))])
    def test_starts_on_the_setting_the_notebooks_print(self, mode, in_pixel):
        """The notebooks' plain cell next to the view prints view_state for the view's starting setting."""
        view = views.linked_view(mode)
        expected = views.view_state(6, 6, 3, 3, stride=2, padding=0, out_pixel=(1, 0), in_pixel=in_pixel)
        assert view.state.summary(mode) == expected.summary(mode)
        assert ("unread input rows: 5;" in views.plain_text(view.values.value)) and view.state.out_pixel == (1, 0)

    def test_pixel_sliders_follow_the_output_size(self):
        view = views.linked_view("forward", H=9, stride=1, out_i=6)
        assert view.controls["out_i"].max == 6 and view.state.out_pixel[0] == 6
        view.controls["stride"].value = 3  # OH = 3: the slider moves into range
        assert view.controls["out_i"].max == 2 and view.controls["out_i"].value == 2
        assert view.state.out_pixel == (2, 0)
        view.controls["H"].value = 2
        assert view.controls["in_r"].max == 1

    def test_a_kernel_that_does_not_fit_is_explained_not_raised(self):
        view = views.linked_view("backward", H=2, padding=0)
        view.controls["KH"].value = 4
        assert not view.state.fits and "does not fit" in views.plain_text(view.values.value)
        assert view.controls["out_i"].disabled
        view.controls["padding"].value = 1  # fits again
        assert view.state.fits and not view.controls["out_i"].disabled

    def test_output_padding_changes_the_transposed_size(self):
        view = views.linked_view("backward", H=6, W=6, KH=3, KW=3, stride=2)
        assert "Ht×Wt ≠ H×W" in views.plain_text(view.values.value)
        view.controls["output_padding"].value = 1  # = a
        assert "Ht×Wt = H×W = 6×6" in views.plain_text(view.values.value)
        view.controls["output_padding"].value = 2  # not < stride, not < dilation
        assert "is not allowed" in views.plain_text(view.values.value)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="mode must be"):
            views.linked_view("sideways")
        with pytest.raises(ValueError, match="unknown settings \\['K'\\]"):
            views.linked_view("forward", K=3)


class TestLegendWords:
    """The legend names what each colour marks in that mode."""

    @pytest.mark.parametrize(
        "mode, label", [("forward", "output it produces"), ("backward", "the chosen output pixel")]
    )
    def test_the_output_colour(self, mode, label):
        state = views.view_state(6, 6, 3, 3, stride=2, out_pixel=(1, 0), in_pixel=(2, 1))
        fig = views.draw_view(state, mode)
        texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
        assert label in texts and len(texts) == len(set(texts))


class TestPrintedValues:
    """The printed lines wrap only between clauses, never inside a formula, and lose nothing."""

    @pytest.mark.parametrize("mode", ["forward", "backward"])
    def test_the_html_holds_exactly_the_lines(self, mode):
        view = views.linked_view(mode)
        st = view.state
        lines = st.summary(mode) + (st.transposed_summary() if mode == "backward" else [])
        assert views.plain_text(view.values.value) == "\n".join(lines)

    def test_break_points(self):
        line = "Ht = (2−1)·2 − 2·0 + 1·(3−1) + 0 + 1 = 5, Wt = (2−1)·2 + 1 = 5; the rows below"
        text = [line[k - 1 : k + 2] for k in views._break_points(line)]
        assert text == ["0 +", ") +", "0 +", ", W", "2 +", "; t", "e r", "s b"]
        for k in views._break_points(line):  # never next to "=", never inside brackets
            assert "=" not in line[k - 1 : k + 2]
            assert line[:k].count("(") == line[:k].count(")")

    def test_a_long_formula_does_not_wrap_between_its_sum_and_its_value(self):
        html = views.html_line("y[1,0] = 7·(-1) + 8·2 + 9·1 = 18")
        assert "= 18</span>" in html and "<span style='white-space: nowrap'>+ 9·1 = 18</span>" in html


class TestDisplayBundle:
    """Before a kernel runs, JupyterLab cannot build the widget; the bundle carries the picture for that case."""

    @pytest.mark.parametrize("mode", ["forward", "backward"])
    def test_the_bundle_has_the_picture_and_a_short_text(self, mode):
        import base64

        view = views.linked_view(mode)
        bundle = view._repr_mimebundle_()
        assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == view.model_id
        assert base64.b64decode(bundle["image/png"]) == view.image.value
        assert bundle["text/plain"] == f"linked view ({mode}): run the notebook to move its sliders"

    def test_ipython_sends_it(self):
        from IPython.core.formatters import DisplayFormatter

        data, _ = DisplayFormatter().format(views.linked_view("forward"))
        assert set(data) >= {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"}
