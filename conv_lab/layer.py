"""A convolution layer object with a forward cache and a hand-written backward."""

import numpy as np

from . import _checks as ck
from .conv import BACKWARD_METHODS, FORWARD_METHODS, conv2d, conv2d_backward


class Conv2d:
    """A 2-D convolution layer: parameters, forward, backward and an SGD step.

    Parameters
    ----------
    in_channels, out_channels : int
        C and F.
    kernel_size : int or (KH, KW)
    stride, padding, dilation : int or pair
        As in :func:`conv_lab.conv2d`.
    bias : bool, default True
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (He normal, ``std = sqrt(2 / (C*KH*KW))``).
        Pass a seed or a Generator for reproducible runs.
    forward_method, backward_method : str
        Passed on to :func:`conv2d` and :func:`conv2d_backward`.

    Attributes
    ----------
    weight : ndarray, shape (F, C, KH, KW)
    bias : ndarray, shape (F,), or None
    dweight, dbias : ndarray or None
        Gradients from the latest :meth:`backward`; None before it.

    Notes
    -----
    :meth:`backward` only computes gradients; it never changes the weights.
    Updating inside backward would make ``dx`` (or a later layer's
    gradient) use weights that have already moved. Call :meth:`sgd_step`
    afterwards.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        bias=True,
        rng=None,
        forward_method="im2col",
        backward_method="im2col",
    ):
        C = ck.integer(in_channels, "in_channels", minimum=1)
        F = ck.integer(out_channels, "out_channels", minimum=1)
        KH, KW = ck.pair(kernel_size, "kernel_size", minimum=1)
        self.stride = ck.pair(stride, "stride", minimum=1)
        self.padding = ck.pair(padding, "padding", minimum=0)
        self.dilation = ck.pair(dilation, "dilation", minimum=1)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {bias!r}")
        self.forward_method = ck.method_name(forward_method, FORWARD_METHODS)
        self.backward_method = ck.method_name(backward_method, BACKWARD_METHODS)
        if rng is None or isinstance(rng, (int, np.integer)):
            rng = np.random.default_rng(rng)
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be None, an int seed or a numpy Generator, got {type(rng).__name__}")
        std = np.sqrt(2.0 / (C * KH * KW))
        self.weight = rng.normal(0.0, std, size=(F, C, KH, KW))
        self.bias = np.zeros(F) if bias else None
        self.dweight = None
        self.dbias = None
        self._x = None

    def _settings(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)

    def forward(self, x):
        """Compute ``y (N, F, OH, OW)`` from ``x (N, C, H, W)`` and keep ``x`` for backward."""
        y = conv2d(x, self.weight, self.bias, method=self.forward_method, **self._settings())
        self._x = np.array(x, copy=True)  # the caller may change x before backward
        return y

    __call__ = forward

    def backward(self, dy):
        """Given ``dy (N, F, OH, OW)``, store ``dweight``/``dbias`` and return ``dx (N, C, H, W)``."""
        if self._x is None:
            raise RuntimeError("backward() called before forward(): there is no input to differentiate at")
        dx, self.dweight, db = conv2d_backward(
            dy, self._x, self.weight, method=self.backward_method, **self._settings()
        )
        self.dbias = db if self.bias is not None else None
        return dx

    def sgd_step(self, lr):
        """Plain gradient descent: ``weight -= lr * dweight`` (and the bias likewise)."""
        if self.dweight is None:
            raise RuntimeError("sgd_step() called before backward(): there are no gradients yet")
        if not isinstance(lr, (int, float, np.floating, np.integer)) or isinstance(lr, bool):
            raise TypeError(f"lr must be a number, got {lr!r}")
        self.weight = self.weight - lr * self.dweight
        if self.bias is not None:
            self.bias = self.bias - lr * self.dbias

    def __repr__(self):
        F, C, KH, KW = self.weight.shape
        return (
            f"Conv2d({C}, {F}, kernel_size={(KH, KW)}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, bias={self.bias is not None})"
        )
