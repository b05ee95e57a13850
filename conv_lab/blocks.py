"""Small building blocks: output size, windows, padding, zero insertion, flips.

Every function works on the last two axes (height, width) and leaves its
input untouched. Those that only move values (sliding_windows, pad2d,
dilate2d, rot180) keep the input's dtype; corr2d and convolve2d compute sums
and follow the library's dtype rule (int64 for integers, see conv2d).
"""

import numpy as np

from . import _checks as ck


def output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Length of a convolution's output along one axis.

    ``floor((size + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1``

    Parameters
    ----------
    size : int
        Input length H (or W), >= 1.
    kernel_size : int
        Kernel length K, >= 1.
    stride : int, default 1
    padding : int, (before, after), "valid" or "same", default 0
        Zeros added on *each* side, or on each side its own number;
        ``"same"`` (stride 1 only) is ``d*(K-1)`` zeros, the odd one after.
    dilation : int, default 1
        Spacing between kernel taps; 1 means no dilation.

    Returns
    -------
    int
        The output length OH (or OW).

    Examples
    --------
    >>> output_size(5, 3, stride=2)
    2
    >>> output_size(6, 3, stride=2)  # one row is left over
    2
    """
    size, kernel_size, stride, padding, dilation = _axis_args(size, kernel_size, stride, padding, dilation)
    return ck.out_len(size, kernel_size, stride, padding, dilation, axis="size")


def _axis_args(size, kernel_size, stride, padding, dilation):
    """Validate one axis; return Python ints and padding as (before, after) (kernel checked to fit)."""
    size = ck.integer(size, "size", minimum=1)
    kernel_size = ck.integer(kernel_size, "kernel_size", minimum=1)
    stride = ck.integer(stride, "stride", minimum=1)
    dilation = ck.integer(dilation, "dilation", minimum=1)
    padding = ck.axis_padding(padding, kernel_size, stride, dilation)
    ck.out_len(size, kernel_size, stride, padding, dilation, axis="size")
    return size, kernel_size, stride, padding, dilation


def stride_leftover(size, kernel_size, stride=1, padding=0, dilation=1):
    """Rows (or columns) of the *padded* input below the last window.

    ``a = (size + 2*padding - dilation*(kernel_size-1) - 1) mod stride``
    (``before + after`` in place of ``2*padding`` for uneven padding).
    The last window ends ``a`` rows before the bottom (right) edge of the
    padded input. The first ``min(a, padding)`` of those rows, counted from
    the bottom edge, are padding (the bottom padding, when it is uneven), so
    only ``max(0, a - padding)`` of them are input rows. Rows inside the image can go unread too: a repeating
    pattern of them exactly when ``kernel_size < stride`` or when stride and
    dilation share a factor, and with dilation a few more near the edges.
    Use :func:`rows_read` to see exactly which input rows a layer reads.
    ``output_padding = a`` recovers ``size`` in :func:`conv_transpose2d`.
    Same parameters as :func:`output_size`.

    Examples
    --------
    >>> stride_leftover(6, 3, stride=2)  # input row 5 is below the last window
    1
    >>> stride_leftover(6, 3, stride=2, padding=1)  # the leftover row is padding
    1
    """
    size, kernel_size, stride, (before, after), dilation = _axis_args(size, kernel_size, stride, padding, dilation)
    return (size + before + after - ck.extent(kernel_size, dilation)) % stride


def rows_read(size, kernel_size, stride=1, padding=0, dilation=1):
    """Which input rows (or columns) at least one kernel tap reads.

    Row ``i`` of the input is row ``i + padding`` of the padded input. Window
    ``o`` reads padded rows ``o*stride + t*dilation`` for taps
    ``t = 0 .. kernel_size-1``. A row that no tap of any window reads gets no
    gradient: its ``dx`` is zero. Same parameters as :func:`output_size`; for
    columns pass the width and the kernel width.

    Parameters
    ----------
    size : int
        Input length H (or W), without padding.
    kernel_size, stride, dilation : int
    padding : int, (before, after), "valid" or "same"
        As in :func:`output_size`.

    Returns
    -------
    ndarray of bool, shape (size,)
        ``True`` where the input row is read by some window.

    Examples
    --------
    >>> rows_read(8, 1, stride=2)  # a 1x1 stride-2 shortcut skips odd rows
    array([ True, False,  True, False,  True, False,  True, False])
    >>> rows_read(6, 3, stride=2, padding=1).all()  # the leftover row is padding
    np.True_
    """
    size, kernel_size, stride, padding, dilation = _axis_args(size, kernel_size, stride, padding, dilation)
    out = ck.out_len(size, kernel_size, stride, padding, dilation)
    ck.check_elements((size,), "the result", f"size={size}")
    ck.check_elements((out, kernel_size), "the table of taps (OH, K)", f"size={size}, kernel_size={kernel_size}")
    taps = np.arange(out)[:, None] * stride + np.arange(kernel_size)[None, :] * dilation - padding[0]
    read = np.zeros(size, dtype=bool)
    read[taps[(taps >= 0) & (taps < size)]] = True
    return read


def _window_view(x, kernel, stride, dilation, axes=(-2, -1)):
    """Read-only strided view of every window; window axes appended last."""
    (KH, KW), (sh, sw), (dh, dw) = kernel, stride, dilation
    axes = tuple(a % x.ndim for a in axes)  # the view has two more axes than x
    view = np.lib.stride_tricks.sliding_window_view(x, (ck.extent(KH, dh), ck.extent(KW, dw)), axis=axes)
    index = [slice(None)] * view.ndim
    index[axes[0]] = slice(None, None, sh)
    index[axes[1]] = slice(None, None, sw)
    index[-2] = slice(None, None, dh)
    index[-1] = slice(None, None, dw)
    return view[tuple(index)]


def sliding_windows(x, kernel_size, stride=1, dilation=1):
    """Every window a kernel visits, as a read-only view (no copy).

    Parameters
    ----------
    x : array_like, shape (..., H, W)
        Already padded, if padding is wanted (see :func:`pad2d`).
    kernel_size : int or (KH, KW)
    stride : int or (sh, sw), default 1
    dilation : int or (dh, dw), default 1

    Returns
    -------
    ndarray, shape (..., OH, OW, KH, KW)
        ``out[..., i, j]`` is the window whose top-left tap is at
        ``x[..., i*sh, j*sw]``; its taps are ``dh`` rows and ``dw`` columns
        apart. The view shares memory with ``x`` and is not writeable.

    Examples
    --------
    >>> sliding_windows(np.arange(16).reshape(4, 4), 3).shape
    (2, 2, 3, 3)
    """
    x = ck.numeric_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (H, W), got shape {x.shape}")
    kernel = ck.pair(kernel_size, "kernel_size", minimum=1)
    stride = ck.pair(stride, "stride", minimum=1)
    dilation = ck.pair(dilation, "dilation", minimum=1)
    for axis, size, k, s, d in zip(("height", "width"), x.shape[-2:], kernel, stride, dilation):
        ck.out_len(size, k, s, 0, d, axis)
    return _window_view(x, kernel, stride, dilation)


def _pad_crop(x, top, bottom, left, right):
    """Pad with zeros, then crop where an amount is negative; a new array. No checks."""
    widths = [(0, 0)] * (x.ndim - 2) + [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    out = np.pad(x, widths)
    Hp, Wp = out.shape[-2:]
    return out[..., max(-top, 0) : Hp - max(-bottom, 0), max(-left, 0) : Wp - max(-right, 0)].copy()


def pad2d(x, padding):
    """Zero-pad (or, for negative amounts, crop) the last two axes.

    Parameters
    ----------
    x : array_like, shape (..., H, W)
    padding : int, (ph, pw) or ((top, bottom), (left, right))
        Rows/columns of zeros added on each side. A negative amount removes
        that many rows/columns instead, which the rot180 backward route needs
        when the forward padding exceeds ``d*(K-1)``. The zeros are added
        first, then the crops are taken from the edges of the padded array,
        so ``((-2, 1), (0, 0))`` on 2 rows leaves one row, a zero. The crops of an
        axis may remove at most the rows (columns) the input has, and the
        result must keep at least one row and one column.

    Returns
    -------
    ndarray, shape (..., H + top + bottom, W + left + right)
        A new array of the dtype of ``x``; ``x`` is not modified.

    Examples
    --------
    >>> pad2d(np.ones((2, 2)), 1).shape
    (4, 4)
    >>> pad2d(np.ones((4, 4)), ((0, -1), (1, 1))).shape
    (3, 6)
    """
    x = ck.numeric_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (H, W), got shape {x.shape}")
    top, bottom, left, right = ck.pad_amounts(padding)
    H, W = x.shape[-2:]
    for axis, size, before, after in (("height", H, top, bottom), ("width", W, left, right)):
        if size + before + after < 1:
            raise ValueError(
                f"padding {padding!r} crops away the whole input {axis}: {size} {before:+d} {after:+d} "
                f"= {size + before + after} rows/columns would remain, and at least one must"
            )
        crop = max(-before, 0) + max(-after, 0)
        if crop > size:
            raise ValueError(
                f"padding {padding!r} crops {crop} rows/columns from an input {axis} of {size}: "
                f"a crop can remove at most the {size} that exist"
            )
    shape = x.shape[:-2] + (H + top + bottom, W + left + right)
    ck.check_elements(shape, "the result", f"padding={padding!r}")
    return _pad_crop(x, top, bottom, left, right)


def dilate2d(x, factor):
    """Insert ``factor - 1`` zeros between neighbouring elements of the last two axes.

    Parameters
    ----------
    x : array_like, shape (..., H, W)
    factor : int or (fh, fw)
        1 returns a copy of ``x``.

    Returns
    -------
    ndarray, shape (..., (H-1)*fh + 1, (W-1)*fw + 1)
        ``out[..., i*fh, j*fw] == x[..., i, j]``; every other entry is 0
        (False for bool). A new array of the dtype of ``x``.

    Examples
    --------
    >>> dilate2d(np.array([[1, 2], [3, 4]]), 2)
    array([[1, 0, 2],
           [0, 0, 0],
           [3, 0, 4]])
    """
    x = ck.numeric_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (H, W), got shape {x.shape}")
    fh, fw = ck.pair(factor, "factor", minimum=1)
    H, W = x.shape[-2:]
    shape = x.shape[:-2] + ((H - 1) * fh + 1, (W - 1) * fw + 1)
    ck.check_elements(shape, "the result", f"factor={(fh, fw)}")
    out = np.zeros(shape, dtype=x.dtype)
    out[..., ::fh, ::fw] = x
    return out


def rot180(w):
    """Rotate the last two axes by 180 degrees (flip rows and columns).

    Parameters
    ----------
    w : array_like, shape (..., KH, KW)

    Returns
    -------
    ndarray, shape (..., KH, KW)
        A new array of the dtype of ``w``, with ``out[..., i, j] == w[..., KH-1-i, KW-1-j]``.
    """
    w = ck.numeric_array(w, "w")
    if w.ndim < 2:
        raise ValueError(f"w must have at least 2 dimensions (KH, KW), got shape {w.shape}")
    return w[..., ::-1, ::-1].copy()


@ck.quiet_nonfinite
def corr2d(x, w, stride=1, padding=0, dilation=1):
    """Cross-correlation (互相关) of one 2-D channel with one 2-D kernel.

    ``y[i, j] = sum_{u, v} xp[i*sh + u*dh, j*sw + v*dw] * w[u, v]``, where
    ``xp`` is ``x`` zero-padded by ``padding`` on each side. This is what
    deep-learning frameworks call convolution.

    Parameters
    ----------
    x : array_like, shape (H, W)
    w : array_like, shape (KH, KW)
    stride, padding, dilation : int or pair
        As in :func:`conv2d`.

    Returns
    -------
    ndarray, shape (OH, OW)
        int64 for bool/integer inputs; otherwise the widest floating dtype
        of ``x`` and ``w`` (float16 computed as float32).

    Examples
    --------
    >>> corr2d(np.arange(9).reshape(3, 3), np.array([[0, 1], [2, 3]]))
    array([[19, 25],
           [37, 43]])
    """
    x = ck.numeric_array(x, "x", 2, "(H, W)")
    w = ck.numeric_array(w, "w", 2, "(KH, KW)")
    g = ck.geometry((1, 1) + x.shape, w.shape, 1, stride, padding, dilation)
    dtype = ck.work_dtype(x, w)
    ck.exact_int(dtype, [(g.KH * g.KW, [("x", x), ("w", w)])], "an output")
    x = x.astype(dtype, copy=False)
    windows = _window_view(_pad_crop(x, *g.pads), w.shape, g.stride, g.dilation)  # (OH, OW, KH, KW)
    return np.einsum("ijuv,uv->ij", windows, w.astype(dtype, copy=False))  # (OH, OW)


def convolve2d(x, w, stride=1, padding=0, dilation=1):
    """True 2-D convolution: cross-correlation with the kernel rotated 180 degrees.

    ``convolve2d(x, w) == corr2d(x, rot180(w))``. Same parameters and
    shapes as :func:`corr2d`.

    Examples
    --------
    >>> convolve2d(np.arange(9).reshape(3, 3), np.array([[0, 1], [2, 3]]))
    array([[ 5, 11],
           [23, 29]])
    """
    return corr2d(x, rot180(w), stride, padding, dilation)
