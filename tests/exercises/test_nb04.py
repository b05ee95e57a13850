"""Checkers of notebook 04: reference solutions pass, typical mistakes get their own hint."""

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from conv_lab.exercises import nb04
from tests.exercises.helpers import load, not_done, run


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_conv_backward, "my_conv_backward"),
        (ex.check_numerical_gradient, "my_numerical_gradient"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(load("nb04"), solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


def test_conv_backward_hints(capsys):
    def with_db(db_fn):
        def fn(dy, x, w, stride, padding):
            dx, dw, _ = cl.conv2d_backward(dy, x, w, stride, padding)
            return dx, dw, db_fn(dy)

        return fn

    def assigning(dy, x, w, stride, padding):
        return (nb04._col2im_assign(dy, x, w, stride, padding),) + cl.conv2d_backward(dy, x, w, stride, padding)[1:]

    def uncropped(dy, x, w, stride, padding):
        dx, dw, db = cl.conv2d_backward(dy, x, w, stride, padding)
        return cl.pad2d(dx, padding), dw, db

    def swapped_dw(dy, x, w, stride, padding):
        dx, dw, db = cl.conv2d_backward(dy, x, w, stride, padding)
        return dx, dw.transpose(1, 0, 2, 3), db

    assert "dy.sum(axis=(0, 2, 3))" in run(ex.check_conv_backward, with_db(lambda dy: dy.sum(axis=(2, 3))), capsys)[1]
    assert "must add (+=)" in run(ex.check_conv_backward, assigning, capsys)[1]
    assert "still includes the padding" in run(ex.check_conv_backward, uncropped, capsys)[1]
    assert "it must match w" in run(ex.check_conv_backward, swapped_dw, capsys)[1]


def test_numerical_gradient_hints(capsys):
    def scaled(k, one_sided=False, restore=True):
        def fn(f, x, eps=1e-6):
            x = np.array(x, dtype=float)
            g = np.zeros_like(x)
            for i in range(x.size):
                old = x[i]
                x[i] = old + eps
                up = f(x)
                x[i] = old if one_sided else old - eps
                down = f(x)
                if restore:
                    x[i] = old
                g[i] = (up - down) / (k * eps)
            return g

        return fn

    assert "divide by 2*eps" in run(ex.check_numerical_gradient, scaled(1), capsys)[1]
    assert "not 4*eps" in run(ex.check_numerical_gradient, scaled(4), capsys)[1]
    assert "restore x[i]" in run(ex.check_numerical_gradient, scaled(2, restore=False), capsys)[1]

    def forward_difference(f, x, eps=1e-4):
        x = np.array(x, dtype=float)
        base = f(x)
        g = np.zeros_like(x)
        for i in range(x.size):
            x[i] += eps
            g[i] = (f(x) - base) / eps
            x[i] -= eps
        return g

    assert "not a one-sided one" in run(ex.check_numerical_gradient, forward_difference, capsys)[1]
