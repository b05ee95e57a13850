"""im2col and its adjoint col2im, plus the blocked GEMM paths built on them.

Public layout: ``cols`` has shape (N*OH*OW, C*KH*KW), rows ordered
(n, oh, ow) and columns ordered (c, kh, kw), so ``cols @ w.reshape(F, -1).T``
is the forward pass.

``conv2d(method="im2col")`` and ``conv2d_backward(method="im2col")`` run the
same idea, arranged for speed (see benchmarks/conv_speed.py):

- The batch is processed a few samples at a time, so that each block of
  copied windows (about 2.5 MB) is still in cache when the matrix multiply
  reads it, and when col2im adds the gradient back.
- The copy is laid out so that its innermost run is long and contiguous.
  With many channels that is channels-last: columns (kh, kw, c), the
  innermost run is C numbers. With few channels (an RGB stem) it is
  channels-first per sample, as in Caffe: a (C*KH*KW, OH*OW) matrix whose
  innermost run is a row of OW outputs.

Both layouts hold exactly the numbers of the public ``cols``, reordered.
"""

import numpy as np

from . import _checks as ck
from .blocks import _window_view, pad2d

BLOCK_BYTES = 5 * 2**19  # 2.5 MiB of copied windows per block: about one core's L2 cache
CHANNELS_LAST_MIN_C = 16  # below this, runs of C numbers are too short to copy fast


def _scatter_taps(xp, tap, g, axes):
    """Add every window's tap (kh, kw) back onto the padded image, then crop.

    ``xp`` is a zero padded image whose spatial axes are ``axes``; ``tap(kh,
    kw)`` returns the values of tap (kh, kw) of every window, laid out like
    ``xp`` with the spatial axes shrunk to (OH, OW).
    """
    (sh, sw), (dh, dw), (ph, pw) = g.stride, g.dilation, g.padding
    index = [slice(None)] * xp.ndim
    for kh in range(g.KH):
        index[axes[0]] = slice(kh * dh, kh * dh + sh * (g.OH - 1) + 1, sh)
        for kw in range(g.KW):
            index[axes[1]] = slice(kw * dw, kw * dw + sw * (g.OW - 1) + 1, sw)
            # neighbouring windows overlap on these pixels: add, never assign
            xp[tuple(index)] += tap(kh, kw)
    index[axes[0]] = slice(ph, ph + g.H)
    index[axes[1]] = slice(pw, pw + g.W)
    return xp[tuple(index)]


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """Copy every window of a batch into one row of a matrix.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    kernel_size : int or (KH, KW)
    stride, padding, dilation : int or (h, w) pair
        PyTorch conventions: padding is zeros per side, dilation 1 is none.

    Returns
    -------
    cols : ndarray, shape (N*OH*OW, C*KH*KW)
        Row ``(n*OH + oh)*OW + ow`` holds the window under output pixel
        ``(oh, ow)`` of sample ``n``, flattened in (c, kh, kw) order, so that
        ``cols @ w.reshape(F, -1).T`` is the forward pass.

    Examples
    --------
    >>> im2col(np.arange(16).reshape(1, 1, 4, 4), 3)[0]
    array([ 0,  1,  2,  4,  5,  6,  8,  9, 10])
    """
    x = ck.numeric_array(x, "x", 4, "(N, C, H, W)")
    g = ck.geometry(x.shape, kernel_size, 0, stride, padding, dilation)
    view = _window_view(pad2d(x, g.padding), (g.KH, g.KW), g.stride, g.dilation)  # (N, C, OH, OW, KH, KW)
    view = view.transpose(0, 2, 3, 1, 4, 5)  # (N, OH, OW, C, KH, KW)
    return view.reshape(g.N * g.OH * g.OW, g.C * g.KH * g.KW)


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Sum every row of ``cols`` back into the window it came from.

    This is the adjoint (transpose) of :func:`im2col`, not its inverse:
    pixels covered by several windows receive the sum of all their copies,
    so ``col2im(im2col(x))`` is ``x`` times the coverage count, and
    ``col2im(np.ones_like(cols))`` *is* the coverage count.

    Parameters
    ----------
    cols : array_like, shape (N*OH*OW, C*KH*KW)
        Rows ordered (n, oh, ow), columns ordered (c, kh, kw).
    x_shape : tuple of 4 ints
        (N, C, H, W) of the image the windows were taken from.
    kernel_size, stride, padding, dilation
        As in :func:`im2col`.

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    cols = ck.numeric_array(cols, "cols", 2, "(N*OH*OW, C*KH*KW)")
    if not isinstance(x_shape, (tuple, list)) or len(x_shape) != 4:
        raise ValueError(f"x_shape must be a tuple (N, C, H, W) of 4 ints, got {x_shape!r}")
    x_shape = tuple(ck.integer(v, "x_shape", minimum=1) for v in x_shape)
    g = ck.geometry(x_shape, kernel_size, 0, stride, padding, dilation)
    expected = (g.N * g.OH * g.OW, g.C * g.KH * g.KW)
    if cols.shape != expected:
        raise ValueError(
            f"cols must have shape (N*OH*OW, C*KH*KW) = {expected} for x_shape {x_shape}, "
            f"kernel {(g.KH, g.KW)}, stride {g.stride}, padding {g.padding}, dilation "
            f"{g.dilation}; got {cols.shape}"
        )
    cols6 = cols.reshape(g.N, g.OH, g.OW, g.C, g.KH, g.KW)
    xp = np.zeros((g.N, g.C) + g.padded_shape, dtype=cols.dtype)
    dx = _scatter_taps(xp, lambda kh, kw: cols6[..., kh, kw].transpose(0, 3, 1, 2), g, (2, 3))
    return dx.copy()  # (N, C, H, W)


# --- the blocked fast paths ----------------------------------------------------


def _blocks(g, itemsize):
    """Slices of the batch whose copied windows take about BLOCK_BYTES each."""
    per_sample = g.OH * g.OW * g.C * g.KH * g.KW * itemsize
    step = max(1, round(BLOCK_BYTES / per_sample))
    for n0 in range(0, g.N, step):
        n1 = min(n0 + step, g.N)
        yield slice(n0, n1), g._replace(N=n1 - n0)


class _ChannelsLast:
    """Block of windows as (n*OH*OW, KH*KW*C): one row per window, columns (kh, kw, c)."""

    @staticmethod
    def weights(w, g):
        return w.transpose(0, 2, 3, 1).reshape(g.F, -1)  # (F, KH*KW*C)

    @staticmethod
    def unfold(x, g):
        (ph, pw), (Hp, Wp) = g.padding, g.padded_shape
        xp = np.zeros((g.N, Hp, Wp, g.C), dtype=x.dtype)
        xp[:, ph : ph + g.H, pw : pw + g.W, :] = x.transpose(0, 2, 3, 1)  # (n, H, W, C)
        view = _window_view(xp, (g.KH, g.KW), g.stride, g.dilation, axes=(1, 2))  # (n, OH, OW, C, KH, KW)
        return view.transpose(0, 1, 2, 4, 5, 3).reshape(g.N * g.OH * g.OW, -1)  # (n*OH*OW, KH*KW*C)

    @staticmethod
    def forward(cols, w_mat, g, out):
        y = (cols @ w_mat.T).reshape(g.N, g.OH, g.OW, g.F)  # (n, OH, OW, F)
        out[...] = y.transpose(0, 3, 1, 2)  # (n, F, OH, OW)

    @staticmethod
    def backward(dy, cols, w_mat, g, dx_out):
        dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, g.F)  # (n*OH*OW, F)
        dcols = (dy_mat @ w_mat).reshape(g.N, g.OH, g.OW, g.KH, g.KW, g.C)
        xp = np.zeros((g.N,) + g.padded_shape + (g.C,), dtype=dcols.dtype)
        dx = _scatter_taps(xp, lambda kh, kw: dcols[:, :, :, kh, kw, :], g, (1, 2))  # (n, H, W, C)
        dx_out[...] = dx.transpose(0, 3, 1, 2)  # (n, C, H, W)
        return dy_mat.T @ cols  # dw block (F, KH*KW*C)

    @staticmethod
    def dw(dw_mat, g):
        return dw_mat.reshape(g.F, g.KH, g.KW, g.C).transpose(0, 3, 1, 2)  # (F, C, KH, KW)


class _ChannelsFirst:
    """Block of windows as (n, C*KH*KW, OH*OW): one column per window, per sample."""

    @staticmethod
    def weights(w, g):
        return w.reshape(g.F, -1)  # (F, C*KH*KW)

    @staticmethod
    def unfold(x, g):
        view = _window_view(pad2d(x, g.padding), (g.KH, g.KW), g.stride, g.dilation)  # (n, C, OH, OW, KH, KW)
        return view.transpose(0, 1, 4, 5, 2, 3).reshape(g.N, -1, g.OH * g.OW)  # (n, C*KH*KW, OH*OW)

    @staticmethod
    def forward(cols, w_mat, g, out):
        np.matmul(w_mat, cols, out=out.reshape(g.N, g.F, g.OH * g.OW))  # (n, F, OH*OW)

    @staticmethod
    def backward(dy, cols, w_mat, g, dx_out):
        dy3 = dy.reshape(g.N, g.F, g.OH * g.OW)  # (n, F, OH*OW)
        dcols = (w_mat.T @ dy3).reshape(g.N, g.C, g.KH, g.KW, g.OH, g.OW)
        xp = np.zeros((g.N, g.C) + g.padded_shape, dtype=dcols.dtype)
        dx_out[...] = _scatter_taps(xp, lambda kh, kw: dcols[:, :, kh, kw], g, (2, 3))  # (n, C, H, W)
        return (dy3 @ cols.transpose(0, 2, 1)).sum(axis=0)  # dw block (F, C*KH*KW)

    @staticmethod
    def dw(dw_mat, g):
        return dw_mat.reshape(g.F, g.C, g.KH, g.KW)


def _layout(g):
    return _ChannelsLast if g.C >= CHANNELS_LAST_MIN_C else _ChannelsFirst


def gemm_forward(x, w, g):
    """conv2d by blocked im2col + GEMM; x, w already validated and of one dtype."""
    layout = _layout(g)
    w_mat = layout.weights(w, g)
    y = np.empty((g.N, g.F, g.OH, g.OW), dtype=np.result_type(x, w))
    for batch, gb in _blocks(g, x.itemsize):
        layout.forward(layout.unfold(x[batch], gb), w_mat, gb, out=y[batch])
    return y


def gemm_backward(dy, x, w, g):
    """dx and dw by blocked im2col + GEMM + col2im; inputs validated, one dtype."""
    layout = _layout(g)
    w_mat = layout.weights(w, g)
    dtype = np.result_type(dy, x, w)
    dx = np.empty((g.N, g.C, g.H, g.W), dtype=dtype)
    dw_mat = np.zeros_like(w_mat, dtype=dtype)
    for batch, gb in _blocks(g, x.itemsize):
        dw_mat += layout.backward(dy[batch], layout.unfold(x[batch], gb), w_mat, gb, dx_out=dx[batch])
    return dx, np.ascontiguousarray(layout.dw(dw_mat, g))
