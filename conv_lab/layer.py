"""A convolution layer object with a forward cache and a hand-written backward."""

import numpy as np

from . import _checks as ck
from . import winograd
from .conv import BACKWARD_METHODS, FORWARD_METHODS, FORWARD_ONLY, conv2d, conv2d_backward


class Conv2d:
    """A 2-D convolution layer: parameters, forward, backward and an SGD step.

    Parameters
    ----------
    in_channels, out_channels : int
        C and F.
    kernel_size : int or (KH, KW)
    stride, padding, dilation : int or pair
        As in :func:`conv_lab.conv2d`; ``padding`` may also be
        ``((top, bottom), (left, right))``, ``"valid"`` or ``"same"`` (stride 1).
    groups : int, default 1
        As in :func:`conv_lab.conv2d`: must divide C and F; ``groups=C`` is
        depthwise. The weight has shape ``(F, C/groups, KH, KW)``.
    bias : bool, default True
    rng : None, int, numpy.random.Generator, BitGenerator, SeedSequence or RandomState
        Source of the initial weights (He normal, ``std = sqrt(2 / fan_in)``
        with ``fan_in = C/groups*KH*KW``, the inputs each output reads).
        Pass a seed (an int >= 0) or a Generator for reproducible runs.
    forward_method : str, default "im2col"
        One of :data:`conv_lab.FORWARD_METHODS`, passed on to :func:`conv2d`.
        ``"winograd"`` needs a 3x3 kernel, stride 1 and dilation 1, checked
        here.
    backward_method : str, default "im2col"
        One of :data:`conv_lab.BACKWARD_METHODS`, passed on to
        :func:`conv2d_backward`. The backward pass does not depend on how the
        forward pass was computed (only on ``x`` and the weight), so a layer
        with ``forward_method="fft"`` or ``"winograd"``, which have no
        backward, trains with any backward method. Asking for
        ``backward_method="fft"`` or ``"winograd"`` raises ``ValueError``.
    dtype : {numpy.float64, numpy.float32}, default numpy.float64
        The dtype of the parameters. The same seed gives the same initial
        weights in either dtype (float32 rounds the float64 ones).

    Attributes
    ----------
    weight : ndarray, shape (F, C/groups, KH, KW)
    bias : ndarray, shape (F,), or None
    dweight, dbias : ndarray or None
        Gradients from the latest :meth:`backward`; None before it.
    dtype : numpy.dtype
        The dtype the layer computes in: that of ``weight`` (float32 if it is
        float16). :meth:`forward` converts ``x`` to it and :meth:`backward`
        converts ``dy`` to it, so ``y``, ``dx``, ``dweight`` and ``dbias``
        all have this dtype; the bias is cast to it too. A float32 layer
        stays float32 end to end, also after a student casts ``weight``
        alone (``layer.weight = layer.weight.astype(np.float32)``).

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
        groups=1,
        bias=True,
        rng=None,
        forward_method="im2col",
        backward_method="im2col",
        dtype=np.float64,
    ):
        C = ck.integer(in_channels, "in_channels", minimum=1)
        F = ck.integer(out_channels, "out_channels", minimum=1)
        KH, KW = ck.pair(kernel_size, "kernel_size", minimum=1)
        self.stride = ck.pair(stride, "stride", minimum=1)
        self.dilation = ck.pair(dilation, "dilation", minimum=1)
        sides = ck.padding_sides(padding, (KH, KW), self.stride, self.dilation)
        # "valid" and "same" stay strings, as in PyTorch; numbers become (ph, pw) or ((top, bottom), (left, right))
        self.padding = str(padding) if isinstance(padding, (str, np.str_)) else ck.padding_arg(sides)
        self.groups = ck.groups_for(groups, C, F, f"in_channels={C}", f"out_channels={F}")
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {bias!r}")
        self.forward_method = ck.method_name(forward_method, FORWARD_METHODS)
        if self.forward_method == "winograd":
            winograd.check_layer((KH, KW), self.stride, self.dilation)
        if isinstance(backward_method, str) and backward_method in FORWARD_ONLY:
            raise ValueError(
                f"backward_method {backward_method!r} is a forward method only; the backward methods are "
                + ", ".join(repr(m) for m in BACKWARD_METHODS)
                + f" (forward_method={backward_method!r} with any of them is fine)"
            )
        self.backward_method = ck.method_name(backward_method, BACKWARD_METHODS)
        try:
            dt = np.dtype(dtype).newbyteorder("=")
        except TypeError:
            raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}") from None
        if dt not in (np.float32, np.float64):
            raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dt}")
        Cg = C // self.groups
        ck.check_elements(
            (F, Cg, KH, KW),
            "the weight (F, C/groups, KH, KW)",
            f"in_channels={C}, out_channels={F}, kernel_size={(KH, KW)}",
        )
        rng = _generator(rng)
        std = np.sqrt(2.0 / (Cg * KH * KW))  # fan-in: the C/groups*KH*KW inputs each output reads
        self.weight = rng.normal(0.0, std, size=(F, Cg, KH, KW)).astype(dt)
        self.bias = np.zeros(F, dtype=dt) if bias else None
        self.dweight = None
        self.dbias = None
        self._x = None

    def _settings(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups)

    @property
    def dtype(self):
        weight = ck.numeric_array(self.weight, "weight", 4, "(F, C/groups, KH, KW)")
        if weight.dtype.kind != "f":
            raise TypeError(f"weight must be a floating-point array, got dtype {weight.dtype}")
        return ck.work_dtype(weight)

    @ck.quiet_nonfinite
    def forward(self, x):
        """Compute ``y (N, F, OH, OW)`` from ``x (N, C, H, W)`` and keep ``x`` for backward.

        ``x`` is converted to the layer's :attr:`dtype` first, so ``y`` has that dtype.
        """
        dtype = self.dtype
        x = ck.numeric_array(x, "x", 4, "(N, C, H, W)").astype(dtype, copy=True)  # the caller may change x later
        y = conv2d(x, self.weight.astype(dtype, copy=False), self.bias, method=self.forward_method, **self._settings())
        self._x = x
        return y

    __call__ = forward

    @ck.quiet_nonfinite
    def backward(self, dy):
        """Given ``dy (N, F, OH, OW)``, store ``dweight``/``dbias`` and return ``dx (N, C, H, W)``.

        ``dy`` is converted to the layer's :attr:`dtype` first.
        """
        if self._x is None:
            raise RuntimeError("backward() called before forward(): there is no input to differentiate at")
        dtype = self.dtype
        dy = ck.numeric_array(dy, "dy", 4, "(N, F, OH, OW)").astype(dtype, copy=False)
        dx, self.dweight, db = conv2d_backward(
            dy, self._x.astype(dtype, copy=False), self.weight.astype(dtype, copy=False),
            method=self.backward_method, **self._settings(),
        )  # fmt: skip
        self.dbias = db if self.bias is not None else None
        return dx

    @ck.quiet_nonfinite
    def sgd_step(self, lr):
        """Plain gradient descent: ``weight = weight - lr * dweight`` (and the bias likewise).

        The parameters are replaced by new arrays of their own dtype; ``lr``
        (a finite real number, numpy scalars included) never widens them.
        """
        lr = ck.real(lr, "lr")
        if self.dweight is None:
            raise RuntimeError("sgd_step() called before backward(): there are no gradients yet")
        self.weight = (self.weight - lr * self.dweight).astype(self.weight.dtype, copy=False)
        if self.bias is not None and self.dbias is not None:
            self.bias = (self.bias - lr * self.dbias).astype(self.bias.dtype, copy=False)

    def __repr__(self):
        F, Cg, KH, KW = self.weight.shape
        groups = f", groups={self.groups}" if self.groups != 1 else ""  # shown only when not the default, as PyTorch
        return (
            f"Conv2d({Cg * self.groups}, {F}, kernel_size={(KH, KW)}, stride={self.stride}, "
            f"padding={self.padding!r}, dilation={self.dilation}{groups}, bias={self.bias is not None})"
        )


def _generator(rng):
    """A numpy Generator from ``rng``: None, an int seed >= 0, or a numpy random object."""
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if rng is None or isinstance(rng, (np.random.BitGenerator, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    seed = ck._as_int(rng)
    if seed is None:
        raise TypeError(
            f"rng must be None, an int seed, or a numpy Generator/BitGenerator/SeedSequence/RandomState, "
            f"got {type(rng).__name__} {rng!r}"
        )
    if seed < 0:
        raise ValueError(f"rng as a seed must be >= 0, got {seed}")
    return np.random.default_rng(seed)
