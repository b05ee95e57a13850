"""Checkers of notebook 02: reference solutions pass, typical mistakes get their own hint."""

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from tests.exercises.helpers import load, not_done, run


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_im2col, "my_im2col"),
        (ex.check_coverage, "my_coverage"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(load("nb02"), solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


def test_im2col_hints(capsys):
    def khkwc(x, kernel_size, stride, padding):
        cols = cl.im2col(x, kernel_size, stride, padding)
        KH, KW = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
        return cols.reshape(-1, x.shape[1], KH, KW).transpose(0, 2, 3, 1).reshape(cols.shape)

    assert "(kh, kw, c) order" in run(ex.check_im2col, khkwc, capsys)[1]
    assert (
        "padding ignored"
        in run(ex.check_im2col, lambda x, kernel_size, stride, padding: cl.im2col(x, kernel_size, stride, 0), capsys)[1]
    )
    assert (
        "stride ignored"
        in run(ex.check_im2col, lambda x, kernel_size, stride, padding: cl.im2col(x, kernel_size, 1, padding), capsys)[
            1
        ]
    )


def test_coverage_hints(capsys):
    sol = load("nb02").my_coverage
    assert "add 1 per window" in run(ex.check_coverage, lambda **a: np.minimum(sol(**a), 1), capsys)[1]


def test_coverage_padded_grid_hint(capsys):
    def uncropped(H, W, kernel_size, stride, padding):
        xp = np.zeros((1, 1, H + 2 * padding, W + 2 * padding))
        ones = np.ones_like(cl.im2col(xp, kernel_size, stride))
        return cl.col2im(ones, xp.shape, kernel_size, stride)[0, 0]

    assert "crop the padding off" in run(ex.check_coverage, uncropped, capsys)[1]
