"""Tools to check a gradient or a result against an independent reference."""

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

    Returns
    -------
    ndarray, float64, shaped like ``x``
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    x = np.array(ck.numeric_array(x, "x"), dtype=np.float64)  # private copy
    dy = ck.numeric_array(dy, "dy").astype(np.float64)
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    y = np.asarray(f(x.copy()))
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


def rel_error(a, b, floor=1e-12):
    """Relative error ``||a - b|| / max(||a||, ||b||, floor)`` (Frobenius norms).

    ``floor`` keeps two all-zero (or nearly zero) arrays from dividing zero
    by zero: below it, the error is measured in absolute terms.
    """
    a = ck.numeric_array(a, "a").astype(np.float64)
    b = ck.numeric_array(b, "b").astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), floor))


def check_close(got, expected, label="result", atol=1e-10, rtol=1e-7):
    """Print the largest difference between two arrays, and raise if it is too big.

    Notebooks use this to check a derivation against ``conv_lab``: it prints
    one line such as ``dx vs conv_lab: max |diff| = 2.2e-16  OK`` and raises
    ``AssertionError`` when ``|got - expected| > atol + rtol*|expected|``
    anywhere, or when the shapes differ.

    It returns None on purpose, so that a notebook cell ending with it
    shows nothing but the printed line (nbval does not honour a trailing
    semicolon).
    """
    got = ck.numeric_array(got, "got")
    expected = ck.numeric_array(expected, "expected")
    if got.shape != expected.shape:
        raise AssertionError(f"{label}: shape {got.shape} differs from expected shape {expected.shape}")
    diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    worst = float(diff.max())
    ok = bool(np.all(diff <= atol + rtol * np.abs(expected.astype(np.float64))))
    verdict = colored("OK", "green") if ok else colored("MISMATCH", "red", attrs=["bold"])
    print(f"{label}: max |diff| = {worst:.1e}  {verdict}")
    if not ok:
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
        raise AssertionError(
            f"{label}: max |diff| = {worst:.3e} at index {where}: got {got[where].item()!r}, "
            f"expected {expected[where].item()!r} (atol={atol}, rtol={rtol})"
        )
