"""Reference solutions for notebook 05: dx as a correlation with the rotated kernel, and as upsampling."""

import numpy as np

import conv_lab as cl

# 1. Warm-up: the rot180 padding for H=10, K=3, s=3, p=1, d=2.
#    The dilated kernel reaches d(K-1) = 4 rows, so top = 4 - 1 = 3.
#    a = (10 + 2 - 4 - 1) mod 3 = 7 mod 3 = 1, so bottom = 3 + 1 = 4.
my_pads = (3, 4)


# 2. dx by the rot180 route, with stride, padding and dilation (building blocks only).


def my_dx_rot180(dy, w, x_shape, stride, padding, dilation):
    N, F, OH, OW = dy.shape
    _, C, KH, KW = w.shape
    H, W = x_shape[2:]
    amounts = []
    for size, K in ((H, KH), (W, KW)):
        reach = dilation * (K - 1)  # rows the dilated kernel spans beyond its first tap
        a = (size + 2 * padding - reach - 1) % stride  # padded rows below the last window
        amounts.append((reach - padding, reach - padding + a))  # negative: crop
    g = cl.dilate2d(dy, stride)  # zero insertion: s - 1 zeros between dy entries
    g = cl.pad2d(g, tuple(amounts))  # (N, F, H + d(KH-1), W + d(KW-1)); pad2d crops negative amounts
    k = cl.rot180(w)  # (F, C, KH, KW), each kernel rotated
    dx = np.zeros((N, C, H, W))
    for n in range(N):
        for c in range(C):
            for f in range(F):  # dx[n, c] gathers from every gradient channel f through w[f, c]
                dx[n, c] += cl.corr2d(g[n, f], k[f, c], dilation=dilation)
    return dx


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


# 4. Predict, then check: output_padding = a = (H + 2p - d(K-1) - 1) mod s for each encoder layer.
#    A: H=224, K=7, s=2, p=3, d=1: (224 + 6 - 6 - 1) mod 2 = 223 mod 2 = 1
#    B: H=31,  K=3, s=4, p=1, d=1: (31 + 2 - 2 - 1) mod 4 = 30 mod 4 = 2
#    C: H=17,  K=3, s=3, p=1, d=2: (17 + 2 - 4 - 1) mod 3 = 14 mod 3 = 2
#    D: H=20,  K=3, s=1, p=2, d=2: anything mod 1 = 0 (1 is accepted, since 1 < d, but gives 21 rows)
my_output_paddings = (1, 2, 2, 0)
