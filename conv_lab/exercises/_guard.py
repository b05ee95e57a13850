"""Running a student's code under guard: routines refused by their code, a time limit, answers read with bounds.

While the student's function runs, a ``sys.setprofile`` hook watches every
Python call. A call into ``conv_lab`` made from outside the library (the
student's code, or the checker handing over the student's function) is an
*entry*; an entry into a refused routine is recorded (nothing is raised: a
``try/except`` cannot hide it, and the guard stays on to the end). Calls the
library makes inside an allowed entry go through. Routines are recognised by their code's
file and qualified name, never by the name they are bound to, so aliases,
captured references, ``__wrapped__``, ``functools.partial``, functions rebuilt
from a code object, ``importlib.reload`` and ``layer(x)`` are all seen.

Refused in every exercise: the checkers' own code, the library's private
modules, functions and classes (``_checks``, ``blocks._window_view``,
``columns._Workspace``), and the modules that are not building blocks
(``net``, ``draw``, ``views``, ``speed``). Each exercise adds the roles (see
:data:`ROLES`) or routine names it replaces.

Each case has a time limit (:func:`time_limit`): a watchdog thread interrupts
the main thread (a SIGINT to it where ``pthread_kill`` exists, which also ends
a ``time.sleep``; else ``_thread.interrupt_main``, as on Windows: no
``SIGALRM`` needed), and the hook also checks the clock on every call. The answer is read into plain numpy arrays and
Python values inside the same guard, with a bound on its size, before the
checker computes what it expected.
"""

import _thread
import contextvars
import functools
import gc
import itertools
import numbers
import os
import pkgutil
import signal
import sys
import threading
import time
import types
from contextlib import contextmanager

import numpy as np

import conv_lab

_LIB = os.path.dirname(os.path.abspath(conv_lab.__file__))
_SUBMODULES = {info.name for info in pkgutil.iter_modules([_LIB])}

# What an exercise can refuse, by role: each name is a routine (as conv_lab spells it), a method, a class or a
# whole module of conv_lab. A role refuses everything that would do that part of the work for the student.
ROLES = {
    # computes a whole forward pass
    "conv": (
        "conv2d",
        "Conv2d.forward",  # also Conv2d.__call__, the same code: layer(x)
        "speed.conv2d_textbook",
        "speed.forward_contenders",
        "columns.gemm_forward",
        "fft.forward",
        "winograd.forward",
        "grouped",
    ),
    "windows": ("im2col", "sliding_windows"),  # copies all the windows at once
    "correlation": ("corr2d", "convolve2d"),  # one channel's correlation or convolution
    # computes a gradient. numerical_gradient belongs here: on a linear function, such as a forward pass without
    # bias, its central difference is exact, so it would compute dx or dw for the student
    "gradient": (
        "conv2d_backward",
        "col2im",
        "conv_transpose2d",
        "Conv2d.backward",
        "columns.gemm_backward",
        "numerical_gradient",
    ),
    # lists the rows a layer reads
    "read-rows": ("rows_read", "draw.unread_mask", "views.view_state"),
    # answers "how big is the output"
    "size": ("output_size", "stride_leftover", "draw.geometry", "views.view_state"),
}
ROLES["forward"] = ROLES["conv"] + ROLES["windows"] + ROLES["correlation"]  # everything that computes a forward pass
# Refused in every exercise: the checkers themselves, and the modules that are not building blocks.
ALWAYS = ("exercises", "net", "draw", "views", "speed")
_WRAPPER = ("_checks", "quiet_nonfinite.<locals>.wrapper")  # the library's decorator: the call it wraps decides
_CALLBACKS = {("gradcheck", "numerical_gradient")}  # routines that call a callable the student passes
# Reading another frame's variables (where a checker keeps what it expects) is refused as well.
_PEEKING = {id(f): f"frame inspection ({f.__module__}.{f.__name__})" for f in (sys._getframe, sys._current_frames)}
_PEEKING.update({id(f): f"gc.{f.__name__}" for f in (gc.get_objects, gc.get_referrers)})
_PEEKING[id(sys.setprofile)] = "sys.setprofile (switching the checker's guard off)"

MAX_NUMBERS = 10**4  # an answer with more numbers than this is not read (the largest expected answer has 648)
_TIME_LIMIT = contextvars.ContextVar("time_limit", default=10.0)
# Modules whose code is treated as the student's own (entering it is not refused): for the checkers' tests, which
# hand a checker module's helper that reproduces a mistake to the checker as if a student had written it.
TRUSTED = contextvars.ContextVar("trusted", default=frozenset())


@contextmanager
def time_limit(seconds):
    """Within the block, each case of a checker may run ``seconds`` (default 10 s)."""
    token = _TIME_LIMIT.set(seconds)
    try:
        yield
    finally:
        _TIME_LIMIT.reset(token)


class UsedForbidden(Exception):
    """Kept for old imports: a refused call is now recorded, not raised (the student's code runs on, unjudged)."""


class _TimeUp(BaseException):
    """Raised by the hook when a case runs past its time limit."""


# --- what is refused -------------------------------------------------------------------------------------


_MODULES = {}


def _module(filename):
    """``.../conv_lab/blocks.py`` -> ``"blocks"``; None for a file outside conv_lab."""
    try:
        return _MODULES[filename]
    except KeyError:
        pass
    path = os.path.abspath(filename)
    mod = None
    if path.startswith(_LIB + os.sep) and path.endswith(".py"):
        mod = path[len(_LIB) + 1 : -3].replace(os.sep, ".").removesuffix("__init__").rstrip(".")
    _MODULES[filename] = mod
    return mod


_QUALNAMES = {}


def _qualname(code):
    """A code object's qualified name: ``co_qualname`` (Python 3.11+), else found from the loaded modules."""
    try:
        return code.co_qualname
    except AttributeError:  # Python 3.10
        return _indexed_qualname(code)


def _indexed_qualname(code):
    if code not in _QUALNAMES:
        try:
            _index_qualnames()
        except Exception:  # noqa: BLE001 - the hook must not raise; the bare name is the fallback
            pass
    return _QUALNAMES.setdefault(code, code.co_name)


def _index_qualnames():
    """Python 3.10: every code object of the loaded conv_lab modules, nested ones too, with its qualified name."""

    def add(code, qual):
        _QUALNAMES.setdefault(code, qual)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                add(const, f"{qual}.<locals>.{const.co_name}")

    for key, module in list(sys.modules.items()):
        if key == "conv_lab" or key.startswith("conv_lab."):
            for obj in list(vars(module).values()):
                members = list(vars(obj).values()) if isinstance(obj, type) else [obj]
                for member in members:
                    member = getattr(member, "fget", None) or getattr(member, "__func__", None) or member
                    for _ in range(4):  # the function, then what its decorators wrap
                        if isinstance(member, types.FunctionType):
                            add(member.__code__, member.__qualname__)
                        member = getattr(member, "__wrapped__", None)


def _key(name):
    """A routine's name as the checkers spell it -> (module, qualified name or None for the whole module)."""
    head, _, rest = name.partition(".")
    if head in _SUBMODULES:
        return head, rest or None
    obj = getattr(conv_lab, head)  # AttributeError for a name conv_lab does not have
    if rest and not hasattr(obj, rest):
        raise AttributeError(f"conv_lab.{head} has no {rest}")
    return obj.__module__.removeprefix("conv_lab."), obj.__qualname__ + ("." + rest if rest else "")


def refused_keys(forbid):
    """The set of (module, qualname) keys an exercise's ``forbid`` (roles and routine names) refuses."""
    if isinstance(forbid, str):
        forbid = (forbid,)
    keys = set()
    for entry in forbid:
        for name in ROLES.get(entry, (entry,)):
            keys.add(_key(name))
    return frozenset(keys)


def _display(mod, qual):
    """The name shown to the student: ``"corr2d"`` for what conv_lab exports, else ``"blocks._window_view"``."""
    top = vars(conv_lab).get(qual.split(".")[0])
    if top is not None and getattr(top, "__module__", None) == f"conv_lab.{mod}":
        return qual
    return f"{mod}.{qual}"


def refusal(mod, qual, keys):
    """(name to show, whether ``keys`` list it) if an entry into ``mod.qual`` is refused, else None."""
    if (mod, qual) == _WRAPPER or mod == "exercises._guard" or qual == "<module>":  # the decorator defers; the
        return None  # guard reads answers; importing a module is no delegation
    parts = mod.split(".") + qual.split(".")
    private = any(p.startswith("_") and not p.endswith("__") for p in parts)
    listed = any(mod == m and (q is None or qual == q or qual.startswith(q + ".")) for m, q in keys)
    if private or listed or parts[0] in ALWAYS:
        return _display(mod, qual), listed
    return None


def _library_caller(frame, callee):
    """True when ``frame`` is the library's own (not a checker's) calling into module ``callee``.

    The decorator's wrapper is its caller's. A routine that calls the student's callback (numerical_gradient)
    is the student's when it calls into another module: the callback may be a refused routine.
    """
    for _ in range(8):
        code = frame.f_code
        mod = _module(code.co_filename)
        if (mod, _qualname(code)) in _CALLBACKS:
            return callee == "_checks"
        if (mod, _qualname(code)) != _WRAPPER:
            return mod is not None and not mod.startswith("exercises")
        frame = frame.f_back
        if frame is None:
            return False
    return False


# --- the guard ----------------------------------------------------------------------------------------------


class Guard:
    """Runs student code with the refusals of ``forbid`` and the time limit. ``refused`` collects the names."""

    def __init__(self, forbid=()):
        self.keys = refused_keys(forbid)
        self.refused = {}  # name -> whether the exercise lists it (rather than refusing it everywhere)
        self._verdicts = {}
        self._deadline = float("inf")
        self._timed_out = False

        def hook(frame, event, arg):  # records refused entries; raises only when the time is up
            if event == "call":
                code = frame.f_code
                mod = _module(code.co_filename)
                if mod is not None and (frame.f_back is None or not _library_caller(frame.f_back, mod)):
                    verdict = self._verdicts.get(code, "?")
                    if verdict == "?":
                        verdict = self._verdicts[code] = refusal(mod, _qualname(code), self.keys)
                    if verdict and mod not in TRUSTED.get():
                        self.refused.setdefault(*verdict)
            elif event == "c_call" and id(arg) in _PEEKING:
                if not (_module(frame.f_code.co_filename) or "").startswith("exercises"):  # not the guard's own
                    self.refused.setdefault(_PEEKING[id(arg)], False)
            else:
                return
            if time.monotonic() > self._deadline:
                self._timed_out = True
                raise _TimeUp

        self._hook = hook

    def refused_name(self):
        """The refused routine to name: the first the exercise lists, else the first refused; None if none."""
        return next((n for n, listed in self.refused.items() if listed), next(iter(self.refused), None))

    def read(self, value, items=None):
        """Read a predicted value under guard (its own methods may run): the outcome as :meth:`run` gives it."""
        return self.run(_identity, {"value": value}, items=items)

    def run(self, fn, kwargs, read=True, items=None):
        """Call ``fn(**kwargs)`` under guard and read its answer (:func:`read_answer`) under the same guard.

        Returns ("returned", answer), ("raised", exception), ("slow", None), or ("lost", None) when the hook was
        switched off during the call (a RecursionError inside it, say). Never raises, except KeyboardInterrupt
        from a real Ctrl-C / kernel interrupt.
        """
        limit = _TIME_LIMIT.get()
        state = {"fired": False, "done": False}
        lock, stop = threading.Lock(), threading.Event()

        def watch():  # interrupts the main thread at the limit, then every second until the call ends
            wait = limit
            while not stop.wait(wait):
                with lock:
                    if state["done"]:
                        return
                    state["fired"] = True
                    _interrupt_main()
                wait = 1.0

        watchdog = None
        if threading.current_thread() is threading.main_thread():
            watchdog = threading.Thread(target=watch, daemon=True)
        old, old_threads = sys.getprofile(), threading.getprofile()
        outcome = ("lost", None)
        self._deadline = time.monotonic() + limit
        try:
            try:
                if watchdog is not None:
                    watchdog.start()
                threading.setprofile(self._hook)  # threads the student's code starts are watched too
                sys.setprofile(self._hook)
                value = fn(**kwargs)
                lost = sys.getprofile() is not self._hook
                if read and _plain(value):  # only exact builtins and arrays: no code of the student's can run
                    sys.setprofile(old)
                    value = read_answer(value, items)
                elif read:
                    value = read_answer(value, items)
                    lost = lost or sys.getprofile() is not self._hook
                sys.setprofile(old)
                outcome = ("lost", None) if lost and not self.refused else ("returned", value)
            finally:
                sys.setprofile(old)
                threading.setprofile(old_threads)
                with lock:
                    state["done"] = True
                stop.set()
        except _TimeUp:
            outcome = ("slow", None)
        except KeyboardInterrupt:
            if not state["fired"]:
                raise
            outcome = ("slow", None)
        except BaseException as exc:  # noqa: BLE001 - whatever the student's code raised, SystemExit too
            outcome = ("raised", exc)
        for _ in range(3):  # an interrupt the watchdog asked for may still be on its way: catch it here
            try:
                sys.setprofile(old)
                threading.setprofile(old_threads)
                with lock:
                    state["done"] = True
                stop.set()
                if state["fired"] and outcome[0] != "slow":
                    outcome = ("slow", None)
                    _absorb_interrupt()
                break
            except KeyboardInterrupt:
                if not state["fired"]:
                    raise
                outcome = ("slow", None)
        if self._timed_out:
            outcome = ("slow", None)
        return outcome


def _interrupt_main():
    """KeyboardInterrupt in the main thread: a real SIGINT where Python handles it (it also ends a time.sleep),
    else the simulated one, which needs no SIGALRM or pthread_kill (Windows)."""
    handler = signal.getsignal(signal.SIGINT)
    if hasattr(signal, "pthread_kill") and callable(handler):
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    else:
        _thread.interrupt_main()


def _identity(value):
    return value


def _absorb_interrupt():
    """Wait for the KeyboardInterrupt a watchdog asked for just as the student's code returned; swallow it."""
    try:
        for _ in range(100):
            time.sleep(0.005)
    except KeyboardInterrupt:
        pass


# --- reading an answer with bounds --------------------------------------------------------------------------


class Unreadable:
    """An answer (or part of one) that is not read: too big, or of a kind no exercise asks for."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _type_name(v):
    try:
        return type.__dict__["__name__"].__get__(type(v))
    except Exception:  # noqa: BLE001
        return "object"


def read_answer(value, items=None):
    """``value`` as plain data: arrays become base-class ndarray copies, numbers and strings exact builtins or
    numpy scalars, tuples and lists (and iterators, read lazily) lists or tuples of plain data, anything else an
    :class:`Unreadable`. At most :data:`MAX_NUMBERS` numbers are read, and at most ``items`` items of any one
    iterable (a value checker passes the expected length plus one); an array is measured before it is copied.
    Runs the answer's own methods (``__array__``, ``__iter__``, ...): call it under the guard.
    """
    left = [MAX_NUMBERS]

    def too_big(what):
        return Unreadable(f"{what}: more than {MAX_NUMBERS} numbers, far more than any answer here")

    def read(v, depth):
        t = type(v)
        if v is None or v is Ellipsis or t in (bool, int, float, complex, str, bytes):
            left[0] -= 1
            return v
        if isinstance(v, np.ndarray) or (not isinstance(v, (np.generic, numbers.Number)) and _array_like(t)):
            a = v if isinstance(v, np.ndarray) else np.asarray(v)
            if a.size > left[0]:
                return too_big(f"an array of shape {a.shape}")
            if a.dtype.kind not in "biufc":
                return Unreadable(f"an array of {a.dtype} values")
            left[0] -= a.size
            return np.array(a)  # a base-class copy: a broadcast view is copied only now that its size is known
        if isinstance(v, np.generic):
            left[0] -= 1
            return np.asarray(v)[()]
        for base, exact in ((int, int.__add__), (float, float.__add__), (complex, complex.__add__)):
            if isinstance(v, base):  # a subclass: its exact value, without running its methods
                left[0] -= 1
                return exact(v, base())
        if isinstance(v, (str, bytes)):
            return str.__str__(v) if isinstance(v, str) else bytes(memoryview(v))
        if isinstance(v, numbers.Number):  # Fraction, Decimal, ...
            left[0] -= 1
            return float(v)
        if isinstance(v, dict):
            return Unreadable(f"a {_type_name(v)}")
        if depth > 8 or not hasattr(t, "__iter__"):
            return Unreadable(f"a {_type_name(v)}")
        out = []
        cap = left[0] + 1 if items is None else min(items, left[0] + 1)
        for item in itertools.islice(iter(v), cap):
            if left[0] <= 0:
                return too_big(f"a {_type_name(v)}")
            out.append(read(item, depth + 1))
        if isinstance(v, tuple):
            return tuple(out)
        if isinstance(v, (set, frozenset)):
            return set(i for i in out if _hashable(i))
        return out

    try:
        return read(value, 0)
    except Exception as exc:  # noqa: BLE001 - the answer's own methods raised
        return Unreadable(f"a {_type_name(value)} that raised {_type_name(exc)} when it was read")


def _plain(value):
    """True when the first MAX_NUMBERS items of ``value`` are exact lists, tuples, numbers, strings and ndarrays."""
    todo, seen = [value], 0
    while todo and seen <= MAX_NUMBERS:
        v = todo.pop()
        seen += 1
        t = type(v)
        if t in (list, tuple):
            todo.extend(v[: MAX_NUMBERS + 1])
        elif not (v is None or v is Ellipsis or t in (bool, int, float, complex, str, bytes, np.ndarray)):
            return False
    return True


def _array_like(t):
    return any(hasattr(t, a) for a in ("__array__", "__array_interface__", "__array_struct__"))


def _hashable(v):
    try:
        hash(v)
        return True
    except Exception:  # noqa: BLE001
        return False


def name_of(fn):
    """The student's function's name for the call line; never raises or loops, never runs the student's code."""
    try:
        for _ in range(10):
            if type(fn) is functools.partial:
                fn = fn.func
            elif type(fn) is types.MethodType:
                fn = fn.__func__
            else:
                break
        if type(fn) in (types.FunctionType, types.BuiltinFunctionType):
            name = fn.__name__
            return name[:40] if isinstance(name, str) and name else "your_function"
        name = _type_name(fn)
        return name if name.isidentifier() else "your_function"
    except Exception:  # noqa: BLE001
        return "your_function"
