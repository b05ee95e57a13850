"""numerical_gradient, rel_error and check_close, checked on functions with known derivatives."""

import numpy as np
import pytest

import conv_lab as cl


class TestNumericalGradient:
    def test_known_derivative(self):
        x = np.array([[0.5, -1.0], [2.0, 3.0]])
        dy = np.array([[1.0, 2.0], [-1.0, 0.5]])
        got = cl.numerical_gradient(np.sin, x, dy)
        np.testing.assert_allclose(got, np.cos(x) * dy, rtol=1e-8)

    def test_linear_map_gives_its_transpose(self):
        rng = np.random.default_rng(0)
        A = rng.standard_normal((3, 4))
        dy = rng.standard_normal(3)
        np.testing.assert_allclose(cl.numerical_gradient(lambda v: A @ v, np.zeros(4), dy), A.T @ dy, rtol=1e-8)

    def test_x_is_not_modified_and_int_x_works(self):
        x = np.array([1, 2, 3])
        got = cl.numerical_gradient(lambda v: v**2, x, np.ones(3))
        np.testing.assert_allclose(got, 2.0 * x, rtol=1e-6)
        np.testing.assert_array_equal(x, [1, 2, 3])

    def test_shape_mismatch(self):
        with pytest.raises(ValueError, match=r"f\(x\) has shape \(2,\) but dy has shape \(3,\)"):
            cl.numerical_gradient(lambda v: v, np.zeros(2), np.zeros(3))

    def test_f_not_callable(self):
        with pytest.raises(TypeError, match="f must be callable"):
            cl.numerical_gradient(3, np.zeros(2), np.zeros(2))


class TestRelError:
    def test_values(self):
        assert cl.rel_error(np.array([3.0, 4.0]), np.array([3.0, 4.0])) == 0.0
        assert cl.rel_error(np.array([1.0, 0.0]), np.array([0.0, 0.0])) == 1.0
        assert cl.rel_error(np.array([1.0, 0.0]), np.array([1.0, 1e-3])) == pytest.approx(1e-3 / np.sqrt(1 + 1e-6))

    def test_floor_handles_zeros(self):
        assert cl.rel_error(np.zeros(3), np.zeros(3)) == 0.0

    def test_shape_mismatch(self):
        with pytest.raises(ValueError, match=r"a and b must have the same shape, got \(2,\) and \(3,\)"):
            cl.rel_error(np.zeros(2), np.zeros(3))


class TestCheckClose:
    def test_prints_the_conclusion_and_returns_none(self, capsys):
        assert cl.check_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-13]), "demo") is None
        out = capsys.readouterr().out
        assert "demo: equal up to rounding (|diff| <= 1e-10 + 1e-07·|expected|)  OK" in out

    @pytest.mark.parametrize("diff", [0.0, 1e-16, 1e-13])
    def test_the_printed_line_does_not_depend_on_the_rounding_error(self, diff, capsys):
        # the same line whatever the rounding error: stored notebook outputs must not depend on the BLAS kernel
        cl.check_close(np.array([1.0, 2.0 + diff]), np.array([1.0, 2.0]), "demo", rtol=1e-9)
        assert (
            capsys.readouterr()
            .out.strip()
            .endswith("demo: equal up to rounding (|diff| <= 1e-10 + 1e-09·|expected|)  OK")
        )

    def test_equal_integers_are_identical(self, capsys):
        cl.check_close(np.array([1, 2], dtype=np.int8), np.array([1, 2]), "ints")
        assert "ints: identical  OK" in capsys.readouterr().out
        cl.check_close(np.array([1, 2]), np.array([1.0, 2.0]), "mixed")  # a float side: rounding possible
        assert "mixed: equal up to rounding" in capsys.readouterr().out

    def test_raises_on_mismatch_with_location(self):
        with pytest.raises(AssertionError, match=r"demo: max \|diff\| = 5.000e-01 at index \(1,\)"):
            cl.check_close(np.array([1.0, 2.5]), np.array([1.0, 2.0]), "demo")

    def test_raises_on_shape_mismatch(self):
        with pytest.raises(AssertionError, match="shape"):
            cl.check_close(np.zeros(2), np.zeros(3))
