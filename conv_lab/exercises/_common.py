"""Machinery shared by every notebook's exercise checkers.

A checker calls :func:`run_checker` with the student's function, a list of
hidden cases, a reference that computes the expected answer, and a
``diagnose`` function that names the likely bug. :func:`run_checker`

- computes every expected answer first, with the library;
- then, while the student's function runs, makes the ``conv_lab`` routines
  the exercise replaces unavailable to it (a call prints "this exercise asks
  you to write it without X"), while the library's own internal calls and the
  building blocks the notebook allows keep working;
- hands the student fresh, writeable copies of each case's arrays and checks
  afterwards that they came back unchanged;
- turns whatever the student's code raises into a hint, and never raises
  itself: a bug in a hint (or a strange return value) still ends in a printed
  message, not a traceback;
- prints one green pass line, or the first failing case with the call, what
  was expected, what came back and the hint, and returns None.
"""

import functools
import numbers
import sys
import types
import warnings
from contextlib import contextmanager

import numpy as np
from termcolor import colored

from .. import columns, draw, speed, views  # noqa: F401 - loaded so that their routines can be forbidden

PASS_TEXT = "hidden cases pass"

# What the checkers forbid, by what it would do for the student (names as in run_checker's ``forbid``).
# Everything that computes a whole forward pass, or copies all the windows at once:
FORWARD_ROUTINES = (
    "conv2d",
    "im2col",
    "sliding_windows",
    "corr2d",
    "convolve2d",
    "Conv2d.forward",
    "speed.conv2d_textbook",
    "speed.forward_contenders",
    "columns.gemm_forward",
    "fft.forward",
    "winograd.forward",
)
# Everything that computes a gradient. numerical_gradient belongs here: on a linear function, such as a
# forward pass without bias, its central difference is exact, so it would compute dx or dw for the student.
GRADIENT_ROUTINES = (
    "conv2d_backward",
    "col2im",
    "conv_transpose2d",
    "Conv2d.backward",
    "columns.gemm_backward",
    "numerical_gradient",
)
# Everything that lists the rows a layer reads:
READ_ROWS_ROUTINES = ("rows_read", "draw.unread_mask", "views.view_state")


class UsedForbidden(Exception):
    """Raised inside the student's function when it calls a routine the exercise replaces."""


class _Failure(Exception):
    """One case failed; carries the message shown to the student."""


# --- comparing answers ---------------------------------------------------------


def same(got, expected, rtol=1e-9, atol=1e-9):
    """True when ``got`` has ``expected``'s structure and shape and close values. Never raises."""
    try:
        if isinstance(expected, (tuple, list)):
            return (
                isinstance(got, (tuple, list))
                and len(got) == len(expected)
                and all(same(g, e, rtol, atol) for g, e in zip(got, expected))
            )
        if isinstance(got, (tuple, list)) and any(isinstance(g, np.ndarray) for g in got):
            return False
        got_arr = np.asarray(got)
        exp_arr = np.asarray(expected)
        if got_arr.dtype.kind not in "biuf" or got_arr.shape != exp_arr.shape:
            return False
        return bool(np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol))
    except Exception:  # noqa: BLE001 - anything that cannot be compared is simply not equal
        return False


def is_whole(v):
    """True for a finite number with no fractional part (any int width, or a float like 3.0).

    False for anything else: bools, strings, arrays, NaN and inf. Never raises. The predict-then-check
    questions accept their numbers in any such form.
    """
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, numbers.Real)):
        return False
    try:
        return bool(np.isfinite(v)) and float(v).is_integer()
    except Exception:  # noqa: BLE001
        return False


def same_ints(got, expected):
    """True when ``got`` is a sequence of whole numbers equal to the ints of ``expected``. Never raises."""
    if isinstance(got, (str, bytes)):
        return False
    try:
        return len(got) == len(expected) and all(is_whole(g) and int(g) == e for g, e in zip(got, expected))
    except Exception:  # noqa: BLE001
        return False


def matches(got, candidate, rtol=1e-9, atol=1e-9):
    """:func:`same`, for testing a wrong answer against a candidate mistake."""
    return same(got, candidate, rtol, atol)


def describe_args(args):
    parts = []
    for k, v in args.items():
        if isinstance(v, np.ndarray):
            parts.append(f"{k}=<array {v.shape}>")
        else:
            parts.append(f"{k}={v!r}")
    return ", ".join(parts)


def short(v):
    """A one-line description of a value for the failure message. Never raises."""
    try:
        if isinstance(v, (tuple, list)) and any(isinstance(e, np.ndarray) for e in v):
            return "(" + ", ".join(short(e) for e in v) + ")"
        if v is None or isinstance(v, (bool, int, float, np.integer, np.floating, tuple, str)):
            return repr(v)
        a = np.asarray(v)
        if a.dtype.kind not in "biuf":
            return f"a {type(v).__name__}"
        if a.size <= 12:
            return " ".join(np.array2string(a, precision=3, separator=", ").split())
        return f"array of shape {a.shape}"
    except Exception:  # noqa: BLE001
        return f"a {type(v).__name__}"


# --- keeping the replaced routines away from the student -------------------------


def _resolve(name):
    """``"conv2d"`` or ``"Conv2d.backward"`` -> (owner object, attribute name, original)."""
    import conv_lab

    owner = conv_lab
    *path, attr = name.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, attr, owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)


def _blocker(name, original, calls):
    """A stand-in that lets the library's own modules through and stops everyone else."""

    @functools.wraps(original)
    def stand_in(*args, **kwargs):
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.startswith("conv_lab.") and not caller.startswith("conv_lab.exercises"):
            return original(*args, **kwargs)
        calls.append(name)
        raise UsedForbidden(f"this exercise asks you to write it without {name}")

    return stand_in


def _unwrap(fn):
    while True:
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif hasattr(fn, "__func__"):  # bound method
            fn = fn.__func__
        else:
            return fn


def _private_helpers():
    """Names (as run_checker's ``forbid`` spells them) of the library's private functions.

    They are forbidden in every exercise along with the named routines: a student's code has no reason to
    call them, and some of them compute an exercise's answer (the blocked im2col, the rot180 route's dw).
    The library's own calls to them go through, as for every forbidden routine.
    """
    names = []
    for key, module in list(sys.modules.items()):
        if not key.startswith("conv_lab.") or key.startswith(("conv_lab.exercises", "conv_lab._")):
            continue
        short = key[len("conv_lab.") :]
        for attr, value in list(vars(module).items()):
            if (
                attr.startswith("_")
                and not attr.startswith("__")
                and isinstance(value, types.FunctionType)
                and value.__module__ == key
            ):
                names.append(f"{short}.{attr}")
    return names


@contextmanager
def forbidden(fn, names, calls):
    """While active, calls to the named ``conv_lab`` routines from outside the library raise UsedForbidden.

    Every binding of each routine is swapped: the attribute in each loaded
    ``conv_lab`` module, and any global name in the student's module (the
    notebook's ``__main__`` included) that refers to it. ``calls`` collects
    the names called, so a student ``try/except`` cannot hide the call.
    """
    swaps = []  # (namespace dict or object, attribute, original)
    try:
        import conv_lab

        originals = {}
        for name in list(names) + [n for n in _private_helpers() if n not in names]:
            owner, attr, original = _resolve(name)
            originals[name] = original
            if isinstance(owner, type):
                stand_in = _blocker(name, original, calls)
                swaps.append((owner, attr, original))
                setattr(owner, attr, stand_in)
                continue
            stand_in = _blocker(name, original, calls)
            spaces = [
                vars(m) for key, m in list(sys.modules.items()) if key == "conv_lab" or key.startswith("conv_lab.")
            ]
            spaces.append(getattr(_unwrap(fn), "__globals__", {}))
            main = sys.modules.get("__main__")
            if main is not None:
                spaces.append(vars(main))
            seen = set()
            for space in spaces:
                if id(space) in seen:
                    continue
                seen.add(id(space))
                for key, value in list(space.items()):
                    if value is original:
                        swaps.append((space, key, original))
                        space[key] = stand_in
        del conv_lab
        yield originals
    finally:
        for where, key, original in reversed(swaps):
            if isinstance(where, dict):
                where[key] = original
            else:
                setattr(where, key, original)


# --- exceptions students' code raises, turned into hints -------------------------

_GENERIC_ERROR_HINTS = [
    (
        lambda e: isinstance(e, ValueError) and "negative" in str(e) and "pad" in str(e).lower(),
        "np.pad got a negative amount: a pad width can't be negative. When the amount you computed is "
        "negative, you must crop instead of pad",
    ),
    (
        lambda e: isinstance(e, ValueError) and "index can't contain negative values" in str(e),
        "np.pad got a negative amount: a pad width can't be negative. When the amount you computed is "
        "negative, you must crop instead of pad",
    ),
    (
        lambda e: isinstance(e, ValueError) and "matmul" in str(e),
        "the inner sizes of a matrix product don't agree: print the shapes of both operands; one of them "
        "probably needs a transpose or a different reshape",
    ),
    (
        lambda e: isinstance(e, ValueError) and "cannot reshape" in str(e),
        "a reshape asks for a different number of entries than the array has: print the shape before it",
    ),
    (
        lambda e: isinstance(e, ValueError) and "broadcast" in str(e),
        "two arrays of incompatible shapes meet in one operation: print both shapes",
    ),
    (
        lambda e: isinstance(e, IndexError),
        "an index runs past the end of an array: check your loop bounds, and whether they use the padded "
        "or the unpadded size",
    ),
    (
        lambda e: isinstance(e, TypeError) and "argument" in str(e),
        "your function's parameters don't match the call shown: keep the signature the exercise gives",
    ),
    (
        lambda e: isinstance(e, (TypeError, ValueError)) and "float" in str(e) and "integer" in str(e),
        "a float was used where an int is needed (an index, a shape or range()): use // for sizes",
    ),
]


def exception_hint(exc):
    """A general hint for a common numpy mistake, or None."""
    for test, hint in _GENERIC_ERROR_HINTS:
        try:
            if test(exc):
                return hint
        except Exception:  # noqa: BLE001
            continue
    return None


# --- running a checker -------------------------------------------------------------


def _fresh(value):
    """A writeable copy of an array argument (so in-place changes are detectable), else the value."""
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    return value


def _changed(before, after):
    try:
        return before.shape != after.shape or not np.array_equal(before, after, equal_nan=True)
    except Exception:  # noqa: BLE001
        return True


def _safe(hook, *args, fallback):
    """Call a hint function; if it raises, fall back to a plain hint instead of raising. No warnings escape."""
    if hook is None:
        return fallback
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. ComplexWarning when a hint casts a complex answer
            hint = hook(*args)
    except Exception:  # noqa: BLE001
        return fallback
    return hint if isinstance(hint, str) and hint else fallback


def exception_text(exc):
    """An exception's message; "" if its __str__ fails or returns something else. Never raises."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a student's exception class may have a broken __str__
        return ""
    return text if isinstance(text, str) else ""


def _message(exc):
    """The first line of an exception's message; never raises, even if its __str__ does."""
    text = exception_text(exc)
    return text.splitlines()[0] if text else ""


def not_answered(title, answer, form):
    """Print the "not answered yet" line and return True when a predict-then-check answer is still None or ``...``."""
    if answer is None or answer is Ellipsis:
        print(colored(f"{title}: not answered yet.", "yellow") + f" Replace the ... with {form}.")
        return True
    return False


def run_checker(
    title,
    fn,
    cases,
    reference,
    diagnose,
    *,
    forbid=(),
    diagnose_error=None,
    compare=same,
    generic_hint="compare your function with the definition, one small case at a time",
):
    """Run ``fn`` on every case; print one pass line or the first failure with a hint. Returns None.

    Parameters
    ----------
    title : str
        Name of the exercise, printed first.
    fn : callable
        The student's function, called as ``fn(**case)``.
    cases : list of dict
        Keyword arguments of each hidden case. Arrays are copied before each call.
    reference : callable
        ``reference(**case)`` gives the expected answer. It runs before any student code, with every
        routine available.
    diagnose : callable
        ``diagnose(case, got, expected) -> str`` names the likely bug of a wrong answer.
    forbid : sequence of str
        Names of ``conv_lab`` routines the exercise replaces (``"conv2d"``, ``"Conv2d.backward"``).
    diagnose_error : callable, optional
        ``diagnose_error(case, exc) -> str or None``: a specific hint for an exception the student's
        code raised; general numpy hints are used when it returns None.
    compare : callable
        ``compare(got, expected) -> bool``; default :func:`same` (rtol = atol = 1e-9).
    generic_hint : str
        Shown when no specific hint applies.
    """
    _check(title, fn, cases, reference, diagnose, forbid, diagnose_error, compare, generic_hint)


def _check(title, fn, cases, reference, diagnose, forbid, diagnose_error, compare, generic_hint):
    name = getattr(_unwrap(fn), "__name__", "your function")
    try:
        expected_all = [reference(**case) for case in cases]
    except Exception as exc:  # noqa: BLE001 - a broken case is the checker's bug, not the student's
        print(colored(f"{title}: the checker could not build its cases ({type(exc).__name__}: {exc}).", "red"))
        return
    if not callable(fn):
        print(colored(f"{title}: pass your function itself, not {short(fn)}.", "red"))
        return
    for number, (case, expected) in enumerate(zip(cases, expected_all), start=1):
        try:
            failure = _one_case(
                title, fn, name, number, len(cases), case, expected, forbid, diagnose, diagnose_error, compare,
                generic_hint,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - the last guard: a checker prints, it never raises
            failure = colored(f"{title}: case {number} of {len(cases)} could not be judged.", "red") + (
                f"\n  Your function returned or raised something unusual ({type(exc).__name__}). "
                "Return a numpy array of numbers, as the exercise asks."
            )
        if failure is not None:
            print(failure)
            return
    print(colored(f"{title}: all {len(cases)} {PASS_TEXT}.", "green"))


def _one_case(title, fn, name, number, total, case, expected, forbid, diagnose, diagnose_error, compare, generic_hint):
    """None if the case passes, else the message to print."""
    given = {k: _fresh(v) for k, v in case.items()}
    call = f"{name}({describe_args(case)})"
    head = f"{title}: case {number} of {total}"
    calls = []
    got = exc = None
    try:
        with forbidden(fn, forbid, calls) as originals:
            if _unwrap(fn) in {_unwrap(o) for o in originals.values()}:
                calls.append(next(n for n, o in originals.items() if _unwrap(o) is _unwrap(fn)))
            else:
                got = fn(**given)
    except NotImplementedError:
        return colored(f"{title}: not implemented yet.", "yellow") + f" Fill in {name} and run this cell again."
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - report whatever the student's code raised, sys.exit() too
        exc = error
    if calls:
        return colored(f"{title}: this exercise asks you to write it without {calls[0]}.", "red") + (
            f"\n  {call} called the library's {calls[0]}. Use the building blocks the notebook allows."
        )
    for key, value in case.items():
        if isinstance(value, np.ndarray) and _changed(value, given[key]):
            return (
                colored(f"{head} changed its input {key} in place.", "red")
                + f"\n  call: {call}\n  hint: a function must not modify its caller's arrays; work on a copy "
                f"(np.pad and arithmetic make new arrays; +=, slice assignment and out= write into the input)"
            )
    if exc is not None:
        specific = _safe(diagnose_error, case, exc, fallback=None)
        hint = specific or exception_hint(exc) or "read the error message, then run your function on the case shown"
        message = _message(exc)
        return colored(f"{head} raised {type(exc).__name__}: {message}", "red") + f"\n  call: {call}\n  hint: {hint}"
    if got is None:
        return (
            colored(f"{head} returned None.", "red") + f"\n  call: {call}\n  hint: did you forget the return statement?"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ok = bool(compare(got, expected))
    except Exception:  # noqa: BLE001
        ok = False
    if ok:
        return None
    hint = _safe(diagnose, case, got, expected, fallback=generic_hint)
    return (
        colored(f"{head} is wrong.", "red")
        + f"\n  call:     {call}\n  expected: {short(expected)}\n  got:      {short(got)}\n  hint:     {hint}"
    )


def check_value(title, got, expected, diagnose, compare=same):
    """Check a single answer (a predict-then-check question). Prints pass or the hint; returns None."""
    try:
        ok = compare(got, expected)
    except Exception:  # noqa: BLE001
        ok = False
    if ok:
        print(colored(f"{title}: correct.", "green"))
        return
    hint = _safe(diagnose, got, expected, fallback="not quite: work it out again on paper, step by step")
    print(colored(f"{title}: not yet.", "red") + f" You answered {short(got)}.\n  hint: {hint}")
