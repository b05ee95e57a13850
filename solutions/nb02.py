"""Reference solutions for notebook 02: im2col and coverage counts."""

import numpy as np


def my_im2col(x, kernel_size, stride, padding):
    KH, KW = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    OH = (H + 2 * padding - KH) // stride + 1
    OW = (W + 2 * padding - KW) // stride + 1
    rows = []
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                window = xp[n, :, i * stride : i * stride + KH, j * stride : j * stride + KW]  # (C, KH, KW)
                rows.append(window.ravel())  # (c, kh, kw) order
    return np.array(rows)


def my_coverage(H, W, kernel_size, stride, padding):
    count = np.zeros((H + 2 * padding, W + 2 * padding), dtype=int)
    OH = (H + 2 * padding - kernel_size) // stride + 1
    OW = (W + 2 * padding - kernel_size) // stride + 1
    for i in range(OH):
        for j in range(OW):
            count[i * stride : i * stride + kernel_size, j * stride : j * stride + kernel_size] += 1
    return count[padding : padding + H, padding : padding + W]
