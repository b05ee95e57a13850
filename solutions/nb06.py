"""Reference solutions for notebook 06: the gradients of a small network's other parts."""

import numpy as np


def my_mse_grad(y, t):
    return 2 * (y - t) / y.size


def my_relu_backward(dout, z):
    return dout * (z > 0)


def my_softmax_xent_grad(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)  # same softmax, no overflow
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1.0
    return p / len(labels)
