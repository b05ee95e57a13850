"""Timing helpers: several ways to compute one convolution, timed fairly side by side.

Used by notebook 03 and by ``benchmarks/conv_speed.py``. Two rules make the
comparisons fair on a shared machine:

- **Interleaved rounds.** Every contender runs once per round, in turn, so
  a slow spell (another process, a frequency change) hits them all alike.
- **Best of the rounds.** Noise from other processes only ever adds time,
  so the fastest of k runs is the steadiest estimate of a method's own cost.

Ratios of times taken in the same run are what to read; absolute times
change from machine to machine and from run to run.
"""

import time
from contextlib import nullcontext

import numpy as np

from . import _checks as ck
from .columns import im2col
from .conv import conv2d
from .gradcheck import rel_error


def timed(fn, *args, **kwargs):
    """Seconds taken by one call ``fn(*args, **kwargs)`` (wall clock, ``time.perf_counter``)."""
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def best_of_rounds(contenders, rounds=5):
    """Time every contender once per round, in turn; return each one's fastest time.

    Parameters
    ----------
    contenders : dict of str -> callable
        Each callable takes no arguments and does the work to be timed.
    rounds : int, default 5
        How many times each contender runs.

    Returns
    -------
    dict of str -> float
        Fastest time of each contender, in seconds, in the order given.

    Examples
    --------
    >>> best = best_of_rounds({"sum": lambda: sum(range(1000))}, rounds=3)
    >>> list(best), best["sum"] > 0
    (['sum'], True)
    """
    rounds = ck.integer(rounds, "rounds", minimum=1)
    if not isinstance(contenders, dict) or not contenders:
        raise TypeError(f"contenders must be a non-empty dict of name -> callable, got {contenders!r}")
    for name, fn in contenders.items():
        if not callable(fn):
            raise TypeError(f"contenders[{name!r}] must be callable, got {fn!r}")
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            times[name].append(timed(fn))
    return {name: min(ts) for name, ts in times.items()}


def conv2d_textbook(x, w, b=None, stride=1, padding=0, dilation=1):
    """The textbook im2col forward pass: copy every window of the batch, then one matrix product.

    Same result as :func:`conv2d`, computed the way most tutorials write it:
    ``cols = im2col(x)`` for the whole batch at once, then
    ``cols @ w.reshape(F, -1).T + b``, reshaped and transposed.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    w : array_like, shape (F, C, KH, KW)
    b : array_like, shape (F,), optional
    stride, padding, dilation : int or (h, w) pair

    Returns
    -------
    y : ndarray, shape (N, F, OH, OW)
    """
    x, w, g = ck.conv_inputs(x, w, stride, padding, dilation)
    if b is not None:
        b = ck.numeric_array(b, "b", 1, "(F,)")
        if b.shape != (g.F,):
            raise ValueError(f"b must have shape (F,) = ({g.F},) to match w, got shape {b.shape}")
    dtype = ck.work_dtype(x, w) if b is None else ck.work_dtype(x, w, b)
    cols = im2col(x.astype(dtype, copy=False), (g.KH, g.KW), g.stride, g.padding, g.dilation)  # (N*OH*OW, C*KH*KW)
    y_mat = cols @ w.astype(dtype, copy=False).reshape(g.F, -1).T  # (N*OH*OW, F)
    if b is not None:
        y_mat += b.astype(dtype, copy=False)  # (F,) broadcasts along the rows
    return y_mat.reshape(g.N, g.OH, g.OW, g.F).transpose(0, 3, 1, 2)  # (N, F, OH, OW)


FORWARD_CONTENDERS = ("loops", "textbook", "im2col", "einsum")


def forward_contenders(x, w, stride=1, padding=0, dilation=1):
    """The ways to compute one forward pass, each as a no-argument callable.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    w : ndarray, shape (F, C, KH, KW)
    stride, padding, dilation : int or (h, w) pair

    Returns
    -------
    dict of str -> callable
        ``"loops"``, ``"im2col"`` (the blocked default) and ``"einsum"``:
        :func:`conv2d` with that method; ``"textbook"``:
        :func:`conv2d_textbook`; ``"matmul"``: only the textbook's matrix
        product, ``(N*OH*OW, C*KH*KW) @ (C*KH*KW, F)``, on windows copied
        beforehand; ``"copy"``: only the textbook's copy, :func:`im2col`.
        ``"matmul"`` is the arithmetic every method must do, with no copying;
        ``"textbook"`` is ``"copy"`` followed by ``"matmul"``.
    """
    x, w, g = ck.conv_inputs(x, w, stride, padding, dilation)
    geo = dict(stride=g.stride, padding=g.padding, dilation=g.dilation)
    cols = im2col(x, (g.KH, g.KW), **geo)  # (N*OH*OW, C*KH*KW)
    w_cols = np.ascontiguousarray(w.reshape(g.F, -1).T)  # (C*KH*KW, F)
    contenders = {name: _conv_call(x, w, name, geo) for name in FORWARD_CONTENDERS}
    contenders["matmul"] = lambda: cols @ w_cols  # (N*OH*OW, F)
    contenders["copy"] = lambda: im2col(x, (g.KH, g.KW), **geo)
    return contenders


def _conv_call(x, w, name, geo):
    if name == "textbook":
        return lambda: conv2d_textbook(x, w, **geo)
    return lambda: conv2d(x, w, method=name, **geo)


def blas_threads(n):
    """Context manager: at most ``n`` BLAS threads inside it (None: leave the setting alone).

    Timing on one thread measures the work a method does, not how well its
    matrix products split across cores, and other programs running on the
    machine disturb it less.
    """
    if n is None:
        return nullcontext()
    n = ck.integer(n, "n", minimum=1)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n, user_api="blas")


def time_forward(
    x_shape,
    w_shape,
    stride=1,
    padding=0,
    dilation=1,
    dtypes=("float64", "float32"),
    rounds=5,
    seed=0,
    threads=1,
):
    """Time every forward contender, in every dtype, in one run of interleaved rounds.

    Before timing, every method's result is compared with ``method="loops"``
    in float64; a disagreement raises RuntimeError.

    Parameters
    ----------
    x_shape : tuple (N, C, H, W)
    w_shape : tuple (F, C, KH, KW)
    stride, padding, dilation : int or (h, w) pair
    dtypes : sequence of dtype names, default ("float64", "float32")
    rounds : int, default 5
        Each round runs every (dtype, contender) pair once, in turn.
    seed : int, default 0
        Seed of the random x and w.
    threads : int or None, default 1
        BLAS threads while timing (see :func:`blas_threads`); None leaves the setting alone.

    Returns
    -------
    dict of str -> dict of str -> float
        ``times[dtype][contender]``: fastest time in seconds, for the
        contenders of :func:`forward_contenders`.
    """
    rng = np.random.default_rng(seed)
    x64, w64 = rng.standard_normal(tuple(x_shape)), rng.standard_normal(tuple(w_shape))
    geo = dict(stride=stride, padding=padding, dilation=dilation)
    reference = conv2d(x64, w64, method="loops", **geo)
    contenders = {}
    for dtype in dtypes:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise ValueError(f"dtypes must be floating dtypes, got {dtype}")
        x, w = x64.astype(dtype), w64.astype(dtype)
        tol = 1e-10 if dtype.itemsize >= 8 else 1e-4
        for name, fn in forward_contenders(x, w, **geo).items():
            if name in FORWARD_CONTENDERS:
                err = rel_error(fn(), reference)
                if not err <= tol:
                    raise RuntimeError(f"{name} in {dtype} disagrees with loops: relative error {err:.1e} > {tol:.0e}")
            contenders[(dtype.name, name)] = fn
    with blas_threads(threads):
        best = best_of_rounds(contenders, rounds)
    times = {}
    for (dtype, name), t in best.items():
        times.setdefault(dtype, {})[name] = t
    return times


def matmul_flops(m, k, n):
    """Floating-point operations of an (m, k) @ (k, n) product: one multiply and one add per term."""
    return 2 * m * k * n
