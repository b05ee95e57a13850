"""A small two-convolution network, trained with the library's hand-written backward only.

The network of notebook 06::

    x (N, 1, 8, 8)
    -> conv1 = Conv2d(1, 16, 3, padding=1)            z1 (N, 16, 8, 8)
    -> ReLU                                            a1 (N, 16, 8, 8)
    -> conv2 = Conv2d(16, 32, 3, stride=2, padding=1)  z2 (N, 32, 4, 4)
    -> ReLU                                            a2 (N, 32, 4, 4)
    -> flatten (N, 512), linear read-out               logits (N, 10)
    -> softmax cross-entropy against integer labels

Its backward pass hands ``conv2``'s ``dx`` on to ``conv1``: the gradient the
first layer learns from has gone through the second layer's backward pass.
"""

import numpy as np

from . import _checks as ck
from .layer import Conv2d


def softmax_cross_entropy(logits, labels):
    """Mean softmax cross-entropy over the batch, and its gradient.

    Parameters
    ----------
    logits : ndarray, shape (N, K)
    labels : ndarray of int, shape (N,)
        The true class of each row, in 0..K-1.

    Returns
    -------
    loss : float
        ``-mean(log softmax(logits)[n, labels[n]])``.
    dlogits : ndarray, shape (N, K)
        ``(softmax(logits) - onehot(labels)) / N``.
    """
    logits = ck.numeric_array(logits, "logits", 2, "(N, K)")
    labels = np.asarray(labels)
    if labels.shape != (logits.shape[0],) or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be {logits.shape[0]} integers, got shape {labels.shape} ({labels.dtype})")
    N = len(labels)
    z = logits - logits.max(axis=1, keepdims=True)  # the same softmax, without overflow
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # (N, K)
    dlogits = np.exp(logp)
    dlogits[np.arange(N), labels] -= 1
    return float(-logp[np.arange(N), labels].mean()), dlogits / N


class LinearClassifier:
    """Softmax regression on the raw pixels: ``logits = x.reshape(N, -1) @ W + c``.

    The baseline a convolutional network has to beat.

    Parameters
    ----------
    n_inputs, n_classes : int
    dtype : numpy float dtype, default float64
    """

    def __init__(self, n_inputs=64, n_classes=10, dtype=np.float64):
        self.W = np.zeros((ck.integer(n_inputs, "n_inputs", 1), ck.integer(n_classes, "n_classes", 1)), dtype)
        self.c = np.zeros(n_classes, dtype)
        self.velocity = {}

    def forward(self, x):
        """``x (N, ...)`` -> ``logits (N, n_classes)``."""
        self._h = np.asarray(x).reshape(len(x), -1)  # (N, n_inputs)
        return self._h @ self.W + self.c

    def backward(self, dlogits):
        """Store the gradients of W and c; return nothing (the pixels need no gradient)."""
        self.grads = {"W": self._h.T @ dlogits, "c": dlogits.sum(axis=0)}

    def predict(self, x):
        """The most likely class of each image, shape (N,)."""
        return self.forward(x).argmax(axis=1)

    def step(self, lr, momentum=0.0):
        """SGD with momentum: ``v = momentum * v - lr * g``, ``p += v``."""
        for name, g in self.grads.items():
            v = momentum * self.velocity.get(name, 0.0) - lr * g
            self.velocity[name] = v
            setattr(self, name, getattr(self, name) + v)


class DigitNet:
    """Two convolutions, ReLUs and a linear read-out; see the module docstring for the shapes.

    Parameters
    ----------
    rng : int or numpy.random.Generator
        Source of every initial weight.
    dtype : numpy float dtype, default float64
        dtype of every parameter and activation (float32 for a float32 run).
    backward_method : str, default "im2col"
        Route both convolutions use for their backward pass.
    train_convs : bool, default True
        False freezes both convolutions at their random initialisation, so that
        only the read-out learns (the control that shows what the filters do).
    n_classes : int, default 10
    channels : (C1, C2), default (16, 32)
        Filters of the two convolutions.
    """

    def __init__(
        self, rng=0, dtype=np.float64, backward_method="im2col", train_convs=True, n_classes=10, channels=(16, 32)
    ):
        rng = np.random.default_rng(rng)
        self.dtype = np.dtype(dtype)
        C1, C2 = channels
        settings = dict(rng=rng, backward_method=backward_method, dtype=self.dtype)
        self.conv1 = Conv2d(1, C1, 3, padding=1, **settings)
        self.conv2 = Conv2d(C1, C2, 3, stride=2, padding=1, **settings)
        D = C2 * 4 * 4
        self.W = rng.normal(0.0, np.sqrt(1.0 / D), size=(D, n_classes)).astype(self.dtype)
        self.c = np.zeros(n_classes, self.dtype)
        self.train_convs = bool(train_convs)
        self.velocity = {}

    def forward(self, x):
        """``x (N, 1, 8, 8)`` -> ``logits (N, n_classes)``; keeps what backward needs."""
        x = np.asarray(x, dtype=self.dtype)
        self.z1 = self.conv1.forward(x)  # (N, C1, 8, 8)
        self.a1 = np.maximum(self.z1, 0)
        self.z2 = self.conv2.forward(self.a1)  # (N, C2, 4, 4)
        self.a2 = np.maximum(self.z2, 0)
        self.h = self.a2.reshape(len(x), -1)  # (N, C2*4*4)
        return self.h @ self.W + self.c  # (N, n_classes)

    def features(self, x):
        """What the read-out sees: ``h (N, C2*4*4)``, the flattened output of both convolutions and ReLUs."""
        z1 = self.conv1.forward(np.asarray(x, dtype=self.dtype))  # (N, C1, 8, 8)
        h = np.maximum(self.conv2.forward(np.maximum(z1, 0)), 0)  # (N, C2, 4, 4)
        return h.reshape(len(h), -1)  # (N, C2*4*4)

    def backward(self, dlogits):
        """Gradients of every parameter from ``dlogits (N, n_classes)``; returns dx of the image.

        Also keeps ``self.da1``: ``conv2``'s dx, the gradient that flows into
        the first layer's output. With the convolutions frozen, only the
        read-out's gradients are computed, and None is returned.
        """
        self.grads = {"W": self.h.T @ dlogits, "c": dlogits.sum(axis=0)}  # (C2*4*4, 10), (10,)
        if not self.train_convs:
            return None
        dh = dlogits @ self.W.T  # (N, C2*4*4)
        dz2 = dh.reshape(self.z2.shape) * (self.z2 > 0)  # ReLU passes the gradient where z2 > 0
        self.da1 = self.conv2.backward(dz2)  # (N, C1, 8, 8): dx of conv2
        dz1 = self.da1 * (self.z1 > 0)
        dx = self.conv1.backward(dz1)  # (N, 1, 8, 8)
        self.grads.update(
            conv1_weight=self.conv1.dweight,
            conv1_bias=self.conv1.dbias,
            conv2_weight=self.conv2.dweight,
            conv2_bias=self.conv2.dbias,
        )
        return dx

    def parameters(self):
        """Names of the parameters the step updates (the read-out only when the convs are frozen)."""
        names = ["W", "c"]
        if self.train_convs:
            names += ["conv1_weight", "conv1_bias", "conv2_weight", "conv2_bias"]
        return names

    def get(self, name):
        """The parameter array called ``name`` (as in :meth:`parameters`)."""
        if name.startswith("conv"):
            layer, attr = name.split("_")
            return getattr(getattr(self, layer), attr)
        return getattr(self, name)

    def set(self, name, value):
        """Replace the parameter called ``name``."""
        if name.startswith("conv"):
            layer, attr = name.split("_")
            setattr(getattr(self, layer), attr, value)
        else:
            setattr(self, name, value)

    def step(self, lr, momentum=0.0):
        """SGD with momentum on every trained parameter: ``v = momentum * v - lr * g``, ``p += v``."""
        for name in self.parameters():
            v = momentum * self.velocity.get(name, 0.0) - lr * self.grads[name]
            self.velocity[name] = v
            self.set(name, self.get(name) + v)

    def predict(self, x):
        """The most likely class of each image, shape (N,)."""
        return self.forward(x).argmax(axis=1)


def evaluate(net, x, labels):
    """Mean cross-entropy and accuracy of a model on labelled images; trains nothing.

    Parameters
    ----------
    net : DigitNet or LinearClassifier
    x : ndarray, shape (N, 1, 8, 8)
    labels : ndarray of int, shape (N,)

    Returns
    -------
    loss : float
        ``-mean(log softmax(logits)[n, labels[n]])``, the loss training minimises, here on ``x``.
    accuracy : float
        The fraction of images whose most likely class is the label.

    Examples
    --------
    >>> import numpy as np
    >>> loss, acc = evaluate(LinearClassifier(), np.zeros((2, 1, 8, 8)), np.array([3, 7]))
    >>> bool(np.isclose(loss, np.log(10))), acc  # all logits 0: every class 1/10; argmax says class 0
    (True, 0.0)
    """
    logits = net.forward(x)  # (N, n_classes)
    loss, _ = softmax_cross_entropy(logits, labels)
    return loss, float(np.mean(logits.argmax(axis=1) == labels))


def train(net, x, labels, epochs, lr, momentum=0.9, batch_size=32, seed=0, x_test=None, y_test=None):
    """Minibatch SGD with momentum; returns the history of one record per epoch.

    Parameters
    ----------
    net : DigitNet or LinearClassifier
    x : ndarray, shape (N, 1, 8, 8)
    labels : ndarray of int, shape (N,)
    epochs, batch_size : int
    lr, momentum : float
    seed : int
        Seed of the order in which the examples are visited.
    x_test, y_test : optional
        If given, the test accuracy is recorded after every epoch.

    Returns
    -------
    dict of lists
        ``"batch_loss"``: the loss of every minibatch, in order;
        ``"test_accuracy"``: one value per epoch (empty without test data).

    Notes
    -----
    The loop runs with the BLAS limited to one thread: its matrix products are
    small (a few million multiply-adds), and handing such products to several
    threads costs more time than it saves, many times more on a busy machine.
    It also makes the run independent of the machine's core count.

    A ``DigitNet`` with frozen convolutions gets its features (``net.features(x)``)
    computed once, before the first epoch: they cannot change, and the
    read-out is then all that each step computes.
    """
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1, user_api="blas"):
        return _train(net, x, labels, epochs, lr, momentum, batch_size, seed, x_test, y_test)


def _train(net, x, labels, epochs, lr, momentum, batch_size, seed, x_test, y_test):
    order_rng = np.random.default_rng(seed)
    history = {"batch_loss": [], "test_accuracy": []}
    frozen = isinstance(net, DigitNet) and not net.train_convs
    h_all = net.features(x) if frozen else None  # (N, C2*4*4): the frozen convolutions' output, once
    for _ in range(ck.integer(epochs, "epochs", 1)):
        perm = order_rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = perm[start : start + batch_size]
            if frozen:  # the read-out of net.forward, on the stored features
                net.h = h_all[batch]
                logits = net.h @ net.W + net.c  # (batch, n_classes)
            else:
                logits = net.forward(x[batch])
            loss, dlogits = softmax_cross_entropy(logits, labels[batch])
            net.backward(dlogits)
            net.step(lr, momentum)
            history["batch_loss"].append(loss)
        if x_test is not None:
            history["test_accuracy"].append(float(np.mean(net.forward(x_test).argmax(axis=1) == y_test)))
    return history
