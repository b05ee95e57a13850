"""Every checker against hostile input: it returns within a bound, prints a message, never raises, never passes,
and leaves the kernel usable (the profile hook removed, numpy working).

The checkers are discovered from the conv_lab.exercises modules: a function checker takes one parameter, ``fn``.
"""

import fractions
import importlib
import inspect
import itertools
import pkgutil
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from conv_lab.exercises import _common, _guard

MODULES = [
    importlib.import_module(f"conv_lab.exercises.{m.name}")
    for m in pkgutil.iter_modules(ex.__path__)
    if m.name.startswith("nb")
]
CHECKERS = {name: getattr(ex, name) for module in MODULES for name in module.__all__ if name.startswith("check_")}
FUNCTION_CHECKERS = sorted(n for n, c in CHECKERS.items() if list(inspect.signature(c).parameters) == ["fn"])
VALUE_CHECKERS = sorted(set(CHECKERS) - set(FUNCTION_CHECKERS))


def test_every_checker_is_found():
    """The catalogue runs against every checker the notebooks use: a checker added or renamed is listed here."""
    assert FUNCTION_CHECKERS == [
        "check_col2im",
        "check_conv1x1",
        "check_conv_backward",
        "check_conv_forward",
        "check_conv_forward_fixed",
        "check_conv_transpose",
        "check_corr1d_backward",
        "check_corr2d",
        "check_dw_correlation",
        "check_dx_by_scatter",
        "check_fft_length",
        "check_grouped_product",
        "check_im2col_nhwc",
        "check_net_gradients",
        "check_padding_for",
        "check_readout_backward",
        "check_two_conv_backward",
        "check_unread_rows",
        "check_windows_1d",
    ]
    assert VALUE_CHECKERS == [
        "check_coverage_prediction",
        "check_layer_counts",
        "check_layer_prediction",
        "check_pads_and_output_padding",
        "check_parameter_counts",
        "check_separable_counts",
        "check_winograd_counts",
        "check_zero_dx",
    ]


# --- the catalogue ----------------------------------------------------------------------------------------


class Broken:
    """Every protocol a checker might use raises."""

    def __array__(self, *args, **kwargs):
        raise RuntimeError("__array__")

    def __len__(self):
        raise RuntimeError("__len__")

    def __iter__(self):
        raise RuntimeError("__iter__")

    def __eq__(self, other):
        raise RuntimeError("__eq__")

    def __bool__(self):
        raise RuntimeError("__bool__")

    def __repr__(self):
        raise RuntimeError("__repr__")

    def __str__(self):
        raise RuntimeError("__str__")

    def __float__(self):
        raise RuntimeError("__float__")

    def __int__(self):
        raise RuntimeError("__int__")

    def __getattr__(self, name):
        raise RuntimeError(name)

    __hash__ = None


class LiesAboutLength:
    def __len__(self):
        return 10**12

    def __getitem__(self, i):
        return 0.0


class Peeker:
    """An answer that looks for the checker's expected value in every frame above it, when it is read."""

    def __array__(self, *args, **kwargs):
        frame = sys._getframe()
        while frame is not None:
            if "expected" in frame.f_locals:
                return np.asarray(frame.f_locals["expected"])
            frame = frame.f_back
        return np.zeros(1)


class PeekingInt(int):
    def __int__(self):
        frame = sys._getframe(1)
        while frame is not None:
            for key in ("expected", "e"):
                if key in frame.f_locals:
                    return frame.f_locals[key]
            frame = frame.f_back
        return 0

    __index__ = __int__


def peek_expected(**kwargs):
    """Returns the checker's expected answer, found by frame inspection (sys._getframe)."""
    frame = sys._getframe(1)
    while frame is not None:
        if "expected" in frame.f_locals:
            return frame.f_locals["expected"]
        frame = frame.f_back
    return None


def peek_by_traceback(**kwargs):
    """The same without sys._getframe: through a traceback's frames. No frame holds an expected answer."""
    try:
        raise ValueError
    except ValueError as exc:
        frame = exc.__traceback__.tb_frame
    while frame is not None:
        if "expected" in frame.f_locals:
            return frame.f_locals["expected"]
        frame = frame.f_back
    return None


class TracebackPeeker:
    """An answer that, when iterated, looks for expected values in the frames a traceback reaches."""

    def __iter__(self):
        try:
            raise ValueError
        except ValueError as exc:
            frame = exc.__traceback__.tb_frame
        while frame is not None:
            for key in ("expected", "e", "truth"):
                if isinstance(frame.f_locals.get(key), (tuple, list)):
                    return iter(frame.f_locals[key])
            frame = frame.f_back
        return iter([-1])


class BrokenMessage(Exception):
    def __str__(self):
        raise RuntimeError("no message")


class NotStrMessage(Exception):
    def __str__(self):
        return 42


class LikeInterrupt(BaseException):
    pass


def raising(error):
    def fn(**kwargs):
        raise error

    return fn


def returning(value):
    def fn(**kwargs):
        return value

    return fn


def mutating(**kwargs):
    for v in kwargs.values():
        if isinstance(v, np.ndarray):
            v[...] = np.nan
    return None


def recursing(**kwargs):
    return recursing(**kwargs)


def exiting(**kwargs):
    sys.exit(3)


def generator_function(**kwargs):
    yield from itertools.count()


class LazyCallable:
    def __call__(self, **kwargs):
        return 0

    def __getattr__(self, name):
        raise RuntimeError(name)


class SelfFunc:
    __call__ = staticmethod(returning(0))
    __func__ = property(lambda self: self)
    __wrapped__ = property(lambda self: self)


@dataclass
class Unhashable:
    value: float = 0.0

    def __call__(self, **kwargs):
        return self.value


class OddName:
    __name__ = property(lambda self: 1 / 0)

    def __call__(self, **kwargs):
        return 0


RETURNED = {
    "None": (None),
    "a string": ("y"),
    "bytes": (b"y"),
    "a dict": ({"y": 1}),
    "a set": ({1, 2}),
    "NaN": (np.full((2, 2), np.nan)),
    "inf": (np.inf),
    "10**400": (10**400),
    "a complex": (1j),
    "an object array": (np.array([object(), 1], dtype=object)),
    "a Fraction": (fractions.Fraction(1, 3)),
    "a generator": (x for x in itertools.count()),
    "itertools.count()": (itertools.count()),
    "a broken object": (Broken()),
    "a length that lies": (LiesAboutLength()),
    "a huge broadcast array": (np.broadcast_to(0.0, (10**6, 10**6))),
    "a huge list": ([0.0] * 10**6),
    "range(10**12)": (range(10**12)),
    "a huge nested list": (np.zeros((1000, 1000)).tolist()),
    "a type": (np.ndarray),
    "a module": (np),
    "a peeking object": (Peeker()),
    "expected by frame inspection": peek_expected,
    "expected through a traceback": peek_by_traceback,
}
HOSTILE_FUNCTIONS = {
    "None": None,
    "an int": 42,
    "a string": "my_function",
    "a list": [1, 2],
    "an array": np.zeros(3),
    "raises ValueError": raising(ValueError("bad")),
    "raises with a broken message": raising(BrokenMessage()),
    "raises with a message that is not a str": raising(NotStrMessage()),
    "raises SystemExit": exiting,
    "raises StopIteration": raising(StopIteration()),
    "raises GeneratorExit": raising(GeneratorExit()),
    "raises MemoryError": raising(MemoryError()),
    "raises RecursionError": raising(RecursionError()),
    "raises a BaseException": raising(LikeInterrupt()),
    "recurses without end": recursing,
    "takes no arguments": lambda: 0,
    "is a generator function": generator_function,
    "is print": print,
    "is np.sum": np.sum,
    "is np.ndarray": np.ndarray,
    "mutates its inputs": mutating,
    "has a raising __getattr__": LazyCallable(),
    "has a __func__ that returns itself": SelfFunc(),
    "is unhashable": Unhashable(),
    "has a __name__ that raises": OddName(),
} | {f"returns {label}": returning(value) for label, value in RETURNED.items()}
HOSTILE_VALUES = {label: value for label, value in RETURNED.items() if value is not None} | {
    "an int whose __int__ reads frames": PeekingInt(7),
    "a tuple of those": (PeekingInt(7), PeekingInt(7)),
    "an iterable that reads frames through a traceback": TracebackPeeker(),
    "a list of broken objects": [Broken(), Broken()],
    "a function": peek_expected,
    "a negative number": -1,
    "a string of digits": "12",
}


def judge(checker, *args, bound=8.0):
    """Run a checker; assert it returned None within ``bound`` seconds, printed, did not pass, cleaned up."""
    start = time.monotonic()
    result = checker(*args)
    took = time.monotonic() - start
    assert result is None
    assert took < bound, took
    assert sys.getprofile() is None and threading.getprofile() is None
    assert cl.corr2d(np.ones((2, 2)), np.ones((1, 1))).shape == (2, 2)  # the library still works
    return took


@pytest.mark.parametrize("name", FUNCTION_CHECKERS)
def test_function_checkers_against_the_catalogue(name, capsys):
    checker = CHECKERS[name]
    with _guard.time_limit(2.0):
        for label, fn in HOSTILE_FUNCTIONS.items():
            judge(checker, fn)
            out = capsys.readouterr().out
            assert out.strip(), label
            assert _common.PASS_TEXT not in out, label
            assert len(out) < 3000, (label, len(out))


@pytest.mark.parametrize("name", VALUE_CHECKERS)
def test_value_checkers_against_the_catalogue(name, capsys):
    checker = CHECKERS[name]
    params = list(inspect.signature(checker).parameters)
    module = next(m for m in MODULES if name in m.__all__)
    names = [None]
    if params[0] == "name":  # check_layer_prediction(name, answer): also each valid name with a hostile answer
        names += list(next(v for k, v in vars(module).items() if k.endswith("_LAYERS") and isinstance(v, dict)))
    with _guard.time_limit(2.0):
        for label, value in HOSTILE_VALUES.items():
            for valid in names:
                args = [value] * len(params) if valid is None else [valid] + [value] * (len(params) - 1)
                judge(checker, *args)
                out = capsys.readouterr().out
                assert out.strip(), label
                assert ": correct." not in out, label
                assert len(out) < 3000, (label, len(out))


ENDLESS = {
    "while True: pass": "def endless(**kwargs):\n    while True:\n        pass\n",
    "an endless loop calling numpy": "def endless(**kwargs):\n    while True:\n        np.zeros(3).sum()\n",
}


@pytest.mark.parametrize("body", list(ENDLESS))
@pytest.mark.parametrize("name", [FUNCTION_CHECKERS[0], FUNCTION_CHECKERS[9], FUNCTION_CHECKERS[-1]])
def test_an_endless_loop_ends_with_a_message(name, body, capsys):
    namespace = {"np": np}
    exec(ENDLESS[body], namespace)
    with _guard.time_limit(1.0):
        took = judge(CHECKERS[name], namespace["endless"], bound=6.0)
    out = capsys.readouterr().out
    assert "case 1 of" in out and "took longer than the time limit" in out and took >= 1.0


def test_an_endless_answer_ends_with_a_message(capsys):
    class Endless:
        def __array__(self, *args, **kwargs):
            while True:
                pass

    with _guard.time_limit(1.0):
        judge(CHECKERS[FUNCTION_CHECKERS[0]], returning(Endless()), bound=6.0)
        judge(CHECKERS["check_separable_counts"], Endless(), bound=6.0)
    out = capsys.readouterr().out
    assert "took longer than the time limit" in out and "could not be read" in out


@pytest.mark.parametrize("name", FUNCTION_CHECKERS)
def test_every_function_checker_runs_the_student_under_the_guard(name, capsys):
    """The proof for all 19: the student's code runs with the guard's hook on and a deadline within the limit,
    and the checker's expected answers are not yet computed (no frame holds one)."""
    seen = []

    def probe(**kwargs):
        hook = sys.getprofile()
        guard = next(c.cell_contents for c in hook.__closure__ if isinstance(c.cell_contents, _guard.Guard))
        try:
            raise ValueError
        except ValueError as exc:
            frame = exc.__traceback__.tb_frame
        holders = []
        while frame is not None:
            holders += [frame.f_code.co_name] if "expected" in frame.f_locals else []
            frame = frame.f_back
        seen.append((hook.__qualname__, guard._deadline - time.monotonic(), holders))
        raise NotImplementedError

    with _guard.time_limit(3.0):
        CHECKERS[name](probe)
    out = capsys.readouterr().out
    assert "not implemented yet" in out
    assert seen and seen[0][0] == "Guard.__init__.<locals>.hook" and 0 < seen[0][1] <= 3.0 and not seen[0][2]
