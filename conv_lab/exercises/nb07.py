"""Exercise checkers for notebook 07: depthwise-separable counts, grouped convolution, FFT, Winograd."""

import numpy as np
from termcolor import colored

from .. import fft as _fft  # noqa: F401 - loaded so that its routines can be forbidden
from .. import winograd as _winograd  # noqa: F401
from ..blocks import output_size
from ..conv import conv2d
from ._common import FORWARD_ROUTINES
from ._common import check_value as _check_value
from ._common import matches as _matches
from ._common import run_checker as _run

# The library's own routes to a forward pass, besides those every forward exercise forbids.
_FAST_FORWARDS = ("fft.forward", "winograd.forward")
# Exercise 2 is about the grouping, not the windows: the window copiers stay allowed.
_GROUPED_FORBID = tuple(r for r in FORWARD_ROUTINES if r not in ("im2col", "sliding_windows")) + _FAST_FORWARDS
# Exercise 3 is about the FFT route: everything that computes a forward pass or copies windows is off.
_FFT_FORBID = FORWARD_ROUTINES + _FAST_FORWARDS


def _is_whole(v):
    try:
        return not isinstance(v, (bool, np.bool_)) and float(v) == int(v)
    except Exception:  # noqa: BLE001
        return False


def _same_ints(got, expected):
    if isinstance(got, (str, bytes)):
        return False
    try:
        return len(got) == len(expected) and all(_is_whole(g) and int(g) == e for g, e in zip(got, expected))
    except Exception:  # noqa: BLE001
        return False


def _pair(got):
    """(a, b) as ints, or None when the answer is not a pair of whole numbers."""
    try:
        if isinstance(got, (str, bytes)):
            return None
        got = list(got)
        if len(got) != 2 or not all(_is_whole(g) for g in got):
            return None
        return int(got[0]), int(got[1])
    except Exception:  # noqa: BLE001
        return None


def _not_answered(title, answer, form):
    if answer is None or answer is Ellipsis:
        print(colored(f"{title}: not answered yet.", "yellow") + f" Replace the ... with {form}.")
        return True
    return False


# --- 1. warm-up: the weights and multiply-adds of a depthwise-separable block ---------------------

SEPARABLE_LAYER = dict(C=128, F=256, H=56, K=3, stride=2, padding=1)


def _separable_counts(C, F, H, K, stride, padding, biases=False, dw_size=None, pw_size=None, dw_weights=None):
    """(weights, multiply-adds) of depthwise K x K (stride, padding) then pointwise 1 x 1, C -> F channels.

    The keyword arguments reproduce mistakes: biases counted, the depthwise layer or the pointwise layer
    run at another output size, the depthwise weights counted as another number.
    """
    OH = output_size(H, K, stride, padding)
    dw = C * K * K if dw_weights is None else dw_weights
    pw = F * C
    weights = dw + pw + ((C + F) if biases else 0)
    dw_at = OH if dw_size is None else dw_size
    pw_at = OH if pw_size is None else pw_size
    return weights, dw_at * dw_at * dw + pw_at * pw_at * pw


def check_separable_counts(answer):
    """Check ``(weights, multiply_adds)`` predicted for the block of :data:`SEPARABLE_LAYER` (no biases)."""
    title = "depthwise-separable block"
    if _not_answered(title, answer, "(weights, multiply_adds)"):
        return
    L = SEPARABLE_LAYER
    C, F, H, K = L["C"], L["F"], L["H"], L["K"]
    OH = output_size(H, K, L["stride"], L["padding"])
    expected = _separable_counts(**L)

    def diagnose(got, expected):
        pair = _pair(got)
        if pair is None:
            return "answer with two whole numbers, (weights, multiply_adds), e.g. (1000, 2000000)"
        weights, macs = pair
        w_ok, m_ok = weights == expected[0], macs == expected[1]
        if weights == F * C * K * K or macs == OH * OH * F * C * K * K:
            return f"that is a dense {K}x{K} layer's count; the block is a depthwise {K}x{K} layer, then a 1x1 layer"
        if weights == _separable_counts(**L, biases=True)[0]:
            return "count the weights only, without biases (the exercise leaves them out)"
        if weights == C * C * K * K + F * C:
            return (
                f"a depthwise layer has one {K}x{K} kernel per channel, w of shape (C, 1, {K}, {K}): "
                f"C·{K * K} weights, not C·C·{K * K}"
            )
        if w_ok and macs == expected[0]:
            return "each weight is used once per output pixel: multiply by the number of output pixels"
        if w_ok and macs == _separable_counts(**L, dw_size=H, pw_size=H)[1]:
            return (
                f"stride {L['stride']}: the output is {OH}x{OH}, not {H}x{H}, for the depthwise layer and "
                f"therefore for the 1x1 layer that follows it"
            )
        if w_ok and macs == _separable_counts(**L, dw_size=H)[1]:
            return f"the depthwise layer has stride {L['stride']}: it makes {OH}x{OH} outputs, not {H}x{H}"
        if w_ok and macs == _separable_counts(**L, pw_size=H)[1]:
            return f"the 1x1 layer runs on the depthwise layer's output, {OH}x{OH}, not on the {H}x{H} input"
        if w_ok and not m_ok:
            return (
                f"the weights are right. Multiply-adds: each layer's weights times its output pixels; "
                f"OH = (H + 2p - K) // s + 1 = {OH}"
            )
        if m_ok:
            return "the multiply-adds are right; the weights are C·K·K (depthwise) + F·C (pointwise)"
        return "weights: C·K·K + F·C. Multiply-adds: OH·OW times that, with OH = (H + 2p - K) // s + 1"

    _check_value(title, answer, expected, diagnose, compare=_same_ints)


# --- 2. grouped convolution, written without conv2d -----------------------------------------------


def _grouped_cases():
    """groups=1 first (a slicing mistake passes it), then groups with F/G != C/G, depthwise with a
    channel multiplier, stride, dilation, non-square kernels."""
    rng = np.random.default_rng(707)
    specs = [  # x shape, w shape, groups, stride, padding, dilation
        ((2, 3, 6, 6), (4, 3, 3, 3), 1, 1, 1, 1),
        ((1, 4, 7, 7), (4, 2, 3, 3), 2, 1, 0, 1),
        ((2, 6, 8, 7), (9, 2, 3, 2), 3, 2, 1, 1),  # F/G = 3, C/G = 2, non-square kernel
        ((1, 5, 7, 6), (5, 1, 3, 3), 5, 1, 1, 1),  # depthwise
        ((2, 3, 9, 9), (6, 1, 3, 3), 3, 2, 2, 2),  # depthwise with two filters per channel, dilation 2
        ((2, 8, 10, 9), (4, 2, 2, 3), 4, 3, 1, 2),  # F/G = 1, stride 3, dilation 2
    ]
    cases = []
    for xs, ws, g, s, p, d in specs:
        x = rng.integers(-3, 4, xs).astype(float)
        w = rng.integers(-3, 4, ws).astype(float)
        b = rng.integers(-3, 4, ws[0]).astype(float)
        cases.append(dict(x=x, w=w, b=b, groups=g, stride=s, padding=p, dilation=d))
    return cases


def _grouped_variant(x, w, b, groups, stride, padding, dilation, channels="block", order="block"):
    """Grouped convolution by slices, with one step optionally wrong; None when it can't be computed.

    channels: "block" (consecutive runs), "strided" (every G-th channel), "first" (group 0's channels
    for every group); order: "block" (group after group)
    or "interleaved" (the groups' filters interleaved); b None: no bias.
    """
    try:
        C, F = x.shape[1], w.shape[0]
        Cg, Fg = C // groups, F // groups
        parts = []
        for g in range(groups):
            if channels == "block":
                xg = x[:, g * Cg : (g + 1) * Cg]
            elif channels == "strided":
                xg = x[:, g::groups]
            else:
                xg = x[:, :Cg]
            wg = w[g * Fg : (g + 1) * Fg]
            if wg.shape[0] == 0:
                return None
            parts.append(conv2d(xg, wg, None, stride, padding, dilation, method="loops"))
        if order == "block":
            y = np.concatenate(parts, axis=1)
        else:
            y = np.stack(parts, axis=2).reshape(parts[0].shape[0], -1, *parts[0].shape[2:])
        return y if b is None else y + b[None, :, None, None]
    except Exception:  # noqa: BLE001
        return None


def _grouped_reference(x, w, b, groups, stride, padding, dilation):
    return _grouped_variant(x, w, b, groups, stride, padding, dilation)


def check_grouped_conv(fn):
    """Check ``fn(x, w, b, groups, stride, padding, dilation) -> y (N, F, OH, OW)``, a grouped convolution.

    ``conv2d``, ``corr2d``, ``convolve2d``, the layer's forward and the textbook forward are unavailable;
    ``im2col``, ``sliding_windows`` and ``pad2d`` may be used.
    """

    def diagnose(case, got, expected):
        x, w, b, G, s, p, d = (case[k] for k in ("x", "w", "b", "groups", "stride", "padding", "dilation"))
        C, F = x.shape[1], w.shape[0]
        variant = lambda **kw: _grouped_variant(**{**case, **kw})  # noqa: E731
        shape = np.shape(got)
        if len(shape) == 4 and shape[1] != F and shape[0] == x.shape[0]:
            if shape[1] == C and C != F:
                return (
                    f"y has {shape[1]} channels, C of them; it needs F = {F}, one per filter. The filters of "
                    f"group g are w[g*F//G : (g+1)*F//G] (F/G = {F // G} of them): slice the filters by F/G, "
                    f"the channels by C/G"
                )
            return f"y must have F = {F} channels, one per filter; yours has {shape[1]}"
        if shape != expected.shape:
            KH, KW = w.shape[2:]
            undilated = tuple(output_size(n, k, s, p) for n, k in zip(x.shape[2:], (KH, KW)))
            if d > 1 and shape[2:] == undilated:
                return (
                    f"the output is {expected.shape[2:]}: the taps are dilation = {d} apart, so the kernel spans "
                    f"d(K-1)+1 rows and columns. Pass dilation to im2col (or space the taps yourself)"
                )
            return f"y must have shape (N, F, OH, OW) = {expected.shape}"
        if _matches(got, variant(channels="strided")):
            return (
                "the groups are runs of consecutive channels: group g reads channels g*C//G to (g+1)*C//G - 1, "
                "not every G-th channel (x[:, g::G])"
            )
        if _matches(got, variant(channels="first")):
            return "every group reads the same channels: group g must read x[:, g*C//G : (g+1)*C//G]"
        if _matches(got, variant(order="interleaved")):
            return (
                "the right numbers in the wrong channels: group g's outputs are channels g*F//G to "
                "(g+1)*F//G - 1, group after group (np.concatenate along axis 1), not interleaved"
            )
        if _matches(got, variant(b=None)):
            return "add the bias: b[f] to every pixel of output channel f"
        if _matches(got, expected - b[None, :, None, None] + b[::-1][None, :, None, None]):
            return "the bias is reversed: b[f] belongs to output channel f"
        return (
            "group g: correlate x[:, g*C//G:(g+1)*C//G] with w[g*F//G:(g+1)*F//G] (with the stride, padding and "
            "dilation), then concatenate the groups' outputs along the channel axis and add b"
        )

    def diagnose_error(case, exc):
        if isinstance(exc, ValueError) and ("matmul" in str(exc) or "shapes" in str(exc) or "align" in str(exc)):
            return (
                "the sizes of a matrix product disagree. Each filter of a group has C/G channels: the windows of "
                "group g hold C/G·KH·KW numbers, and w[g*F//G:(g+1)*F//G].reshape(F//G, -1) has as many columns"
            )
        return None

    _run(
        "grouped convolution",
        fn,
        _grouped_cases(),
        _grouped_reference,
        diagnose,
        forbid=_GROUPED_FORBID,
        diagnose_error=diagnose_error,
    )


# --- 3. find the bug: an FFT correlation whose FFT is too short ------------------------------------


def _fft_cases():
    """No padding, "same" and "full" padding first (the buggy function passes them), then p >= K."""
    rng = np.random.default_rng(717)
    specs = [  # x shape, w shape, padding
        ((1, 1, 6, 7), (1, 1, 3, 3), 0),  # odd width
        ((2, 3, 8, 9), (4, 3, 3, 3), 1),  # "same"
        ((1, 2, 9, 10), (3, 2, 5, 5), 2),  # "same"
        ((1, 2, 6, 6), (2, 2, 4, 4), 3),  # "full": p = K - 1, odd padded size
        ((2, 2, 7, 8), (3, 2, 3, 3), 3),  # p = K: image rows are cut off and wrap around
        ((1, 3, 8, 7), (2, 3, 2, 2), 2),  # even kernel, p = K
        ((2, 2, 9, 11), (2, 2, 3, 5), 4),  # non-square kernel: p >= KH, p < KW
    ]
    cases = []
    for xs, ws, p in specs:
        x = rng.integers(-3, 4, xs).astype(float)
        w = rng.integers(-3, 4, ws).astype(float)
        cases.append(dict(x=x, w=w, padding=p))
    return cases


def _fft_variant(x, w, padding, length="padded", conj=True, s_out=True):
    """The FFT route with one step optionally wrong; None when it can't be computed.

    length: "padded" (H + 2p, right), "H+K-1" (the buggy function's), "image" (the image alone, the
    padding supplied by the circle); conj: multiply by the conjugate; s_out: pass s= to irfft2.
    """
    try:
        N, C, H, W = x.shape
        F, _, KH, KW = w.shape
        p = padding
        OH, OW = H + 2 * p - KH + 1, W + 2 * p - KW + 1
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        if length == "padded":
            size = xp.shape[2:]
        elif length == "H+K-1":
            size = (H + KH - 1, W + KW - 1)
        else:
            size = (H, W)
            xp = x
        X = np.fft.rfft2(xp, s=size)
        Wf = np.fft.rfft2(w, s=size)
        Y = np.einsum("nchw,fchw->nfhw", X, Wf.conj() if conj else Wf)
        y = np.fft.irfft2(Y, s=size) if s_out else np.fft.irfft2(Y)
        if length == "image":
            y = np.roll(y, (p, p), axis=(2, 3))
        return y[:, :, :OH, :OW]
    except Exception:  # noqa: BLE001
        return None


def _fft_flipped_at_zero(x, w, padding):
    """The FFT of the flipped kernel (a convolution), cropped from index 0 instead of K - 1; None on failure."""
    try:
        KH, KW = w.shape[2:]
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        Hp, Wp = xp.shape[2:]
        Y = np.einsum("nchw,fchw->nfhw", np.fft.rfft2(xp), np.fft.rfft2(w[..., ::-1, ::-1], s=(Hp, Wp)))
        return np.fft.irfft2(Y, s=(Hp, Wp))[:, :, : Hp - KH + 1, : Wp - KW + 1]
    except Exception:  # noqa: BLE001
        return None


def check_fft_corr_fixed(fn):
    """Check ``fn(x, w, padding) -> y``, a stride-1 correlation computed with ``np.fft``, on unseen cases.

    ``conv2d``, ``corr2d``, ``convolve2d``, ``im2col``, ``sliding_windows``, the layer's forward and the
    textbook forward are unavailable; ``pad2d`` and numpy (``np.fft``) may be used.
    """

    def diagnose(case, got, expected):
        x, w, p = case["x"], case["w"], case["padding"]
        variant = lambda **kw: _fft_variant(x, w, p, **kw)  # noqa: E731
        shape = np.shape(got)
        if _matches(got, variant(length="H+K-1")):
            return (
                "the FFT is shorter than the padded input, H + 2p rows. With length H + K - 1, rfft2(xp, s=...) "
                "cuts off the last rows of xp, and the windows that reach them wrap around to the top. While "
                "p <= K - 1 only bottom padding is cut, and the wrapped windows read top padding instead: zeros "
                "for zeros, so the result happens to be right. With p >= K image rows are cut. Make the FFT as "
                "large as the padded input (H + K - 1 is the rule for a full convolution of an unpadded input)"
            )
        if _matches(got, variant(length="image")):
            return (
                "the padding's zeros must really be in the array the FFT transforms: transform the padded "
                "input, H + 2p rows, or the circle puts the opposite edge where the zeros should be"
            )
        if np.iscomplexobj(got) and np.shape(got) == expected.shape and _matches(np.real(got), expected):
            return (
                "the numbers are right but complex: np.fft.ifft2 returns complex numbers even when the imaginary "
                "parts are rounding noise. Take .real, or use np.fft.rfft2 and np.fft.irfft2, which return real arrays"
            )
        if _matches(got, _fft_flipped_at_zero(x, w, p)):
            return (
                "with the kernel flipped the product is a convolution, and its entry i + K - 1 holds the window "
                "that starts at row i (entries before K - 1 wrap around). Keep rows KH - 1 to Hp - 1 and columns "
                "KW - 1 to Wp - 1, or keep the kernel as it is and multiply by the conjugate of its transform"
            )
        if _matches(got, variant(conj=False)):
            return (
                "that is a convolution, not a correlation: multiply by the complex conjugate of the kernel's "
                "transform (np.conj), which is the FFT of the kernel reversed around the circle"
            )
        if _matches(got, variant(s_out=False)) or (
            len(shape) == 4 and shape[:3] == expected.shape[:3] and shape[3] == expected.shape[3] - 1
        ):
            return (
                "pass s=(Hp, Wp) to np.fft.irfft2. Without it the width comes back even, 2*(Wp//2 + 1) - 2, "
                "which is Wp - 1 when Wp is odd: the inverse transform of a different length, wrong values"
            )
        if shape != expected.shape:
            return (
                f"y must have shape (N, F, H + 2p - KH + 1, W + 2p - KW + 1) = {expected.shape}: keep the first "
                f"rows and columns of the inverse transform, the windows that fit"
            )
        return (
            "pad x by p, take rfft2 of it and of w at the padded size (Hp, Wp), multiply by the conjugate, sum "
            "over the channels, irfft2 with s=(Hp, Wp), keep the first Hp - KH + 1 rows and Wp - KW + 1 columns"
        )

    def diagnose_error(case, exc):
        if isinstance(exc, ValueError) and ("broadcast" in str(exc) or "operands" in str(exc)):
            return (
                "the image's and the kernel's transforms have different shapes: transform the kernel at the "
                "padded input's size, np.fft.rfft2(w, s=(Hp, Wp)), so that they multiply frequency by frequency"
            )
        return None

    def compare(got, expected):
        return _matches(got, expected, rtol=1e-7, atol=1e-7)

    _run(
        "FFT correlation",
        fn,
        _fft_cases(),
        lambda x, w, padding: conv2d(x, w, padding=padding, method="loops"),
        diagnose,
        forbid=_FFT_FORBID,
        diagnose_error=diagnose_error,
        compare=compare,
    )


# --- 4. predict, then check: Winograd's multiplications on a 7 x 7 layer --------------------------

WINOGRAD_LAYER = dict(N=1, C=512, F=512, H=7, K=3, padding=1)


def check_winograd_counts(answer):
    """Check ``(winograd, direct)``: multiplications of F(2x2, 3x3)'s product stage and of the direct method."""
    title = "Winograd multiplications"
    if _not_answered(title, answer, "(winograd, direct)"):
        return
    L = WINOGRAD_LAYER
    N, C, F, H = L["N"], L["C"], L["F"], L["H"]
    OH = output_size(H, L["K"], 1, L["padding"])
    tiles = -(-OH // 2)
    expected = (N * tiles * tiles * 16 * C * F, N * OH * OH * 9 * C * F)

    def diagnose(got, expected):
        pair = _pair(got)
        if pair is None:
            return "answer with two whole numbers, (winograd, direct)"
        wino, direct = pair
        if wino == direct and direct == expected[1]:
            return "the first number is Winograd's count: 16 multiplications per 2x2 tile, for every (filter, channel)"
        if direct != expected[1]:
            if direct == OH * OH * 9:
                return "direct: every output pixel costs 9 multiplications for every (filter, channel) pair"
            if direct == (H + 2 * L["padding"]) ** 2 * 9 * C * F:
                return f"the output is {OH}x{OH} (padding 1 keeps the size); count outputs, not padded inputs"
            return "direct: OH·OW output pixels × 9 taps × C channels × F filters"
        if wino * 9 == expected[1] * 4:
            return (
                f"that is direct / 2.25, as if {OH}x{OH} outputs made {OH * OH / 4:g} tiles. {OH} is odd: "
                f"2x2 tiles cover it only when rounded up, {tiles}x{tiles} tiles, and the surplus outputs are "
                f"computed and cut off"
            )
        if wino == (OH // 2) ** 2 * 16 * C * F * N:
            return f"round the tiles up, not down: the last row and column of outputs need tiles too ({tiles} per side)"
        if wino == tiles * tiles * 36 * C * F * N:
            return "36 is the direct count per 2x2 tile; Winograd's entry-by-entry product has 16"
        if wino == tiles * tiles * 16:
            return "every tile is multiplied for every (filter, channel) pair: times C·F"
        padded_tiles = -(-(H + 2 * L["padding"]) // 2)  # ceil((H + 2p) / 2)
        if wino == padded_tiles * padded_tiles * 16 * C * F * N:
            return f"a tile makes 2x2 outputs: count tiles over the {OH}x{OH} output, not over the padded input"
        return "tiles: ceil(OH/2) per side; 16 products per tile, for each of the C·F (channel, filter) pairs"

    _check_value(title, answer, expected, diagnose, compare=_same_ints)


__all__ = [
    "SEPARABLE_LAYER",
    "WINOGRAD_LAYER",
    "check_fft_corr_fixed",
    "check_grouped_conv",
    "check_separable_counts",
    "check_winograd_counts",
]
