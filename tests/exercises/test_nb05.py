"""Checkers of notebook 05: reference solutions pass, typical mistakes get their own hint."""

import pytest

from conv_lab import exercises as ex
from conv_lab.exercises import nb05
from tests.exercises.helpers import load, not_done, run


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_dx_rot180, "my_dx_rot180"),
        (ex.check_dw_correlation, "my_dw_correlation"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(load("nb05"), solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


def test_dx_rot180_hints(capsys):
    sol = load("nb05").my_dx_rot180

    def without_a(dy, w, x_shape, stride, padding):
        dx = sol(dy, w, x_shape, stride, padding)
        a = [(n + 2 * padding - k) % stride for n, k in zip(x_shape[2:], w.shape[2:])]
        return dx[:, :, : dx.shape[2] - a[0], : dx.shape[3] - a[1]]

    def unrotated(dy, w, x_shape, stride, padding):
        return sol(dy, w[:, :, ::-1, ::-1], x_shape, stride, padding)

    assert "pad the bottom/right by K-1-p+a" in run(ex.check_dx_rot180, without_a, capsys)[1]
    assert "rotated by 180 degrees" in run(ex.check_dx_rot180, unrotated, capsys)[1]
    # the checker's hidden cases include a != 0 and a crop (p > K-1)
    cases = nb05._rot180_cases()
    assert any((c["x_shape"][2] + 2 * c["padding"] - c["w"].shape[2]) % c["stride"] for c in cases)
    assert any(c["padding"] > c["w"].shape[2] - 1 for c in cases)


def test_dw_correlation_hints(capsys):
    sol = load("nb05").my_dw_correlation
    assert "(C, F, KH, KW)" in run(ex.check_dw_correlation, lambda **a: sol(**a).transpose(1, 0, 2, 3), capsys)[1]
