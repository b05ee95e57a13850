"""Reference solutions for notebook 05: dx as a correlation with the rotated kernel, and as upsampling."""

import numpy as np

# 1. Predict, then check: (top, bottom, output_padding) for layers P and Q, K = 3.
#    P: H=11, s=3, p=5, d=2. The dilated kernel reaches d(K-1) = 4 rows, so top = 4 - 5 = -1: a crop.
#       a = (11 + 10 - 4 - 1) mod 3 = 16 mod 3 = 1, so bottom = -1 + 1 = 0, and output_padding = a = 1.
#       (The leftover row is padding here, since a <= p; it still counts.)
#    Q: H=20, s=1, p=2, d=2. top = 4 - 2 = 2; at stride 1 every remainder is 0, so a = 0:
#       bottom = 2 and output_padding = 0 (PyTorch accepts 1, as 1 < d, but that gives 21 rows).
my_predictions = ((-1, 0, 1), (2, 2, 0))


# 2. The transposed convolution by scattering: each y[n, f, i, j] stamps w[f, c], scaled by it, into
#    output channel c, copy i starting at canvas row i*s, its taps d apart. The canvas is as tall as
#    the copies reach, (L - 1)s + d(K - 1) + 1 rows, plus output_padding rows of zeros at the bottom;
#    the result is its rows p .. p + H - 1.


def my_conv_transpose2d(y, w, stride, padding, output_padding, dilation):
    N, F, L, M = y.shape
    _, C, KH, KW = w.shape
    s, p, op, d = stride, padding, output_padding, dilation
    full_h, full_w = (L - 1) * s + d * (KH - 1) + 1, (M - 1) * s + d * (KW - 1) + 1
    canvas = np.zeros((N, C, full_h + op, full_w + op))
    for i in range(L):
        for j in range(M):
            stamp = np.einsum("nf,fcuv->ncuv", y[:, :, i, j], w)  # (N, C, KH, KW): summed over f
            canvas[:, :, i * s : i * s + d * (KH - 1) + 1 : d, j * s : j * s + d * (KW - 1) + 1 : d] += stamp
    H, W = full_h - 2 * p + op, full_w - 2 * p + op
    return canvas[:, :, p : p + H, p : p + W]  # (N, C, H, W)


# 3. Find the bug: the scatter route's canvas ended at the last window. The padded input has
#    a = (H + 2p - K) mod s more rows below it, so whenever a != 0 the cropped canvas comes out a rows
#    short (even when all of them are padding, a <= p). Make the canvas as big as the padded input,
#    then cut the padding off.


def my_dx_by_scatter(dy, w, x_shape, stride, padding):
    N, F, OH, OW = dy.shape
    _, C, KH, KW = w.shape
    H, W = x_shape[2:]
    dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))  # the whole padded input
    for i in range(OH):
        for j in range(OW):
            dxp[:, :, i * stride : i * stride + KH, j * stride : j * stride + KW] += np.einsum(
                "nf,fcuv->ncuv", dy[:, :, i, j], w
            )  # (N, C, KH, KW): the kernel, scaled by dy, summed over f
    return dxp[:, :, padding : padding + H, padding : padding + W]
