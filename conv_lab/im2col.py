"""im2col and its adjoint col2im.

Public layout: ``cols`` has shape (N*OH*OW, C*KH*KW), rows ordered
(n, oh, ow) and columns ordered (c, kh, kw), so ``cols @ w.reshape(F, -1).T``
is the forward pass.

The fast paths in :mod:`conv_lab.conv` use the same windows in a
channels-last column order, (kh, kw, c): copying windows whose innermost
run is C contiguous numbers is several times faster than copying runs of KW
numbers. ``unfold_nhwc`` and ``fold_nhwc`` below are that layout; the public
functions share the folding code.
"""

import numpy as np

from . import _checks as ck
from .blocks import _window_view, pad2d


def _padded_nhwc(x, g):
    """x (N, C, H, W) -> zero-padded channels-last copy (N, H+2ph, W+2pw, C)."""
    (ph, pw), (Hp, Wp) = g.padding, g.padded_shape
    xp = np.zeros((g.N, Hp, Wp, g.C), dtype=x.dtype)
    xp[:, ph : ph + g.H, pw : pw + g.W, :] = x.transpose(0, 2, 3, 1)  # (N, H, W, C)
    return xp


def unfold_nhwc(x, g):
    """Windows of x (N, C, H, W) as (N*OH*OW, KH*KW*C), columns ordered (kh, kw, c)."""
    xp = _padded_nhwc(x, g)  # (N, Hp, Wp, C)
    view = _window_view(xp, (g.KH, g.KW), g.stride, g.dilation, axes=(1, 2))  # (N, OH, OW, C, KH, KW)
    view = view.transpose(0, 1, 2, 4, 5, 3)  # (N, OH, OW, KH, KW, C)
    return view.reshape(g.N * g.OH * g.OW, g.KH * g.KW * g.C)  # copies


def fold_nhwc(cols6, g):
    """Adjoint of :func:`unfold_nhwc`: sum windows (N, OH, OW, KH, KW, C) back into (N, C, H, W)."""
    (sh, sw), (dh, dw), (ph, pw) = g.stride, g.dilation, g.padding
    Hp, Wp = g.padded_shape
    xp = np.zeros((g.N, Hp, Wp, g.C), dtype=cols6.dtype)
    for kh in range(g.KH):
        r0 = kh * dh
        for kw in range(g.KW):
            c0 = kw * dw
            # every window's (kh, kw) tap lands on this strided grid of pixels;
            # neighbouring windows overlap, so add rather than assign
            xp[:, r0 : r0 + sh * (g.OH - 1) + 1 : sh, c0 : c0 + sw * (g.OW - 1) + 1 : sw, :] += cols6[
                :, :, :, kh, kw, :
            ]
    return xp[:, ph : ph + g.H, pw : pw + g.W, :].transpose(0, 3, 1, 2)  # (N, C, H, W)


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
    cols6 = cols.reshape(g.N, g.OH, g.OW, g.C, g.KH, g.KW).transpose(0, 1, 2, 4, 5, 3)  # (N, OH, OW, KH, KW, C)
    return np.ascontiguousarray(fold_nhwc(cols6, g))
