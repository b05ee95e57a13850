"""The exercise checkers: reference solutions pass, typical mistakes fail with the right hint."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def load(name):
    spec = importlib.util.spec_from_file_location(f"solutions_{name}", SOLUTIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(checker, fn, capsys):
    """Run a checker; passed is read from what the student sees."""
    assert checker(fn) is None
    out = capsys.readouterr().out
    return "hidden cases pass" in out, out


def not_done(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_output_size, ("nb01", "my_output_size")),
        (ex.check_corr2d, ("nb01", "my_corr2d")),
        (ex.check_same_padding, ("nb01", "my_same_padding")),
        (ex.check_im2col, ("nb02", "my_im2col")),
        (ex.check_coverage, ("nb02", "my_coverage")),
        (ex.check_conv_forward, ("nb03", "my_conv_forward")),
        (ex.check_param_count, ("nb03", "my_param_count")),
        (ex.check_conv_backward, ("nb04", "my_conv_backward")),
        (ex.check_numerical_gradient, ("nb04", "my_numerical_gradient")),
        (ex.check_dx_rot180, ("nb05", "my_dx_rot180")),
        (ex.check_dw_correlation, ("nb05", "my_dw_correlation")),
        (ex.check_mse_grad, ("nb06", "my_mse_grad")),
        (ex.check_relu_backward, ("nb06", "my_relu_backward")),
        (ex.check_softmax_xent_grad, ("nb06", "my_softmax_xent_grad")),
    ],
)
def test_reference_solution_passes_and_stub_is_reported(checker, solution, capsys):
    ok, out = run(checker, getattr(load(solution[0]), solution[1]), capsys)
    assert ok, out
    assert "hidden cases pass" in out
    ok, out = run(checker, not_done, capsys)
    assert not ok and "not implemented yet" in out


def floor_formula(padding_sides=2, use_dilation=True, floor=True, plus_one=True, use_stride=True):
    def fn(size, kernel_size, stride, padding, dilation):
        reach = (dilation if use_dilation else 1) * (kernel_size - 1) + 1
        room = size + padding_sides * padding - reach
        s = stride if use_stride else 1
        steps = room // s if floor else room / s
        return steps + (1 if plus_one else 0)

    return fn


@pytest.mark.parametrize(
    "fn, hint",
    [
        (floor_formula(floor=False), "forgot the floor"),
        (floor_formula(padding_sides=1), "padding counted once"),
        (floor_formula(use_dilation=False), "dilation ignored"),
        (floor_formula(plus_one=False), "off by one"),
        (floor_formula(use_stride=False), "stride ignored"),
        (
            lambda size, kernel_size, stride, padding, dilation: (
                -(-(size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride) + 1
            ),
            "rounded up",
        ),
    ],
)
def test_output_size_hints(fn, hint, capsys):
    ok, out = run(ex.check_output_size, fn, capsys)
    assert not ok
    assert hint in out and "expected:" in out and "call:" in out


def test_corr2d_hints(capsys):
    assert "flipped the kernel" in run(ex.check_corr2d, lambda x, w: cl.convolve2d(x, w), capsys)[1]
    assert "(H-KH+1, W-KW+1)" in run(ex.check_corr2d, lambda x, w: cl.corr2d(x, w, padding=1), capsys)[1]
    assert "raised ZeroDivisionError" in run(ex.check_corr2d, lambda x, w: 1 / 0, capsys)[1]


def test_same_padding_hints(capsys):
    assert (
        "cannot be split evenly"
        in run(ex.check_same_padding, lambda kernel_size, dilation: ((kernel_size - 1) * dilation // 2,) * 2, capsys)[1]
    )
    assert (
        "dilation ignored"
        in run(
            ex.check_same_padding,
            lambda kernel_size, dilation: ((kernel_size - 1) // 2, kernel_size - 1 - (kernel_size - 1) // 2),
            capsys,
        )[1]
    )
    wrong_side = lambda kernel_size, dilation: (
        dilation * (kernel_size - 1) - dilation * (kernel_size - 1) // 2,
        dilation * (kernel_size - 1) // 2,
    )  # noqa: E731
    assert "extra row goes after" in run(ex.check_same_padding, wrong_side, capsys)[1]


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


def test_conv_forward_hints(capsys):
    def nhwf(x, w, b, stride, padding):
        return cl.conv2d(x, w, b, stride, padding).transpose(0, 2, 3, 1)

    def no_bias(x, w, b, stride, padding):
        return cl.conv2d(x, w, None, stride, padding)

    def scrambled(x, w, b, stride, padding):
        y = cl.conv2d(x, w, b, stride, padding)
        return y.transpose(0, 2, 3, 1).reshape(y.shape)

    assert "transpose it to (N, F, OH, OW)" in run(ex.check_conv_forward, nhwf, capsys)[1]
    assert "bias is missing" in run(ex.check_conv_forward, no_bias, capsys)[1]
    assert "reshaped the (N*OH*OW, F) product straight" in run(ex.check_conv_forward, scrambled, capsys)[1]


def test_param_count_hints(capsys):
    def count(bias_per):
        def fn(C, F, kernel_size, bias):
            KH, KW = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
            return F * C * KH * KW + (bias_per(C, F) if bias else 0)

        return fn

    assert "biases are missing" in run(ex.check_param_count, count(lambda C, F: 0), capsys)[1]
    assert "not per (filter, channel)" in run(ex.check_param_count, count(lambda C, F: C * F), capsys)[1]


def test_checker_does_not_let_student_modify_its_cases(capsys):
    def vandal(x, w):
        x[...] = 0
        return cl.corr2d(x, w)

    run(ex.check_corr2d, vandal, capsys)
    assert run(ex.check_corr2d, load("nb01").my_corr2d, capsys)[0]


def test_coverage_padded_grid_hint(capsys):
    def uncropped(H, W, kernel_size, stride, padding):
        xp = np.zeros((1, 1, H + 2 * padding, W + 2 * padding))
        ones = np.ones_like(cl.im2col(xp, kernel_size, stride))
        return cl.col2im(ones, xp.shape, kernel_size, stride)[0, 0]

    assert "crop the padding off" in run(ex.check_coverage, uncropped, capsys)[1]


def test_conv_backward_hints(capsys):
    def with_db(db_fn):
        def fn(dy, x, w, stride, padding):
            dx, dw, _ = cl.conv2d_backward(dy, x, w, stride, padding)
            return dx, dw, db_fn(dy)

        return fn

    def assigning(dy, x, w, stride, padding):
        return (ex._col2im_assign(dy, x, w, stride, padding),) + cl.conv2d_backward(dy, x, w, stride, padding)[1:]

    def uncropped(dy, x, w, stride, padding):
        dx, dw, db = cl.conv2d_backward(dy, x, w, stride, padding)
        return cl.pad2d(dx, padding), dw, db

    def swapped_dw(dy, x, w, stride, padding):
        dx, dw, db = cl.conv2d_backward(dy, x, w, stride, padding)
        return dx, dw.transpose(1, 0, 2, 3), db

    assert "dy.sum(axis=(0, 2, 3))" in run(ex.check_conv_backward, with_db(lambda dy: dy.sum(axis=(2, 3))), capsys)[1]
    assert "must add (+=)" in run(ex.check_conv_backward, assigning, capsys)[1]
    assert "still includes the padding" in run(ex.check_conv_backward, uncropped, capsys)[1]
    assert "it must match w" in run(ex.check_conv_backward, swapped_dw, capsys)[1]


def test_numerical_gradient_hints(capsys):
    def scaled(k, one_sided=False, restore=True):
        def fn(f, x, eps=1e-6):
            x = np.array(x, dtype=float)
            g = np.zeros_like(x)
            for i in range(x.size):
                old = x[i]
                x[i] = old + eps
                up = f(x)
                x[i] = old if one_sided else old - eps
                down = f(x)
                if restore:
                    x[i] = old
                g[i] = (up - down) / (k * eps)
            return g

        return fn

    assert "divide by 2*eps" in run(ex.check_numerical_gradient, scaled(1), capsys)[1]
    assert "not 4*eps" in run(ex.check_numerical_gradient, scaled(4), capsys)[1]
    assert "restore x[i]" in run(ex.check_numerical_gradient, scaled(2, restore=False), capsys)[1]

    def forward_difference(f, x, eps=1e-4):
        x = np.array(x, dtype=float)
        base = f(x)
        g = np.zeros_like(x)
        for i in range(x.size):
            x[i] += eps
            g[i] = (f(x) - base) / eps
            x[i] -= eps
        return g

    assert "not a one-sided one" in run(ex.check_numerical_gradient, forward_difference, capsys)[1]


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
    cases = ex._rot180_cases()
    assert any((c["x_shape"][2] + 2 * c["padding"] - c["w"].shape[2]) % c["stride"] for c in cases)
    assert any(c["padding"] > c["w"].shape[2] - 1 for c in cases)


def test_dw_correlation_hints(capsys):
    sol = load("nb05").my_dw_correlation
    assert "(C, F, KH, KW)" in run(ex.check_dw_correlation, lambda **a: sol(**a).transpose(1, 0, 2, 3), capsys)[1]


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
    assert cl.rel_error(ex._xent_grad(logits, labels), num) < 1e-8
