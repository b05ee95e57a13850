"""Notebook 03's pictures: the numbers written on them come from the shapes, and bad input is refused."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import conv_lab as cl  # noqa: E402
from conv_lab import draw  # noqa: E402


def texts(fig):
    return " ".join(t.get_text() for ax in fig.axes for t in [*ax.texts, ax.title])


class TestGemmDiagram:
    @pytest.mark.parametrize(
        "x_shape, w_shape, s, p, d",
        [((2, 3, 7, 6), (4, 3, 3, 3), 2, 1, 1), ((5, 2, 9, 8), (3, 2, 2, 3), 1, 0, 2)],
    )
    def test_sizes_are_those_of_im2col_and_conv2d(self, x_shape, w_shape, s, p, d):
        x, w = np.zeros(x_shape), np.zeros(w_shape)
        rows, columns = cl.im2col(x, w_shape[2:], s, p, d).shape
        N, F, OH, OW = cl.conv2d(x, w, stride=s, padding=p, dilation=d).shape
        fig = draw.gemm_diagram(x_shape, w_shape, s, p, d)
        text = texts(fig)
        plt.close(fig)
        assert f"N·OH·OW = {rows}" in text and f"C·KH·KW = {columns}" in text and f"F = {F}" in text
        assert f"= {(N, OH, OW, F)}" in text and f"= {(N, F, OH, OW)}" in text

    def test_refuses_mismatched_channels(self):
        with pytest.raises(ValueError, match="channels"):
            draw.gemm_diagram((1, 3, 5, 5), (2, 4, 3, 3))


class TestMultichannelPicture:
    def test_labels_follow_the_arguments(self):
        fig = draw.multichannel_picture(C=2, H=5, W=7, F=3, kernel_size=(2, 3), at=(0, 4))
        text = texts(fig)
        plt.close(fig)
        assert "2 channels of 5×7" in text and "3 maps of 4×5" in text and "y[n, 0, 0, 4]" in text
        assert "w[2]" in text and "w[3]" not in text

    def test_refuses_a_pixel_outside_the_output(self):
        with pytest.raises(ValueError, match="at must be"):
            draw.multichannel_picture(H=4, W=4, kernel_size=3, at=(2, 0))
