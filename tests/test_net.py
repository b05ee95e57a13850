"""The notebook-06 network and its data: gradients against a float64 numerical gradient."""

import numpy as np
import pytest

import conv_lab as cl
from conv_lab.data import load_digits_split, split_validation
from conv_lab.net import DigitNet, LinearClassifier, evaluate, softmax_cross_entropy, train


def _batch(n=3, seed=5):
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, 8, 8)), rng.integers(0, 10, n)


def _loss(net, x, labels):
    return np.array(softmax_cross_entropy(net.forward(x), labels)[0])


class TestSoftmaxCrossEntropy:
    def test_gradient_matches_numerical_gradient(self):
        rng = np.random.default_rng(0)
        logits, labels = rng.standard_normal((4, 5)) * 3, np.array([0, 4, 2, 2])
        _, dlogits = softmax_cross_entropy(logits, labels)
        num = cl.numerical_gradient(lambda z: np.array(softmax_cross_entropy(z, labels)[0]), logits, np.array(1.0))
        assert cl.rel_error(dlogits, num) < 1e-8

    def test_large_logits_do_not_overflow(self):
        loss, d = softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([0]))
        assert np.isfinite(loss) and np.all(np.isfinite(d))

    def test_rejects_bad_labels(self):
        with pytest.raises(ValueError, match="labels"):
            softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))


class TestEvaluate:
    """The held-out measure of notebook 06, against a loop over the images with math.exp and math.log."""

    @pytest.mark.parametrize("model", ["digitnet", "linear"])
    def test_loss_and_accuracy_match_a_loop(self, model):
        import math

        x, labels = _batch(7, seed=11)
        net = DigitNet(rng=4, channels=(3, 4)) if model == "digitnet" else LinearClassifier()
        if model == "linear":
            net.W = np.random.default_rng(2).standard_normal(net.W.shape)
        logits = net.forward(x).tolist()
        losses, right = [], 0
        for row, label in zip(logits, labels.tolist()):
            total = sum(math.exp(v) for v in row)
            losses.append(-math.log(math.exp(row[label]) / total))
            right += max(range(len(row)), key=row.__getitem__) == label
        loss, acc = evaluate(net, x, labels)
        assert loss == pytest.approx(sum(losses) / len(losses), rel=1e-12)
        assert acc == right / len(labels)

    def test_changes_nothing(self):
        x, labels = _batch(5, seed=12)
        net = DigitNet(rng=5, channels=(3, 4))
        before = {name: net.get(name).copy() for name in net.parameters()}
        x_copy = x.copy()
        evaluate(net, x, labels)
        assert all(np.array_equal(net.get(name), v) for name, v in before.items())
        assert np.array_equal(x, x_copy)

    def test_rejects_bad_labels(self):
        with pytest.raises(ValueError, match="labels"):
            evaluate(LinearClassifier(), np.zeros((2, 1, 8, 8)), np.array([0.5, 1.0]))


class TestDigitNetGradients:
    """Every parameter, dx into layer 1 (conv2's dx) and dx of the image, on a narrow copy of the network."""

    @pytest.mark.parametrize("method", cl.BACKWARD_METHODS)
    def test_every_parameter(self, method):
        x, labels = _batch()
        net = DigitNet(rng=1, channels=(3, 4), backward_method=method)
        net.backward(softmax_cross_entropy(net.forward(x), labels)[1])
        grads = dict(net.grads)
        assert set(grads) == set(net.parameters())
        for name in net.parameters():
            original = net.get(name)

            def loss_at(value, name=name):
                net.set(name, value)
                return _loss(net, x, labels)

            num = cl.numerical_gradient(loss_at, original, np.array(1.0))
            net.set(name, original)
            assert cl.rel_error(grads[name], num) < 1e-6, name

    def test_dx_into_layer_one_and_into_the_image(self):
        x, labels = _batch()
        net = DigitNet(rng=2, channels=(3, 4))
        dx = net.backward(softmax_cross_entropy(net.forward(x), labels)[1])
        da1 = net.da1.copy()
        a1 = net.a1.copy()

        def from_a1(a):  # the network above layer 1's output
            h = np.maximum(cl.conv2d(a, net.conv2.weight, net.conv2.bias, stride=2, padding=1), 0)
            return np.array(softmax_cross_entropy(h.reshape(len(a), -1) @ net.W + net.c, labels)[0])

        assert cl.rel_error(da1, cl.numerical_gradient(from_a1, a1, np.array(1.0))) < 1e-6
        assert cl.rel_error(dx, cl.numerical_gradient(lambda v: _loss(net, v, labels), x, np.array(1.0))) < 1e-6

    def test_layer_two_geometry_is_the_leftover_case(self):
        """conv2 on 8x8: stride 2, padding 1, a = 1 row of padding below the last window; every row read."""
        assert cl.stride_leftover(8, 3, stride=2, padding=1) == 1
        assert cl.rows_read(8, 3, stride=2, padding=1).all()


class TestRoutesAndDtypes:
    def test_rot180_and_im2col_routes_train_the_same(self):
        x, labels = _batch(40, seed=7)
        curves = []
        for method in ("im2col", "rot180"):
            net = DigitNet(rng=0, channels=(4, 8), backward_method=method)
            curves.append(train(net, x, labels, epochs=2, lr=0.05, batch_size=10)["batch_loss"])
        np.testing.assert_allclose(curves[0], curves[1], rtol=1e-10)

    def test_float32_stays_float32(self):
        x, labels = _batch(20, seed=8)
        net = DigitNet(rng=0, channels=(4, 8), dtype=np.float32)
        train(net, x.astype(np.float32), labels, epochs=1, lr=0.05, batch_size=10)
        assert net.forward(x.astype(np.float32)).dtype == np.float32
        for name in net.parameters():
            assert net.get(name).dtype == np.float32, name
            assert net.grads[name].dtype == np.float32, name

    def test_frozen_control_keeps_its_convolutions(self):
        x, labels = _batch(20, seed=9)
        net = DigitNet(rng=0, channels=(4, 8), train_convs=False)
        w1, w2, W = net.conv1.weight.copy(), net.conv2.weight.copy(), net.W.copy()
        train(net, x, labels, epochs=1, lr=0.05, batch_size=10)
        assert np.array_equal(net.conv1.weight, w1) and np.array_equal(net.conv2.weight, w2)
        assert not np.array_equal(net.W, W)

    def test_frozen_training_on_stored_features_matches_a_plain_loop(self):
        """train() computes a frozen net's features once; the same steps through net.forward give the same net."""
        rng = np.random.default_rng(5)
        x, labels = rng.standard_normal((40, 1, 8, 8)), rng.integers(0, 10, 40)
        fast = DigitNet(rng=1, channels=(4, 8), train_convs=False)
        train(fast, x, labels, epochs=2, lr=0.05, batch_size=16, seed=3)
        slow = DigitNet(rng=1, channels=(4, 8), train_convs=False)
        order = np.random.default_rng(3)
        for _ in range(2):
            perm = order.permutation(len(x))
            for start in range(0, len(x), 16):
                batch = perm[start : start + 16]
                slow.backward(softmax_cross_entropy(slow.forward(x[batch]), labels[batch])[1])
                slow.step(0.05, 0.9)
        np.testing.assert_allclose(fast.W, slow.W, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(fast.c, slow.c, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(fast.features(x) @ fast.W + fast.c, fast.forward(x), rtol=1e-12, atol=1e-12)

    def test_linear_classifier_gradient(self):
        x, labels = _batch(4, seed=10)
        rng = np.random.default_rng(1)
        model = LinearClassifier()
        model.W = rng.standard_normal(model.W.shape)
        model.backward(softmax_cross_entropy(model.forward(x), labels)[1])
        W0 = model.W.copy()

        def loss_at(W):
            model.W = W
            return _loss(model, x, labels)

        assert cl.rel_error(model.grads["W"], cl.numerical_gradient(loss_at, W0, np.array(1.0))) < 1e-7


class TestDigits:
    def test_split_shapes_range_and_seed(self):
        x_train, y_train, x_test, y_test = load_digits_split(seed=0)
        assert x_train.shape == (1297, 1, 8, 8) and x_test.shape == (500, 1, 8, 8)
        assert x_train.dtype == np.float64 and 0 <= x_train.min() and x_train.max() == 1.0
        assert set(np.unique(y_test)) == set(range(10))
        again = load_digits_split(seed=0)
        assert all(np.array_equal(a, b) for a, b in zip((x_train, y_train, x_test, y_test), again))
        assert not np.array_equal(load_digits_split(seed=1)[3], y_test)

    def test_train_and_test_are_disjoint_and_cover_the_set(self):
        from sklearn.datasets import load_digits

        x_train, _, x_test, _ = load_digits_split(seed=3, test_size=100)
        rows = lambda a: np.sort(a.reshape(len(a), -1).view([("", a.dtype)] * 64), axis=0)  # noqa: E731
        everything = (load_digits().images / 16.0).reshape(-1, 1, 8, 8)
        assert np.array_equal(rows(np.concatenate([x_train, x_test])), rows(everything))

    @pytest.mark.parametrize(
        "bad, error", [(dict(seed=-1), ValueError), (dict(test_size=5000), ValueError), (dict(seed=1.5), TypeError)]
    )
    def test_rejects_bad_arguments(self, bad, error):
        with pytest.raises(error):
            load_digits_split(**bad)


class TestSplitValidation:
    def test_disjoint_and_complete(self):
        x_train, y_train, _, _ = load_digits_split(seed=0)
        ids = np.arange(len(y_train))  # stand-in labels that name each example
        x_fit, id_fit, x_val, id_val = split_validation(x_train, ids, 300, seed=0)
        assert len(id_val) == 300 and len(id_fit) == len(ids) - 300
        assert np.array_equal(np.sort(np.concatenate([id_fit, id_val])), ids)  # every example once
        assert np.array_equal(x_fit, x_train[id_fit]) and np.array_equal(x_val, x_train[id_val])
        assert np.all(np.diff(id_fit) > 0)  # the fitting part keeps its order

    def test_seeded(self):
        ids = np.arange(50)
        assert np.array_equal(split_validation(ids, ids, 10, seed=4)[3], split_validation(ids, ids, 10, seed=4)[3])
        assert not np.array_equal(split_validation(ids, ids, 10, seed=4)[3], split_validation(ids, ids, 10, seed=5)[3])

    def test_does_not_modify_inputs(self):
        x, labels = np.arange(12.0).reshape(6, 2), np.arange(6)
        split_validation(x, labels, 2)
        assert np.array_equal(x, np.arange(12.0).reshape(6, 2)) and np.array_equal(labels, np.arange(6))

    @pytest.mark.parametrize(
        "kwargs, error, match",
        [
            (dict(size=0), ValueError, "size"),
            (dict(size=6), ValueError, "size must leave"),
            (dict(size=2.5), TypeError, "size"),
            (dict(size=2, seed=-1), ValueError, "seed"),
        ],
    )
    def test_bad_arguments(self, kwargs, error, match):
        with pytest.raises(error, match=match):
            split_validation(np.zeros((6, 2)), np.arange(6), **kwargs)

    def test_labels_must_match(self):
        with pytest.raises(ValueError, match="labels must have shape"):
            split_validation(np.zeros((6, 2)), np.arange(5), 2)
