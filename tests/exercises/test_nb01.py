"""Checkers of notebook 01: reference solutions pass, typical mistakes get their own hint."""

import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from tests.exercises.helpers import load, not_done, run


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_output_size, "my_output_size"),
        (ex.check_corr2d, "my_corr2d"),
        (ex.check_same_padding, "my_same_padding"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(load("nb01"), solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


def floor_formula(padding_sides=2, use_dilation=True, floor=True, plus_one=True, use_stride=True):
    def fn(size, kernel_size, stride, padding, dilation):
        reach = (dilation if use_dilation else 1) * (kernel_size - 1) + 1
        room = size + padding_sides * padding - reach
        s = stride if use_stride else 1
        steps = room // s if floor else room / s
        return steps + (1 if plus_one else 0)

    return fn


@pytest.mark.parametrize(
    "fn, hint",
    [
        (floor_formula(floor=False), "forgot the floor"),
        (floor_formula(padding_sides=1), "padding counted once"),
        (floor_formula(use_dilation=False), "dilation ignored"),
        (floor_formula(plus_one=False), "off by one"),
        (floor_formula(use_stride=False), "stride ignored"),
        (
            lambda size, kernel_size, stride, padding, dilation: (
                -(-(size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride) + 1
            ),
            "rounded up",
        ),
    ],
)
def test_output_size_hints(fn, hint, capsys):
    ok, out = run(ex.check_output_size, fn, capsys)
    assert not ok
    assert hint in out and "expected:" in out and "call:" in out


def test_corr2d_hints(capsys):
    assert "flipped the kernel" in run(ex.check_corr2d, lambda x, w: cl.convolve2d(x, w), capsys)[1]
    assert "(H-KH+1, W-KW+1)" in run(ex.check_corr2d, lambda x, w: cl.corr2d(x, w, padding=1), capsys)[1]
    assert "raised ZeroDivisionError" in run(ex.check_corr2d, lambda x, w: 1 / 0, capsys)[1]


def test_same_padding_hints(capsys):
    assert (
        "cannot be split evenly"
        in run(ex.check_same_padding, lambda kernel_size, dilation: ((kernel_size - 1) * dilation // 2,) * 2, capsys)[1]
    )
    assert (
        "dilation ignored"
        in run(
            ex.check_same_padding,
            lambda kernel_size, dilation: ((kernel_size - 1) // 2, kernel_size - 1 - (kernel_size - 1) // 2),
            capsys,
        )[1]
    )
    wrong_side = lambda kernel_size, dilation: (
        dilation * (kernel_size - 1) - dilation * (kernel_size - 1) // 2,
        dilation * (kernel_size - 1) // 2,
    )  # noqa: E731
    assert "extra row goes after" in run(ex.check_same_padding, wrong_side, capsys)[1]


def test_checker_does_not_let_student_modify_its_cases(capsys):
    def vandal(x, w):
        x[...] = 0
        return cl.corr2d(x, w)

    run(ex.check_corr2d, vandal, capsys)
    assert run(ex.check_corr2d, load("nb01").my_corr2d, capsys)[0]
