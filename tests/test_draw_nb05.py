"""Notebook 05's pictures compute what they draw: checked against the loop oracle.

rows_diagram writes each input row's gradient as a sum of dy_i * w_u; scatter_diagram
computes the transposed convolution by scattering; gradient_grid returns the grid the
rot180 route correlates. Each is compared with tests/oracle.py, which shares no code
with conv_lab.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


def one_hot(n, k):
    v = np.zeros(n)
    v[k] = 1.0
    return v


class TestRowsDiagram:
    @settings(max_examples=15)
    @given(axis())
    def test_sums_are_the_oracles_gradient_terms(self, geometry):
        H, K, s, p, d = geometry
        fig, ax = plt.subplots()
        info = draw.rows_diagram(ax, H, K, s, p, d)
        plt.close(fig)
        OH = cl.output_size(H, K, s, p, d)
        assert info["OH"] == OH and info["a"] == cl.stride_leftover(H, K, s, p, d)
        # (i, u) is a term of dx_r exactly when a one-hot dy_i through a one-hot w_u reaches row r
        x = np.zeros((1, 1, H, 1))
        for r in range(H):
            want = []
            for i in range(OH):
                for u in range(K):
                    dy = one_hot(OH, i).reshape(1, 1, OH, 1)
                    w = one_hot(K, u).reshape(1, 1, K, 1)
                    dx = oracle.conv_backward(dy, x, w, (s, 1), (p, 0), (d, 1))[0]
                    if dx[0, 0, r, 0] != 0:
                        want.append((i, u))
            assert sorted(info["sums"][r]) == want
        assert np.array_equal(info["read"], [bool(t) for t in info["sums"]])

    def test_unread_rows_are_red(self):
        fig, ax = plt.subplots()
        draw.rows_diagram(ax, 6, 3, 2)  # input row 5 lies below the last window
        faces = [p.get_facecolor() for p in ax.patches[:6]]
        assert np.allclose(faces[5], to_rgba(draw.UNREAD))
        assert all(np.allclose(f, to_rgba("white")) for f in faces[:5])


class TestScatterDiagram:
    @settings(max_examples=15)
    @given(axis(), st.integers(0, 10**6), st.data())
    def test_result_is_the_transposed_convolution(self, geometry, seed, data):
        H, K, s, p, d = geometry
        op = data.draw(st.integers(0, max(s, d) - 1))
        L = cl.output_size(H, K, s, p, d)
        out_len = (L - 1) * s - 2 * p + d * (K - 1) + op + 1
        if out_len < 1:
            return
        rng = np.random.default_rng(seed)
        y, w = rng.standard_normal(L), rng.standard_normal(K)
        fig, ax = plt.subplots()
        got = draw.scatter_diagram(ax, y, w, s, p, op, d)
        plt.close(fig)
        want = oracle.conv_transpose(y.reshape(1, 1, 1, L), w.reshape(1, 1, 1, K), (1, s), (0, p), (0, op), (1, d))
        np.testing.assert_allclose(got, want.ravel(), rtol=1e-12, atol=1e-12)

    def test_the_cells_output_padding_adds_are_labelled_output_padding(self):
        fig, ax = plt.subplots()
        draw.scatter_diagram(ax, [2.0, -1.0], [1.0, 2.0, 3.0], stride=2, output_padding=1)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        plt.close(fig)
        assert "output_padding" in labels and not any("zero padding" in t for t in labels)


class TestGradientGrid:
    @settings(max_examples=15)
    @given(axis(), st.integers(0, 10**6))
    def test_the_grid_gives_dx_by_a_stride_one_correlation(self, geometry, seed):
        H, K, s, p, d = geometry
        OH = cl.output_size(H, K, s, p, d)
        a = cl.stride_leftover(H, K, s, p, d)
        pads = ((d * (K - 1) - p, d * (K - 1) - p + a), (0, 0))
        rng = np.random.default_rng(seed)
        dy, w = rng.standard_normal((OH, 1)), rng.standard_normal((K, 1))
        fig, ax = plt.subplots()
        g = draw.gradient_grid(ax, dy, (s, 1), pads, window=(0, 0), kernel=(K, 1), dilation=(d, 1))
        plt.close(fig)
        got = cl.corr2d(g, w[::-1], dilation=(d, 1))
        want = oracle.conv_backward(
            dy.reshape(1, 1, OH, 1), np.zeros((1, 1, H, 1)), w.reshape(1, 1, K, 1), (s, 1), (p, 0), (d, 1)
        )[0]
        np.testing.assert_allclose(got, want[0, 0], rtol=1e-12, atol=1e-12)

    def test_crop_is_drawn_and_named(self):
        fig, ax = plt.subplots()
        g = draw.gradient_grid(ax, np.arange(9.0).reshape(3, 3) + 1, 2, ((-1, -1), (-1, -1)))
        assert g.shape == (3, 3)  # 5x5 after zero insertion, one row/column cropped per side
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "removed by the crop" in labels and "inserted zeros" in labels
        faces = np.asarray(ax.collections[0].get_facecolors()).reshape(5, 5, 4)
        assert np.all(np.isclose(faces[0], to_rgba(draw.CROPPED)))  # the cropped top row is drawn, purple
        assert np.allclose(faces[2, 1], to_rgba(draw.INSERTED))

    def test_the_window_is_an_outline_and_the_cells_under_it_keep_their_colours(self):
        # notebook 05's example: dy 2x2, stride 2, padding 2 on every side, the window of dx[1, 2]
        fig, ax = plt.subplots()
        draw.gradient_grid(ax, np.array([[2.0, 1.0], [-1.0, -1.0]]), 2, ((2, 2), (2, 2)), window=(1, 2), kernel=(3, 3))
        faces = np.asarray(ax.collections[0].get_facecolors()).reshape(7, 7, 4)
        inserted = np.zeros((7, 7), dtype=bool)
        inserted[2:5, 2:5] = True
        inserted[2::2, 2::2] = False  # the four real entries
        assert np.array_equal(np.all(np.isclose(faces, to_rgba(draw.INSERTED)), axis=-1), inserted)
        padding = np.ones((7, 7), dtype=bool)
        padding[2:5, 2:5] = False
        assert np.array_equal(np.all(np.isclose(faces, to_rgba(draw.PAD)), axis=-1), padding)
        window = ax.collections[-1]
        assert len(window.get_paths()) == 9
        assert np.all(window.get_facecolors()[:, 3] == 0)  # no tint over the cells
        assert np.allclose(window.get_edgecolors()[0], to_rgba(draw.WINDOW))
        corners = np.array([p.vertices[:4].min(axis=0) for p in window.get_paths()])  # (column, row) + inset
        assert {(int(r), int(q)) for q, r in np.floor(corners)} == {(r, q) for r in (1, 2, 3) for q in (2, 3, 4)}
        handles = {h.get_label(): h for h in ax.get_legend().legend_handles}
        assert handles["window"].get_facecolor()[3] == 0  # the legend shows it as drawn
