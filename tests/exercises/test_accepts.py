"""Correct answers in unusual forms are accepted by the real checkers (the review's W1-W4)."""

from dataclasses import dataclass

import numpy as np
import pytest

from conv_lab import exercises as ex
from tests.exercises.helpers import load, run


def as_float32(fn):
    def student(**kwargs):
        got = fn(**{k: v.astype(np.float32) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
        return tuple(np.asarray(g, dtype=np.float32) for g in got) if isinstance(got, tuple) else got.astype(np.float32)

    return student


def in_float32_inside(fn):
    """Computes in float32, returns float64: refused, with the float32 hint, not a hint about the formula."""

    def student(**kwargs):
        got = as_float32(fn)(**kwargs)
        return tuple(np.asarray(g, dtype=np.float64) for g in got) if isinstance(got, tuple) else got.astype(float)

    return student


@pytest.mark.parametrize(
    "checker, solution", [(ex.check_padding_for, "my_padding_for"), (ex.check_fft_length, "my_fft_length")]
)
def test_a_zero_d_array_is_a_number(checker, solution, capsys):
    fn = getattr(load("nb01" if "padding" in solution else "nb07"), solution)
    assert run(checker, lambda **kw: np.array(fn(**kw)), capsys)[0]
    assert run(checker, lambda **kw: np.int32(fn(**kw)), capsys)[0]


def test_a_list_of_window_arrays(capsys):
    def windows(x, K, stride, dilation, padding):
        xp = np.pad(x, padding)
        span = dilation * (K - 1) + 1
        return [xp[i * stride : i * stride + span : dilation] for i in range((len(xp) - span) // stride + 1)]

    assert run(ex.check_windows_1d, windows, capsys)[0]


def test_an_unhashable_callable(capsys):
    @dataclass
    class Windows:
        scale: float = 1.0

        def __call__(self, x, K, stride, dilation, padding):
            return load("nb02").my_windows_1d(x, K, stride, dilation, padding) * self.scale

    assert run(ex.check_windows_1d, Windows(), capsys)[0]


FLOAT32 = [
    (ex.check_conv_backward, "nb04", "my_conv_dx"),
    (ex.check_dw_correlation, "nb04", "dw_by_correlation"),
    (ex.check_readout_backward, "nb06", "my_readout_backward"),
    (ex.check_two_conv_backward, "nb06", "my_two_conv_backward"),
]


@pytest.mark.parametrize("checker, module, solution", FLOAT32)
def test_float32_answers_are_judged_at_float32s_tolerance(checker, module, solution, capsys):
    fn = getattr(load(module), solution)
    ok, out = run(checker, as_float32(fn), capsys)
    assert ok, out
    ok, out = run(checker, in_float32_inside(fn), capsys)
    assert not ok and "compute in float64" in out, out


SOLUTIONS = {  # every function checker -> (solutions module, reference solution)
    "check_padding_for": ("nb01", "my_padding_for"),
    "check_corr2d": ("nb01", "my_corr2d"),
    "check_unread_rows": ("nb01", "unread_rows"),
    "check_windows_1d": ("nb02", "my_windows_1d"),
    "check_im2col_nhwc": ("nb02", "my_im2col_nhwc"),
    "check_col2im": ("nb02", "col2im_by_loops"),
    "check_conv1x1": ("nb03", "my_conv1x1"),
    "check_conv_forward": ("nb03", "my_conv_forward"),
    "check_conv_forward_fixed": ("nb03", "conv_forward_fixed"),
    "check_corr1d_backward": ("nb04", "my_corr1d_backward"),
    "check_conv_backward": ("nb04", "my_conv_dx"),
    "check_dw_correlation": ("nb04", "dw_by_correlation"),
    "check_conv_transpose": ("nb05", "my_conv_transpose2d"),
    "check_dx_by_scatter": ("nb05", "my_dx_by_scatter"),
    "check_readout_backward": ("nb06", "my_readout_backward"),
    "check_two_conv_backward": ("nb06", "my_two_conv_backward"),
    "check_net_gradients": ("nb06", "net_gradients_fixed"),
    "check_grouped_product": ("nb07", "my_grouped_product"),
    "check_fft_length": ("nb07", "my_fft_length"),
}


def test_every_function_checker_has_a_solution_here():
    from tests.exercises.test_fuzz import FUNCTION_CHECKERS

    assert sorted(SOLUTIONS) == FUNCTION_CHECKERS


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_every_checker_accepts_an_unhashable_callable_and_float32(name, capsys):
    module, solution = SOLUTIONS[name]
    fn = getattr(load(module), solution)

    @dataclass
    class Mine:  # a dataclass with __call__: unhashable
        scale: float = 1.0

        def __call__(self, **kwargs):
            return fn(**kwargs)

    checker = getattr(ex, name)
    ok, out = run(checker, Mine(), capsys)
    assert ok, out

    def in_float32(**kwargs):
        got = fn(**{k: v.astype(np.float32) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v
                    for k, v in kwargs.items()})  # fmt: skip
        if isinstance(got, tuple):
            return tuple(np.asarray(g, dtype=np.float32) for g in got)
        return got.astype(np.float32) if isinstance(got, np.ndarray) and got.dtype.kind == "f" else got

    ok, out = run(checker, in_float32, capsys)
    assert ok, out
