"""Argument checks shared by every public function.

Each check raises ``TypeError`` or ``ValueError`` with a message that names
the parameter and the offending value, in the style of numpy's own errors.
Numbers given as numpy scalars (``np.int8(3)``, ``np.float32(1e-3)``) or 0-d
arrays are accepted wherever a Python number is, and are turned into Python
``int``/``float`` before any arithmetic, so nothing can overflow or wrap.
"""

import functools
import math
import numbers
from typing import NamedTuple

import numpy as np

NUMERIC_KINDS = "biuf"  # bool, signed int, unsigned int, floating
INT64_MAX = 2**63 - 1

# The largest array (in elements) any function will create: 2**31 elements is
# 16 GiB in float64. Beyond it numpy would fail with MemoryError or "array is
# too big"; we fail first, naming the argument that asked for it.
MAX_ELEMENTS = 2**31


def quiet_nonfinite(func):
    """Let NaN and inf propagate silently, as in PyTorch, instead of numpy's RuntimeWarnings.

    Whether numpy warns about ``0 * inf`` or ``inf - inf`` depends on the code
    path (BLAS or not), so without this the methods would differ in their
    warnings although they agree on the values.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with np.errstate(invalid="ignore", over="ignore"):
            return func(*args, **kwargs)

    return wrapper


def numeric_array(a, name, ndim=None, layout=""):
    """Return ``a`` as an ndarray (no copy) after checking dtype and ndim."""
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} could not be turned into an array: {exc}") from None
    if arr.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"{name} must have a real numeric dtype (bool, integer or floating), got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D {layout}".rstrip() + f", got a {arr.ndim}-D array of shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} has a zero-length axis: shape {arr.shape}")
    return arr


def _is_bool(value):
    return isinstance(value, (bool, np.bool_)) or (isinstance(value, np.ndarray) and value.dtype.kind == "b")


def _as_int(value):
    """``int(value)`` for Python/numpy integers and 0-d integer arrays; None for anything else."""
    if _is_bool(value):
        return None
    if isinstance(value, np.ndarray):
        return int(value) if value.ndim == 0 and value.dtype.kind in "iu" else None
    if isinstance(value, numbers.Integral):
        return int(value)
    return None


def integer(value, name, minimum=None):
    """Check that ``value`` is an integer (bool excluded), >= ``minimum``; return a Python int."""
    v = _as_int(value)
    if v is None:
        raise TypeError(f"{name} must be an int, got {value!r}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v!r}")
    return v


def real(value, name, minimum=None, strict=False):
    """Check that ``value`` is a finite real number (bool excluded); return a Python float.

    ``minimum`` is inclusive, or exclusive with ``strict=True``.
    """
    ok = not _is_bool(value)
    if isinstance(value, np.ndarray):
        ok = ok and value.ndim == 0 and value.dtype.kind in "iuf"
    else:
        ok = ok and isinstance(value, numbers.Real)
    if not ok:
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v!r}")
    if minimum is not None and (v <= minimum if strict else v < minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum}, got {v!r}")
    return v


def _items(value):
    """The elements of a tuple, list or array argument, or None if ``value`` is a single number."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return tuple(value.ravel()) if value.ndim == 1 else None
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return None


def pair(value, name, minimum=None):
    """Turn an int or an ``(h, w)`` pair into a tuple of two Python ints."""
    items = _items(value)
    if items is None:
        if isinstance(value, np.ndarray) and value.ndim > 1:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got an array of shape {value.shape}")
        items = (value, value)
    elif len(items) != 2:
        raise ValueError(f"{name} must be an int or an (h, w) pair, got {len(items)} values: {value!r}")
    ints = tuple(_as_int(v) for v in items)
    if None in ints:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if minimum is not None and min(ints) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {ints if ints[0] != ints[1] else ints[0]!r}")
    return ints


def method_name(method, valid):
    """Check that ``method`` is one of the names in ``valid``."""
    if not isinstance(method, str) or method not in valid:
        names = ", ".join(repr(m) for m in valid)
        raise ValueError(f"unknown method {method!r}; valid methods are {names}")
    return str(method)


def work_dtype(*arrays):
    """The dtype a sum of products is computed and returned in.

    - Any floating input: the widest floating dtype among the inputs. Integer
      and bool inputs never widen it (float32 with int64 stays float32), and
      float16 is widened to float32.
    - Only bool and integer inputs (of any width): int64, so sums are exact.
    """
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    if not floats:
        return np.dtype(np.int64)
    dtype = np.result_type(*floats).newbyteorder("=")  # native byte order, even for a big-endian input
    return np.dtype(np.float32) if dtype == np.float16 else dtype


INT64_MIN = -(2**63)


def exact_int(dtype, terms, what):
    """For an int64 computation, check that no result can leave the int64 range.

    ``terms`` is a list of ``(count, [(name, array), ...])``: a result is a
    sum of at most ``count`` products of one entry of each named array. The
    range those sums can reach is found by interval arithmetic on each
    array's min and max, in Python ints, so the check itself cannot
    overflow. Numpy's int64 arithmetic wraps around modulo 2**64, so a
    result inside the int64 range is exact even if a partial sum was not.
    """
    if dtype.kind not in "iu":
        return
    low = high = 0
    parts = []
    for count, factors in terms:
        lo = hi = 1
        for name, arr in factors:
            amin, amax = int(arr.min()), int(arr.max())
            corners = (lo * amin, lo * amax, hi * amin, hi * amax)
            lo, hi = min(corners), max(corners)
            parts.append(f"{name} in [{amin}, {amax}]")
        low += min(0, count * lo)
        high += max(0, count * hi)
    if low < INT64_MIN or high > INT64_MAX:
        raise ValueError(
            f"integer inputs too large for exact int64 arithmetic: {what} could reach "
            f"{high if high > INT64_MAX else low} ({', '.join(parts)}), outside "
            f"[-2**63, 2**63-1]; convert the inputs to float64 first"
        )


def check_elements(shape, what, culprit):
    """Raise if an array of ``shape`` (Python ints) would be absurdly large; name the argument to blame."""
    n = math.prod(shape)
    if n > MAX_ELEMENTS:
        raise ValueError(
            f"{culprit} is too large: {what} would have shape {tuple(shape)}, {n:.3g} elements, "
            f"beyond conv_lab's limit of 2**31 elements"
        )


def extent(kernel, dilation):
    """Span of a dilated kernel along one axis: ``d*(K-1) + 1``."""
    return dilation * (kernel - 1) + 1


def _sides(padding):
    """``padding`` of one axis as (before, after): an int means the same on both sides."""
    return tuple(padding) if isinstance(padding, tuple) else (padding, padding)


def out_len(size, kernel, stride, padding, dilation, axis="height"):
    """Output length along one axis, with a clear error if the kernel does not fit.

    ``padding`` is an int (the same on both sides) or a (before, after) pair of ints.
    """
    span = extent(kernel, dilation)
    before, after = _sides(padding)
    padded = size + before + after
    if span > padded:
        added = f"size+2p = {size}+2*{before}" if before == after else f"size+top+bottom = {size}+{before}+{after}"
        raise ValueError(
            f"kernel {axis} after dilation, d*(K-1)+1 = {dilation}*({kernel}-1)+1 = {span}, "
            f"is larger than the padded input {axis}, {added} = {padded}"
        )
    return (padded - span) // stride + 1


PADDING_MODES = ("valid", "same")


def padding_sides(padding, kernel, stride, dilation):
    """Zeros on each side, (top, bottom, left, right), from any accepted form of ``padding``.

    Accepted: an int (every side), an ``(ph, pw)`` pair (per axis, both sides),
    ``((top, bottom), (left, right))``, or one of PyTorch's strings: ``"valid"``
    (no padding) and ``"same"`` (stride 1 only: ``d*(K-1)`` zeros per axis, split
    so that the odd one, for an even kernel, goes to the bottom/right, as PyTorch does).
    ``kernel``, ``stride`` and ``dilation`` are pairs of Python ints, already checked.
    """
    if isinstance(padding, (str, np.str_)):
        if padding not in PADDING_MODES:
            raise TypeError(f"padding must be an int, a pair, 'valid' or 'same', got {str(padding)!r}")
        if padding == "valid":
            return (0, 0, 0, 0)
        if stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1 (as in PyTorch), got stride={stride}")
        sides = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            sides += [total // 2, total - total // 2]
        return tuple(sides)
    return pad_amounts(padding, minimum=0)


def pad_amounts(padding, minimum=None):
    """An int, ``(ph, pw)`` or ``((top, bottom), (left, right))`` as (top, bottom, left, right) Python ints."""
    nested = isinstance(padding, np.ndarray) and padding.shape == (2, 2)
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        nested = all(isinstance(p, (tuple, list)) or (isinstance(p, np.ndarray) and p.ndim == 1) for p in padding)
    if nested:
        top, bottom = pair(padding[0], "padding[0] (top, bottom)", minimum=minimum)
        left, right = pair(padding[1], "padding[1] (left, right)", minimum=minimum)
        return (top, bottom, left, right)
    ph, pw = pair(padding, "padding", minimum=minimum)
    return (ph, ph, pw, pw)


def axis_padding(padding, kernel, stride, dilation):
    """Zeros (before, after) along one axis: an int, a (before, after) pair, "valid" or "same" (stride 1).

    ``kernel``, ``stride`` and ``dilation`` are Python ints, already checked.
    """
    if isinstance(padding, (str, np.str_)):
        return padding_sides(padding, (kernel, kernel), (stride, stride), (dilation, dilation))[:2]
    if isinstance(padding, (tuple, list)) or (isinstance(padding, np.ndarray) and padding.ndim == 1):
        return pair(padding, "padding (before, after)", minimum=0)
    p = integer(padding, "padding", minimum=0)
    return (p, p)


def padding_arg(sides):
    """(top, bottom, left, right) in the form a public function takes: ``(ph, pw)`` when each axis is even."""
    top, bottom, left, right = sides
    if top == bottom and left == right:
        return (top, left)
    return ((top, bottom), (left, right))


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
    pads: tuple  # (top, bottom, left, right): zeros on each side
    dilation: tuple
    OH: int
    OW: int
    leftover: tuple  # (a_h, a_w): rows/cols of the *padded* input below/right of the last window
    groups: int = 1  # G: channels and filters split into G blocks; filter block g reads channel block g only

    @property
    def padding(self):
        """The padding as a public function takes it: ``(ph, pw)``, or ``((top, bottom), (left, right))``."""
        return padding_arg(self.pads)

    @property
    def padded_shape(self):
        top, bottom, left, right = self.pads
        return (self.H + top + bottom, self.W + left + right)

    @property
    def Cg(self):
        """Input channels per group, C / groups."""
        return self.C // self.groups

    @property
    def Fg(self):
        """Filters per group, F / groups."""
        return self.F // self.groups


def geometry(x_shape, kernel_size, F, stride, padding, dilation, shape_name="x", groups=1):
    """Validate hyper-parameters against an (N, C, H, W) input and return a Geometry.

    ``padding`` takes every form of :func:`padding_sides`. ``groups`` must already be
    checked (see :func:`conv_inputs`).
    """
    N, C, H, W = (int(v) for v in x_shape)
    KH, KW = pair(kernel_size, "kernel_size", minimum=1)
    s = pair(stride, "stride", minimum=1)
    d = pair(dilation, "dilation", minimum=1)
    top, bottom, left, right = pads = padding_sides(padding, (KH, KW), s, d)
    OH = out_len(H, KH, s[0], (top, bottom), d[0], "height")
    OW = out_len(W, KW, s[1], (left, right), d[1], "width")
    Hp, Wp = H + top + bottom, W + left + right
    culprit = f"padding={padding_arg(pads)}" if max(pads) > 0 else f"{shape_name} shape {(N, C, H, W)}"
    check_elements((N, C, Hp, Wp), "the padded input (N, C, H+top+bottom, W+left+right)", culprit)
    check_elements((N, max(C, int(F)), OH, OW), "the output (N, F, OH, OW)", culprit)
    a = ((Hp - extent(KH, d[0])) % s[0], (Wp - extent(KW, d[1])) % s[1])
    return Geometry(N, C, H, W, int(F), KH, KW, s, pads, d, OH, OW, a, int(groups))


def groups_for(groups, C, F, c_desc, f_desc):
    """Check ``groups`` (an int >= 1) against C input and F output channels; return it as a Python int.

    ``c_desc``/``f_desc`` say where C and F come from, for the messages
    (``"x has C=4 (shape (2, 4, 6, 6))"``, ``"in_channels=4"``).
    """
    G = integer(groups, "groups", minimum=1)
    if C % G:
        raise ValueError(f"groups={G} must divide C, the input channels, but {c_desc}: {C} % {G} = {C % G}")
    if F % G:
        raise ValueError(f"groups={G} must divide F, the number of filters, but {f_desc}: {F} % {G} = {F % G}")
    return G


def conv_inputs(x, w, stride, padding, dilation, groups=1):
    """Check x (N, C, H, W) and w (F, C/groups, KH, KW) together; return arrays and Geometry."""
    x = numeric_array(x, "x", 4, "(N, C, H, W)")
    w = numeric_array(w, "w", 4, "(F, C/groups, KH, KW)" if _as_int(groups) != 1 else "(F, C, KH, KW)")
    C, F = x.shape[1], w.shape[0]
    G = groups_for(groups, C, F, f"x has C={C} (shape {x.shape})", f"w has F={F} filters (shape {w.shape})")
    if w.shape[1] * G != C:
        if G == 1:
            raise ValueError(
                f"channel mismatch: x has C={C} channels (shape {x.shape}) "
                f"but w expects C={w.shape[1]} (shape {w.shape})"
            )
        raise ValueError(
            f"channel mismatch: x has C={C} channels (shape {x.shape}) in groups={G}, so w must have "
            f"C/groups = {C // G} channels per filter, but w has {w.shape[1]} (shape {w.shape})"
        )
    g = geometry(x.shape, w.shape[2:], F, stride, padding, dilation, groups=G)
    return x, w, g
