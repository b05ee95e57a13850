"""Reference solutions for notebook 06: the backward of a small convolutional network, by hand."""

import numpy as np

import conv_lab as cl


def my_readout_backward(h, V, dlogits):
    """logits = h.mean(axis=(2, 3)) @ V + c, with h of shape (N, C, H, W) and V of shape (C, n_classes)."""
    N, C, H, W = h.shape
    pooled = h.mean(axis=(2, 3))  # (N, C): each channel averaged over its H*W positions
    dV = pooled.T @ dlogits  # (C, n_classes)
    dc = dlogits.sum(axis=0)  # (n_classes,): dlogits already holds the 1/N of the mean
    dpooled = dlogits @ V.T  # (N, C)
    dh = dpooled[:, :, None, None] / (H * W) * np.ones((H, W))  # (N, C, 1, 1) -> (N, C, H, W): an equal share
    return dV, dc, dh


def _conv_backward_by_columns(dy, x, w, stride, padding):
    """dx, dw of one bias-free convolution, from im2col and col2im (notebook 04's rule)."""
    F = w.shape[0]
    kernel = w.shape[2:]
    cols = cl.im2col(x, kernel, stride, padding)  # (N*OH*OW, C*KH*KW)
    dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F)  # (N*OH*OW, F)
    dw = (dy_mat.T @ cols).reshape(w.shape)  # (F, C, KH, KW)
    dx = cl.col2im(dy_mat @ w.reshape(F, -1), x.shape, kernel, stride, padding)  # (N, C, H, W)
    return dx, dw


def my_two_conv_backward(x, w1, w2, dy, stride, padding):
    """conv(w1, padding 1) -> ReLU -> conv(w2, stride, padding); returns (dx, dw1, dw2)."""
    z1 = cl.conv2d(x, w1, padding=1)  # the forward pass again: the mask needs z1
    a1 = np.maximum(z1, 0)
    da1, dw2 = _conv_backward_by_columns(dy, a1, w2, stride, padding)  # da1 has a1's shape, leftover rows too
    dz1 = da1 * (z1 > 0)  # ReLU's backward: where the forward value was positive
    dx, dw1 = _conv_backward_by_columns(dz1, x, w1, 1, 1)
    return dx, dw1, dw2


# 3. Find the bug: padded by K-1-p on every side, the rot180 route gives a da1 that is a rows short, and the
#    function shown filled the gap with zeros, so a1's last a rows got zero gradient. But a = (H + 2p - K) mod s
#    counts rows of the *padded* a1 below the last window, and only max(0, a - p) of them are rows of a1; the
#    others are padding. So windows can read some of a1's last a rows (DigitNet's layer 2: a = p = 1, and row 7
#    is read). Pad the bottom/right by a more instead, each axis with its own a.


def net_gradients_fixed(x, w1, b1, w2, b2, dy, stride, padding):
    """The function of exercise 3, repaired: the rot180 route pads K-1-p+a on the bottom/right."""
    z1 = cl.conv2d(x, w1, b1, padding=1)  # layer 1: stride 1, padding 1
    a1 = np.maximum(z1, 0)
    F2, _, KH, KW = w2.shape
    dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F2)  # (N*OH*OW, F2)
    dw2 = (dy_mat.T @ cl.im2col(a1, (KH, KW), stride, padding)).reshape(w2.shape)  # (F2, C2, KH, KW)
    db2 = dy.sum(axis=(0, 2, 3))
    a_h = (a1.shape[2] + 2 * padding - KH) % stride  # rows of the padded a1 below the last window
    a_w = (a1.shape[3] + 2 * padding - KW) % stride  # columns right of it
    g = cl.pad2d(
        cl.dilate2d(dy, stride),
        ((KH - 1 - padding, KH - 1 - padding + a_h), (KW - 1 - padding, KW - 1 - padding + a_w)),
    )  # was: K-1-p on every side, then np.pad with zeros
    da1 = cl.conv2d(g, cl.rot180(w2).transpose(1, 0, 2, 3))  # kernel (C2, F2, KH, KW); da1 has a1's shape
    dz1 = da1 * (z1 > 0)  # the ReLU, backward
    F1 = w1.shape[0]
    dz1_mat = dz1.transpose(0, 2, 3, 1).reshape(-1, F1)  # (N*H1*W1, F1)
    dw1 = (dz1_mat.T @ cl.im2col(x, w1.shape[2:], 1, 1)).reshape(w1.shape)  # (F1, C1, KH1, KW1)
    db1 = dz1.sum(axis=(0, 2, 3))
    return dw1, db1, dw2, db2


# 4. The variant: conv1 8*1*3*3 + 8 = 80; conv2 (stride 1, padding 0) 16*8*3*3 + 16 = 1168, output 6x6
#    (OH = (8 + 0 - 3) / 1 + 1); read-out (16*6*6)*10 + 10 = 5770. The frozen control trains the read-out only.
PARAMETER_COUNTS = (80 + 1168 + 5770, 5770)
