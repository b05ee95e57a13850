"""Checkers of notebook 03: reference solutions pass, typical mistakes get their own hint."""

import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from tests.exercises.helpers import load, not_done, run


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_conv_forward, "my_conv_forward"),
        (ex.check_param_count, "my_param_count"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(load("nb03"), solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


def test_conv_forward_hints(capsys):
    def nhwf(x, w, b, stride, padding):
        return cl.conv2d(x, w, b, stride, padding).transpose(0, 2, 3, 1)

    def no_bias(x, w, b, stride, padding):
        return cl.conv2d(x, w, None, stride, padding)

    def scrambled(x, w, b, stride, padding):
        y = cl.conv2d(x, w, b, stride, padding)
        return y.transpose(0, 2, 3, 1).reshape(y.shape)

    assert "transpose it to (N, F, OH, OW)" in run(ex.check_conv_forward, nhwf, capsys)[1]
    assert "bias is missing" in run(ex.check_conv_forward, no_bias, capsys)[1]
    assert "reshaped the (N*OH*OW, F) product straight" in run(ex.check_conv_forward, scrambled, capsys)[1]


def test_param_count_hints(capsys):
    def count(bias_per):
        def fn(C, F, kernel_size, bias):
            KH, KW = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
            return F * C * KH * KW + (bias_per(C, F) if bias else 0)

        return fn

    assert "biases are missing" in run(ex.check_param_count, count(lambda C, F: 0), capsys)[1]
    assert "not per (filter, channel)" in run(ex.check_param_count, count(lambda C, F: C * F), capsys)[1]
