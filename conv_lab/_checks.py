"""Argument checks shared by every public function.

Each check raises ``TypeError`` or ``ValueError`` with a message that names
the parameter and the offending value, in the style of numpy's own errors.
"""

import numbers
from typing import NamedTuple

import numpy as np

NUMERIC_KINDS = "iuf"  # signed int, unsigned int, floating


def numeric_array(a, name, ndim=None, layout=""):
    """Return ``a`` as an ndarray (no copy) after checking dtype and ndim."""
    try:
        arr = np.asarray(a)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name} could not be turned into an array: {exc}") from None
    if arr.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"{name} must have an integer or floating dtype, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D {layout}".rstrip() + f", got a {arr.ndim}-D array of shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} has a zero-length axis: shape {arr.shape}")
    return arr


def integer(value, name, minimum=None):
    """Check that ``value`` is a plain integer (bool excluded), >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def pair(value, name, minimum=None):
    """Turn an int or an ``(h, w)`` pair into a tuple of two ints."""
    if isinstance(value, (tuple, list, np.ndarray)):
        items = tuple(np.asarray(value).ravel()) if isinstance(value, np.ndarray) else tuple(value)
        if len(items) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got {len(items)} values: {value!r}")
    else:
        items = (value, value)
    for v in items:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    items = (int(items[0]), int(items[1]))
    if minimum is not None and min(items) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return items


def method_name(method, valid):
    """Check that ``method`` is one of the names in ``valid``."""
    if method not in valid:
        names = ", ".join(repr(m) for m in valid)
        raise ValueError(f"unknown method {method!r}; valid methods are {names}")
    return method


def work_dtype(*arrays):
    """The dtype results are computed in: numpy's promotion, integers widened to int64."""
    dtype = np.result_type(*arrays)
    if dtype.kind in "iu":
        dtype = np.dtype(np.int64)
    return dtype


def extent(kernel, dilation):
    """Span of a dilated kernel along one axis: ``d*(K-1) + 1``."""
    return dilation * (kernel - 1) + 1


def out_len(size, kernel, stride, padding, dilation, axis="height"):
    """Output length along one axis, with a clear error if the kernel does not fit."""
    span = extent(kernel, dilation)
    padded = size + 2 * padding
    if span > padded:
        raise ValueError(
            f"kernel {axis} after dilation, d*(K-1)+1 = {dilation}*({kernel}-1)+1 = {span}, "
            f"is larger than the padded input {axis}, size+2p = {size}+2*{padding} = {padded}"
        )
    return (padded - span) // stride + 1


class Geometry(NamedTuple):
    """Every size a 2-D convolution needs, validated once."""

    N: int
    C: int
    H: int
    W: int
    F: int
    KH: int
    KW: int
    stride: tuple
    padding: tuple
    dilation: tuple
    OH: int
    OW: int
    leftover: tuple  # (a_h, a_w): input rows/cols the stride never reaches

    @property
    def padded_shape(self):
        return (self.H + 2 * self.padding[0], self.W + 2 * self.padding[1])


def geometry(x_shape, kernel_size, F, stride, padding, dilation):
    """Validate hyper-parameters against an (N, C, H, W) input and return a Geometry."""
    N, C, H, W = x_shape
    KH, KW = pair(kernel_size, "kernel_size", minimum=1)
    s = pair(stride, "stride", minimum=1)
    p = pair(padding, "padding", minimum=0)
    d = pair(dilation, "dilation", minimum=1)
    OH = out_len(H, KH, s[0], p[0], d[0], "height")
    OW = out_len(W, KW, s[1], p[1], d[1], "width")
    a = (
        (H + 2 * p[0] - extent(KH, d[0])) % s[0],
        (W + 2 * p[1] - extent(KW, d[1])) % s[1],
    )
    return Geometry(N, C, H, W, F, KH, KW, s, p, d, OH, OW, a)


def conv_inputs(x, w, stride, padding, dilation):
    """Check x (N, C, H, W) and w (F, C, KH, KW) together; return arrays and Geometry."""
    x = numeric_array(x, "x", 4, "(N, C, H, W)")
    w = numeric_array(w, "w", 4, "(F, C, KH, KW)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"channel mismatch: x has C={x.shape[1]} channels (shape {x.shape}) "
            f"but w expects C={w.shape[1]} (shape {w.shape})"
        )
    g = geometry(x.shape, w.shape[2:], w.shape[0], stride, padding, dilation)
    return x, w, g
