"""Reference solutions for notebook 01: output size, the rows a layer reads, corr2d in full generality."""

import numpy as np

# 1. Warm-up: the smallest padding that gives a wanted output size.


def my_padding_for(size, kernel_size, stride, dilation, out_size):
    span = dilation * (kernel_size - 1) + 1  # rows one dilated window covers
    last_end = (out_size - 1) * stride + span  # the last window ends here, in padded rows
    need = last_end - size  # rows the padding must add, top and bottom together
    return max(0, -(-need // 2))  # half of it per side, rounded UP; never negative


# 2. Predict, then check: (OH, a, [unread input rows]), worked out on paper.
#    shortcut H=9, K=1, s=2, p=1: OH = 10//2 + 1 = 6, a = 0. Windows read padded rows 0, 2, ..., 10:
#             padded rows 2, 4, 6, 8 are input rows 1, 3, 5, 7; the even input rows go unread.
#    spaced   H=10, K=3, s=4, p=1: OH = (12-3)//4 + 1 = 3, a = 9 % 4 = 1 (bottom padding). Windows
#             read padded rows 0-2, 4-6, 8-10; padded rows 3 and 7 are input rows 2 and 6.
shortcut = (6, 0, [0, 2, 4, 6, 8])
spaced = (3, 1, [2, 6])


# 3. corr2d with a stride, a dilation and a padding of its own on each axis and side. On each axis
#    the window of output i starts at padded row i*s and its taps are d apart (section 3's rows),
#    so tap (u, v) of window (i, j) reads xp[i*sh + u*dh, j*sw + v*dw].


def my_corr2d(x, w, stride, padding, dilation):
    (sh, sw), (dh, dw) = stride, dilation
    KH, KW = w.shape
    xp = np.pad(x, padding)  # ((top, bottom), (left, right)) zeros
    span_h, span_w = dh * (KH - 1) + 1, dw * (KW - 1) + 1  # rows and columns one dilated window covers
    OH = (xp.shape[0] - span_h) // sh + 1
    OW = (xp.shape[1] - span_w) // sw + 1
    y = np.zeros((OH, OW))
    for i in range(OH):
        for j in range(OW):
            top, left = i * sh, j * sw  # the window moves by the stride
            window = xp[top : top + span_h : dh, left : left + span_w : dw]  # (KH, KW) taps
            y[i, j] = np.sum(window * w)
    return y


# 4. Find the bug: the rows no window reads. The given function returned the last a rows; but
#    those are rows of the padded input (the bottom p are padding), and rows inside the image can
#    be skipped too. List the taps instead.


def unread_rows(size, kernel_size, stride, padding, dilation):
    out = (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1  # number of windows
    read = set()
    for o in range(out):
        for t in range(kernel_size):
            read.add(o * stride + t * dilation - padding)  # padded row -> input row
    return [i for i in range(size) if i not in read]
