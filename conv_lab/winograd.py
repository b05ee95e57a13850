"""Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray, 2015): ``conv2d(..., method="winograd")``.

In one dimension, two outputs of a 3-tap correlation, ``y0 = d0 g0 + d1 g1 + d2 g2``
and ``y1 = d1 g0 + d2 g1 + d3 g2``, take 6 multiplications directly, but 4 as

    m1 = (d0 - d2) g0                 m2 = (d1 + d2) (g0 + g1 + g2) / 2
    m4 = (d1 - d3) g2                 m3 = (d2 - d1) (g0 - g1 + g2) / 2
    y0 = m1 + m2 + m3                 y1 = m2 - m3 - m4

In matrix form, for a tile ``d`` of 4 inputs and a kernel ``g`` of 3 taps,
``y = A_T @ ((G @ g) * (B_T @ d))``. Nested in two dimensions, a 2x2 output
tile of a 3x3 kernel is

    Y = A_T @ [(G @ g @ G.T) * (B_T @ d @ B_T.T)] @ A_T.T

for a 4x4 input tile ``d``: 16 multiplications instead of 36. The transforms
themselves only add, subtract and halve, and the kernel's transform
``U = G g G.T`` is computed once per filter and channel.

How this module computes a layer:

- ``x`` is zero-padded by ``padding``, and by one more row (column) at the
  bottom (right) when OH (OW) is odd, so that 2x2 output tiles cover the
  output; the extra row of outputs is cropped at the end.
- The 4x4 input tiles start every 2 rows and columns (neighbours overlap
  by 2). ``V = B_T d B_T.T`` for every tile and channel, ``U = G g G.T`` for
  every filter and channel.
- The sum over channels is done in the transformed domain: for each of the
  16 positions of a tile, ``M = sum_c U[f, c] * V[n, c, tile]``, a batched
  matrix product (per group; an elementwise product when each group has one
  channel, as in a depthwise layer).
- ``Y = A_T M A_T.T`` gives each tile's 2x2 outputs.

Only 3x3 kernels at stride 1 and dilation 1 fit; any padding and groups
work. Other layers raise ``ValueError`` (see :func:`check_layer`).

Dtypes: float64 is computed in float64, float32 (and float16, computed as
float32) in float32, so float32 in gives float32 out, with rounding errors of
float32's size. Integer and bool input is computed exactly in int64,
with ``2*G`` (integer entries) in place of ``G`` and the result divided by 4
at the end, which is exact. When ``4*y`` could leave the int64 range
(judged as :func:`conv_lab.conv2d` judges ``y``), the default method
(``"im2col"``) computes the result instead.

Non-finite values: the transforms mix the 16 inputs of a tile, so a NaN or
inf in one input would reach all 4 outputs of its tile (and ``inf - inf``
makes NaN), unlike the direct sum. So when ``x`` or ``w`` holds a NaN or an
inf, or when the result is not finite (an overflow in the transforms), the
result of the default method is returned instead, and NaN and inf land
exactly where the default method puts them.
"""

import numpy as np

from . import _checks as ck
from .blocks import _pad_crop, _window_view
from .columns import gemm_forward


def _constant(rows):
    a = np.array(rows, dtype=np.float64)
    a.flags.writeable = False
    return a


B_T = _constant([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]])
"""Input transform, shape (4, 4): ``V = B_T @ d @ B_T.T`` for a 4x4 input tile d. Read-only."""

G = _constant([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
"""Kernel transform, shape (4, 3): ``U = G @ g @ G.T`` for a 3x3 kernel g. Read-only."""

A_T = _constant([[1, 1, 1, 0], [0, 1, -1, -1]])
"""Output transform, shape (2, 4): ``Y = A_T @ (U * V) @ A_T.T``, a 2x2 output tile. Read-only."""


def check_layer(kernel_size, stride, dilation):
    """Raise ``ValueError`` unless the layer is one Winograd F(2x2, 3x3) computes.

    Parameters
    ----------
    kernel_size, stride, dilation : (h, w) pairs of ints
        The layer's settings (already validated as ints).
    """
    kernel_size, stride, dilation = tuple(kernel_size), tuple(stride), tuple(dilation)
    if kernel_size != (3, 3) or stride != (1, 1) or dilation != (1, 1):
        raise ValueError(
            f"method='winograd' computes F(2x2, 3x3): it needs a 3x3 kernel, stride 1 and dilation 1; "
            f"got kernel {kernel_size[0]}x{kernel_size[1]}, stride={stride}, dilation={dilation}"
        )


def _apply(M, a, axis):
    """``M @ a`` along one axis of ``a``, for a small constant matrix ``M``: a new array.

    The entries 0 and +-1 cost nothing and an addition; only the other
    entries multiply.
    """
    out = np.empty(a.shape[:axis] + (M.shape[0],) + a.shape[axis + 1 :], dtype=a.dtype)
    at = lambda arr, k: arr[(slice(None),) * axis + (k,)]  # noqa: E731
    for i in range(M.shape[0]):
        o = at(out, i)
        first = True
        for j in range(M.shape[1]):
            c, t = M[i, j], at(a, j)
            if c == 0:
                continue
            if first:
                if c == 1:
                    np.copyto(o, t)
                elif c == -1:
                    np.negative(t, out=o)
                else:
                    np.multiply(t, c, out=o)
                first = False
            elif c == 1:
                o += t
            elif c == -1:
                o -= t
            else:
                o += c * t
        if first:
            o[...] = 0
    return out


def forward(x, w, g):
    """conv2d by Winograd F(2x2, 3x3); ``x``, ``w`` validated (3x3, stride 1, dilation 1), of the work dtype.

    Returns (N, F, OH, OW). Non-finite input or output, and integers too
    large for the exact path, take the default method's path instead (see
    the module's docstring).
    """
    if x.dtype.kind != "f":
        try:  # the exact path computes 4*y in int64
            ck.exact_int(x.dtype, [(4 * g.Cg * 9, [("x", x), ("w", w)])], "4*y")
        except ValueError:
            return gemm_forward(x, w, g)
        return _tiles(x, w, g, exact=True)
    if not (np.isfinite(x).all() and np.isfinite(w).all()):
        return gemm_forward(x, w, g)
    y = _tiles(x, w, g, exact=False)
    if not np.isfinite(y).all():  # an overflow inside the transforms
        return gemm_forward(x, w, g)
    return y


def _tiles(x, w, g, exact):
    dtype = x.dtype
    N, F, OH, OW, ng, Cg, Fg = g.N, g.F, g.OH, g.OW, g.groups, g.Cg, g.Fg
    TH, TW = -(-OH // 2), -(-OW // 2)  # output tiles: ceil(OH/2) x ceil(OW/2)
    top, _, left, _ = g.pads
    culprit = f"method='winograd' with padding={g.padding}" if max(g.pads) else f"method='winograd' on x {x.shape}"
    ck.check_elements((16, N, max(g.C, F), TH, TW), "the transformed tiles (16, N, C, TH, TW)", culprit)
    # pad to 2TH+2 rows: top zeros, then x, then as many as the last tile needs (the bottom padding and more)
    xp = _pad_crop(x, top, 2 * TH + 2 - top - g.H, left, 2 * TW + 2 - left - g.W)  # (N, C, 2TH+2, 2TW+2)
    tiles = _window_view(xp, (4, 4), (2, 2), (1, 1))  # (N, C, TH, TW, 4, 4): overlapping 4x4 tiles, a view
    d = tiles.transpose(4, 5, 0, 1, 2, 3)  # (4, 4, N, C, TH, TW)
    b_t, a_t = B_T.astype(dtype), A_T.astype(dtype)
    gk = (2 * G if exact else G).astype(dtype)  # exact: 2G has integer entries, so U is 4 times larger
    V = _apply(b_t, _apply(b_t, d, 0), 1)  # (4, 4, N, C, TH, TW)
    U = _apply(gk, _apply(gk, w.transpose(2, 3, 0, 1), 0), 1)  # (4, 4, F, C/G)
    V = V.reshape(16, N, ng, Cg, TH * TW)  # (16, N, G, C/G, T)
    U = U.reshape(16, 1, ng, Fg, Cg)  # (16, 1, G, F/G, C/G)
    if Cg == 1:
        M = U * V  # (16, N, G, F/G, T): one channel per group, nothing to sum
    else:
        M = np.matmul(U, V)  # (16, N, G, F/G, T): sum over the group's channels, for each of the 16 positions
    M = M.reshape(4, 4, N, F, TH, TW)
    Y = _apply(a_t, _apply(a_t, M, 0), 1)  # (2, 2, N, F, TH, TW)
    if exact:
        Y //= 4  # exact: Y holds 4*y
    y = Y.transpose(2, 3, 4, 0, 5, 1).reshape(N, F, 2 * TH, 2 * TW)  # (N, F, 2TH, 2TW)
    return np.ascontiguousarray(y[:, :, :OH, :OW])  # (N, F, OH, OW)
