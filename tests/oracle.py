"""An independent reference: convolution by plain scalar loops.

Nothing here imports conv_lab, and nothing is vectorised: every output is
one explicit sum, written straight from the definition

    y[n, f, i, j] = b[f] + sum_{c, u, v} xp[n, c, i*sh + u*dh, j*sw + v*dw] * w[f, c, u, v]

where xp is x with ph/pw zeros on each side (or, for padding given as
((top, bottom), (left, right)), top/left zeros before and bottom/right after).
Index arithmetic that falls in the padding is simply skipped, so there is no
padded copy to get wrong.

With groups = G (PyTorch semantics), filter f belongs to group g = f // (F/G)
and its sum runs over the input channels of that group only,
c = g*C/G ... (g+1)*C/G - 1, reading weight channel c - g*C/G of w (F, C/G, KH, KW).
"""

import numpy as np


def _sides(padding):
    """((top, bottom), (left, right)) from (ph, pw) or from ((top, bottom), (left, right))."""
    return tuple(p if isinstance(p, tuple) else (p, p) for p in padding)


def _out(size, k, s, p, d):
    before, after = p if isinstance(p, tuple) else (p, p)
    return (size + before + after - d * (k - 1) - 1) // s + 1


def _taps(N, C, H, W, F, KH, KW, OH, OW, stride, padding, dilation, groups=1):
    """Every (n, f, i, j, c, u, v, r, q): output (n, f, i, j) reads x[n, c, r, q] with weight w[f, c % (C/G), u, v].

    c runs over the input channels of filter f's group only (all of them when groups=1,
    where c % C == c). Taps that fall in the zero padding are skipped, so there is no
    padded copy to get wrong.
    """
    (sh, sw), (dh, dw) = stride, dilation
    (ph, _), (pw, _) = _sides(padding)  # rows/columns of zeros above/left of the input
    Cg, Fg = C // groups, F // groups
    for n in range(N):
        for f in range(F):
            group = f // Fg
            for i in range(OH):
                for j in range(OW):
                    for c in range(group * Cg, (group + 1) * Cg):
                        for u in range(KH):
                            for v in range(KW):
                                r = i * sh + u * dh - ph
                                q = j * sw + v * dw - pw
                                if 0 <= r < H and 0 <= q < W:
                                    yield n, f, i, j, c, u, v, r, q


def conv_forward(x, w, b, stride, padding, dilation, groups=1):
    N, C, H, W = x.shape
    F, Cg, KH, KW = w.shape
    assert Cg * groups == C and F % groups == 0  # the oracle's own sanity check, not validation
    OH = _out(H, KH, stride[0], padding[0], dilation[0])
    OW = _out(W, KW, stride[1], padding[1], dilation[1])
    y = np.zeros((N, F, OH, OW))
    if b is not None:
        for n in range(N):
            for f in range(F):
                y[n, f] = float(b[f])
    for n, f, i, j, c, u, v, r, q in _taps(N, C, H, W, F, KH, KW, OH, OW, stride, padding, dilation, groups):
        y[n, f, i, j] += float(x[n, c, r, q]) * float(w[f, c % Cg, u, v])
    return y


def conv_backward(dy, x, w, stride, padding, dilation, groups=1):
    """Scatter each dy[n, f, i, j] to every x and w entry its output used."""
    N, C, H, W = x.shape
    F, Cg, KH, KW = w.shape
    assert Cg * groups == C and F % groups == 0
    OH, OW = dy.shape[2:]
    dx, dwt = np.zeros(x.shape), np.zeros(w.shape)
    db = np.array([float(np.sum(dy[:, f])) for f in range(F)])
    for n, f, i, j, c, u, v, r, q in _taps(N, C, H, W, F, KH, KW, OH, OW, stride, padding, dilation, groups):
        dx[n, c, r, q] += float(dy[n, f, i, j]) * float(w[f, c % Cg, u, v])
        dwt[f, c % Cg, u, v] += float(dy[n, f, i, j]) * float(x[n, c, r, q])
    return dx, dwt, db


def conv_transpose(y, w, stride, padding, output_padding, dilation, groups=1):
    """Each y[n, f, i, j] stamps y * w[f] onto the output channels of f's group, then cropped by padding."""
    N, F, OH, OW = y.shape
    _, Cg, KH, KW = w.shape
    C = Cg * groups
    (top, bottom), (left, right) = _sides(padding)
    H = (OH - 1) * stride[0] - top - bottom + dilation[0] * (KH - 1) + output_padding[0] + 1
    W = (OW - 1) * stride[1] - left - right + dilation[1] * (KW - 1) + output_padding[1] + 1
    out = np.zeros((N, C, H, W))
    for n, f, i, j, c, u, v, r, q in _taps(N, C, H, W, F, KH, KW, OH, OW, stride, padding, dilation, groups):
        out[n, c, r, q] += float(y[n, f, i, j]) * float(w[f, c % Cg, u, v])
    return out


def coverage(H, W, KH, KW, stride, padding, dilation):
    """How many windows touch each input pixel, by counting."""
    OH = _out(H, KH, stride[0], padding[0], dilation[0])
    OW = _out(W, KW, stride[1], padding[1], dilation[1])
    count = np.zeros((H, W), dtype=np.int64)
    for _, _, _, _, _, _, _, r, q in _taps(1, 1, H, W, 1, KH, KW, OH, OW, stride, padding, dilation):
        count[r, q] += 1
    return count
