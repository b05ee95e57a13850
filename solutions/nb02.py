"""Reference solutions for notebook 02: im2col and col2im."""

import numpy as np


def my_windows_1d(x, K, stride, dilation, padding):
    """Row i holds samples i*stride, i*stride + dilation, ..., i*stride + dilation*(K - 1) of the padded x."""
    before, after = padding
    xp = np.concatenate([np.zeros(before), x, np.zeros(after)])  # (before + H + after,): np.pad(x, padding) too
    span = dilation * (K - 1) + 1  # K taps have K - 1 gaps of `dilation` samples
    OH = (len(xp) - span) // stride + 1  # whole windows only; the samples after the last one are unread
    return np.array([xp[i * stride : i * stride + span : dilation] for i in range(OH)])  # (OH, K)


def my_im2col_nhwc(x, kernel_size, stride, padding, dilation):
    """x (N, H, W, C) -> cols (N*OH*OW, KH*KW*C): rows (n, oh, ow), columns (kh, kw, c), taps `dilation` apart."""
    KH, KW = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    N, H, W, C = x.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))  # pad H and W, not C
    span_h, span_w = dilation * (KH - 1) + 1, dilation * (KW - 1) + 1  # what one window spans
    OH = (H + 2 * padding - span_h) // stride + 1
    OW = (W + 2 * padding - span_w) // stride + 1
    rows = []
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                top, left = i * stride, j * stride
                window = xp[n, top : top + span_h : dilation, left : left + span_w : dilation]  # (KH, KW, C)
                rows.append(window.ravel())  # (kh, kw, c) order
    return np.array(rows)  # (N*OH*OW, KH*KW*C)


def col2im_by_loops(cols, x_shape, kernel_size, stride, padding, dilation):
    """The find-the-bug function, repaired: the canvas is the whole padded input, (H + 2p, W + 2p).

    The function shown made its canvas end where the last window ends: (OH - 1)*s + d*(KH - 1) + 1 rows,
    which is H + 2p - a. After cropping p rows from the top it had H + p - a rows, fewer than H when a > p.
    """
    N, C, H, W = x_shape
    KH, KW = kernel_size
    span_h, span_w = dilation * (KH - 1) + 1, dilation * (KW - 1) + 1
    OH = (H + 2 * padding - span_h) // stride + 1
    OW = (W + 2 * padding - span_w) // stride + 1
    c6 = cols.reshape(N, OH, OW, C, KH, KW)
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))  # was ((OH - 1) * stride + span_h, ...)
    for i in range(OH):
        for j in range(OW):
            top, left = i * stride, j * stride
            xp[:, :, top : top + span_h : dilation, left : left + span_w : dilation] += c6[:, i, j]
    return xp[:, :, padding : padding + H, padding : padding + W]


# H = W = 8, K = 3, stride 2, padding 1, dilation 2. The padded input has rows 0..9; a window spans
# 2*(3-1) + 1 = 5 rows, so OH = (10 - 5) // 2 + 1 = 3 windows, starting at padded rows 0, 2, 4 and reading
# rows 0 2 4, 2 4 6, 4 6 8. Padded row 4 is read 3 times, rows 2 and 6 twice, rows 0 and 8 once, odd rows never.
# Input pixel (r, q) is padded (r + 1, q + 1):
# (3, 3) -> padded (4, 4): 3 * 3 = 9;  (2, 3) -> padded row 3, never read: 0;  (7, 7) -> padded (8, 8): 1 * 1 = 1.
counts = [9, 0, 1]
