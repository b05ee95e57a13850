"""Reference solutions for notebook 05: dx as a correlation with the rotated kernel, and as upsampling."""

import numpy as np

import conv_lab as cl

# 1. Warm-up: the rot180 padding for H=10, K=3, s=3, p=1, d=2.
#    The dilated kernel reaches d(K-1) = 4 rows, so top = 4 - 1 = 3.
#    a = (10 + 2 - 4 - 1) mod 3 = 7 mod 3 = 1, so bottom = 3 + 1 = 4.
my_pads = (3, 4)


# 2. The transposed convolution by the rot180 route (building blocks only). It is the rot180 route
#    for dx with output_padding in the place of a; the output size follows from the padded grid.


def my_conv_transpose2d(y, w, stride, padding, output_padding, dilation):
    N, F = y.shape[:2]
    _, C, KH, KW = w.shape
    amounts = []
    for K in (KH, KW):
        reach = dilation * (K - 1)  # rows the dilated kernel spans beyond its first tap
        amounts.append((reach - padding, reach - padding + output_padding))  # negative: crop
    g = cl.pad2d(cl.dilate2d(y, stride), tuple(amounts))  # zeros inserted, then padded (or cropped)
    k = cl.rot180(w)  # (F, C, KH, KW), each kernel rotated
    out = []
    for n in range(N):
        # output channel c gathers from every channel f of y through w[f, c]
        out.append([sum(cl.corr2d(g[n, f], k[f, c], dilation=dilation) for f in range(F)) for c in range(C)])
    return np.array(out)  # (N, C, H, W), H = (L - 1)s - 2p + d(KH - 1) + output_padding + 1


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
