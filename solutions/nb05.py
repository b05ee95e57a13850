"""Reference solutions for notebook 05: dx and dw as correlations."""

import numpy as np


def _pad_or_crop(a, top, bottom, left, right):
    """Zero-pad the last two axes; a negative amount crops instead."""
    a = np.pad(a, ((0, 0), (0, 0), (max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))))
    H, W = a.shape[2:]
    return a[:, :, max(-top, 0) : H - max(-bottom, 0), max(-left, 0) : W - max(-right, 0)]


def my_dx_rot180(dy, w, x_shape, stride, padding):
    N, F, OH, OW = dy.shape
    _, C, KH, KW = w.shape
    H, W = x_shape[2:]
    a_h = (H + 2 * padding - KH) % stride  # rows the stride never reached
    a_w = (W + 2 * padding - KW) % stride
    # 1. insert stride-1 zeros between the entries of dy
    g = np.zeros((N, F, (OH - 1) * stride + 1, (OW - 1) * stride + 1))
    g[:, :, ::stride, ::stride] = dy
    # 2. pad K-1-p on top/left and K-1-p+a on bottom/right (negative: crop)
    g = _pad_or_crop(g, KH - 1 - padding, KH - 1 - padding + a_h, KW - 1 - padding, KW - 1 - padding + a_w)
    # 3. rotate the kernel 180 degrees and swap F and C
    k = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, F, KH, KW)
    # 4. correlate at stride 1
    dx = np.zeros((N, C, H, W))
    for i in range(H):
        for j in range(W):
            window = g[:, :, i : i + KH, j : j + KW]  # (N, F, KH, KW)
            dx[:, :, i, j] = np.einsum("nfuv,cfuv->nc", window, k)
    return dx


def my_dw_correlation(dy, x, kernel_size, stride, padding):
    KH, KW = kernel_size
    N, F, OH, OW = dy.shape
    C = x.shape[1]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    # the dilated dy has (OH-1)*stride+1 rows; each kernel tap sees one such grid of x
    span_h, span_w = (OH - 1) * stride + 1, (OW - 1) * stride + 1
    dw = np.zeros((F, C, KH, KW))
    for u in range(KH):
        for v in range(KW):
            patch = xp[:, :, u : u + span_h : stride, v : v + span_w : stride]  # (N, C, OH, OW)
            dw[:, :, u, v] = np.einsum("nfij,ncij->fc", dy, patch)
    return dw
