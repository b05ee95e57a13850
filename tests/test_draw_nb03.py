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

    @pytest.mark.parametrize(
        "x_shape, w_shape, s, p",
        [
            ((2, 3, 7, 6), (4, 3, 3, 2), 2, 1),  # notebook 02
            ((2, 3, 7, 6), (4, 3, 3, 3), 2, 1),  # notebook 03
            ((5, 2, 9, 8), (3, 2, 2, 3), 1, 0),  # tall and thin: labels longer than the w box
            ((1, 16, 3, 3), (64, 16, 3, 3), 1, 0),  # one window: cols and y_mat are single rows
            ((1, 3, 8, 8), (256, 3, 3, 3), 1, 0),  # F is the longest side
            ((1, 1, 1, 1), (1, 1, 1, 1), 1, 0),  # every side 1
        ],
    )
    def test_no_two_labels_overlap_and_all_are_inside_the_figure(self, x_shape, w_shape, s, p):
        fig = draw.gemm_diagram(x_shape, w_shape, s, p)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        labels = [t for ax in fig.axes for t in [*ax.texts, ax.title] if t.get_text()]
        boxes = [t.get_window_extent(renderer) for t in labels]
        inside = fig.bbox
        plt.close(fig)
        assert len(labels) == 16  # 3 matrices x 3 labels, @, =, 2 arrow labels, 2 stage boxes, the title
        overlapping = [
            (labels[i].get_text(), labels[j].get_text())
            for i in range(len(labels))
            for j in range(i + 1, len(labels))
            if boxes[i].overlaps(boxes[j])
        ]
        assert overlapping == []
        outside = [
            t.get_text()
            for t, b in zip(labels, boxes)
            if b.x0 < inside.x0 or b.x1 > inside.x1 or b.y0 < inside.y0 or b.y1 > inside.y1
        ]
        assert outside == []


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


class TestChannelSumPicture:
    @pytest.mark.parametrize("n, f, at, stride", [(0, 0, (0, 0), 1), (1, 2, (1, 0), 2)])
    def test_the_written_sums_are_those_of_conv2d(self, n, f, at, stride):
        rng = np.random.default_rng(3)
        x, w, b = rng.integers(-5, 6, (2, 3, 5, 4)), rng.integers(-5, 6, (3, 3, 2, 3)), rng.integers(-5, 6, 3)
        fig = draw.channel_sum_picture(x, w, b, n=n, f=f, at=at, stride=stride)
        text = texts(fig)
        plt.close(fig)
        i, j = at
        for c in range(3):  # each channel's partial sum, from a one-channel conv2d
            partial = cl.conv2d(x[n : n + 1, c : c + 1], w[f : f + 1, c : c + 1], stride=stride)[0, 0, i, j]
            assert f"= {partial}" in text
        total = cl.conv2d(x, w, b, stride=stride)[n, f, i, j]
        assert f"= {total} = y[{n}, {f}, {i}, {j}]" in text

    def test_the_tutorials_example(self):
        fig = draw.channel_sum_picture(np.arange(48).reshape(1, 3, 4, 4), np.arange(54).reshape(2, 3, 3, 3))
        text = texts(fig)
        plt.close(fig)
        assert "258 + 2535 + 7404 = 10197 = y[0, 0, 0, 0]" in text

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            (dict(x=np.zeros((1, 2, 4, 4)), w=np.zeros((1, 3, 3, 3))), "w must have C = 2"),
            (dict(x=np.zeros((1, 3, 4, 4)), w=np.zeros((1, 3, 3, 3)), at=(2, 0)), "at must be an output pixel"),
            (dict(x=np.zeros((1, 3, 4, 4)), w=np.zeros((1, 3, 3, 3)), f=1), "n and f must index"),
            (dict(x=np.zeros((1, 7, 4, 4)), w=np.zeros((1, 7, 3, 3))), "at most 6 channels"),
        ],
    )
    def test_bad_input_is_refused(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            draw.channel_sum_picture(**kwargs)
