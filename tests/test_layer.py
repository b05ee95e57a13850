"""The Conv2d layer object."""

import numpy as np
import pytest

import conv_lab as cl


def make(**kw):
    return cl.Conv2d(2, 3, (3, 2), stride=2, padding=1, dilation=(1, 2), rng=0, **kw)


def test_attributes_and_init():
    layer = make()
    assert layer.weight.shape == (3, 2, 3, 2)
    assert layer.bias.shape == (3,)
    assert layer.dweight is None and layer.dbias is None
    assert abs(layer.weight.std() - np.sqrt(2 / 12)) < 0.3
    np.testing.assert_array_equal(make().weight, layer.weight)  # seeded
    assert cl.Conv2d(2, 3, 3, bias=False).bias is None


def test_forward_backward_match_functions():
    layer = make()
    x = np.random.default_rng(1).standard_normal((2, 2, 7, 8))
    y = layer.forward(x)
    settings = dict(stride=2, padding=1, dilation=(1, 2))
    np.testing.assert_array_equal(y, cl.conv2d(x, layer.weight, layer.bias, **settings))
    dy = np.random.default_rng(2).standard_normal(y.shape)
    dx = layer.backward(dy)
    ref = cl.conv2d_backward(dy, x, layer.weight, **settings)
    for got, want in zip((dx, layer.dweight, layer.dbias), ref):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_backward_does_not_update_weights_and_sgd_does():
    layer = make()
    x = np.random.default_rng(1).standard_normal((2, 2, 7, 8))
    w0, b0 = layer.weight.copy(), layer.bias.copy()
    layer.backward(np.ones_like(layer.forward(x)))
    np.testing.assert_array_equal(layer.weight, w0)
    layer.sgd_step(0.1)
    np.testing.assert_allclose(layer.weight, w0 - 0.1 * layer.dweight)
    np.testing.assert_allclose(layer.bias, b0 - 0.1 * layer.dbias)


def test_backward_uses_the_input_seen_by_forward():
    layer = make()
    x = np.random.default_rng(1).standard_normal((1, 2, 7, 8))
    dy = np.ones_like(layer.forward(x))
    x_then = x.copy()
    x[...] = 0  # the caller reuses its buffer
    layer.backward(dy)
    np.testing.assert_allclose(layer.dweight, cl.conv2d_backward(dy, x_then, layer.weight, 2, 1, (1, 2))[1])


def test_sgd_reduces_a_quadratic_loss():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 2, 7, 8))
    target = cl.conv2d(x, rng.standard_normal((3, 2, 3, 2)), stride=2, padding=1, dilation=(1, 2))
    layer = make()
    losses = []
    for _ in range(30):
        y = layer.forward(x)
        losses.append(0.5 * np.mean((y - target) ** 2))
        layer.backward((y - target) / y.size)
        layer.sgd_step(0.5)
    assert losses[-1] < 0.1 * losses[0]


@pytest.mark.parametrize("method", ["im2col", "rot180", "loops"])
def test_backward_method_is_passed_on(method):
    layer = make(backward_method=method)
    x = np.random.default_rng(1).standard_normal((1, 2, 7, 8))
    dy = np.random.default_rng(2).standard_normal(layer.forward(x).shape)
    dx = layer.backward(dy)
    ref = cl.conv2d_backward(dy, x, layer.weight, 2, 1, (1, 2), method="loops")[0]
    np.testing.assert_allclose(dx, ref, atol=1e-12)


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        make().backward(np.zeros((1, 3, 4, 3)))


def test_sgd_before_backward():
    with pytest.raises(RuntimeError, match=r"sgd_step\(\) called before backward\(\)"):
        make().sgd_step(0.1)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="in_channels must be >= 1, got 0"):
        cl.Conv2d(0, 3, 3)
    with pytest.raises(TypeError, match="rng must be None, an int seed, or a numpy Generator"):
        cl.Conv2d(1, 3, 3, rng="seed")
    with pytest.raises(ValueError, match="unknown method 'fast'"):
        cl.Conv2d(1, 3, 3, backward_method="fast")
    with pytest.raises(ValueError, match="dy must have the forward output's shape"):
        layer = cl.Conv2d(1, 1, 3)
        layer.forward(np.zeros((1, 1, 5, 5)))
        layer.backward(np.zeros((1, 1, 2, 2)))


class TestGroups:
    def test_parameter_shapes_and_fan_in(self):
        layer = cl.Conv2d(64, 128, 3, groups=32, rng=0)
        assert layer.weight.shape == (128, 2, 3, 3) and layer.groups == 32
        # He init with fan-in C/groups*KH*KW = 18 inputs per output, not C*KH*KW = 576
        assert abs(layer.weight.std() / np.sqrt(2 / 18) - 1) < 0.05
        depthwise = cl.Conv2d(16, 16, (3, 5), groups=16, rng=0)
        assert depthwise.weight.shape == (16, 1, 3, 5)

    def test_forward_backward_match_functions(self):
        layer = cl.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=(1, 2), groups=2, rng=0)
        x = np.random.default_rng(1).standard_normal((2, 4, 7, 8))
        settings = dict(stride=2, padding=1, dilation=(1, 2), groups=2)
        y = layer.forward(x)
        np.testing.assert_array_equal(y, cl.conv2d(x, layer.weight, layer.bias, **settings))
        dy = np.random.default_rng(2).standard_normal(y.shape)
        dx = layer.backward(dy)
        for got, want in zip((dx, layer.dweight, layer.dbias), cl.conv2d_backward(dy, x, layer.weight, **settings)):
            np.testing.assert_allclose(got, want, atol=1e-12)

    def test_repr_shows_groups_only_when_not_1(self):
        assert repr(cl.Conv2d(4, 6, 3, groups=2)) == (
            "Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=2, bias=True)"
        )
        assert "groups" not in repr(cl.Conv2d(4, 6, 3))


@pytest.mark.parametrize("method", ["fft", "winograd"])
def test_forward_only_methods_train_with_a_backward_method(method):
    """The backward pass needs only x and the weight, so a layer may compute its forward pass by FFT or Winograd."""
    layer = cl.Conv2d(4, 6, 3, padding=1, groups=2, rng=0, forward_method=method, backward_method="rot180")
    ref = cl.Conv2d(4, 6, 3, padding=1, groups=2, rng=0)
    x = np.random.default_rng(1).standard_normal((2, 4, 5, 6))
    y = layer.forward(x)
    cl.check_close(y, ref.forward(x), f"{method} layer forward vs im2col", atol=1e-12)
    dy = np.random.default_rng(2).standard_normal(y.shape)
    cl.check_close(layer.backward(dy), ref.backward(dy), f"{method} layer dx", atol=1e-12)
    cl.check_close(layer.dweight, ref.dweight, f"{method} layer dweight", atol=1e-12)
