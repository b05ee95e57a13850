"""The forward convolution by the convolution theorem: ``conv2d(..., method="fft")``.

A product of discrete Fourier transforms is a *circular* convolution, and a
product with one transform conjugated is a circular *correlation*:

    irfft2(rfft2(a) * conj(rfft2(k)))[i, j] = sum_{u, v} a[(i+u) mod L, (j+v) mod L'] * k[u, v]

for real arrays a and k zero-padded to the same L x L' grid. The layer is a
correlation, so the kernel's transform is conjugated (the same as convolving
with the kernel flipped). Each setting of the layer is handled as follows:

- **padding:** ``x`` is zero-padded explicitly, as in every method; the
  rows and columns below/right of the last window (``a`` of
  :func:`conv_lab.stride_leftover`) are cropped, since no window reads them.
  Call the result ``xp``, of size ``HR x WR``.
- **dilation:** the kernel is dilated first, by inserting ``d-1`` zeros
  between its taps (:func:`conv_lab.dilate2d`): a ``KH x KW`` kernel becomes
  ``EH x EW`` with ``EH = d*(KH-1) + 1``.
- **no wrap-around:** both are zero-padded to an ``L x L'`` grid with
  ``L >= HR`` and ``L' >= WR`` (the smallest sizes at least that large whose
  only prime factors are 2, 3 and 5, where FFTs are fastest). For the
  outputs kept, ``i <= HR - EH``, every index ``i + u <= HR - 1 < L``: no
  term wraps around. The outputs that do wrap, ``i > HR - EH``, are
  discarded.
- **stride:** the full stride-1 correlation is computed, then subsampled:
  ``y = full[:, :, 0 : HR-EH+1 : sh, 0 : WR-EW+1 : sw]``. (This computes
  about ``sh*sw`` times more outputs than are kept.)
- **channels and groups:** transforms are linear, so the sum over input
  channels is done between the transforms, frequency by frequency:
  ``Y[n, f] = sum_c X[n, c] * conj(Wk[f, c])``, a batched matrix product over
  the frequencies and groups (an elementwise product when each group has
  one channel, as in a depthwise layer).

Dtypes: float64 input is transformed in complex128; float32 (and float16,
computed as float32) in complex64, as GPU FFT convolutions do, so float32
in gives float32 out, with rounding errors of float32's size. Integer and bool input is not transformed at all: an FFT
works in floating point and rounds, so the exact int64 result of the default
method (``"im2col"``) is returned instead.

Non-finite values: one NaN or inf in ``x`` or ``w`` spreads to every
frequency, and from there to every output, while the direct sum puts it
only in the outputs whose windows read it. So when ``x`` or ``w`` holds a
NaN or an inf, or when the FFT's result is not finite (an overflow in the
transforms), the result of the default method is returned instead, and NaN
and inf land exactly where the default method puts them.

Memory: the transforms of ``x``, ``w`` (one full-size transform per filter
and channel of its group, ``F * C/groups`` of them: large for wide layers)
and ``y`` are held at once.
"""

import numpy as np

from . import _checks as ck
from .blocks import _pad_crop
from .columns import gemm_forward


def fast_length(n):
    """The smallest integer >= n whose only prime factors are 2, 3 and 5.

    Parameters
    ----------
    n : int
        >= 1.

    Returns
    -------
    int

    Examples
    --------
    >>> [fast_length(n) for n in (7, 11, 17, 97)]
    [8, 12, 18, 100]
    """
    n = ck.integer(n, "n", minimum=1)
    best = 1 << (n - 1).bit_length()  # a power of two is always a candidate
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def forward(x, w, g):
    """conv2d by FFT; ``x``, ``w`` validated and already of the work dtype. Returns (N, F, OH, OW).

    Integer input, and input or output that is not finite, take the default
    method's path instead (see the module's docstring).
    """
    if x.dtype.kind != "f":  # exact integers: an FFT would round
        return gemm_forward(x, w, g)
    if not (np.isfinite(x).all() and np.isfinite(w).all()):
        return gemm_forward(x, w, g)
    y = _correlate(x, w, g)
    if not np.isfinite(y).all():  # an overflow inside the transforms
        return gemm_forward(x, w, g)
    return y


def _correlate(x, w, g):
    (sh, sw), (dh, dw), (ah, aw) = g.stride, g.dilation, g.leftover
    top, bottom, left, right = g.pads
    G, Cg, Fg = g.groups, g.Cg, g.Fg
    EH, EW = ck.extent(g.KH, dh), ck.extent(g.KW, dw)
    HR, WR = g.H + top + bottom - ah, g.W + left + right - aw  # padded, without the rows/columns no window reads
    L, Lw = fast_length(HR), fast_length(WR)
    K = L * (Lw // 2 + 1)  # frequencies kept by rfft2 (the rest are complex conjugates)
    ck.check_elements(
        (g.N, max(g.C, g.F), L, Lw), "the FFT's stride-1 output (N, F, L, L')", f"method='fft' with stride={g.stride}"
    )
    ck.check_elements(
        (g.F, Cg, L, Lw),
        "the kernels' transforms (F, C/groups, L, L')",
        f"method='fft' with w shape {w.shape} on a padded input of {HR}x{WR}",
    )

    xp = _pad_crop(x, top, bottom - ah, left, right - aw)  # (N, C, HR, WR)
    wd = np.zeros((g.F, Cg, EH, EW), dtype=w.dtype)
    wd[:, :, ::dh, ::dw] = w  # dilated kernel: d-1 zeros between taps
    X = np.fft.rfft2(xp, s=(L, Lw)).reshape(g.N, G, Cg, K)  # (N, G, C/G, K)
    Wc = np.conj(np.fft.rfft2(wd, s=(L, Lw))).reshape(G, Fg, Cg, K)  # (G, F/G, C/G, K): conjugate for correlation
    if Cg == 1:
        Y = X * Wc[None, :, :, 0, :]  # (N, G, F/G, K): one channel per group, nothing to sum
    else:
        Xk = np.ascontiguousarray(X.transpose(3, 1, 0, 2))  # (K, G, N, C/G)
        Wk = np.ascontiguousarray(Wc.transpose(3, 0, 2, 1))  # (K, G, C/G, F/G)
        Y = np.matmul(Xk, Wk).transpose(2, 1, 3, 0)  # (K, G, N, F/G) -> (N, G, F/G, K)
    full = np.fft.irfft2(Y.reshape(g.N, g.F, L, Lw // 2 + 1), s=(L, Lw))  # (N, F, L, L')
    y = full[:, :, : HR - EH + 1 : sh, : WR - EW + 1 : sw]  # (N, F, OH, OW): valid outputs, every s-th
    return np.ascontiguousarray(y, dtype=x.dtype)
