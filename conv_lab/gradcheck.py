"""Tools to check a gradient or a result against an independent reference."""

import math

import numpy as np
from termcolor import colored

from . import _checks as ck


def numerical_gradient(f, x, dy, eps=1e-6):
    """Central-difference gradient of ``sum(f(x) * dy)`` with respect to ``x``.

    ``grad[i] = (L(x + eps*e_i) - L(x - eps*e_i)) / (2*eps)`` with
    ``L(x) = sum(f(x) * dy)``: the vector-Jacobian product a backward pass
    computes, found one element of ``x`` at a time. Work in float64; in
    float32 the rounding error of ``L`` swamps the difference quotient.

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``x`` to an array shaped like ``dy``.
    x : array_like
        Point at which to differentiate. Not modified; ``f`` receives a
        float64 copy.
    dy : array_like
        Upstream gradient, shaped like ``f(x)``.
    eps : float, default 1e-6
        A finite number > 0 (numpy scalars accepted).

    Returns
    -------
    ndarray, float64, shaped like ``x``
        A new array. Non-finite values of ``f`` give non-finite entries.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    x = np.array(ck.numeric_array(x, "x"), dtype=np.float64)  # private copy
    dy = ck.numeric_array(dy, "dy").astype(np.float64)
    eps = ck.real(eps, "eps", minimum=0, strict=True)
    y = ck.numeric_array(f(x.copy()), "f(x)")
    if y.shape != dy.shape:
        raise ValueError(f"f(x) has shape {y.shape} but dy has shape {dy.shape}; they must match")
    grad = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = np.sum(np.asarray(f(x)) * dy)
        x[idx] = old - eps
        down = np.sum(np.asarray(f(x)) * dy)
        x[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


def _difference(a, b):
    """|a - b| in float64, with 0 wherever a and b are equal (equal infinities included)."""
    with np.errstate(invalid="ignore"):  # inf - inf: those places are equal, set to 0 below
        diff = np.asarray(np.abs(a - b))  # an array even for 0-d inputs
    diff[a == b] = 0.0
    return diff


@ck.quiet_nonfinite
def rel_error(a, b, floor=1e-12):
    """Relative error ``||a - b|| / max(||a||, ||b||, floor)`` (Frobenius norms), in float64.

    ``floor`` (a finite number > 0) keeps two all-zero (or nearly zero)
    arrays from dividing zero by zero: below it, the error is measured in
    absolute terms. Equal entries, equal infinities included, count as no
    difference, so ``rel_error(a, a)`` is 0 also when ``a`` holds inf. An
    infinity against any other value gives inf, and a NaN anywhere in ``a``
    or ``b`` gives NaN.
    """
    a = ck.numeric_array(a, "a").astype(np.float64)
    b = ck.numeric_array(b, "b").astype(np.float64)
    floor = ck.real(floor, "floor", minimum=0, strict=True)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if np.isnan(a).any() or np.isnan(b).any():
        return float("nan")
    same = np.asarray(a == b)  # equal infinities included
    if (~same & (np.isinf(a) | np.isinf(b))).any():
        return float("inf")
    if np.isinf(a).any():  # equal infinities: a finite difference over an infinite norm
        return 0.0
    # The ratio does not change when a, b and floor are divided by one power of two (exactly, so
    # the digits do not change either); dividing by one near the largest entry keeps a - b and
    # the norms from overflowing.
    largest = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    scale = math.ldexp(1.0, max(0, math.frexp(largest)[1] - 1))  # a power of two, at most the largest entry
    a, b = a / scale, b / scale
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), floor / scale))


@ck.quiet_nonfinite
def check_close(got, expected, label="result", atol=1e-10, rtol=1e-7, equal_nan=True):
    """Print whether two arrays agree, and raise if they do not.

    Notebooks use this to check a derivation against ``conv_lab``. When
    every ``|got - expected| <= atol + rtol*|expected|`` it prints one line,
    ``dx vs conv_lab: identical  OK`` when both are integer (or bool) arrays
    with equal entries, otherwise ``dx vs conv_lab: equal up to rounding
    (|diff| <= 1e-10 + 1e-07·|expected|)  OK``. The line states the
    conclusion, not the size of the rounding error, which changes with the
    CPU, the BLAS kernel and the thread count. Otherwise it raises
    ``AssertionError`` naming the largest difference and where it is; also
    when the shapes differ. Values are compared in float64.
    Equal entries always match, equal infinities included (+inf with +inf,
    -inf with -inf). With ``equal_nan=True`` (the default, as in
    ``numpy.testing.assert_allclose``) a NaN matches a NaN at the same
    index; a NaN against a number, or an infinity against anything else,
    is a mismatch whose difference is reported as inf.

    Parameters
    ----------
    got, expected : array_like
        Same shape; bool, integer or floating.
    label : str
    atol, rtol : float
        Finite numbers >= 0.
    equal_nan : bool

    It returns None on purpose, so that a notebook cell ending with it
    shows nothing but the printed line (nbval does not honour a trailing
    semicolon).
    """
    got = ck.numeric_array(got, "got")
    expected = ck.numeric_array(expected, "expected")
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {label!r}")
    atol = ck.real(atol, "atol", minimum=0)
    rtol = ck.real(rtol, "rtol", minimum=0)
    if not isinstance(equal_nan, (bool, np.bool_)):
        raise TypeError(f"equal_nan must be True or False, got {equal_nan!r}")
    if got.shape != expected.shape:
        raise AssertionError(f"{label}: shape {got.shape} differs from expected shape {expected.shape}")
    g, e = got.astype(np.float64), expected.astype(np.float64)
    diff = _difference(g, e)
    if equal_nan:
        diff[np.isnan(g) & np.isnan(e)] = 0.0
    diff[np.isnan(diff)] = np.inf  # NaN against a number, or inf against NaN
    with np.errstate(invalid="ignore", over="ignore"):
        ok_at = (diff <= atol + rtol * np.abs(e)) & np.isfinite(diff)
    ok_at |= diff == 0.0
    ok = bool(ok_at.all())
    worst = float(diff.max())
    if ok:
        exact_kinds = got.dtype.kind in "biu" and expected.dtype.kind in "biu"
        verdict = "identical" if exact_kinds else f"equal up to rounding (|diff| <= {atol:g} + {rtol:g}·|expected|)"
        print(f"{label}: {verdict}  {colored('OK', 'green')}")
    else:
        print(f"{label}: max |diff| = {worst:.1e}  {colored('MISMATCH', 'red', attrs=['bold'])}")
        bad = np.where(ok_at, -1.0, diff)  # the worst of the mismatches
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), diff.shape))
        raise AssertionError(
            f"{label}: max |diff| = {worst:.3e} at index {where}: got {got[where].item()!r}, "
            f"expected {expected[where].item()!r} (atol={atol}, rtol={rtol})"
        )
