"""Grouped convolution: channels split into groups that never mix.

With ``groups = G`` (PyTorch semantics), the C input channels and the F
filters are each cut into G consecutive blocks of ``C/G`` and ``F/G``. Filter
block g reads channel block g only, so each filter has ``C/G`` channels:

- ``w`` has shape ``(F, C/G, KH, KW)``, and C and F must both be divisible by G;
- filter ``f`` belongs to group ``g = f // (F/G)`` and reads input channels
  ``g*C/G ... (g+1)*C/G - 1``;
- ``groups=1`` is the ordinary, dense layer; ``groups=C`` is a *depthwise*
  convolution (each filter reads one channel; ``F = C`` gives one filter per
  channel, ``F = m*C`` gives m per channel).

A grouped layer is a dense layer whose weight is zero outside G diagonal
blocks (:func:`block_diagonal`): it has G times fewer parameters and
multiply-adds. Every method of :func:`conv_lab.conv2d`,
:func:`conv_lab.conv2d_backward` and :func:`conv_lab.conv_transpose2d` takes
``groups``; none of them loops over the groups in Python. Each reshapes
channels ``C`` into ``(G, C/G)`` and filters ``F`` into ``(G, F/G)``, and
does one batched matrix product with the group as a batch axis (see
:func:`weight_matrices`).
"""

import numpy as np

from . import _checks as ck


def weight_matrices(w, groups):
    """One weight matrix per group: ``w (F, C/G, KH, KW)`` as ``(G, F/G, C/G*KH*KW)``.

    ``weight_matrices(w, G)[g]`` is the ``(F/G, C/G*KH*KW)`` matrix of group g,
    its columns ordered (c, kh, kw) like the columns of ``cols`` restricted
    to that group's channels. A view of ``w`` when it can be (no copy).
    No checks: for validated arrays.
    """
    F = w.shape[0]
    return w.reshape(groups, F // groups, -1)  # (G, F/G, C/G*KH*KW)


def block_diagonal(w, groups):
    """The dense weight of a grouped convolution: zero outside the diagonal blocks.

    ``conv2d(x, w, groups=G)`` equals ``conv2d(x, block_diagonal(w, G))``
    when everything is finite (the dense layer also multiplies the zeros
    outside the blocks, so a NaN or inf in ``x`` reaches every filter).

    Parameters
    ----------
    w : array_like, shape (F, C/groups, KH, KW)
    groups : int
        G >= 1, dividing F.

    Returns
    -------
    ndarray, shape (F, C, KH, KW)
        ``C = groups * w.shape[1]``. A new array of the dtype of ``w``:
        ``out[f, g*C/G + c] = w[f, c]`` for filter f of group ``g = f // (F/G)``,
        zero elsewhere.

    Examples
    --------
    >>> w = np.arange(1, 5).reshape(4, 1, 1, 1)  # depthwise: 4 channels, 1x1 kernels
    >>> block_diagonal(w, 4)[:, :, 0, 0]
    array([[1, 0, 0, 0],
           [0, 2, 0, 0],
           [0, 0, 3, 0],
           [0, 0, 0, 4]])
    """
    w = ck.numeric_array(w, "w", 4, "(F, C/groups, KH, KW)")
    F, Cg, KH, KW = w.shape
    G = ck.integer(groups, "groups", minimum=1)
    G = ck.groups_for(G, G * Cg, F, "", f"w has F={F} filters (shape {w.shape})")
    ck.check_elements((F, G * Cg, KH, KW), "the dense weight (F, C, KH, KW)", f"groups={G}")
    Fg = F // G
    out = np.zeros((G, Fg, G, Cg, KH, KW), dtype=w.dtype)
    blocks = w.reshape(G, Fg, Cg, KH, KW)
    out[np.arange(G), :, np.arange(G)] = blocks  # block (g, g) for every g
    return out.reshape(F, G * Cg, KH, KW)
