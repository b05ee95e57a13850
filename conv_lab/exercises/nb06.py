"""Exercise checkers for notebook 06: training."""

import numpy as np

from ._common import run_checker as _run


def _mse_cases():
    rng = np.random.default_rng(606)
    return [
        dict(y=rng.standard_normal(s), t=rng.standard_normal(s)) for s in [(3,), (2, 4), (2, 1, 3, 3), (1, 2, 5, 4)]
    ]


def check_mse_grad(fn):
    """Check ``fn(y, t) -> dL/dy`` for ``L = mean((y - t)**2)``."""

    def diagnose(a, got, expected):
        y = a["y"]
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            return f"the gradient has one entry per entry of y: shape {expected.shape}"
        if np.allclose(got, -expected):
            return "sign: L grows when y moves away from t, so dL/dy = +2 (y - t) / size"
        if np.allclose(got, expected / 2):
            return "forgot the 2 from differentiating the square"
        if np.allclose(got, expected * y.size):
            return "forgot to divide by y.size: the loss is a mean, not a sum"
        if np.allclose(got, expected * y.size / len(y)):
            return "the mean is over every entry of y, not only over the batch axis: divide by y.size"
        return "dL/dy = 2 * (y - t) / y.size"

    _run("MSE gradient", fn, _mse_cases(), lambda y, t: 2 * (y - t) / y.size, diagnose)


def _relu_cases():
    rng = np.random.default_rng(607)
    cases = []
    for s in [(5,), (2, 3, 4), (1, 2, 3, 3)]:
        z = rng.standard_normal(s)
        z.flat[0] = 0.0  # the kink: PyTorch's convention gives it gradient 0
        cases.append(dict(dout=rng.standard_normal(s), z=z))
    return cases


def check_relu_backward(fn):
    """Check ``fn(dout, z) -> dz`` for ``out = max(z, 0)``; gradient 0 at z == 0."""

    def diagnose(a, got, expected):
        dout, z = a["dout"], a["z"]
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            return f"dz has z's shape {expected.shape}"
        if np.allclose(got, dout * (z >= 0)):
            return "at z == 0 exactly, use gradient 0 (the convention of PyTorch and this series): mask with z > 0"
        if np.allclose(got, np.maximum(dout, 0)):
            return "mask by the sign of the forward input z, not of the incoming gradient"
        if np.allclose(got, (z > 0).astype(float)):
            return "multiply the mask by the incoming gradient: dz = dout * (z > 0)"
        return "dz = dout where z > 0, and 0 elsewhere"

    _run("ReLU backward", fn, _relu_cases(), lambda dout, z: dout * (z > 0), diagnose)


def _xent_cases():
    rng = np.random.default_rng(608)
    return [
        dict(logits=rng.standard_normal((n, k)) * 3, labels=rng.integers(0, k, n))
        for n, k in [(1, 3), (4, 4), (6, 2), (5, 5)]
    ]


def _xent_grad(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def check_softmax_xent_grad(fn):
    """Check ``fn(logits, labels) -> dL/dlogits`` for mean softmax cross-entropy over the batch."""

    def diagnose(a, got, expected):
        logits, labels = a["logits"], a["labels"]
        got = np.asarray(got, dtype=float)
        N = len(labels)
        if got.shape != expected.shape:
            return f"one gradient per logit: shape {expected.shape}"
        if np.allclose(got, expected * N):
            return "divide by the batch size: the loss is the mean over the batch"
        onehot = np.eye(logits.shape[1])[labels]
        if np.allclose(got, expected + onehot / N):
            return "subtract 1 at the true class: dL/dz = (softmax(z) - onehot(label)) / N"
        return "dL/dz = (softmax(z) - onehot(label)) / N; subtract the row max before exp for stability"

    _run("softmax cross-entropy gradient", fn, _xent_cases(), _xent_grad, diagnose)


__all__ = [
    "check_mse_grad",
    "check_relu_backward",
    "check_softmax_xent_grad",
]
