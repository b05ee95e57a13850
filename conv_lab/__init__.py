"""conv_lab: the convolution layer from first principles, in numpy.

NCHW shapes and PyTorch semantics throughout: ``padding`` is zeros per side,
``dilation=1`` means none, and
``OH = floor((H + 2p - d*(KH-1) - 1) / s) + 1``.

Submodules reached as attributes: ``cl.grouped`` (grouped and depthwise
convolution), ``cl.fft`` (``method="fft"``), ``cl.winograd``
(``method="winograd"``, with its transform matrices ``B_T``, ``G``, ``A_T``).
"""

from . import fft, grouped, winograd  # noqa: F401  (submodules, reached as cl.fft, cl.grouped, cl.winograd)
from .blocks import (
    convolve2d,
    corr2d,
    dilate2d,
    output_size,
    pad2d,
    rot180,
    rows_read,
    sliding_windows,
    stride_leftover,
)
from .columns import col2im, im2col
from .conv import BACKWARD_METHODS, FORWARD_METHODS, conv2d, conv2d_backward, conv_transpose2d
from .gradcheck import check_close, numerical_gradient, rel_error
from .layer import Conv2d

__all__ = [
    "BACKWARD_METHODS",
    "FORWARD_METHODS",
    "Conv2d",
    "check_close",
    "col2im",
    "conv2d",
    "conv2d_backward",
    "conv_transpose2d",
    "convolve2d",
    "corr2d",
    "dilate2d",
    "im2col",
    "numerical_gradient",
    "output_size",
    "pad2d",
    "rel_error",
    "rot180",
    "rows_read",
    "sliding_windows",
    "stride_leftover",
]
__version__ = "0.1.0"
