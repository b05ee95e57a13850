"""Reference solutions for notebook 06: the backward of a small convolutional network, by hand."""

import numpy as np

import conv_lab as cl


def my_readout_backward(h, W, dlogits):
    """logits = h.reshape(N, -1) @ W + c, with h of shape (N, C, H, W)."""
    h_flat = h.reshape(len(h), -1)  # (N, D)
    dW = h_flat.T @ dlogits  # (D, K)
    dc = dlogits.sum(axis=0)  # (K,): dlogits already holds the 1/N of the mean
    dh = (dlogits @ W.T).reshape(h.shape)  # (N, D) -> (N, C, H, W)
    return dW, dc, dh


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


def net_gradients_fixed(x, w1, b1, w2, b2, dy, stride, padding):
    """The function of exercise 3, repaired: ReLU's mask comes from z1, not from the gradient."""
    z1 = cl.conv2d(x, w1, b1, padding=1)
    a1 = np.maximum(z1, 0)
    da1, dw2, db2 = cl.conv2d_backward(dy, a1, w2, stride=stride, padding=padding)
    dz1 = da1 * (z1 > 0)  # was: np.maximum(da1, 0)
    _, dw1, db1 = cl.conv2d_backward(dz1, x, w1, padding=1)
    return dw1, db1, dw2, db2


# conv1: 16*1*3*3 + 16 = 160; conv2: 32*16*3*3 + 32 = 4640; read-out: (32*4*4)*10 + 10 = 5130
PARAMETER_COUNTS = (160 + 4640 + 5130, 5130)
