"""conv_lab.speed: the timing helpers' structure and results, never their timings."""

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import speed
from tests import oracle


class TestBestOfRounds:
    def test_every_contender_runs_once_per_round_in_turn(self):
        calls = []
        best = speed.best_of_rounds({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, rounds=3)
        assert calls == ["a", "b"] * 3
        assert list(best) == ["a", "b"] and all(t >= 0 for t in best.values())

    @pytest.mark.parametrize("rounds", [0, -1])
    def test_rounds_must_be_positive(self, rounds):
        with pytest.raises(ValueError, match="rounds"):
            speed.best_of_rounds({"a": lambda: None}, rounds=rounds)

    @pytest.mark.parametrize("contenders", [{}, [lambda: None], {"a": 1}])
    def test_contenders_must_be_a_dict_of_callables(self, contenders):
        with pytest.raises(TypeError, match="contenders"):
            speed.best_of_rounds(contenders)


class TestTextbook:
    @pytest.mark.parametrize(
        "x_shape, w_shape, s, p, d",
        [
            ((2, 3, 7, 6), (4, 3, 3, 2), 2, 1, 1),
            ((1, 2, 9, 8), (3, 2, 2, 3), 3, 2, 2),
            ((2, 1, 5, 5), (1, 1, 1, 1), 1, 0, 1),
        ],
    )
    def test_matches_the_loop_oracle(self, x_shape, w_shape, s, p, d):
        rng = np.random.default_rng(7)
        x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
        want = oracle.conv_forward(x, w, b, (s, s), (p, p), (d, d))
        np.testing.assert_allclose(speed.conv2d_textbook(x, w, b, s, p, d), want, rtol=1e-10, atol=1e-12)

    def test_keeps_float32_and_integers_exact(self):
        x = np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5)
        w = np.arange(2 * 3 * 3 * 3).reshape(2, 3, 3, 3) - 20
        assert np.array_equal(speed.conv2d_textbook(x, w, np.array([1, -1])), cl.conv2d(x, w, np.array([1, -1])))
        y32 = speed.conv2d_textbook(x.astype(np.float32), w.astype(np.float32))
        assert y32.dtype == np.float32

    def test_rejects_a_wrong_bias(self):
        with pytest.raises(ValueError, match="b must have shape"):
            speed.conv2d_textbook(np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3)), np.ones(3))


class TestForwardContenders:
    def test_every_contender_computes_its_part(self):
        rng = np.random.default_rng(1)
        x, w = rng.standard_normal((2, 3, 8, 7)), rng.standard_normal((4, 3, 3, 2))
        contenders = speed.forward_contenders(x, w, stride=2, padding=1, dilation=2)
        assert list(contenders) == [*speed.FORWARD_CONTENDERS, "matmul", "copy"]
        want = oracle.conv_forward(x, w, None, (2, 2), (1, 1), (2, 2))
        for name in speed.FORWARD_CONTENDERS:
            np.testing.assert_allclose(contenders[name](), want, rtol=1e-10, atol=1e-12)
        cols = contenders["copy"]()
        assert np.array_equal(cols, cl.im2col(x, (3, 2), 2, 1, 2))
        N, F, OH, OW = want.shape
        np.testing.assert_allclose(contenders["matmul"](), want.transpose(0, 2, 3, 1).reshape(N * OH * OW, F))

    def test_time_forward_returns_a_time_for_every_dtype_and_contender(self):
        times = speed.time_forward((2, 3, 6, 6), (2, 3, 3, 3), padding=1, rounds=1, threads=None)
        assert list(times) == ["float64", "float32"]
        for by_name in times.values():
            assert list(by_name) == [*speed.FORWARD_CONTENDERS, "matmul", "copy"]
            assert all(t > 0 for t in by_name.values())

    def test_time_forward_refuses_integer_dtypes(self):
        with pytest.raises(ValueError, match="dtypes"):
            speed.time_forward((1, 1, 4, 4), (1, 1, 3, 3), dtypes=("int64",), rounds=1)

    def test_one_blas_thread_inside_blas_threads(self):
        threadpoolctl = pytest.importorskip("threadpoolctl")
        with speed.blas_threads(1):
            infos = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
            assert infos and all(i["num_threads"] == 1 for i in infos)

    def test_matmul_flops(self):
        assert speed.matmul_flops(2, 3, 4) == 2 * 2 * 3 * 4
