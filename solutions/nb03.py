"""Reference solutions for notebook 03: the batched, multi-channel forward pass."""

import numpy as np


def my_conv1x1(x, w, b, stride):
    """A 1×1 convolution mixes each pixel's C channel values with the (F, C) matrix w[:, :, 0, 0]."""
    xs = x[:, :, ::stride, ::stride]  # (N, C, OH, OW): a 1×1 window reads every stride-th pixel
    y = np.einsum("fc,nchw->nfhw", w[:, :, 0, 0], xs)  # (N, F, OH, OW)
    return y + b[None, :, None, None]


def my_conv_forward(x, w, b, stride, padding, dilation):
    """im2col by hand, one kernel tap at a time, then one matrix product."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    s, p, d = stride, padding, dilation
    OH = (H + 2 * p - d * (KH - 1) - 1) // s + 1
    OW = (W + 2 * p - d * (KW - 1) - 1) // s + 1
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))  # (N, C, H+2p, W+2p)
    cols = np.empty((N, OH, OW, C, KH, KW), dtype=x.dtype)
    for u in range(KH):
        for v in range(KW):
            # tap (u, v) of every window: rows u*d, u*d + s, ..., one per output row
            tap = xp[:, :, u * d : u * d + s * (OH - 1) + 1 : s, v * d : v * d + s * (OW - 1) + 1 : s]  # (N, C, OH, OW)
            cols[:, :, :, :, u, v] = tap.transpose(0, 2, 3, 1)  # (N, OH, OW, C)
    cols = cols.reshape(N * OH * OW, C * KH * KW)  # rows (n, oh, ow), columns (c, kh, kw)
    y = cols @ w.reshape(F, -1).T + b  # (N*OH*OW, F)
    return y.reshape(N, OH, OW, F).transpose(0, 3, 1, 2)  # (N, F, OH, OW)


def conv_forward_fixed(x, w, b, stride, padding):
    """Exercise 3, repaired: the canvas holds all of x, padded by p on every side.

    The classmate's canvas had (OH-1)*s + KH = H + 2p - a rows. When a > p, the last a - p rows of x
    (rows that no window reads) had no place on it. Padding the whole of x gives them one.
    """
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    s, p = stride, padding
    OH = (H + 2 * p - KH) // s + 1
    OW = (W + 2 * p - KW) // s + 1
    xp = np.zeros((N, C, H + 2 * p, W + 2 * p))  # the full padded input, leftover rows included
    xp[:, :, p : p + H, p : p + W] = x
    w_mat = w.reshape(F, -1).T  # (C*KH*KW, F)
    y = np.empty((N, F, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = xp[:, :, i * s : i * s + KH, j * s : j * s + KW]  # (N, C, KH, KW)
            y[:, :, i, j] = window.reshape(N, -1) @ w_mat + b  # (N, F)
    return y


# Exercise 4, for the layer N=8, C=64, 16×16, F=128, 3×3, stride 1, padding 1, dilation 2:
# a dilated window spans d(K-1)+1 = 5 rows, so OH = OW = (16 + 2·1 - 5) // 1 + 1 = 14.
# Parameters: the dilation adds no weights: 128·64·3·3 weights + 128 biases = 73856.
# Multiply-adds: N·F·OH·OW output pixels, each C·KH·KW = 64·9 of them: 8·128·14·14·576.
params = 128 * 64 * 3 * 3 + 128
mult_adds = 8 * 128 * 14 * 14 * 64 * 3 * 3
