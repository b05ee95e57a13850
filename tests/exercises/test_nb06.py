"""Checkers of notebook 06: reference solutions pass, typical mistakes get their own hint."""

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from conv_lab.exercises import nb06
from tests.exercises.helpers import load, not_done, run


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_mse_grad, "my_mse_grad"),
        (ex.check_relu_backward, "my_relu_backward"),
        (ex.check_softmax_xent_grad, "my_softmax_xent_grad"),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(load("nb06"), solution), capsys)
    assert ok, out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


def test_nb06_hints(capsys):
    assert "forgot the 2" in run(ex.check_mse_grad, lambda y, t: (y - t) / y.size, capsys)[1]
    assert "not a sum" in run(ex.check_mse_grad, lambda y, t: 2 * (y - t), capsys)[1]
    assert "sign" in run(ex.check_mse_grad, lambda y, t: 2 * (t - y) / y.size, capsys)[1]
    assert "mask with z > 0" in run(ex.check_relu_backward, lambda dout, z: dout * (z >= 0), capsys)[1]
    assert "not of the incoming gradient" in run(ex.check_relu_backward, lambda dout, z: np.maximum(dout, 0), capsys)[1]
    sol = load("nb06").my_softmax_xent_grad
    assert (
        "divide by the batch size"
        in run(ex.check_softmax_xent_grad, lambda logits, labels: sol(logits, labels) * len(labels), capsys)[1]
    )

    def no_onehot(logits, labels):
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True) / len(labels)

    assert "subtract 1 at the true class" in run(ex.check_softmax_xent_grad, no_onehot, capsys)[1]


def test_nb06_gradients_match_numerical_gradient():
    """The checkers' references are themselves checked against conv_lab.numerical_gradient."""
    rng = np.random.default_rng(0)
    y, t = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    num = cl.numerical_gradient(lambda v: np.array(np.mean((v - t) ** 2)), y, np.array(1.0))
    assert cl.rel_error(load("nb06").my_mse_grad(y, t), num) < 1e-8
    logits, labels = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])

    def xent(z):
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return np.array(-logp[np.arange(4), labels].mean())

    num = cl.numerical_gradient(xent, logits, np.array(1.0))
    assert cl.rel_error(nb06._xent_grad(logits, labels), num) < 1e-8
