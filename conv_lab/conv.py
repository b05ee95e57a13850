"""The batched, multi-channel convolution layer: forward, backward, transpose.

Shapes (NCHW, PyTorch semantics throughout):

- ``x (N, C, H, W)``, ``w (F, C/groups, KH, KW)``, ``b (F,)``
- ``y, dy (N, F, OH, OW)`` with ``OH = floor((H + 2p - d*(KH-1) - 1) / s) + 1``

``groups=1`` (the default) is the ordinary layer, where ``w`` is ``(F, C, KH, KW)``;
see :mod:`conv_lab.grouped` for ``groups > 1``.
"""

import numpy as np

from . import _checks as ck
from . import fft, grouped, winograd
from .blocks import _pad_crop, _window_view, dilate2d, rot180
from .columns import gemm_backward, gemm_forward

FORWARD_METHODS = ("loops", "im2col", "einsum", "fft", "winograd")
BACKWARD_METHODS = ("loops", "im2col", "rot180")
FORWARD_ONLY = ("fft", "winograd")  # forward methods with no backward counterpart


def _window(g, i, j):
    """Index of the padded-input window under output pixel (i, j): (N, C, KH, KW)."""
    (sh, sw), (dh, dw) = g.stride, g.dilation
    rows = slice(i * sh, i * sh + dh * (g.KH - 1) + 1, dh)
    cols = slice(j * sw, j * sw + dw * (g.KW - 1) + 1, dw)
    return (slice(None), slice(None), rows, cols)


def _bias(b, F):
    if b is None:
        return None
    b = ck.numeric_array(b, "b", 1, "(F,)")
    if b.shape != (F,):
        raise ValueError(f"b must have shape (F,) = ({F},) to match w, got shape {b.shape}")
    return b


@ck.quiet_nonfinite
def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, method="im2col", groups=1):
    """Forward pass of a 2-D convolution layer (cross-correlation, as in every framework).

    ``y[n, f, i, j] = b[f] + sum_{c, u, v} xp[n, g*C/G + c, i*sh + u*dh, j*sw + v*dw] * w[f, c, u, v]``
    where ``xp`` is ``x`` zero-padded by ``padding``, ``G = groups``
    and ``g = f // (F/G)`` is the group of filter f (``g = 0`` when ``groups=1``).

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    w : array_like, shape (F, C/groups, KH, KW)
    b : array_like, shape (F,), optional
    stride : int or (sh, sw), default 1
    padding : int, (ph, pw), ((top, bottom), (left, right)), "valid" or "same", default 0
        Zeros added on each side. ``"valid"`` is 0; ``"same"`` (stride 1 only)
        keeps the input's size: ``d*(K-1)`` zeros per axis, the odd one (for an
        even kernel) on the bottom/right, as in PyTorch.
    dilation : int or (dh, dw), default 1
        1 means an ordinary, dense kernel.
    method : {"im2col", "loops", "einsum", "fft", "winograd"}
        ``"loops"`` slides the window in Python, ``"im2col"`` copies the
        windows a block of samples at a time (about 2.5 MiB, at least one
        sample) and does one matrix multiply per block, ``"einsum"``
        contracts the strided window view directly. ``"fft"`` uses the convolution theorem (see
        :mod:`conv_lab.fft`); ``"winograd"`` is Winograd's F(2x2, 3x3)
        minimal filtering, for 3x3 kernels at stride 1 and dilation 1 only
        (see :mod:`conv_lab.winograd`; any other layer raises ``ValueError``).
        All give the same result, up to rounding in floating point, exactly
        for integers. ``"fft"`` and ``"winograd"`` mix the values of many
        pixels in their transforms, so for input with NaN or inf (in ``x``
        or ``w``), and when their result is not finite, they return the
        ``"im2col"`` result instead: NaN and inf then land exactly where the
        default method puts them.
    groups : int, default 1
        G >= 1, dividing C and F: filter block g (F/G filters) reads only
        channel block g (C/G channels). ``groups=C`` is a depthwise
        convolution. See :mod:`conv_lab.grouped`.

    Returns
    -------
    y : ndarray, shape (N, F, OH, OW)
        A new array. Its dtype comes from ``x`` and ``w``: int64 when both
        are bool or integer (any width; the sums are exact, and a
        ``ValueError`` is raised if they could leave the int64 range);
        otherwise the widest floating dtype of the two (integers never widen
        it; float16 is computed as float32). So float32 ``x`` and ``w`` give
        float32. ``b`` is cast to that dtype and never widens it: a float64
        ``b`` with float32 ``x`` and ``w`` still gives float32. Only when
        ``x`` and ``w`` are integers and ``b`` is floating does ``y`` take
        ``b``'s floating dtype.

    Examples
    --------
    >>> x = np.arange(16).reshape(1, 1, 4, 4)
    >>> w = np.array([[[[-1, -2, 0], [1, 0, -2], [0, -1, 2]]]])
    >>> conv2d(x, w, b=np.array([5]))[0, 0]
    array([[ 6,  3],
           [-6, -9]])
    >>> conv2d(np.ones((1, 4, 5, 5)), np.ones((4, 1, 3, 3)), groups=4).shape  # depthwise
    (1, 4, 3, 3)
    """
    x, w, g = ck.conv_inputs(x, w, stride, padding, dilation, groups)
    ck.method_name(method, FORWARD_METHODS)
    if method == "winograd":
        winograd.check_layer((g.KH, g.KW), g.stride, g.dilation)
    b = _bias(b, g.F)
    dtype = ck.work_dtype(x, w)
    if b is not None and dtype.kind != "f":
        dtype = ck.work_dtype(x, w, b)  # integer x and w with a floating b
    terms = [(g.Cg * g.KH * g.KW, [("x", x), ("w", w)])] + ([(1, [("b", b)])] if b is not None else [])
    ck.exact_int(dtype, terms, "y")
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)

    G = g.groups
    if method == "loops":
        xp = _pad_crop(x, *g.pads)  # (N, C, Hp, Wp)
        w_mat = grouped.weight_matrices(w, G).transpose(0, 2, 1)  # (G, C/G*KH*KW, F/G)
        y = np.empty((g.N, g.F, g.OH, g.OW), dtype=dtype)
        for i in range(g.OH):
            for j in range(g.OW):
                window = xp[_window(g, i, j)].reshape(g.N, G, -1).transpose(1, 0, 2)  # (G, N, C/G*KH*KW)
                y[:, :, i, j] = (window @ w_mat).transpose(1, 0, 2).reshape(g.N, g.F)  # (G, N, F/G) -> (N, F)
    elif method == "einsum":
        view = _window_view(_pad_crop(x, *g.pads), (g.KH, g.KW), g.stride, g.dilation)  # (N, C, OH, OW, KH, KW)
        if G == 1:
            y = np.einsum("nchwuv,fcuv->nfhw", view, w, optimize=True)
        else:
            view = view.reshape(g.N, G, g.Cg, g.OH, g.OW, g.KH, g.KW)  # C split into (G, C/G): still a view
            wg = w.reshape(G, g.Fg, g.Cg, g.KH, g.KW)  # (G, F/G, C/G, KH, KW)
            y = np.einsum("ngchwuv,gfcuv->ngfhw", view, wg, optimize=True).reshape(g.N, g.F, g.OH, g.OW)
    elif method == "fft":
        y = fft.forward(x, w, g)
    elif method == "winograd":
        y = winograd.forward(x, w, g)
    else:  # im2col: blocked, cache-friendly layout (see conv_lab.im2col)
        y = gemm_forward(x, w, g)

    if b is not None:
        y += b.astype(dtype, copy=False)[None, :, None, None]
    return y


def _check_dy(dy, g):
    dy = ck.numeric_array(dy, "dy", 4, "(N, F, OH, OW)")
    expected = (g.N, g.F, g.OH, g.OW)
    if dy.shape != expected:
        raise ValueError(f"dy must have the forward output's shape (N, F, OH, OW) = {expected}, got {dy.shape}")
    return dy


@ck.quiet_nonfinite
def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, method="im2col", groups=1):
    """Gradients of a loss through :func:`conv2d`, given ``dy = dL/dy``.

    Parameters
    ----------
    dy : array_like, shape (N, F, OH, OW)
        Gradient of the loss with respect to the forward output.
    x : array_like, shape (N, C, H, W)
        The forward input.
    w : array_like, shape (F, C/groups, KH, KW)
    stride, padding, dilation, groups
        The forward pass's settings.
    method : {"im2col", "loops", "rot180"}
        ``"loops"`` scatters each output gradient back through its window.
        ``"im2col"`` computes ``dw = dy_mat.T @ cols`` and ``dx`` by col2im.
        ``"rot180"`` computes ``dx`` by :func:`conv_transpose2d`: a stride-1
        correlation of ``dy`` (``s-1`` zeros inserted between its entries,
        padded by ``d*(K-1) - p`` on top/left and ``d*(K-1) - p + a`` on
        bottom/right, negative meaning crop) with the 180-degree-rotated
        kernel, F and C swapped; ``dw`` as a correlation of the padded ``x``
        with ``dy`` as the kernel, its taps ``s`` apart. ``a`` is
        :func:`stride_leftover`: rows of the *padded* input below the last
        window, so ``output_padding = a`` recovers H.
        All three methods multiply the same pairs of numbers, so NaN and inf
        propagate identically (the rot180 route never multiplies its inserted
        or padded zeros). ``"fft"`` and ``"winograd"`` are forward methods
        only and raise ``ValueError`` here.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Zero in every input row or column no window reads
        (see :func:`rows_read`).
    dw : ndarray, shape (F, C/groups, KH, KW)
    db : ndarray, shape (F,)
        Always returned; ignore it for a layer without bias.
        All three are new arrays in the dtype rule of :func:`conv2d` applied to
        ``dy``, ``x`` and ``w`` together (int64 for integers, exact; the
        widest floating dtype otherwise, float16 computed as float32).
    """
    x, w, g = ck.conv_inputs(x, w, stride, padding, dilation, groups)
    dy = _check_dy(dy, g)
    if isinstance(method, str) and method in FORWARD_ONLY:
        raise ValueError(
            f"method {method!r} computes only the forward pass (conv2d); conv2d_backward's methods are "
            + ", ".join(repr(m) for m in BACKWARD_METHODS)
        )
    ck.method_name(method, BACKWARD_METHODS)
    dtype = ck.work_dtype(dy, x, w)
    windows = g.N * g.OH * g.OW
    ck.exact_int(dtype, [(g.Fg * g.KH * g.KW, [("dy", dy), ("w", w)])], "dx")
    ck.exact_int(dtype, [(windows, [("dy", dy), ("x", x)])], "dw")
    ck.exact_int(dtype, [(windows, [("dy", dy)])], "db")
    dy, x, w = (a.astype(dtype, copy=False) for a in (dy, x, w))
    db = dy.sum(axis=(0, 2, 3))  # (F,)

    (top, _, left, _), G = g.pads, g.groups
    if method == "loops":
        xp = _pad_crop(x, *g.pads)  # (N, C, Hp, Wp)
        dxp = np.zeros_like(xp)
        w_mat = grouped.weight_matrices(w, G)  # (G, F/G, C/G*KH*KW)
        dw = np.zeros(w_mat.shape, dtype=dtype)  # (G, F/G, C/G*KH*KW)
        for i in range(g.OH):
            for j in range(g.OW):
                idx = _window(g, i, j)
                g_ij = dy[:, :, i, j].reshape(g.N, G, g.Fg).transpose(1, 0, 2)  # (G, N, F/G)
                dxp[idx] += (g_ij @ w_mat).transpose(1, 0, 2).reshape(g.N, g.C, g.KH, g.KW)  # (G, N, .) -> (N, C, ..)
                window = xp[idx].reshape(g.N, G, -1).transpose(1, 0, 2)  # (G, N, C/G*KH*KW)
                dw += g_ij.transpose(0, 2, 1) @ window  # (G, F/G, C/G*KH*KW)
        dx = dxp[:, :, top : top + g.H, left : left + g.W].copy()
        dw = dw.reshape(g.F, g.Cg, g.KH, g.KW)
    elif method == "im2col":  # dw = dy_mat.T @ cols, dx = col2im(dy_mat @ w_mat), blocked
        dx, dw = gemm_backward(dy, x, w, g)
    else:  # rot180
        dx = conv_transpose2d(dy, w, g.stride, g.padding, g.leftover, g.dilation, groups=G)
        dw = _dw_by_correlation(dy, x, g)
    return dx, dw, db


def _dw_by_correlation(dy, x, g):
    """dw as a correlation of the padded input with dy, whose taps are s apart.

    ``dw[f, c, u, v] = sum_{n, i, j} xp[n, c, u*dh + i*sh, v*dw + j*sw] * dy[n, f, i, j]``:
    with n playing the role of channels, this is a convolution of ``xp`` (C
    as batch) by ``dy`` (F as filters) with stride d and dilation s. The
    ``a`` rows of the padded input below the last window are cropped first:
    no window reads them (only ``max(0, a - p)`` of them are input rows).

    With G groups, filter f of group k pairs only with channels of group k:
    the batch becomes the C/G channels of a group, and the "channels" are
    (group, sample) pairs, G*N of them, convolved with ``groups=G``.
    """
    (ah, aw), (top, bottom, left, right), G = g.leftover, g.pads, g.groups
    xp = _pad_crop(x, top, bottom - ah, left, right - aw)  # (N, C, Hp - ah, Wp - aw)
    Hc, Wc = xp.shape[2:]
    xs = xp.reshape(g.N, G, g.Cg, Hc, Wc).transpose(2, 1, 0, 3, 4)  # (C/G, G, N, Hc, Wc)
    dw_t = conv2d(
        xs.reshape(g.Cg, G * g.N, Hc, Wc),  # channels of a group become the batch; (group, sample) the channels
        dy.transpose(1, 0, 2, 3),  # (F, N, OH, OW): gradients become the filters, N channels each
        stride=g.dilation,
        dilation=g.stride,
        groups=G,
    )  # (C/G, F, KH, KW)
    return np.ascontiguousarray(dw_t.transpose(1, 0, 2, 3))  # (F, C/G, KH, KW)


def _real_taps(real, offset, size, step):
    """Slice of the outputs 0..size-1 whose tap at ``offset`` lands on an entry of y; None if none does.

    ``real`` marks, along one axis of the zero-inserted and padded y, where
    an entry of y sits; those places are ``step`` apart.
    """
    hits = np.flatnonzero(real[offset : offset + size])
    if hits.size == 0:
        return None
    return slice(int(hits[0]), int(hits[-1]) + 1, step)


def _shift(sl, offset):
    return slice(sl.start + offset, sl.stop + offset, sl.step)


@ck.quiet_nonfinite
def conv_transpose2d(y, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution: the adjoint of :func:`conv2d` with respect to x.

    Computed the rot180 way: ``y`` gets ``s-1`` zeros between its elements,
    ``d*(K-1) - p`` rows/columns of zeros on top/left and
    ``d*(K-1) - p + output_padding`` on bottom/right (a negative amount crops;
    with uneven padding, each side uses its own ``p``),
    and is then correlated at stride 1 with the kernel rotated by 180 degrees,
    its F and C axes swapped, dilated by d. The correlation multiplies only
    the places that hold an entry of ``y``: the inserted and padded zeros
    would add nothing, and skipping them keeps an infinite weight from
    producing ``0 * inf = NaN``. NaN and inf therefore propagate exactly as
    in ``conv2d_backward(method="im2col")``'s ``dx``.

    Parameters
    ----------
    y : array_like, shape (N, F, OH, OW)
    w : array_like, shape (F, C/groups, KH, KW)
        Laid out as for the forward convolution that maps C to F channels
        (the same array as PyTorch's ``conv_transpose2d`` weight, whose shape
        it calls ``(in_channels, out_channels/groups, KH, KW)``).
    stride, padding, dilation, groups : int or pair
        Those of that forward convolution; ``padding`` may also be
        ``((top, bottom), (left, right))``. ``groups`` must divide F; the
        result has ``C = groups * w.shape[1]`` channels.
    output_padding : int or pair, default 0
        Extra rows/columns on the bottom/right of the result. Several input
        sizes H give the same OH under a stride; this picks one of them.
        Must be smaller than either the stride or the dilation (PyTorch's
        rule). ``output_padding = stride_leftover(H, ...)`` (the ``a`` rows of
        the padded input below the last window) recovers H, and then
        ``conv_transpose2d(dy, w, ...)`` is ``dx`` of :func:`conv2d_backward`.

    Returns
    -------
    ndarray, shape (N, C, H, W)
        ``H = (OH-1)*sh - 2*ph + dh*(KH-1) + output_padding_h + 1`` (``top + bottom``
        in place of ``2*ph`` for uneven padding), same for W.
        A new array, in the dtype rule of :func:`conv2d` applied to ``y`` and
        ``w`` (int64 for integers, exact).
    """
    y = ck.numeric_array(y, "y", 4, "(N, F, OH, OW)")
    w = ck.numeric_array(w, "w", 4, "(F, C/groups, KH, KW)" if ck._as_int(groups) != 1 else "(F, C, KH, KW)")
    if y.shape[1] != w.shape[0]:
        raise ValueError(
            f"channel mismatch: y has F={y.shape[1]} channels (shape {y.shape}) "
            f"but w has F={w.shape[0]} filters (shape {w.shape})"
        )
    G = ck.integer(groups, "groups", minimum=1)
    G = ck.groups_for(G, G * w.shape[1], w.shape[0], "", f"y and w have F={w.shape[0]} (w shape {w.shape})")
    s = ck.pair(stride, "stride", minimum=1)
    d = ck.pair(dilation, "dilation", minimum=1)
    p = ck.padding_sides(padding, w.shape[2:], s, d)  # (top, bottom, left, right); "same"/"valid" too
    op = ck.pair(output_padding, "output_padding", minimum=0)
    for k in range(2):
        if op[k] >= s[k] and op[k] >= d[k]:
            raise ValueError(
                f"output_padding must be smaller than either stride or dilation, got "
                f"output_padding={op}, stride={s}, dilation={d}"
            )
    (N, F, OH, OW), (Cg, KH, KW) = y.shape, w.shape[1:]
    C, Fg = G * Cg, F // G
    reach = [d[k] * (w.shape[2 + k] - 1) for k in range(2)]  # d*(K-1)
    H, W = [(y.shape[2 + k] - 1) * s[k] - p[2 * k] - p[2 * k + 1] + reach[k] + op[k] + 1 for k in range(2)]
    if min(H, W) < 1:
        raise ValueError(
            f"padding {ck.padding_arg(p)} is too large: the transposed convolution of y {y.shape} with "
            f"w {w.shape} would have height/width {(H, W)}"
        )
    culprit = f"stride={s} with dilation={d}"
    ck.check_elements((N, C, H, W), "the result (N, C, H, W)", culprit)
    ck.check_elements((N, F, H + reach[0], W + reach[1]), "the zero-inserted, padded y", culprit)
    dtype = ck.work_dtype(y, w)
    ck.exact_int(dtype, [(Fg * KH * KW, [("y", y), ("w", w)])], "an output")
    y, w = y.astype(dtype, copy=False), w.astype(dtype, copy=False)

    amounts = (reach[0] - p[0], reach[0] - p[1] + op[0], reach[1] - p[2], reach[1] - p[3] + op[1])
    y_pad = _pad_crop(dilate2d(y, s), *amounts)  # (N, F, H + d(KH-1), W + d(KW-1))
    # the same zero insertion and padding applied to ones: True where y_pad holds an entry of y
    real = _pad_crop(dilate2d(np.ones((OH, OW), dtype=bool), s), *amounts)  # (H + d(KH-1), W + d(KW-1))
    w_rot = rot180(w).reshape(G, Fg, Cg, KH, KW)  # (G, F/G, C/G, KH, KW): group g maps its F/G to its C/G

    # Stride-1 correlation of y_pad with w_rot, one kernel tap (u, v) at a time:
    # out[n, c, i, j] += sum_f y_pad[n, f, i + u*dh, j + v*dw] * w_rot[f, c, u, v], f and c of one group,
    # for the (i, j) whose tap lands on an entry of y (every s-th row and column).
    out = np.zeros((N, C, H, W), dtype=dtype)
    rows = [_real_taps(real.any(axis=1), u * d[0], H, s[0]) for u in range(KH)]
    cols = [_real_taps(real.any(axis=0), v * d[1], W, s[1]) for v in range(KW)]
    for u in range(KH):
        for v in range(KW):
            if rows[u] is None or cols[v] is None:
                continue  # this tap only ever meets inserted or padded zeros
            patch = y_pad[:, :, _shift(rows[u], u * d[0]), _shift(cols[v], v * d[1])]  # (N, F, h, w)
            h, wd = patch.shape[2:]
            patch = patch.transpose(0, 2, 3, 1).reshape(N * h * wd, G, Fg).transpose(1, 0, 2)  # (G, N*h*w, F/G)
            # matmul, not np.dot/tensordot: those shortcut a 1x1 factor as a scaling and drop 0 * NaN
            prod = patch @ w_rot[:, :, :, u, v]  # (G, N*h*w, C/G)
            out[:, :, rows[u], cols[v]] += prod.transpose(1, 0, 2).reshape(N, h, wd, C).transpose(0, 3, 1, 2)
    return out  # (N, C, H, W)
