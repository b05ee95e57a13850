"""An independent reference: convolution by plain scalar loops.

Nothing here imports conv_lab, and nothing is vectorised: every output is
one explicit sum, written straight from the definition

    y[n, f, i, j] = b[f] + sum_{c, u, v} xp[n, c, i*sh + u*dh, j*sw + v*dw] * w[f, c, u, v]

where xp is x with ph/pw zeros on each side. Index arithmetic that falls in
the padding is simply skipped, so there is no padded copy to get wrong.
"""

import numpy as np


def _out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _taps(N, C, H, W, F, KH, KW, OH, OW, stride, padding, dilation):
    """Every (n, f, i, j, c, u, v, r, q): output (n, f, i, j) reads x[n, c, r, q] with weight w[f, c, u, v].

    Taps that fall in the zero padding are skipped, so there is no padded copy to get wrong.
    """
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    for c in range(C):
                        for u in range(KH):
                            for v in range(KW):
                                r = i * sh + u * dh - ph
                                q = j * sw + v * dw - pw
                                if 0 <= r < H and 0 <= q < W:
                                    yield n, f, i, j, c, u, v, r, q


def conv_forward(x, w, b, stride, padding, dilation):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    OH = _out(H, KH, stride[0], padding[0], dilation[0])
    OW = _out(W, KW, stride[1], padding[1], dilation[1])
    y = np.zeros((N, F, OH, OW))
    if b is not None:
        for n in range(N):
            for f in range(F):
                y[n, f] = float(b[f])
    for n, f, i, j, c, u, v, r, q in _taps(N, C, H, W, F, KH, KW, OH, OW, stride, padding, dilation):
        y[n, f, i, j] += float(x[n, c, r, q]) * float(w[f, c, u, v])
    return y


def conv_backward(dy, x, w, stride, padding, dilation):
    """Scatter each dy[n, f, i, j] to every x and w entry its output used."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    OH, OW = dy.shape[2:]
    dx, dwt = np.zeros(x.shape), np.zeros(w.shape)
    db = np.array([float(np.sum(dy[:, f])) for f in range(F)])
    for n, f, i, j, c, u, v, r, q in _taps(N, C, H, W, F, KH, KW, OH, OW, stride, padding, dilation):
        dx[n, c, r, q] += float(dy[n, f, i, j]) * float(w[f, c, u, v])
        dwt[f, c, u, v] += float(dy[n, f, i, j]) * float(x[n, c, r, q])
    return dx, dwt, db


def conv_transpose(y, w, stride, padding, output_padding, dilation):
    """Each y[n, f, i, j] stamps y * w[f] onto the output, which is then cropped by padding."""
    N, F, OH, OW = y.shape
    _, C, KH, KW = w.shape
    H = (OH - 1) * stride[0] - 2 * padding[0] + dilation[0] * (KH - 1) + output_padding[0] + 1
    W = (OW - 1) * stride[1] - 2 * padding[1] + dilation[1] * (KW - 1) + output_padding[1] + 1
    out = np.zeros((N, C, H, W))
    for n, f, i, j, c, u, v, r, q in _taps(N, C, H, W, F, KH, KW, OH, OW, stride, padding, dilation):
        out[n, c, r, q] += float(y[n, f, i, j]) * float(w[f, c, u, v])
    return out


def coverage(H, W, KH, KW, stride, padding, dilation):
    """How many windows touch each input pixel, by counting."""
    OH = _out(H, KH, stride[0], padding[0], dilation[0])
    OW = _out(W, KW, stride[1], padding[1], dilation[1])
    count = np.zeros((H, W), dtype=np.int64)
    for _, _, _, _, _, _, _, r, q in _taps(1, 1, H, W, 1, KH, KW, OH, OW, stride, padding, dilation):
        count[r, q] += 1
    return count
