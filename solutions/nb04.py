"""Reference solutions for notebook 04: the backward pass."""

import numpy as np

import conv_lab as cl


def my_conv_backward(dy, x, w, stride, padding):
    F, C, KH, KW = w.shape
    cols = cl.im2col(x, (KH, KW), stride, padding)  # (N*OH*OW, C*KH*KW)
    dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, F)  # (N*OH*OW, F)
    db = dy_mat.sum(axis=0)  # (F,)
    dw = (dy_mat.T @ cols).reshape(w.shape)  # (F, C, KH, KW)
    dcols = dy_mat @ w.reshape(F, -1)  # (N*OH*OW, C*KH*KW)
    dx = cl.col2im(dcols, x.shape, (KH, KW), stride, padding)  # (N, C, H, W)
    return dx, dw, db


def my_numerical_gradient(f, x, eps=1e-6):
    x = np.array(x, dtype=float)  # our own copy
    grad = np.zeros_like(x)
    for i in range(x.size):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old  # restore before the next entry
        grad[i] = (up - down) / (2 * eps)
    return grad
