"""Every route around a refusal in ../shared/reviews/checkers.md, for every function checker: refused.

Each checker has a cheat: a correct answer computed by the routine the exercise replaces. Each route reaches that
routine another way (an alias, a reference taken before the call, a rebuilt function, a spoofed caller, ...). The
direct call is the control. Third-party delegation (torch, scipy, numpy) stays allowed and is not tested here.
"""

import functools
import gc
import importlib.util
import inspect
import sys
import types

import numpy as np
import pytest

import conv_lab as cl
from conv_lab import exercises as ex
from conv_lab.exercises import _common, _guard, nb01, nb02, nb03, nb04, nb05, nb06, nb07

from .test_fuzz import FUNCTION_CHECKERS

# --- one cheat per checker: (the routine it delegates to, the student function given a way to reach it) --------


def _unread(get):
    def fn(size, kernel_size, stride, padding, dilation):
        return [int(i) for i in np.flatnonzero(~get()(size, kernel_size, stride, padding, dilation))]

    return fn


def _padding_for(get):
    def fn(size, kernel_size, stride, dilation, out_size):
        return next(p for p in range(99) if get()(size, kernel_size, stride, p, dilation) == out_size)

    return fn


def _windows_1d(get):
    def fn(x, K, stride, dilation, padding):
        return get()(np.pad(x, padding)[None, None, None, :], (1, K), stride, 0, (1, dilation))

    return fn


def _fft_length(get):
    def fn(H, K, padding):
        rng = np.random.default_rng(0)
        x, w = rng.standard_normal((1, 1, H, 1)), rng.standard_normal((1, 1, K, 1))
        want = get()(x, w, padding=(padding, 0))[0, 0, :, 0]
        for L in range(1, H + 2 * padding + K + 2):
            xp = np.pad(x[0, 0, :, 0], padding)
            y = np.fft.irfft(np.fft.rfft(xp, L) * np.fft.rfft(w[0, 0, :, 0], L).conj(), L)[: len(want)]
            if len(y) == len(want) and np.allclose(y, want):
                return L
        return -1

    return fn


def _readout(get):
    def fn(h, V, dlogits):
        pooled = h.mean(axis=(2, 3))
        dV = get()(lambda v: pooled @ v, V, dlogits)
        dh = get()(lambda hh: hh.mean(axis=(2, 3)) @ V, h, dlogits)
        return dV, dlogits.sum(axis=0), dh

    return fn


def _two_conv(get):
    def fn(x, w1, w2, dy, stride, padding):
        z1 = np.asarray(nb06.conv2d(x, w1, padding=1))
        a1 = np.maximum(z1, 0)
        da1, dw2, _ = get()(dy, a1, w2, stride=stride, padding=padding)
        dx, dw1, _ = get()(da1 * (z1 > 0), x, w1, padding=1)
        return dx, dw1, dw2

    return fn


def _net(get):
    def fn(x, w1, b1, w2, b2, dy, stride, padding):
        z1 = np.asarray(nb06.conv2d(x, w1, b1, padding=1))
        a1 = np.maximum(z1, 0)
        da1, dw2, db2 = get()(dy, a1, w2, stride=stride, padding=padding)
        _, dw1, db1 = get()(da1 * (z1 > 0), x, w1, padding=1)
        return dw1, db1, dw2, db2

    return fn


CHEATS = {
    "check_padding_for": (cl.output_size, _padding_for),
    "check_corr2d": (
        cl.corr2d,
        lambda get: lambda x, w, stride, padding, dilation: get()(x, w, stride, padding, dilation),
    ),
    "check_unread_rows": (cl.rows_read, _unread),
    "check_windows_1d": (cl.im2col, _windows_1d),
    "check_im2col_nhwc": (
        cl.im2col,
        lambda get: (
            lambda x, kernel_size, stride, padding, dilation: nb02._to_khkwc(
                get()(x.transpose(0, 3, 1, 2), nb02._pair(kernel_size), stride, padding, dilation),
                x.shape[3],
                *nb02._pair(kernel_size),
            )
        ),
    ),
    "check_col2im": (
        cl.col2im,
        lambda get: (
            lambda cols, x_shape, kernel_size, stride, padding, dilation: get()(
                cols, x_shape, kernel_size, stride, padding, dilation
            )
        ),
    ),
    "check_conv1x1": (cl.conv2d, lambda get: lambda x, w, b, stride: get()(x, w, b, stride)),
    "check_conv_forward": (
        cl.conv2d,
        lambda get: lambda x, w, b, stride, padding, dilation: get()(x, w, b, stride, padding, dilation),
    ),
    "check_conv_forward_fixed": (
        cl.conv2d,
        lambda get: lambda x, w, b, stride, padding: get()(x, w, b, stride, padding),
    ),
    "check_corr1d_backward": (
        cl.conv2d_backward,
        lambda get: (
            lambda dy, x, w, stride, dilation: tuple(
                g[0, 0, 0]
                for g in get()(
                    dy[None, None, None], x[None, None, None], w[None, None, None], (1, stride), 0, (1, dilation)
                )[:2]
            )
        ),
    ),
    "check_conv_backward": (
        cl.conv2d_backward,
        lambda get: (
            lambda dy, w, x_shape, stride, padding, dilation: get()(
                dy, np.zeros(x_shape), w, stride, padding, dilation
            )[0]
        ),
    ),
    "check_dw_correlation": (
        cl.conv2d_backward,
        lambda get: (
            lambda dy, x, kernel_size, stride, padding: get()(
                dy, x, np.zeros((dy.shape[1], x.shape[1], *kernel_size)), stride, padding
            )[1]
        ),
    ),
    "check_conv_transpose": (
        cl.conv_transpose2d,
        lambda get: (
            lambda y, w, stride, padding, output_padding, dilation: get()(
                y, w, stride, padding, output_padding, dilation
            )
        ),
    ),
    "check_dx_by_scatter": (
        cl.conv2d_backward,
        lambda get: lambda dy, w, x_shape, stride, padding: get()(dy, np.zeros(x_shape), w, stride, padding)[0],
    ),
    "check_readout_backward": (cl.numerical_gradient, _readout),
    "check_two_conv_backward": (cl.conv2d_backward, _two_conv),
    "check_net_gradients": (cl.conv2d_backward, _net),
    "check_grouped_product": (  # the columns of cols as the channels of a 1x1 grouped layer
        cl.conv2d,
        lambda get: (
            lambda cols, w, b, groups: (
                get()(cols.T[None, :, :, None], w.reshape(w.shape[0], -1, 1, 1), b, groups=groups)[0, :, :, 0].T
            )
        ),
    ),
    "check_fft_length": (cl.conv2d, _fft_length),
}


def test_every_function_checker_has_a_cheat():
    assert sorted(CHEATS) == FUNCTION_CHECKERS


@pytest.mark.parametrize("name", FUNCTION_CHECKERS)
def test_the_cheat_is_right(name, capsys):
    """Without the guard the cheat computes the answer: so a refusal below is the guard's doing."""
    routine, make = CHEATS[name]
    fn = make(lambda: routine)
    checker = getattr(ex, name)
    token = _guard.TRUSTED.set(frozenset(_guard._SUBMODULES) | {"exercises.nb02"})  # trust the library itself
    try:
        checker(fn)
    finally:
        _guard.TRUSTED.reset(token)
    assert _common.PASS_TEXT in capsys.readouterr().out


# --- the routes --------------------------------------------------------------------------------------------


def _copy_of_module(routine):
    """The routine from a fresh copy of its module (what importlib.reload gives), not the loaded one."""
    module = sys.modules[inspect.unwrap(routine).__module__]
    spec = importlib.util.spec_from_file_location(module.__name__ + "_copy", module.__file__)
    copy = importlib.util.module_from_spec(spec)
    copy.__package__ = "conv_lab"
    spec.loader.exec_module(copy)
    return getattr(copy, routine.__name__)


def _spoofed(routine):
    namespace = {"__name__": "conv_lab.student", "r": routine}
    exec("def call(*args, **kwargs):\n    return r(*args, **kwargs)\n", namespace)
    return namespace["call"]


def _code_copy(routine):
    u = inspect.unwrap(routine)
    fn = types.FunctionType(u.__code__, u.__globals__, "mine", u.__defaults__, u.__closure__)
    fn.__kwdefaults__ = u.__kwdefaults__
    return fn


def _default_argument(routine):
    def use(*args, _r=routine, **kwargs):
        return _r(*args, **kwargs)

    return use


def _gc_search(routine):
    code = inspect.unwrap(routine).__code__
    return next(o for o in gc.get_objects() if isinstance(o, types.FunctionType) and o.__code__ is code)


ROUTES = {  # route -> (how the alias is made from the routine, made at call time?)
    "the direct call (control)": (lambda r: r, False),
    "__wrapped__": (lambda r: getattr(r, "__wrapped__", r), False),
    "inspect.unwrap": (inspect.unwrap, False),
    "the closure cell": (lambda r: r.__closure__[0].cell_contents if r.__closure__ else r, False),
    "a default argument taken before": (_default_argument, False),
    "a dict taken before": (lambda r: {"f": r}["f"], False),
    "functools.partial made before": (functools.partial, False),
    "a function rebuilt from the code object": (_code_copy, False),
    "a caller whose module is named conv_lab.student": (_spoofed, False),
    "laundered by _checks.quiet_nonfinite": (lambda r: cl._checks.quiet_nonfinite(r), False),
    "a fresh copy of the module (reload)": (_copy_of_module, True),
    "a search of gc.get_objects": (_gc_search, True),
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("name", FUNCTION_CHECKERS)
def test_every_route_is_refused(name, route, capsys):
    routine, make = CHEATS[name]
    alias, at_call_time = ROUTES[route]
    if at_call_time:
        fn = make(lambda: alias(routine))
    else:
        taken = alias(routine)
        fn = make(lambda: taken)
    out = _run(name, fn, capsys)
    assert "this exercise asks you to write it without" in out and _common.PASS_TEXT not in out, out


def _run(name, fn, capsys):
    assert getattr(ex, name)(fn) is None
    return capsys.readouterr().out


# --- routes through other parts of the library -------------------------------------------------------------


def _layer(x, w, b, stride, padding, dilation, groups=1):
    layer = cl.Conv2d(x.shape[1], w.shape[0], w.shape[2:], stride, padding, dilation, groups=groups)
    layer.weight, layer.bias = w, b
    return layer(x)


LAYER_IDIOM = {  # the PyTorch idiom: build a Conv2d, set its weights, return layer(x)
    "check_corr2d": lambda x, w, stride, padding, dilation: _layer(
        x[None, None], w[None, None], np.zeros(1), stride, padding, dilation
    )[0, 0],
    "check_conv1x1": lambda x, w, b, stride: _layer(x, w, b, stride, 0, 1),
    "check_conv_forward": _layer,
    "check_conv_forward_fixed": lambda x, w, b, stride, padding: _layer(x, w, b, stride, padding, 1),
    "check_grouped_product": lambda cols, w, b, groups: (
        _layer(cols.T[None, :, :, None], w.reshape(w.shape[0], -1, 1, 1), b, 1, 0, 1, groups)[0, :, :, 0].T
    ),
}


@pytest.mark.parametrize("name", list(LAYER_IDIOM))
def test_the_layer_idiom_is_right(name, capsys):
    """Without the guard the idiom computes the answer: so the refusal below is the guard's doing."""
    token = _guard.TRUSTED.set(frozenset(_guard._SUBMODULES))  # trust the library itself
    try:
        getattr(ex, name)(LAYER_IDIOM[name])
    finally:
        _guard.TRUSTED.reset(token)
    assert _common.PASS_TEXT in capsys.readouterr().out


@pytest.mark.parametrize("name", list(LAYER_IDIOM))
def test_the_layer_idiom_is_refused(name, capsys):
    out = _run(name, LAYER_IDIOM[name], capsys)
    assert "without Conv2d.forward" in out and _common.PASS_TEXT not in out, out


def _transpose_by_layer(y, w, stride, padding, output_padding, dilation):
    # the transposed convolution is the layer's backward pass for an input of the right size
    H, W = (
        (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
        for n, k in zip(y.shape[2:], w.shape[2:])
    )
    layer = cl.Conv2d(w.shape[1], w.shape[0], w.shape[2:], stride, padding, dilation, bias=False)
    layer.weight = w
    layer.forward(np.zeros((y.shape[0], w.shape[1], H, W)))
    return layer.backward(y)


def _layer_backward(dy, x, w, stride, padding, dilation):
    """The PyTorch idiom for gradients: a Conv2d with the weights set, forward, then backward(dy)."""
    layer = cl.Conv2d(x.shape[1], w.shape[0], w.shape[2:], stride, padding, dilation, bias=False)
    layer.weight = w
    layer.forward(x)
    dx = layer.backward(dy)
    return dx, layer.dweight


def _two_conv_by_layers(x, w1, w2, dy, stride, padding, bias=None):
    first = cl.Conv2d(x.shape[1], w1.shape[0], w1.shape[2:], 1, 1, bias=bias is not None)
    first.weight = w1
    if bias is not None:
        first.bias = bias[0]
    z1 = first.forward(x)
    second = cl.Conv2d(w1.shape[0], w2.shape[0], w2.shape[2:], stride, padding, bias=bias is not None)
    second.weight = w2
    if bias is not None:
        second.bias = bias[1]
    second.forward(np.maximum(z1, 0))
    da1 = second.backward(dy)
    dx = first.backward(da1 * (z1 > 0))
    if bias is not None:
        return first.dweight, first.dbias, second.dweight, second.dbias
    return dx, first.dweight, second.dweight


LAYER_BACKWARD = {  # the same idiom for every gradient checker
    "check_corr1d_backward": lambda dy, x, w, stride, dilation: tuple(
        g[0, 0, 0]
        for g in _layer_backward(
            dy[None, None, None], x[None, None, None], w[None, None, None], (1, stride), 0, (1, dilation)
        )
    ),
    "check_conv_backward": lambda dy, w, x_shape, stride, padding, dilation: _layer_backward(
        dy, np.zeros(x_shape), w, stride, padding, dilation
    )[0],
    "check_dw_correlation": lambda dy, x, kernel_size, stride, padding: _layer_backward(
        dy, x, np.zeros((dy.shape[1], x.shape[1], *kernel_size)), stride, padding, 1
    )[1],
    "check_conv_transpose": _transpose_by_layer,
    "check_dx_by_scatter": lambda dy, w, x_shape, stride, padding: _layer_backward(
        dy, np.zeros(x_shape), w, stride, padding, 1
    )[0],
    "check_two_conv_backward": _two_conv_by_layers,
    "check_net_gradients": lambda x, w1, b1, w2, b2, dy, stride, padding: _two_conv_by_layers(
        x, w1, w2, dy, stride, padding, bias=(b1, b2)
    ),
}


@pytest.mark.parametrize("name", list(LAYER_BACKWARD))
def test_the_layer_backward_idiom_is_right(name, capsys):
    """Without the guard the idiom computes the answer: so the refusal below is the guard's doing."""
    token = _guard.TRUSTED.set(frozenset(_guard._SUBMODULES))
    try:
        getattr(ex, name)(LAYER_BACKWARD[name])
    finally:
        _guard.TRUSTED.reset(token)
    assert _common.PASS_TEXT in capsys.readouterr().out


@pytest.mark.parametrize("name", list(LAYER_BACKWARD))
def test_the_layer_backward_idiom_is_refused(name, capsys):
    out = _run(name, LAYER_BACKWARD[name], capsys)
    assert "without Conv2d." in out and _common.PASS_TEXT not in out, out


def _workspace_forward(x, w, b, stride, padding, dilation):
    from conv_lab._checks import geometry
    from conv_lab.columns import _Workspace

    g = geometry(x.shape, w.shape[2:], w.shape[0], stride, padding, dilation)
    ws = _Workspace(g, np.float64)
    y = np.empty((g.N, g.F, g.OH, g.OW))
    ws.forward(ws.unfold(x), ws.weights(w), out=y)
    return y + b[None, :, None, None]


def _digitnet_forward(x, w, b, stride, padding, dilation):
    from conv_lab import net

    model = net.DigitNet()
    model.conv1 = cl.Conv2d(x.shape[1], w.shape[0], w.shape[2:], stride, padding, dilation)
    model.conv1.weight, model.conv1.bias = w, b
    try:
        model.forward(x)
    except Exception:  # noqa: BLE001 - conv2 does not fit; z1 is the answer
        pass
    return model.z1


def _subclass_forward(x, w, b, stride, padding, dilation):
    class Mine(cl.Conv2d):
        go = cl.Conv2d.forward

    layer = Mine(x.shape[1], w.shape[0], w.shape[2:], stride, padding, dilation)
    layer.weight, layer.bias = w, b
    return layer.go(x)


def _block_diagonal(cols, w, b, groups):
    return cols @ cl.grouped.block_diagonal(w, groups).reshape(w.shape[0], -1).T + b


def _out_len(size, kernel_size, stride, dilation, out_size):
    return next(p for p in range(99) if cl._checks.out_len(size, kernel_size, stride, p, dilation) == out_size)


def _im2col_probe(size, kernel_size, stride, padding, dilation):
    rows = np.arange(1.0, size + 1)[None, None, :, None]
    cols = cl.im2col(rows, (kernel_size, 1), stride, (padding, 0), dilation)
    read = {int(v) - 1 for v in cols.ravel() if v > 0}
    return [r for r in range(size) if r not in read]


def _digitnet_backward(dy, w, x_shape, stride, padding, dilation):
    from conv_lab import net

    model = net.DigitNet()
    model.conv2 = cl.Conv2d(x_shape[1], w.shape[0], w.shape[2:], stride, padding, dilation)
    model.conv2.weight = w
    model.conv2.forward(np.zeros(x_shape))
    return model.conv2.backward(dy)


def _through_a_callback(x, w, b, stride, padding, dilation):
    # numerical_gradient is allowed here; the refused conv2d handed to it as f is still refused
    OH, OW = ((n + 2 * padding - (k - 1) - 1) // stride + 1 for n, k in zip(x.shape[2:], w.shape[2:]))
    dy = np.zeros((1, w.shape[0], OH, OW))
    cl.numerical_gradient(functools.partial(cl.conv2d, w=w, stride=stride, padding=padding), x[:1], dy)
    return None


OTHER_ROUTES = [
    ("check_conv_transpose", _transpose_by_layer, "Conv2d.forward"),
    ("check_conv_forward", _through_a_callback, "conv2d"),
    ("check_conv_forward", _workspace_forward, "_checks.geometry"),
    ("check_conv_forward", _digitnet_forward, "net.DigitNet.__init__"),
    ("check_conv_forward", _subclass_forward, "Conv2d.forward"),
    ("check_grouped_product", _block_diagonal, "grouped.block_diagonal"),
    ("check_padding_for", _out_len, "_checks.out_len"),
    ("check_unread_rows", _im2col_probe, "im2col"),
    ("check_conv_backward", _digitnet_backward, "Conv2d.backward"),
]


@pytest.mark.parametrize("name, fn, refused", OTHER_ROUTES, ids=[f"{n}-{r}" for n, _, r in OTHER_ROUTES])
def test_routes_through_private_and_model_code_are_refused(name, fn, refused, capsys):
    out = _run(name, fn, capsys)
    assert f"without {refused}" in out and _common.PASS_TEXT not in out, out


def _by_taps_variant(x, w, stride, padding, dilation):  # per axis: stride (sh, sw), padding ((top, bottom), ...)
    shape = [
        (n + sum(p) - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in zip(x.shape, w.shape, stride, padding, dilation)
    ]
    return nb01._taps_variant(x, w, stride, padding, dilation, shape=shape)


CHECKER_HELPERS = [  # the checkers' own private helpers that compute an exercise's answer (from the report)
    ("check_corr2d", _by_taps_variant),
    (
        "check_unread_rows",
        lambda size, kernel_size, stride, padding, dilation: nb01._unread_variant(
            size, kernel_size, stride, padding, dilation
        ),
    ),
    ("check_windows_1d", nb02._windows_1d),
    (
        "check_im2col_nhwc",
        lambda x, kernel_size, stride, padding, dilation: nb02._nhwc_reference(
            x, kernel_size, stride, padding, dilation
        ),
    ),
    ("check_col2im", nb02._scatter),
    ("check_conv1x1", lambda x, w, b, stride: nb03._forward_reference(x, w, b, stride, 0, 1)),
    ("check_conv_forward", nb03._forward_reference),
    (
        "check_conv_forward_fixed",
        lambda x, w, b, stride, padding: nb03._canvas_forward(x, w, b, stride, padding, oh="floor"),
    ),
    ("check_corr1d_backward", nb04._corr1d_backward),
    (
        "check_dw_correlation",
        lambda dy, x, kernel_size, stride, padding: nb04._dw_uncropped(dy, x, kernel_size, stride, padding)[
            :, :, : kernel_size[0], : kernel_size[1]
        ],
    ),
    ("check_conv_backward", nb04._dx_reference),
    (
        "check_conv_transpose",
        lambda y, w, stride, padding, output_padding, dilation: nb05._transpose_variant(
            y, w, stride, padding, output_padding, dilation
        ),
    ),
    (
        "check_dx_by_scatter",
        lambda dy, w, x_shape, stride, padding: nb05._scatter_at(dy, w, x_shape, stride, padding),
    ),
    ("check_readout_backward", nb06._readout_reference),
    ("check_fft_length", nb07._shortest_fft_length),
    ("check_net_gradients", lambda **case: next(v for k, v in nb06._net_variants(**case))),
    ("check_two_conv_backward", nb06._two_conv_reference),
    ("check_grouped_product", nb07._grouped_variant),
]


@pytest.mark.parametrize("name, fn", CHECKER_HELPERS, ids=[n for n, _ in CHECKER_HELPERS])
def test_the_checkers_own_helpers_are_refused(name, fn, capsys):
    out = _run(name, fn, capsys)
    assert "this exercise asks you to write it without" in out and _common.PASS_TEXT not in out, out


def test_reading_expected_from_the_checkers_frame_is_refused(capsys):
    def peek(**kwargs):
        return sys._getframe(1).f_locals.get("expected")

    for name in FUNCTION_CHECKERS:
        out = _run(name, peek, capsys)
        assert "without frame inspection" in out and _common.PASS_TEXT not in out, out


def test_on_python_3_10_without_co_qualname(monkeypatch, capsys):
    """Python 3.10 code objects have no co_qualname: the guard finds qualified names from the loaded modules."""
    from tests.exercises.helpers import load

    monkeypatch.setattr(_guard, "_qualname", _guard._indexed_qualname)
    monkeypatch.setattr(_guard, "_QUALNAMES", {})
    assert _common.PASS_TEXT in _run("check_conv_transpose", load("nb05").my_conv_transpose2d, capsys)
    assert "without Conv2d.forward" in _run("check_conv_forward", LAYER_IDIOM["check_conv_forward"], capsys)
    routine, make = CHEATS["check_conv_forward"]
    assert "without conv2d" in _run("check_conv_forward", make(lambda: routine.__wrapped__), capsys)
    assert "without _checks.out_len" in _run("check_padding_for", _out_len, capsys)
    assert _guard._QUALNAMES[cl.conv2d.__code__] == "quiet_nonfinite.<locals>.wrapper"
