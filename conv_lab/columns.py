"""im2col and its adjoint col2im, plus the blocked GEMM paths built on them.

Public layout: ``cols`` has shape (N*OH*OW, C*KH*KW), rows ordered
(n, oh, ow) and columns ordered (c, kh, kw), so ``cols @ w.reshape(F, -1).T``
is the forward pass.

``conv2d(method="im2col")`` and ``conv2d_backward(method="im2col")`` run the
same idea, arranged for speed (see benchmarks/conv_speed.py):

- The batch is processed in blocks of samples whose copied windows take
  about BLOCK_BYTES (2.5 MiB), at least one sample a block: a small batch is
  one block. The work buffers are allocated once per call and reused for
  every block.
- The copy is laid out so that its innermost run is long and contiguous.
  With many channels that is channels-last: columns (kh, kw, c), the
  innermost run is C numbers. With few channels (an RGB stem) it is
  channels-first per sample, as in Caffe: a (C*KH*KW, OH*OW) matrix whose
  innermost run is a row of OW outputs.
- With ``groups = G`` the columns of each layout are split by group, and
  each matrix product is one batched call over the G groups (see
  conv_lab.grouped); the layout follows the channels per group, C/G.

Both layouts hold exactly the numbers of the public ``cols``, reordered.
"""

import numpy as np

from . import _checks as ck
from .blocks import _pad_crop, _window_view

BLOCK_BYTES = 5 * 2**19  # 2.5 MiB of copied windows per block: about one core's L2 cache
CHANNELS_LAST_MIN_C = 16  # below this, runs of C numbers are too short to copy fast


def _scatter_taps(xp, tap, g, axes):
    """Add every window's tap (kh, kw) back onto the padded image, then crop.

    ``xp`` is a zero padded image whose spatial axes are ``axes``; ``tap(kh,
    kw)`` returns the values of tap (kh, kw) of every window, laid out like
    ``xp`` with the spatial axes shrunk to (OH, OW).
    """
    (sh, sw), (dh, dw), (top, _, left, _) = g.stride, g.dilation, g.pads
    index = [slice(None)] * xp.ndim
    for kh in range(g.KH):
        index[axes[0]] = slice(kh * dh, kh * dh + sh * (g.OH - 1) + 1, sh)
        for kw in range(g.KW):
            index[axes[1]] = slice(kw * dw, kw * dw + sw * (g.OW - 1) + 1, sw)
            # neighbouring windows overlap on these pixels: add, never assign
            xp[tuple(index)] += tap(kh, kw)
    index[axes[0]] = slice(top, top + g.H)
    index[axes[1]] = slice(left, left + g.W)
    return xp[tuple(index)]


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """Copy every window of a batch into one row of a matrix.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    kernel_size : int or (KH, KW)
    stride, padding, dilation : int or (h, w) pair
        PyTorch conventions: padding is zeros per side, dilation 1 is none.
        ``padding`` may also be ``((top, bottom), (left, right))``, ``"valid"``
        or ``"same"``, as in :func:`conv2d`.

    Returns
    -------
    cols : ndarray, shape (N*OH*OW, C*KH*KW)
        Row ``(n*OH + oh)*OW + ow`` holds the window under output pixel
        ``(oh, ow)`` of sample ``n``, flattened in (c, kh, kw) order, so that
        ``cols @ w.reshape(F, -1).T`` is the forward pass. A new, writeable
        array of the dtype of ``x`` (the values are copied, not summed).

    Examples
    --------
    >>> im2col(np.arange(16).reshape(1, 1, 4, 4), 3)[0]
    array([ 0,  1,  2,  4,  5,  6,  8,  9, 10])
    """
    x = ck.numeric_array(x, "x", 4, "(N, C, H, W)")
    g = ck.geometry(x.shape, kernel_size, 0, stride, padding, dilation)
    shape = (g.N * g.OH * g.OW, g.C * g.KH * g.KW)
    ck.check_elements(shape, "cols (N*OH*OW, C*KH*KW)", f"kernel_size={(g.KH, g.KW)} with stride={g.stride}")
    view = _window_view(_pad_crop(x, *g.pads), (g.KH, g.KW), g.stride, g.dilation)  # (N, C, OH, OW, KH, KW)
    cols = np.empty(shape, dtype=x.dtype)
    # one copy into a fresh array: a reshape of the view could itself be a (read-only) view
    np.copyto(cols.reshape(g.N, g.OH, g.OW, g.C, g.KH, g.KW), view.transpose(0, 2, 3, 1, 4, 5))
    return cols


@ck.quiet_nonfinite
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
        int64 for bool/integer ``cols`` of any width (exact sums), float32
        for float16, otherwise the dtype of ``cols``.
    """
    cols = ck.numeric_array(cols, "cols", 2, "(N*OH*OW, C*KH*KW)")
    if isinstance(x_shape, np.ndarray) and x_shape.ndim == 1:
        x_shape = tuple(x_shape)
    if not isinstance(x_shape, (tuple, list)) or len(x_shape) != 4:
        raise ValueError(f"x_shape must be a tuple (N, C, H, W) of 4 ints, got {x_shape!r}")
    x_shape = tuple(ck.integer(v, "x_shape", minimum=1) for v in x_shape)
    g = ck.geometry(x_shape, kernel_size, 0, stride, padding, dilation, shape_name="x_shape")
    expected = (g.N * g.OH * g.OW, g.C * g.KH * g.KW)
    if cols.shape != expected:
        raise ValueError(
            f"cols must have shape (N*OH*OW, C*KH*KW) = {expected} for x_shape {x_shape}, "
            f"kernel {(g.KH, g.KW)}, stride {g.stride}, padding {g.padding}, dilation "
            f"{g.dilation}; got {cols.shape}"
        )
    dtype = ck.work_dtype(cols)
    ck.exact_int(dtype, [(g.KH * g.KW, [("cols", cols)])], "a pixel's sum")
    cols6 = cols.astype(dtype, copy=False).reshape(g.N, g.OH, g.OW, g.C, g.KH, g.KW)
    xp = np.zeros((g.N, g.C) + g.padded_shape, dtype=dtype)
    dx = _scatter_taps(xp, lambda kh, kw: cols6[..., kh, kw].transpose(0, 3, 1, 2), g, (2, 3))
    return dx.copy()  # (N, C, H, W)


# --- the blocked fast paths ----------------------------------------------------
#
# Each call allocates its work buffers once, sized for one block, and reuses
# them for every block. Allocating them afresh per block costs more than the
# copies themselves: large fresh allocations come from the operating system
# as untouched pages, and touching them for the first time is slow.


def _block_size(g, itemsize):
    """Samples per block, so that a block's copied windows take about BLOCK_BYTES."""
    per_sample = g.OH * g.OW * g.C * g.KH * g.KW * itemsize
    return min(g.N, max(1, round(BLOCK_BYTES / per_sample)))


class _Workspace:
    """Buffers for one block of ``step`` samples, in one of two memory layouts.

    Channels-last: windows as rows, (n*OH*OW, G, KH*KW*C/G), columns (kh, kw, c) within each group.
    Channels-first: per sample and group a (C/G*KH*KW, OH*OW) matrix, one column per window.
    Both hold exactly the numbers of the public ``cols``, reordered. With
    ``groups = G`` every matrix product is batched over the G groups (one
    call, no Python loop over them); ``G = 1`` is the ordinary layer. The
    layout is chosen by the channels per group, C/G: a depthwise layer
    (C/G = 1) is channels-first whatever C is.
    """

    def __init__(self, g, dtype, backward=False):
        self.g = g
        self.step = _block_size(g, np.dtype(dtype).itemsize)
        self.last = g.Cg >= CHANNELS_LAST_MIN_C
        n, (Hp, Wp) = self.step, g.padded_shape
        if self.last:
            image = (n, Hp, Wp, g.C)
            self.cols = np.empty((n, g.OH, g.OW, g.groups, g.KH, g.KW, g.Cg), dtype)
        else:
            image = (n, g.C, Hp, Wp)
            self.cols = np.empty((n, g.C, g.KH, g.KW, g.OH, g.OW), dtype)
        self.xp = np.zeros(image, dtype)  # only the interior is ever written: the border stays 0
        if backward:
            self.dxp = np.empty(image, dtype)
            self.dcols = np.empty(self.cols.shape, dtype)
            self.dy_mat = np.empty((n * g.OH * g.OW, g.F), dtype) if self.last else None

    def weights(self, w):
        """w (F, C/G, KH, KW) as one matrix per group, columns ordered like the cols buffer."""
        g = self.g
        if self.last:
            return w.transpose(0, 2, 3, 1).reshape(g.groups, g.Fg, -1)  # (G, F/G, KH*KW*C/G)
        return w.reshape(g.groups, g.Fg, -1)  # (G, F/G, C/G*KH*KW)

    def blocks(self):
        for n0 in range(0, self.g.N, self.step):
            n1 = min(n0 + self.step, self.g.N)
            yield slice(n0, n1), n1 - n0

    def unfold(self, x):
        """Copy the windows of a block x (n, C, H, W) into the cols buffer; return it as matrices."""
        g, n = self.g, x.shape[0]
        (top, _, left, _), xp = g.pads, self.xp[:n]
        rows, cols = slice(top, top + g.H), slice(left, left + g.W)
        if self.last:
            xp[:, rows, cols, :] = x.transpose(0, 2, 3, 1)  # (n, H, W, C)
            view = _window_view(xp, (g.KH, g.KW), g.stride, g.dilation, axes=(1, 2))  # (n, OH, OW, C, KH, KW)
            view = view.reshape(n, g.OH, g.OW, g.groups, g.Cg, g.KH, g.KW)  # C split into (G, C/G): still a view
            np.copyto(self.cols[:n], view.transpose(0, 1, 2, 3, 5, 6, 4))  # (n, OH, OW, G, KH, KW, C/G)
            return self.cols[:n].reshape(n * g.OH * g.OW, g.groups, -1)  # (n*OH*OW, G, KH*KW*C/G)
        xp[:, :, rows, cols] = x
        view = _window_view(xp, (g.KH, g.KW), g.stride, g.dilation)  # (n, C, OH, OW, KH, KW)
        np.copyto(self.cols[:n], view.transpose(0, 1, 4, 5, 2, 3))  # (n, C, KH, KW, OH, OW)
        return self.cols[:n].reshape(n, g.groups, -1, g.OH * g.OW)  # (n, G, C/G*KH*KW, OH*OW)

    def forward(self, cols, w_mat, out):
        """out (n, F, OH, OW) = the block's outputs."""
        g, n = self.g, out.shape[0]
        if self.last:
            y = np.matmul(cols.transpose(1, 0, 2), w_mat.transpose(0, 2, 1))  # (G, n*OH*OW, F/G)
            y = y.reshape(g.groups, n, g.OH, g.OW, g.Fg).transpose(1, 0, 4, 2, 3)  # (n, G, F/G, OH, OW)
            out.reshape(n, g.groups, g.Fg, g.OH, g.OW)[...] = y
        else:
            np.matmul(w_mat, cols, out=out.reshape(n, g.groups, g.Fg, g.OH * g.OW))  # (n, G, F/G, OH*OW)

    def dx(self, dy, w_mat, dx_out):
        """dx_out (n, C, H, W) = col2im(dy_mat @ w_mat) for a block dy (n, F, OH, OW)."""
        g, n = self.g, dy.shape[0]
        dxp = self.dxp[:n]
        dxp[...] = 0
        dcols = self.dcols[:n]
        if self.last:
            rows = n * g.OH * g.OW
            dy_g = self.dy_rows(dy)  # (G, n*OH*OW, F/G)
            np.matmul(dy_g, w_mat, out=dcols.reshape(rows, g.groups, -1).transpose(1, 0, 2))  # (G, n*OH*OW, KH*KW*C/G)
            Hp, Wp = g.padded_shape
            dxp5 = dxp.reshape(n, Hp, Wp, g.groups, g.Cg)  # (n, Hp, Wp, G, C/G): a view
            dx = _scatter_taps(dxp5, lambda kh, kw: dcols[:, :, :, :, kh, kw, :], g, (1, 2))  # (n, H, W, G, C/G)
            dx_out[...] = dx.reshape(n, g.H, g.W, g.C).transpose(0, 3, 1, 2)  # (n, C, H, W)
            return
        dy4 = dy.reshape(n, g.groups, g.Fg, g.OH * g.OW)  # (n, G, F/G, OH*OW)
        np.matmul(w_mat.transpose(0, 2, 1), dy4, out=dcols.reshape(n, g.groups, -1, g.OH * g.OW))  # (n, G, ., OH*OW)
        dx_out[...] = _scatter_taps(dxp, lambda kh, kw: dcols[:, :, kh, kw], g, (2, 3))  # (n, C, H, W)

    def dw_block(self, dy, cols):
        """The block's dw matrices (G, F/G, ...), from its gradient dy (n, F, OH, OW) and its copied windows."""
        g, n = self.g, dy.shape[0]
        if self.last:
            return self.dy_rows(dy).transpose(0, 2, 1) @ cols.transpose(1, 0, 2)  # (G, F/G, KH*KW*C/G)
        dy4 = dy.reshape(n, g.groups, g.Fg, g.OH * g.OW)  # (n, G, F/G, OH*OW)
        return (dy4 @ cols.transpose(0, 1, 3, 2)).sum(axis=0)  # (G, F/G, C/G*KH*KW)

    def dy_rows(self, dy):
        """A block dy (n, F, OH, OW) as one matrix per group, rows (n, oh, ow): (G, n*OH*OW, F/G)."""
        g, n = self.g, dy.shape[0]
        rows = n * g.OH * g.OW
        dy_mat = self.dy_mat[:rows]
        np.copyto(dy_mat.reshape(n, g.OH, g.OW, g.F), dy.transpose(0, 2, 3, 1))  # (n*OH*OW, F)
        return dy_mat.reshape(rows, g.groups, g.Fg).transpose(1, 0, 2)  # (G, n*OH*OW, F/G)

    def dw(self, dw_mat):
        g = self.g
        if self.last:
            return dw_mat.reshape(g.F, g.KH, g.KW, g.Cg).transpose(0, 3, 1, 2)  # (F, C/G, KH, KW)
        return dw_mat.reshape(g.F, g.Cg, g.KH, g.KW)


def gemm_forward(x, w, g):
    """conv2d by blocked im2col + GEMM (batched over groups); x, w already validated and of one dtype."""
    ws = _Workspace(g, np.result_type(x, w))
    w_mat = ws.weights(w)
    y = np.empty((g.N, g.F, g.OH, g.OW), dtype=np.result_type(x, w))
    for batch, _ in ws.blocks():
        ws.forward(ws.unfold(x[batch]), w_mat, out=y[batch])
    return y


def gemm_dx(dy, w, g):
    """dx by blocked GEMM + col2im (batched over groups); dy and w validated and of one dtype."""
    dtype = np.result_type(dy, w)
    ws = _Workspace(g, dtype, backward=True)
    w_mat = ws.weights(w)
    dx = np.empty((g.N, g.C, g.H, g.W), dtype=dtype)
    for batch, _ in ws.blocks():
        ws.dx(dy[batch], w_mat, dx_out=dx[batch])
    return dx


def gemm_dw(dy, x, g):
    """dw by blocked im2col + GEMM (batched over groups); dy and x validated and of one dtype."""
    dtype = np.result_type(dy, x)
    ws = _Workspace(g, dtype, backward=True)
    dw_mat = np.zeros((g.groups, g.Fg, g.Cg * g.KH * g.KW), dtype)  # (G, F/G, ...): the cols buffer's column order
    for batch, _ in ws.blocks():
        dw_mat += ws.dw_block(dy[batch], ws.unfold(x[batch]))
    return np.ascontiguousarray(ws.dw(dw_mat))


def gemm_backward(dy, x, w, g):
    """dx and dw by blocked im2col + GEMM + col2im (batched over groups); inputs validated, one dtype."""
    return gemm_dx(dy, w, g), gemm_dw(dy, x, g)
