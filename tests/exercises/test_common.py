"""The shared checker machinery: forbidden routines, mutation, never raising."""

import sys
import types
import warnings

import numpy as np
import pytest

import conv_lab as cl
from conv_lab.exercises import _common

CASES = [dict(x=np.arange(20.0).reshape(4, 5), w=np.array([[1.0, -1.0], [2.0, 0.5]]))]


def check(fn, **kwargs):
    """A tiny checker built on run_checker: corr2d without cl.corr2d."""
    options = dict(forbid=("corr2d",))
    options.update(kwargs)
    _common.run_checker(
        "demo",
        fn,
        CASES,
        lambda x, w: cl.corr2d(x, w),
        lambda case, got, expected: "the demo hint",
        **options,
    )


def by_loops(x, w):
    KH, KW = w.shape
    out = np.zeros((x.shape[0] - KH + 1, x.shape[1] - KW + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i : i + KH, j : j + KW] * w)
    return out


def output(fn, capsys, **kwargs):
    assert check(fn, **kwargs) is None
    return capsys.readouterr().out


class TestForbidden:
    def test_an_honest_answer_passes(self, capsys):
        assert _common.PASS_TEXT in output(by_loops, capsys)

    @pytest.mark.parametrize(
        "make",
        [
            lambda: cl.corr2d,  # the routine itself
            lambda: lambda x, w: cl.corr2d(x, w),  # through the package
            lambda: lambda x, w: sys.modules["conv_lab.blocks"].corr2d(x, w),  # through the defining module
            lambda: __import__("functools").partial(cl.corr2d),  # wrapped in a partial
            lambda: cl.corr2d.__wrapped__,  # past the decorator
        ],
    )
    def test_delegating_is_refused(self, make, capsys):
        out = output(make(), capsys)
        assert "without corr2d" in out and _common.PASS_TEXT not in out

    def test_the_librarys_private_helpers_are_refused(self, capsys):
        def by_private_view(x, w):  # the library's strided window view, reached past the public API
            windows = sys.modules["conv_lab.blocks"]._window_view(x[None, None], w.shape, (1, 1), (1, 1))
            return np.einsum("ncijuv,uv->ij", windows, w)

        out = output(by_private_view, capsys)
        assert "without blocks._window_view" in out and _common.PASS_TEXT not in out

    def test_reading_another_frame_is_refused(self, capsys):
        def peek(x, w):
            return sys._getframe(1).f_locals.get("expected", by_loops(x, w))

        assert "without frame inspection" in output(peek, capsys)

    def test_public_building_blocks_still_use_the_private_helpers(self, capsys):
        def padded_loops(x, w):  # cl.pad2d calls blocks._pad_crop inside: that call must go through
            return by_loops(cl.pad2d(x, 0), w)

        assert _common.PASS_TEXT in output(padded_loops, capsys)

    def test_a_name_imported_into_the_students_module_is_refused(self, capsys):
        module = types.ModuleType("student")
        exec("from conv_lab import corr2d\ndef mine(x, w):\n    return corr2d(x, w)\n", vars(module))
        out = output(module.mine, capsys)
        assert "without corr2d" in out

    def test_a_guard_switched_off_by_deep_recursion_is_no_way_around(self, capsys):
        def sneaky(x, w):
            def deep(n):
                return deep(n + 1)

            for _ in range(3):
                try:
                    deep(0)
                except RecursionError:
                    pass
            return cl.corr2d(x, w)

        out = output(sneaky, capsys)
        assert ("without corr2d" in out or "could not be watched" in out) and _common.PASS_TEXT not in out
        assert sys.getprofile() is None

    def test_a_call_from_a_thread_the_student_starts_is_refused(self, capsys):
        import threading

        def threaded(x, w):
            out = []
            thread = threading.Thread(target=lambda: out.append(cl.corr2d(x, w)))
            thread.start()
            thread.join()
            return out[0]

        assert "without corr2d" in output(threaded, capsys)
        assert threading.getprofile() is None

    def test_switching_the_guard_off_is_refused(self, capsys):
        def unguarded(x, w):
            hook = sys.getprofile()
            sys.setprofile(None)
            y = cl.corr2d(x, w)
            sys.setprofile(hook)
            return y

        out = output(unguarded, capsys)
        assert "without sys.setprofile" in out and _common.PASS_TEXT not in out

    def test_a_swallowed_refusal_is_still_reported(self, capsys):
        def sneaky(x, w):
            try:
                return cl.corr2d(x, w)
            except Exception:
                return by_loops(x, w)

        assert "without corr2d" in output(sneaky, capsys)

    def test_other_routines_and_internal_calls_stay_available(self, capsys):
        # with pad2d forbidden, conv2d still works: its own internal call to pad2d goes through
        def via_conv2d(x, w):
            return cl.conv2d(x[None, None], w[None, None], padding=0)[0, 0]

        assert _common.PASS_TEXT in output(via_conv2d, capsys, forbid=("corr2d", "pad2d"))
        assert "without pad2d" in output(lambda x, w: by_loops(cl.pad2d(x, 0), w), capsys, forbid=("pad2d",))

    def test_a_method_can_be_forbidden(self, capsys):
        layer = cl.Conv2d(1, 1, 2, rng=np.random.default_rng(0))

        def uses_layer(x, w):
            layer.w = w[None, None].copy()
            layer.b = np.zeros(1)
            return layer.forward(x[None, None])[0, 0]

        assert "without Conv2d.forward" in output(uses_layer, capsys, forbid=("Conv2d.forward",))

    def test_everything_is_restored(self, capsys):
        originals = cl.corr2d, sys.modules["conv_lab.blocks"].corr2d, cl.Conv2d.forward, sys.getprofile()
        output(lambda x, w: cl.corr2d(x, w), capsys)
        output(lambda x, w: 1 / 0, capsys, forbid=("corr2d", "Conv2d.forward"))
        assert (cl.corr2d, sys.modules["conv_lab.blocks"].corr2d, cl.Conv2d.forward, sys.getprofile()) == originals
        assert cl.corr2d(np.ones((2, 2)), np.ones((1, 1))).shape == (2, 2)

    def test_a_profiler_already_running_is_put_back(self, capsys):
        seen = []

        def profiler(frame, event, arg):
            seen.append(event)

        sys.setprofile(profiler)
        try:
            assert _common.PASS_TEXT in output(by_loops, capsys)
            assert sys.getprofile() is profiler
        finally:
            sys.setprofile(None)


class TestInputsAndAnswers:
    def test_modifying_the_input_is_reported(self, capsys):
        def vandal(x, w):
            y = by_loops(x, w)
            x -= 1
            return y

        assert "changed its input x in place" in output(vandal, capsys)

    @pytest.mark.parametrize(
        "returned",
        [None, "a string", object(), {"y": 1}, [1, 2], (np.zeros(2), np.zeros(3)), np.full((3, 4), np.nan), 3.0],
    )
    def test_strange_answers_get_a_message(self, returned, capsys):
        out = output(lambda x, w: returned, capsys)
        assert "case 1 of 1" in out and _common.PASS_TEXT not in out

    def test_an_answer_whose_array_conversion_raises(self, capsys):
        class Hostile:
            def __array__(self, *args, **kwargs):
                raise RuntimeError("no")

            def __len__(self):
                raise RuntimeError("no")

        out = output(lambda x, w: Hostile(), capsys)
        assert "case 1 of 1 returned a Hostile that raised RuntimeError" in out and _common.PASS_TEXT not in out

    @pytest.mark.parametrize(
        "error, hint",
        [
            (ValueError("index can't contain negative values"), "np.pad got a negative amount"),
            (ValueError("matmul: Input operand 1 has a mismatch in its core dimension 0"), "inner sizes"),
            (IndexError("index 5 is out of bounds"), "runs past the end"),
            (SystemExit(1), "raised SystemExit"),
        ],
    )
    def test_exceptions_become_hints(self, error, hint, capsys):
        def raising(x, w):
            raise error

        assert hint in output(raising, capsys)

    @pytest.mark.parametrize("text", [RuntimeError("str() itself fails"), 42, None])
    def test_an_exception_whose_message_is_broken(self, text, capsys):
        class Odd(Exception):
            def __str__(self):
                if isinstance(text, Exception):
                    raise text
                return text

        def raising(x, w):
            raise Odd()

        out = output(raising, capsys)
        assert "raised Odd" in out and _common.PASS_TEXT not in out

    def test_a_complex_answer_gives_no_warning(self, capsys):
        # as in a notebook: warnings are shown, not turned into errors; none may reach the student
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = _run_with_diagnose(lambda case, got, expected: str(np.asarray(got, dtype=float).sum()), capsys, 1j)
        assert "is wrong" in out and not caught

    def test_a_broken_hint_does_not_raise(self, capsys):
        def bad_diagnose(case, got, expected):
            raise KeyError("bug in the hint")

        out = _run_with_diagnose(bad_diagnose, capsys)
        assert "is wrong" in out

    def test_not_callable(self, capsys):
        assert "pass your function itself" in output(42, capsys)

    def test_not_implemented(self, capsys):
        def stub(x, w):
            raise NotImplementedError

        assert "not implemented yet" in output(stub, capsys)


def _run_with_diagnose(diagnose, capsys, scale=1.0):
    _common.run_checker("demo", lambda x, w: np.ones(1) * scale, CASES, lambda x, w: cl.corr2d(x, w), diagnose)
    return capsys.readouterr().out


class TestCheckValue:
    def test_right_and_wrong(self, capsys):
        _common.check_value("predict", 7, 7, lambda got, expected: "nope")
        assert "correct" in capsys.readouterr().out
        _common.check_value("predict", 6, 7, lambda got, expected: "count the windows again")
        out = capsys.readouterr().out
        assert "count the windows again" in out and "7" not in out.replace("predict", "")


def test_the_transform_methods_are_forward_routines(capsys):
    """A student who calls the FFT or Winograd forward pass directly is refused, as one who calls conv2d."""
    x, w = np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))
    _, _, g = cl._checks.conv_inputs(x, w, 1, 0, 1)
    for name, module in (("fft.forward", cl.fft), ("winograd.forward", cl.winograd)):
        assert name in _common.FORWARD_ROUTINES
        guard = _common.Guard(["forward"])
        kind, got = guard.run(module.forward, dict(x=x, w=w, g=g))
        assert guard.refused_name() == name and kind == "returned"
        guard = _common.Guard(["gradient"])  # the library's own call through conv2d goes through
        kind, got = guard.run(cl.conv2d, dict(x=x, w=w, method=name.split(".")[0]))
        assert not guard.refused and got[0, 0, 0, 0] == 9


class TestAcceptsWhatIsCorrect:
    def test_zero_d_arrays_and_numpy_scalars_are_numbers(self):
        for v in (np.array(3), np.array(3.0), np.int8(3), np.float32(3.0), 3, 3.0):
            assert _common.is_whole(v) and _common.same_ints([v, v], [3, 3])
        for v in (np.array([3]), np.array(3.5), True, np.bool_(True), "3", np.array(np.nan)):
            assert not _common.is_whole(v)

    def test_a_list_of_arrays_is_a_list_of_lists(self):
        expected = np.arange(6.0).reshape(3, 2)
        assert _common.same([np.array([0.0, 1.0]), np.array([2.0, 3.0]), np.array([4.0, 5.0])], expected)
        assert not _common.same([np.array([0.0, 1.0]), np.array([2.0])], expected)  # ragged

    def test_an_unhashable_callable(self, capsys):
        from dataclasses import dataclass

        @dataclass
        class Corr:
            scale: float = 1.0

            def __call__(self, x, w):
                return by_loops(x, w) * self.scale

        assert _common.PASS_TEXT in output(Corr(), capsys)

    def test_float32_is_compared_at_float32s_tolerance(self, capsys):
        noisy = lambda x, w: (by_loops(x, w) * (1 + 1e-7)).astype(np.float32)  # noqa: E731
        assert _common.PASS_TEXT in output(noisy, capsys)
        wrong = lambda x, w: (by_loops(x, w) + 1).astype(np.float32)  # noqa: E731
        assert "the demo hint" in output(wrong, capsys)

    def test_float32_inside_a_float64_answer_is_named_not_blamed_on_the_formula(self, capsys):
        out = output(lambda x, w: by_loops(x.astype(np.float32) * 1.1, w).astype(np.float64) / 1.1, capsys)
        assert "compute in float64" in out and "the demo hint" not in out


class TestNeverHangsNeverFloods:
    @pytest.mark.parametrize("body", ["while True: pass", "while True: np.zeros(3).sum()", "time.sleep(60)"])
    def test_an_endless_case_is_stopped_with_a_message(self, body, capsys):
        namespace = {"np": np, "time": __import__("time")}
        exec(f"def endless(x, w):\n    {body}\n", namespace)
        start = __import__("time").monotonic()
        with _common.time_limit(0.5):
            out = output(namespace["endless"], capsys)
        assert __import__("time").monotonic() - start < 5
        assert "case 1 of 1 took longer than the time limit" in out and "loop whose end never comes" in out
        assert sys.getprofile() is None

    def test_without_pthread_kill_the_simulated_interrupt_stops_a_loop(self, monkeypatch, capsys):
        # as on Windows: no SIGALRM, no pthread_kill; _thread.interrupt_main() stops a loop that makes no calls
        import signal

        monkeypatch.delattr(signal, "pthread_kill", raising=False)
        namespace = {}
        exec("def endless(x, w):\n    while True: pass\n", namespace)
        with _common.time_limit(0.5):
            out = output(namespace["endless"], capsys)
        assert "took longer than the time limit" in out and sys.getprofile() is None

    def test_the_hook_checks_the_clock_without_the_watchdog(self, capsys):
        # away from the main thread there is no watchdog: the hook alone stops a loop that makes calls
        import threading

        namespace = {"np": np}
        exec("def endless(x, w):\n    while True: np.zeros(3).sum()\n", namespace)
        outs = []

        def in_thread():
            with _common.time_limit(0.5):
                check(namespace["endless"])

        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join(10)
        outs.append(capsys.readouterr().out)
        assert not thread.is_alive() and "took longer than the time limit" in outs[0]

    def test_a_real_interrupt_still_interrupts(self):
        def interrupted(x, w):
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            check(interrupted)
        assert sys.getprofile() is None

    def test_a_huge_answer_is_not_expanded_or_printed(self, capsys):
        out = output(lambda x, w: np.broadcast_to(0.0, (10**6, 10**6)), capsys)
        assert "more than" in out and len(out) < 1000
        out = output(lambda x, w: __import__("itertools").count(), capsys)
        assert "more than" in out and len(out) < 1000
        out = output(lambda x, w: np.zeros((100, 50)).tolist(), capsys)
        assert "is wrong" in out and len(out) < 1500

    @pytest.mark.parametrize(
        "answer", [10**400, "x" * 10**6, [[0.0] * 300] * 300, (list(range(1000)),) * 3, RuntimeError("x" * 10**6)]
    )
    def test_a_printed_answer_or_message_is_cut(self, answer, capsys):
        def fn(x, w):
            if isinstance(answer, Exception):
                raise answer
            return answer

        out = output(fn, capsys)
        assert "case 1 of 1" in out and max(len(line) for line in out.splitlines()) < 1100

    def test_looking_into_the_callable_neither_raises_nor_loops(self, capsys):
        class Lazy:
            def __call__(self, x, w):
                return by_loops(x, w)

            def __getattr__(self, name):
                raise RuntimeError(name)

        class SelfFunc:
            __call__ = staticmethod(by_loops)
            __func__ = property(lambda self: self)
            __wrapped__ = property(lambda self: self)

        class OddName:
            __name__ = 42

            def __call__(self, x, w):
                return by_loops(x, w)

            def __hash__(self):
                raise TypeError("no hashing")

        for fn in (Lazy(), SelfFunc(), OddName()):
            assert _common.PASS_TEXT in output(fn, capsys)


def test_the_drawing_code_is_not_imported_to_be_refused():
    import subprocess

    names = "'conv_lab.draw', 'conv_lab.views', 'conv_lab.speed', 'conv_lab.net', 'matplotlib'"
    code = f"import sys, conv_lab.exercises; print(sorted(m for m in ({names}) if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_role_name_resolves_without_importing():
    from conv_lab.exercises import _guard

    for role, names in _guard.ROLES.items():
        keys = _guard.refused_keys([role])
        assert len(keys) == len(set(names)), role
    with pytest.raises(AttributeError):
        _guard.refused_keys(["Conv2d.forwrd"])
