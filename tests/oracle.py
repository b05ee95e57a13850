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


def conv_forward(x, w, b, stride, padding, dilation):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    OH, OW = _out(H, KH, sh, ph, dh), _out(W, KW, sw, pw, dw)
    y = np.zeros((N, F, OH, OW), dtype=np.float64)
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    total = 0.0 if b is None else float(b[f])
                    for c in range(C):
                        for u in range(KH):
                            for v in range(KW):
                                r = i * sh + u * dh - ph
                                q = j * sw + v * dw - pw
                                if 0 <= r < H and 0 <= q < W:
                                    total += float(x[n, c, r, q]) * float(w[f, c, u, v])
                    y[n, f, i, j] = total
    return y


def conv_backward(dy, x, w, stride, padding, dilation):
    """Scatter each dy[n, f, i, j] to every x and w entry its output used."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    _, _, OH, OW = dy.shape
    dx = np.zeros(x.shape)
    dwt = np.zeros(w.shape)
    db = np.zeros(F)
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    g = float(dy[n, f, i, j])
                    db[f] += g
                    for c in range(C):
                        for u in range(KH):
                            for v in range(KW):
                                r = i * sh + u * dh - ph
                                q = j * sw + v * dw - pw
                                if 0 <= r < H and 0 <= q < W:
                                    dx[n, c, r, q] += g * float(w[f, c, u, v])
                                    dwt[f, c, u, v] += g * float(x[n, c, r, q])
    return dx, dwt, db


def conv_transpose(y, w, stride, padding, output_padding, dilation):
    """Each y[n, f, i, j] stamps y * w[f] onto the output, which is then cropped by padding."""
    N, F, OH, OW = y.shape
    _, C, KH, KW = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    H = (OH - 1) * sh - 2 * ph + dh * (KH - 1) + oph + 1
    W = (OW - 1) * sw - 2 * pw + dw * (KW - 1) + opw + 1
    out = np.zeros((N, C, H, W))
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
                                    out[n, c, r, q] += float(y[n, f, i, j]) * float(w[f, c, u, v])
    return out


def coverage(H, W, KH, KW, stride, padding, dilation):
    """How many windows touch each input pixel, by counting."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    count = np.zeros((H, W), dtype=np.int64)
    for i in range(_out(H, KH, sh, ph, dh)):
        for j in range(_out(W, KW, sw, pw, dw)):
            for u in range(KH):
                for v in range(KW):
                    r, q = i * sh + u * dh - ph, j * sw + v * dw - pw
                    if 0 <= r < H and 0 <= q < W:
                        count[r, q] += 1
    return count
