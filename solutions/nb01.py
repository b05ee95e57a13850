"""Reference solutions for notebook 01: sliding windows and output sizes."""

import numpy as np


def my_output_size(size, kernel_size, stride, padding, dilation):
    reach = dilation * (kernel_size - 1) + 1  # cells one dilated window spans
    return (size + 2 * padding - reach) // stride + 1


def my_corr2d(x, w):
    KH, KW = w.shape
    OH, OW = x.shape[0] - KH + 1, x.shape[1] - KW + 1
    y = np.zeros((OH, OW))
    for i in range(OH):
        for j in range(OW):
            y[i, j] = np.sum(x[i : i + KH, j : j + KW] * w)
    return y


def my_same_padding(kernel_size, dilation):
    total = dilation * (kernel_size - 1)  # rows to add so that OH == H at stride 1
    before = total // 2
    return before, total - before  # an odd total puts the extra row after
