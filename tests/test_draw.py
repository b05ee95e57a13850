"""The pictures: one palette, and grids whose colours say what the library computes.

The colours of a drawn grid are read back from the figure (the face colours of
its cells) and compared with an independent count: the loop oracle's coverage.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from hypothesis import given
from matplotlib import pyplot as plt
from matplotlib.colors import to_rgba

import conv_lab as cl
from conv_lab import draw
from tests import oracle
from tests.strategies import axis


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def faces(ax, shape):
    """Face colours (R, Q, 4) of the cells drawn by draw.matrix on ax (its first collection)."""
    return np.asarray(ax.collections[0].get_facecolors()).reshape(shape + (4,))


def is_colour(face, colour):
    return np.all(np.isclose(face, to_rgba(colour)), axis=-1)


class TestPalette:
    def test_the_kinds_have_distinct_colours(self):
        colours = [draw.PAD, draw.INSERTED, draw.UNREAD, draw.CROPPED, draw.WINDOW, draw.OUTPUT]
        assert len({to_rgba(c) for c in colours}) == len(colours)
        assert draw.DIVERGING == "RdBu_r"


class TestLegend:
    def test_one_entry_per_kind_in_order(self):
        fig, ax = plt.subplots()
        kinds = ["padding", "inserted zeros", "unread", "cropped", "window", "output"]
        leg = draw.legend(ax, kinds)
        handles = leg.legend_handles
        assert len(handles) == len(kinds)
        assert handles[0].get_hatch() == draw.PAD_HATCH  # padding is hatched, like the grids
        for handle, kind in zip(handles[1:4], kinds[1:4]):
            assert np.allclose(handle.get_facecolor(), to_rgba(draw.KINDS[kind]))
        assert 0 < handles[4].get_facecolor()[3] < 1  # the window is translucent, as the grids draw it

    def test_window_entry_without_tint(self):
        fig, ax = plt.subplots()
        (window,) = draw.legend(ax, ["window"], window_tint=False).legend_handles
        assert window.get_facecolor()[3] == 0  # an outline alone
        assert np.allclose(window.get_edgecolor(), to_rgba(draw.WINDOW))

    def test_unknown_kind(self):
        fig, ax = plt.subplots()
        with pytest.raises(ValueError, match="unknown legend kinds \\['pading'\\]"):
            draw.legend(ax, ["pading"])


class TestSignedImage:
    @pytest.mark.parametrize("m", [[[1.0, -3.0], [2.0, 0.5]], [[0.0, 0.0]], [[2, 5]]])
    def test_symmetric_limits_and_a_colourbar(self, m):
        fig, ax = plt.subplots()
        image = draw.signed_image(ax, m, title="t")
        vmin, vmax = image.get_clim()
        assert vmin == -vmax and vmax >= np.max(np.abs(m)) and vmax > 0
        assert image.get_cmap().name == draw.DIVERGING
        assert len(fig.axes) == 2  # the map and its colourbar
        assert ax.get_title() == "t"

    def test_rejects_a_vector(self):
        fig, ax = plt.subplots()
        with pytest.raises(ValueError, match="m must be 2-D"):
            draw.signed_image(ax, [1, 2, 3])


class TestUnreadMask:
    @given(axis(), axis())
    def test_matches_the_oracle_coverage(self, row_axis, col_axis):
        (H, KH, sh, ph, dh), (W, KW, sw, pw, dw) = row_axis, col_axis
        mask = draw.unread_mask(H, W, (KH, KW), (sh, sw), (ph, pw), (dh, dw))
        assert mask.shape == (H + 2 * ph, W + 2 * pw)
        count = oracle.coverage(H, W, KH, KW, (sh, sw), (ph, pw), (dh, dw))
        assert np.array_equal(mask[ph : ph + H, pw : pw + W], count == 0)
        inside = np.zeros(mask.shape, dtype=bool)
        inside[ph : ph + H, pw : pw + W] = True
        assert not mask[~inside].any()  # padding is never called unread


class TestWindowStep:
    def test_colours_padding_unread_window_and_output(self):
        # H=6, K=3, s=2, p=0: row 5 and column 5 are unread
        x = np.arange(36.0).reshape(6, 6)
        w = np.arange(9.0).reshape(3, 3)
        fig = draw.window_step(x, w, 1, 0, stride=2)
        ax_in, ax_w, ax_y = fig.axes
        face = faces(ax_in, (6, 6))
        count = oracle.coverage(6, 6, 3, 3, (2, 2), (0, 0), (1, 1))
        assert np.array_equal(is_colour(face, draw.UNREAD), count == 0)
        y_face = faces(ax_y, (2, 2))
        assert is_colour(y_face, draw.OUTPUT)[1, 0] and is_colour(y_face, draw.OUTPUT).sum() == 1
        # the window is an outline drawn over the grid, not a fill of its cells
        assert not is_colour(face, draw.WINDOW).any()
        window = ax_in.collections[-1]
        assert len(window.get_paths()) == 9 and window.get_facecolors()[0][3] < 1
        assert ax_y.get_title() == f"y[1,0] = Σ x·w = {cl.corr2d(x, w, 2)[1, 0]:g}"

    def test_padding_stays_grey_when_the_leftover_row_is_padding(self):
        # H=6, K=3, s=2, p=1: a = 1, and that row is padding; every input row is read
        x = np.ones((6, 6))
        fig = draw.window_step(x, np.ones((3, 3)), 0, 0, stride=2, padding=1)
        face = faces(fig.axes[0], (8, 8))
        assert cl.stride_leftover(6, 3, 2, 1) == 1
        assert not is_colour(face, draw.UNREAD).any()
        pad = np.ones((8, 8), dtype=bool)
        pad[1:7, 1:7] = False
        assert np.array_equal(is_colour(face, draw.PAD), pad)
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert "zero padding" in labels and not any("reads" in t for t in labels)

    def test_window_tint_by_default_outline_alone_on_request(self):
        # a window over inserted zeros: without the tint those cells keep the legend's colour exactly
        x = cl.dilate2d(np.ones((2, 2)), 2)  # (3, 3): the middle row and column are inserted zeros
        inserted = x == 0
        for tint, alpha in ((True, 0.3), (False, 0.0)):
            fig = draw.window_step(x, np.ones((2, 2)), 0, 0, marks={"inserted zeros": inserted}, window_tint=tint)
            ax_in = fig.axes[0]
            window = ax_in.collections[-1]
            assert len(window.get_paths()) == 4
            assert np.allclose(window.get_facecolors()[:, 3], alpha)
            assert np.allclose(window.get_edgecolors()[0], to_rgba(draw.WINDOW))
            assert np.array_equal(is_colour(faces(ax_in, (3, 3)), draw.INSERTED), inserted)
            legend_window = ax_in.get_legend().legend_handles[-1]
            assert np.isclose(legend_window.get_facecolor()[3], alpha)  # the legend draws it the same way
            plt.close(fig)

    def test_labels_replace_the_panel_titles(self):
        dy = np.arange(16.0).reshape(4, 4)
        k = np.ones((3, 3))
        labels = dict(input="dy, zero-inserted and padded", kernel="rot180(w)", output="dx[{i},{j}] = {value:g}")
        fig = draw.window_step(dy, k, 1, 1, labels=labels)
        titles = [ax.get_title() for ax in fig.axes]
        value = cl.corr2d(dy, k)[1, 1]
        assert titles == ["dy, zero-inserted and padded", "rot180(w)", f"dx[1,1] = {value:g}"]

    def test_labels_keep_defaults_for_missing_keys(self):
        fig = draw.window_step(np.ones((3, 3)), np.ones((2, 2)), 0, 0, labels={"kernel": "K"})
        assert [ax.get_title() for ax in fig.axes][1:] == ["K", "y[0,0] = Σ x·w = 4"]

    def test_marks_colour_cells(self):
        x = cl.dilate2d(np.ones((2, 2)), 2)  # (3, 3): the middle row and column are inserted zeros
        inserted = x == 0
        fig = draw.window_step(x, np.ones((2, 2)), 0, 0, marks={"inserted zeros": inserted})
        assert np.array_equal(is_colour(faces(fig.axes[0], (3, 3)), draw.INSERTED), inserted)

    @pytest.mark.parametrize(
        "kwargs, error, match",
        [
            (dict(labels={"inputs": "x"}), ValueError, "unknown labels keys \\['inputs'\\]"),
            (dict(labels="x"), TypeError, "labels must be a dict"),
            (dict(marks={"window": np.ones((3, 3))}), ValueError, "unknown marks kind 'window'"),
            (dict(marks={"cropped": np.ones((2, 3))}), ValueError, "shape \\(3, 3\\), got \\(2, 3\\)"),
        ],
    )
    def test_bad_arguments(self, kwargs, error, match):
        with pytest.raises(error, match=match):
            draw.window_step(np.ones((3, 3)), np.ones((2, 2)), 0, 0, **kwargs)


class TestSlidingAnimation:
    def test_every_frame_is_a_window_step_with_the_labels(self, monkeypatch):
        calls = []
        real = draw.window_step

        def spy(x, w, i, j, *args, **kwargs):
            calls.append(((i, j), kwargs["labels"], kwargs["marks"], kwargs["window_tint"]))
            return real(x, w, i, j, *args, **kwargs)

        monkeypatch.setattr(draw, "window_step", spy)
        labels = dict(output="dx[{i},{j}]")
        html = draw.sliding_animation(np.ones((4, 3)), np.ones((2, 2)), stride=(2, 1), labels=labels)
        assert {c[0] for c in calls} == {(i, j) for i in range(2) for j in range(2)}
        assert all(c[1] is labels and c[2] is None and c[3] is True for c in calls)
        assert html.count("data:image/png;base64") == 4  # one embedded frame per output pixel

    def test_window_tint_reaches_every_frame(self, monkeypatch):
        tints = []
        real = draw.window_step

        def spy(*args, **kwargs):
            tints.append(kwargs["window_tint"])
            return real(*args, **kwargs)

        monkeypatch.setattr(draw, "window_step", spy)
        draw.sliding_animation(np.ones((3, 3)), np.ones((2, 2)), window_tint=False)
        assert tints and set(tints) == {False}


class TestGeometry:
    @given(axis())
    def test_unread_rows_and_padding(self, row_axis):
        H, K, s, p, d = row_axis
        fig, ax = plt.subplots()
        OH, a = draw.geometry(ax, H, K, s, p, d)
        assert (OH, a) == (cl.output_size(H, K, s, p, d), cl.stride_leftover(H, K, s, p, d))
        n = H + 2 * p
        face = faces(ax, (n, n))
        count = oracle.coverage(H, H, K, K, (s, s), (p, p), (d, d))
        unread = np.zeros((n, n), dtype=bool)
        unread[p : p + H, p : p + H] = count == 0
        assert np.array_equal(is_colour(face, draw.UNREAD), unread)
        pad = np.ones((n, n), dtype=bool)
        pad[p : p + H, p : p + H] = False
        assert np.array_equal(is_colour(face, draw.PAD), pad)
        summary = ax.get_legend().get_title().get_text()
        if a:
            assert f"{a} row(s), {min(a, p)} padding, {max(0, a - p)} input" in summary
        else:  # no rows below the last window: no dashed line to speak of
            assert "the last window ends at the edge" in summary and "dashed line:" not in summary
        plt.close(fig)

    def test_interior_unread_rows_are_listed(self):
        # H=9, K=3, s=2, d=2 never reads rows 1, 3, 5, 7 (and a = 0)
        fig, ax = plt.subplots()
        assert draw.geometry(ax, 9, 3, 2, 0, 2) == (3, 0)
        assert "unread input rows: 1, 3, 5, 7" in ax.get_legend().get_title().get_text()
