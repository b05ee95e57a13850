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
