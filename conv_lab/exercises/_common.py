"""Machinery shared by every notebook's exercise checkers.

A checker calls :func:`run_checker` with the student's function, a list of
hidden cases, a reference that computes the expected answer, and a
``diagnose`` function that names the likely bug. For each case,
:func:`run_checker`

- hands the student fresh, writeable copies of the case's arrays and runs the
  student's function under guard (``_guard.py``): the ``conv_lab`` routines
  the exercise replaces are refused by their code, whatever name reaches them,
  while the library's own internal calls and the building blocks the notebook
  allows keep working; the case has a time limit; the answer is read into
  plain arrays and numbers, with a bound on its size;
- only then, with the guard off, computes the expected answer, so no frame
  holds it while the student's code runs;
- checks that the inputs came back unchanged, compares (at float32's
  tolerance when the answer is float32), and turns a wrong answer or an
  exception into a hint. It never raises: a bug in a hint, or a strange
  answer, still ends in a short printed message, not a traceback;
- prints one green pass line, or the first failing case with the call, what
  was expected, what came back and the hint, and returns None.
"""

import contextvars
import numbers
import reprlib
import warnings

import numpy as np
from termcolor import colored

from ._guard import _TIME_LIMIT, ROLES, Guard, Unreadable, UsedForbidden, name_of, time_limit  # noqa: F401

PASS_TEXT = "hidden cases pass"

# The roles' routines by name, for checkers that list names (``forbid=FORWARD_ROUTINES + ("conv_transpose2d",)``);
# ``forbid`` also takes the role names themselves (``forbid=("forward", "gradient")``). See _guard.ROLES.
FORWARD_ROUTINES = ROLES["forward"]
GRADIENT_ROUTINES = ROLES["gradient"]
READ_ROWS_ROUTINES = ROLES["read-rows"]
SIZE_ROUTINES = ROLES["size"]

_TOLERANCE = contextvars.ContextVar("tolerance", default=1e-9)  # rtol and atol of same() and matches()
_FLOAT32_TOLERANCE = 1e-4


# --- comparing answers ---------------------------------------------------------


def same(got, expected, rtol=None, atol=None):
    """True when ``got`` has ``expected``'s structure and shape and close values. Never raises.

    The tolerance is 1e-9 unless given, or unless the checker is judging a float32 answer.
    A list of arrays is accepted where an array is expected (it is stacked).
    """
    rtol = _TOLERANCE.get() if rtol is None else rtol
    atol = _TOLERANCE.get() if atol is None else atol
    try:
        if isinstance(expected, (tuple, list)):
            return (
                isinstance(got, (tuple, list))
                and len(got) == len(expected)
                and all(same(g, e, rtol, atol) for g, e in zip(got, expected))
            )
        if isinstance(got, Unreadable):
            return False
        got_arr = np.asarray(got)
        exp_arr = np.asarray(expected)
        if got_arr.dtype.kind not in "biuf" or got_arr.shape != exp_arr.shape:
            return False
        return bool(np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol))
    except Exception:  # noqa: BLE001 - anything that cannot be compared is simply not equal
        return False


def is_whole(v):
    """True for a finite number with no fractional part (any int width, a float like 3.0, a 0-d array).

    False for anything else: bools, strings, arrays of more than one number, NaN and inf. Never raises. The
    predict-then-check questions accept their numbers in any such form.
    """
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
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


def matches(got, candidate, rtol=None, atol=None):
    """:func:`same`, for testing a wrong answer against a candidate mistake."""
    return same(got, candidate, rtol, atol)


def describe_args(args):
    parts = []
    for k, v in args.items():
        if isinstance(v, np.ndarray):
            parts.append(f"{k}=<array {v.shape}>")
        else:
            parts.append(f"{k}={short(v)}")
    return ", ".join(parts)


_REPR = reprlib.Repr()
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = 8
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60
SHORT = 200  # the longest value, exception message or hint line printed (characters)


def cut(text, limit=SHORT):
    """``text`` on one line, at most ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 4] + " ..."


def short(v):
    """A one-line description of a value for the failure message, at most SHORT characters. Never raises."""
    try:
        if isinstance(v, Unreadable):
            return cut(v.text)
        if isinstance(v, (tuple, list)) and any(isinstance(e, np.ndarray) for e in v[:8]):
            more = ", ..." if len(v) > 8 else ""
            return cut("(" + ", ".join(short(e) for e in v[:8]) + more + ")")
        if isinstance(v, np.generic) and v.dtype.kind in "biuf":
            v = v.item()
        if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > 128:
            return f"a whole number of about {int(v.bit_length() * 0.30103)} digits"
        if v is None or isinstance(v, (bool, int, float, complex, tuple, list, str, bytes, set)):
            return cut(_REPR.repr(v))
        a = np.asarray(v)
        if a.dtype.kind not in "biuf":
            return f"a {type(v).__name__}"
        if a.size <= 12:
            return cut(np.array2string(a, precision=3, separator=", "))
        return f"array of shape {a.shape}"
    except Exception:  # noqa: BLE001
        return "a value that can't be shown"


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


# --- running a checker -------------------------------------------------------------------------


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
    return cut(hint, 2000) if isinstance(hint, str) and hint else fallback


def exception_text(exc):
    """An exception's message; "" if its __str__ fails or returns something else. Never raises."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a student's exception class may have a broken __str__
        return ""
    return text if isinstance(text, str) else ""


def _message(exc):
    """The first line of an exception's message, cut short; never raises, even if its __str__ does."""
    text = exception_text(exc)
    return cut(text.splitlines()[0]) if text.strip() else ""


def not_answered(title, answer, form):
    """Print the "not answered yet" line and return True when a predict-then-check answer is still None or ``...``."""
    if answer is None or answer is Ellipsis:
        print(colored(f"{title}: not answered yet.", "yellow") + f" Replace the ... with {form}.")
        return True
    return False


def _float_sizes(v, depth=0):
    """The item sizes of the floating-point arrays and scalars in a (read) answer."""
    if isinstance(v, (np.ndarray, np.generic)):
        return {v.dtype.itemsize} if v.dtype.kind == "f" else set()
    if isinstance(v, (tuple, list)) and depth < 4:
        return set().union(*(_float_sizes(e, depth + 1) for e in v[:16])) if v else set()
    return set()


def _refused_text(title, call, name):
    return colored(f"{title}: this exercise asks you to write it without {name}.", "red") + (
        f"\n  {call} called {name}. Use the building blocks the notebook allows."
    )


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
        ``reference(**case)`` gives the expected answer. It runs after the student's function has returned
        on that case, with every routine available.
    diagnose : callable
        ``diagnose(case, got, expected) -> str`` names the likely bug of a wrong answer. ``got`` is the answer
        as read: numpy arrays, Python numbers, tuples and lists (an :class:`Unreadable` never reaches it).
    forbid : sequence of str
        Roles (``"forward"`` = ``"conv"`` + ``"windows"`` + ``"correlation"``, ``"gradient"``, ``"read-rows"``,
        ``"size"``: see ``_guard.ROLES``) and names of
        ``conv_lab`` routines (``"conv2d"``, ``"Conv2d.backward"``, ``"speed.conv2d_textbook"``, a module such
        as ``"grouped"``) the exercise replaces. The library's private code, the checkers' own code and the
        modules net, draw, views and speed are refused in every exercise.
    diagnose_error : callable, optional
        ``diagnose_error(case, exc) -> str or None``: a specific hint for an exception the student's
        code raised; general numpy hints are used when it returns None.
    compare : callable
        ``compare(got, expected) -> bool``; default :func:`same` (rtol = atol = 1e-9, 1e-4 for float32).
    generic_hint : str
        Shown when no specific hint applies.
    """
    try:
        _check(title, fn, cases, reference, diagnose, forbid, diagnose_error, compare, generic_hint)
    except Exception as exc:  # noqa: BLE001 - the last guard: a checker prints, it never raises
        print(colored(f"{title}: the checker failed ({type(exc).__name__}); please report it.", "red"))


def _check(title, fn, cases, reference, diagnose, forbid, diagnose_error, compare, generic_hint):
    if not callable(fn):
        print(colored(f"{title}: pass your function itself, not {short(fn)}.", "red"))
        return
    try:
        Guard(forbid)  # the names resolve
    except Exception as exc:  # noqa: BLE001 - a wrong forbid name is the checker's bug, not the student's
        print(colored(f"{title}: the checker could not build its cases ({type(exc).__name__}: {exc}).", "red"))
        return
    name = name_of(fn)
    for number, case in enumerate(cases, start=1):
        try:
            failure = _one_case(
                title, fn, name, number, len(cases), case, reference, forbid, diagnose, diagnose_error, compare,
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


def _one_case(title, fn, name, number, total, case, reference, forbid, diagnose, diagnose_error, compare, generic_hint):
    """None if the case passes, else the message to print."""
    given = {k: _fresh(v) for k, v in case.items()}
    call = f"{name}({describe_args(case)})"
    head = f"{title}: case {number} of {total}"
    guard = Guard(forbid)
    kind, got = guard.run(fn, given)  # the student's code runs here, and only here
    if guard.refused:
        return _refused_text(title, call, guard.refused_name())
    if kind == "slow":
        limit = _TIME_LIMIT.get()
        return colored(f"{head} took longer than the time limit ({limit:g} s), and was stopped.", "red") + (
            f"\n  call: {call}\n  hint: this usually means a loop whose end never comes: check that every while "
            "loop's condition becomes false, and what your loop bounds come to on this case"
        )
    if kind == "lost":
        return colored(f"{head} could not be watched to its end.", "red") + (
            f"\n  call: {call}\n  hint: your function went so deep into calls that Python's recursion limit was "
            "reached (a function that calls itself without end?)"
        )
    for key, value in case.items():
        if isinstance(value, np.ndarray) and _changed(value, given[key]):
            return (
                colored(f"{head} changed its input {key} in place.", "red")
                + f"\n  call: {call}\n  hint: a function must not modify its caller's arrays; work on a copy "
                f"(np.pad and arithmetic make new arrays; +=, slice assignment and out= write into the input)"
            )
    if kind == "raised":
        if isinstance(got, NotImplementedError):
            return colored(f"{title}: not implemented yet.", "yellow") + f" Fill in {name} and run this cell again."
        specific = _safe(diagnose_error, case, got, fallback=None)
        hint = specific or exception_hint(got) or "read the error message, then run your function on the case shown"
        return (
            colored(f"{head} raised {type(got).__name__}: {_message(got)}", "red") + f"\n  call: {call}\n  hint: {hint}"
        )
    if got is None:
        return (
            colored(f"{head} returned None.", "red") + f"\n  call: {call}\n  hint: did you forget the return statement?"
        )
    if isinstance(got, Unreadable):
        return colored(f"{head} returned {cut(got.text)}.", "red") + (
            f"\n  call: {call}\n  hint: return numbers (a numpy array, a number, or a tuple/list of them) of the "
            "size the exercise asks for"
        )
    try:
        expected = reference(**case)  # only now, with the student's code finished and the guard off
    except Exception as exc:  # noqa: BLE001 - a broken case is the checker's bug, not the student's
        return colored(f"{title}: the checker could not build case {number} ({type(exc).__name__}).", "red")
    sizes = _float_sizes(got)
    low = min(sizes) if sizes else 8  # float32 answers are compared, and diagnosed, at float32's tolerance
    token = _TOLERANCE.set(_FLOAT32_TOLERANCE if low == 4 else _TOLERANCE.get())
    try:
        ok = _compare(compare, got, expected)
        loose = _FLOAT32_TOLERANCE if low == 8 else 1e-2
        if not ok and _compare(compare, got, expected, loose):  # decided here: no hint blames the formula for it
            hint = (
                f"compute in float64: your values agree with the expected ones to about {loose:.0e} only, the "
                "precision of float32 (or float16) arithmetic somewhere in your computation"
            )
        elif not ok:
            hint = _safe(diagnose, case, got, expected, fallback=generic_hint)
    finally:
        _TOLERANCE.reset(token)
    if ok:
        return None
    return (
        colored(f"{head} is wrong.", "red")
        + f"\n  call:     {call}\n  expected: {short(expected)}\n  got:      {short(got)}\n  hint:     {hint}"
    )


def _compare(compare, got, expected, tolerance=None):
    token = _TOLERANCE.set(tolerance) if tolerance is not None else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bool(compare(got, expected))
    except Exception:  # noqa: BLE001
        return False
    finally:
        if token is not None:
            _TOLERANCE.reset(token)


def _longest(v, depth=0):
    """The longest tuple, list or array axis in an expected value, for reading an iterator answer."""
    if isinstance(v, np.ndarray):
        return max(v.shape, default=1)
    if isinstance(v, (tuple, list)) and depth < 4:
        return max([len(v)] + [_longest(e, depth + 1) for e in v])
    return 1


def check_value(title, got, expected, diagnose, compare=same):
    """Check a single answer (a predict-then-check question). Prints pass or the hint; returns None."""
    try:
        guard = Guard()
        kind, got = guard.read(got, items=_longest(expected) + 1)
        if guard.refused:
            print(colored(f"{title}: your answer called {guard.refused_name()} when it was read.", "red"))
            return
        if kind != "returned":
            print(colored(f"{title}: your answer could not be read.", "red") + " Answer with plain numbers.")
            return
        ok = _compare(compare, got, expected)
        if ok:
            print(colored(f"{title}: correct.", "green"))
            return
        hint = _safe(diagnose, got, expected, fallback="not quite: work it out again on paper, step by step")
        print(colored(f"{title}: not yet.", "red") + f" You answered {short(got)}.\n  hint: {hint}")
    except Exception as exc:  # noqa: BLE001 - the last guard: a checker prints, it never raises
        print(colored(f"{title}: the checker failed ({type(exc).__name__}); please report it.", "red"))
