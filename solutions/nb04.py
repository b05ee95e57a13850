"""Reference solutions for notebook 04: the backward pass."""

import numpy as np

import conv_lab as cl


def my_corr1d_backward(dy, x, w, stride, dilation):
    """(dx, dw) of y[i] = sum_u x[i*stride + u*dilation] * w[u]: each dy[i] stamps dy[i] * w onto its taps."""
    K = len(w)
    dx = np.zeros(len(x))  # like x: the leftover entries after the last window keep a zero gradient
    dw = np.zeros(K)
    for i in range(len(dy)):  # one window per entry of dy, the last one included
        for u in range(K):
            r = i * stride + u * dilation  # window i starts at x[i*s]; its taps sit d apart
            dx[r] += dy[i] * w[u]  # windows may share a pixel: add
            dw[u] += dy[i] * x[r]  # weight u met x[i*s + u*d]
    return dx, dw


def my_conv_dx(dy, w, x_shape, stride, padding, dilation):
    """dx by a scatter that adds every window's stamp dy * w back onto the taps it read; no col2im, no x."""
    N, C, H, W = x_shape
    F, _, KH, KW = w.shape
    OH, OW = dy.shape[2:]
    d = dilation
    dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))  # the whole padded input, leftover rows included
    for i in range(OH):
        for j in range(OW):
            rows = slice(i * stride, i * stride + d * (KH - 1) + 1, d)  # tap u reads padded row i*s + u*d
            columns = slice(j * stride, j * stride + d * (KW - 1) + 1, d)
            stamp = np.einsum("nf,fcuv->ncuv", dy[:, :, i, j], w)  # (N, C, KH, KW), summed over the filters
            dxp[:, :, rows, columns] += stamp  # += because windows overlap
    return dxp[:, :, padding : padding + H, padding : padding + W]  # p:p+H, never p:-p


def dw_by_correlation(dy, x, kernel_size, stride, padding):
    """The find-the-bug function, repaired: dy spread out by the stride (the crop to KH x KW was already there)."""
    N, C = x.shape[:2]
    F = dy.shape[1]
    KH, KW = kernel_size
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dw = np.zeros((F, C, KH, KW))
    for n in range(N):
        for f in range(F):
            for c in range(C):
                # dy's entries sit stride rows apart on xp: spread them out (dilation = stride). The result has
                # KH + a rows; the crop keeps the first KH, the weights
                dw[f, c] += cl.corr2d(xp[n, c], dy[n, f], dilation=stride)[:KH, :KW]
    return dw


# H = 11, W = 9, kernel (3, 4), stride 3, padding 1, dilation 2: tap t of window o reads padded index o*3 + 2*t.
# Rows: padded rows 0..12; OH = (11 + 2 - 2*2 - 1)//3 + 1 = 3 windows read 0 2 4, 3 5 7, 6 8 10. Unread padded rows
# 1 and 9 (between taps), 11 (an input row: a = 8 mod 3 = 2 > p = 1) and 12 (padding). Input row r is padded row r + 1.
# Columns: padded columns 0..10; OW = (9 + 2 - 2*3 - 1)//3 + 1 = 2 windows read 0 2 4 6 and 3 5 7 9. Unread padded
# columns 1 and 8 (between taps) and 10, which is padding (a = 4 mod 3 = 1 = p).
zero_rows = [0, 8, 10]
zero_cols = [0, 7]
