"""Time a convolution layer's forward + backward pass, every method side by side.

Run:  .venv/bin/python benchmarks/conv_speed.py [--repeats 15] [--quick]

For each shape and dtype, every contender runs once per round, in turn, so
that a slow spell on this shared machine hits them all alike. Each time
reported is the fastest of the rounds: noise from other processes only ever
adds time, so the minimum is the steadiest estimate of a method's own cost.
Every time is taken on one BLAS thread. Ratios are taken within one run only. (The timing loop is
conv_lab.speed.best_of_rounds, shared with notebook 03.)

Four tables:

0. Each pass of the default path on its own, for three dense layers with
   C >= 64 (one of them at stride 2): the forward pass, dw and dx (im2col route), dx and dw (rot180
   route), and the forward's bare matrix product on windows copied
   beforehand. Each is given as a share of the matmul rate: its FLOPs
   (2*N*OH*OW*F*C*KH*KW for every pass) per second over those of a
   1024x1024 matrix multiply in the same dtype, timed in the same rounds.
   100% would be a pass that runs at the machine's own GEMM speed.

1. Forward + backward for three dense layer shapes. Contenders (forward
   method + backward method):

   - im2col   : conv2d(method="im2col")   + conv2d_backward(method="im2col")   (the default)
   - rot180   : conv2d(method="im2col")   + conv2d_backward(method="rot180")
   - einsum   : conv2d(method="einsum")   + conv2d_backward(method="im2col")
   - loops    : conv2d(method="loops")    + conv2d_backward(method="loops")
   - fft      : conv2d(method="fft")      + conv2d_backward(method="im2col")
   - winograd : conv2d(method="winograd") + conv2d_backward(method="im2col")   (3x3, stride 1 only; "-" otherwise)
   - seed     : the im2col/col2im approach the seed tutorial publishes,
                re-implemented below for comparison only

   GEMM efficiency = (conv FLOPs / conv time) / (FLOPs per second of a plain
   square matrix multiply in the same dtype, timed in the same rounds).
   Conv FLOPs for forward + backward = 3 GEMMs of 2*N*OH*OW*F*C*KH*KW each.

2. Forward + backward for a depthwise layer (groups = C = F), the same
   contenders but seed (which has no groups), and the dense layer of the
   same size (im2col) timed in the same rounds: "dense/depthwise" is how
   much faster the depthwise layer is, for C times fewer parameters and
   multiply-adds.

3. Forward only, every layer of tables 1 and 2, with each method's time
   over im2col's: where FFT and Winograd pay off, and where they do not.
"""

import argparse

import numpy as np

import conv_lab as cl
from conv_lab import _checks as ck
from conv_lab.columns import gemm_dw, gemm_dx, gemm_forward
from conv_lab.conv import _dw_by_correlation
from conv_lab.speed import best_of_rounds, blas_threads, matmul_flops

SHAPES = [  # (N, C, F, H, k, p, s): dense layers
    (32, 64, 64, 32, 3, 1, 1),
    (16, 3, 32, 64, 5, 2, 2),
    (64, 128, 128, 8, 3, 1, 1),
]
PASS_SHAPES = [  # table 0: the layers with C >= 64, the stride-2 one included
    (32, 64, 64, 32, 3, 1, 1),
    (64, 128, 128, 8, 3, 1, 1),
    (32, 64, 64, 32, 3, 1, 2),
]
DEPTHWISE = [  # (N, C, F, H, k, p, s), groups = C
    (8, 64, 64, 32, 3, 1, 1),
]


# --- the seed's approach, for comparison only ------------------------------
# Windows are gathered into an (N, C, KH, KW, OH, OW) buffer one kernel tap
# at a time, then transposed to rows; col2im reverses it into an image that
# is larger by stride-1 rows and cropped at the end. As in the seed, both
# buffers are allocated with np.zeros' default dtype, float64, so float32
# input is silently computed in float64. The forward windows are kept for
# the backward pass, as the seed's layer object does.


def seed_im2col(x, k, s, p):
    N, C, H, W = x.shape
    OH, OW = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    xp = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)])
    buf = np.zeros((N, C, k, k, OH, OW))  # float64, whatever x is
    for u in range(k):
        for v in range(k):
            buf[:, :, u, v] = xp[:, :, u : u + s * OH : s, v : v + s * OW : s]
    return buf.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, -1)


def seed_col2im(cols, x_shape, k, s, p):
    N, C, H, W = x_shape
    OH, OW = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    buf = cols.reshape(N, OH, OW, C, k, k).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * p + s - 1, W + 2 * p + s - 1))
    for u in range(k):
        for v in range(k):
            img[:, :, u : u + s * OH : s, v : v + s * OW : s] += buf[:, :, u, v]
    return img[:, :, p : H + p, p : W + p]


def seed_fwd_bwd(x, w, b, dy, s, p):
    F, C, k, _ = w.shape
    N = x.shape[0]
    cols = seed_im2col(x, k, s, p)
    w_col = w.reshape(F, -1).T
    out = cols @ w_col + b
    OH, OW = dy.shape[2:]
    y = out.reshape(N, OH, OW, F).transpose(0, 3, 1, 2)
    dout = dy.transpose(0, 2, 3, 1).reshape(-1, F)
    db = dout.sum(axis=0)
    dw = (cols.T @ dout).T.reshape(F, C, k, k)
    dx = seed_col2im(dout @ w_col.T, x.shape, k, s, p)
    return y, dx, dw, db


# --- the contenders ----------------------------------------------------------


def lab(fwd, bwd, groups=1):
    def run(x, w, b, dy, s, p):
        y = cl.conv2d(x, w, b, stride=s, padding=p, method=fwd, groups=groups)
        dx, dw, db = cl.conv2d_backward(dy, x, w, stride=s, padding=p, method=bwd, groups=groups)
        return y, dx, dw, db

    return run


def contenders(groups=1):
    """name -> fn(x, w, b, dy, s, p) returning (y, dx, dw, db)."""
    runs = {
        "im2col": lab("im2col", "im2col", groups),
        "rot180": lab("im2col", "rot180", groups),
        "einsum": lab("einsum", "im2col", groups),
        "loops": lab("loops", "loops", groups),
        "fft": lab("fft", "im2col", groups),
        "winograd": lab("winograd", "im2col", groups),
    }
    if groups == 1:
        runs["seed"] = seed_fwd_bwd
    return runs


def winograd_takes(shape):
    _, _, _, _, k, _, s = shape
    return k == 3 and s == 1


def layer(shape, dtype, groups=1, seed=0):
    N, C, F, H, k, p, s = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, H)).astype(dtype)
    w = rng.standard_normal((F, C // groups, k, k)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    OH = cl.output_size(H, k, s, p)
    dy = rng.standard_normal((N, F, OH, OH)).astype(dtype)
    return x, w, b, dy


def checked(runs, shape, dtype, groups, arrays):
    """Drop contenders that do not apply; make sure the others compute what loops computes, before timing."""
    runs = {n: fn for n, fn in runs.items() if n != "winograd" or winograd_takes(shape)}
    x, w, b, dy = arrays
    s, p = shape[6], shape[5]
    ref = lab("loops", "loops", groups)(*(a.astype(np.float64) for a in arrays), s, p)
    tol = 1e-9 if dtype == np.float64 else 2e-3
    for name, fn in runs.items():
        for got, want in zip(fn(x, w, b, dy, s, p), ref):
            err = cl.rel_error(got, want)
            if err > tol:
                raise SystemExit(f"{name} disagrees with loops on {shape} {dtype.__name__}: rel error {err:.1e}")
    return runs


def bench(shape, dtype, repeats):
    """Table 1: forward + backward of a dense layer, and a plain matrix multiply for the GEMM rate."""
    N, C, F, H, k, p, s = shape
    x, w, b, dy = arrays = layer(shape, dtype)
    OH = cl.output_size(H, k, s, p)
    flops = 3 * matmul_flops(N * OH * OH, C * k * k, F)
    A = np.random.default_rng(1).standard_normal((1024, 1024)).astype(dtype)
    gemm_flops = matmul_flops(1024, 1024, 1024)
    runs = checked(contenders(), shape, dtype, 1, arrays)
    timed = {name: (lambda fn=fn: fn(x, w, b, dy, s, p)) for name, fn in runs.items()}
    timed["gemm"] = lambda: np.matmul(A, A)
    best = best_of_rounds(timed, repeats)
    gemm_rate = gemm_flops / best["gemm"]
    return best, flops, gemm_rate


def bench_depthwise(shape, dtype, repeats):
    """Table 2: forward + backward of a depthwise layer, and of the dense layer of the same size."""
    C, s, p = shape[1], shape[6], shape[5]
    x, w, b, dy = arrays = layer(shape, dtype, groups=C)
    runs = checked(contenders(groups=C), shape, dtype, C, arrays)
    timed = {name: (lambda fn=fn: fn(x, w, b, dy, s, p)) for name, fn in runs.items()}
    dense = layer(shape, dtype)
    timed["dense"] = lambda: lab("im2col", "im2col")(*dense, s, p)
    return best_of_rounds(timed, repeats)


PASSES = ("forward", "dw", "dx", "dx rot180", "dw rot180", "fwd GEMM")


def bench_passes(shape, dtype, repeats):
    """Table 0: each pass alone, and a 1024x1024 matmul, in the same rounds; returns shares of the matmul rate."""
    N, C, F, H, k, p, s = shape
    x, w, _, dy = layer(shape, dtype)
    g = ck.conv_inputs(x, w, s, p, 1)[2]
    cols = cl.im2col(x, k, s, p)  # (N*OH*OW, C*KH*KW), copied beforehand for the bare product
    w_cols = np.ascontiguousarray(w.reshape(F, -1).T)  # (C*KH*KW, F)
    A = np.random.default_rng(1).standard_normal((1024, 1024)).astype(dtype)
    timed = {
        "forward": lambda: gemm_forward(x, w, g),
        "dw": lambda: gemm_dw(dy, x, g),
        "dx": lambda: gemm_dx(dy, w, g),
        "dx rot180": lambda: cl.conv_transpose2d(dy, w, s, p, g.leftover),
        "dw rot180": lambda: _dw_by_correlation(dy, x, g),
        "fwd GEMM": lambda: cols @ w_cols,
        "matmul": lambda: np.matmul(A, A),
    }
    best = best_of_rounds(timed, repeats)
    rate = matmul_flops(1024, 1024, 1024) / best["matmul"]
    flops = matmul_flops(N * g.OH * g.OW, C * k * k, F)  # the same for each pass
    share = {name: flops / best[name] / rate for name in PASSES}
    share["fwd + bwd"] = 3 * flops / (best["forward"] + best["dw"] + best["dx"]) / rate
    return share


FORWARD = ("im2col", "einsum", "fft", "winograd")


def bench_forward(shape, groups, dtype, repeats):
    """Table 3: the forward pass alone, every forward method but loops."""
    x, w, b, _ = layer(shape, dtype, groups)
    s, p = shape[6], shape[5]
    methods = [m for m in FORWARD if m != "winograd" or winograd_takes(shape)]
    ref = cl.conv2d(x.astype(np.float64), w.astype(np.float64), b, s, p, method="loops", groups=groups)
    for m in methods:  # checked before it is timed
        err = cl.rel_error(cl.conv2d(x, w, b, s, p, method=m, groups=groups), ref)
        if err > (1e-9 if dtype == np.float64 else 2e-3):
            raise SystemExit(f"forward {m} disagrees with loops on {shape} {dtype.__name__}: rel error {err:.1e}")
    timed = {m: (lambda m=m: cl.conv2d(x, w, b, s, p, method=m, groups=groups)) for m in methods}
    return best_of_rounds(timed, repeats)


def cell(times, name, width=9):
    return f"{times[name]:>{width}.4f}" if name in times else f"{'-':>{width}}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="first shape and the depthwise layer, float64, 3 repeats")
    args = parser.parse_args()
    shapes = SHAPES[:1] if args.quick else SHAPES
    dtypes = [np.float64] if args.quick else [np.float64, np.float32]
    repeats = 3 if args.quick else args.repeats
    names = list(contenders())

    print("0. each pass alone, as a share of the matmul rate (FLOP/s over a 1024x1024 matmul's, same dtype, same run)")
    print(f"{'shape (N,C,F,H,k,p,s)':<28}{'dtype':<9}" + "".join(f"{n:>11}" for n in [*PASSES, "fwd + bwd"]))
    for shape in PASS_SHAPES[:1] if args.quick else PASS_SHAPES:
        for dtype in dtypes:
            share = bench_passes(shape, dtype, repeats)
            row = f"{str(shape):<28}{dtype.__name__:<9}" + "".join(f"{share[n]:>11.0%}" for n in [*PASSES, "fwd + bwd"])
            print(row, flush=True)
    print("forward, dw, dx: the default (im2col) route; rot180: conv2d_backward(method='rot180')'s two halves;")
    print("fwd GEMM: the forward's matrix product alone, on windows copied beforehand; fwd + bwd: forward, dw, dx\n")

    speedups = []
    print("1. fastest of the rounds, seconds, for forward + backward (fft, winograd: backward by im2col)")
    print(
        f"{'shape (N,C,F,H,k,p,s)':<28}{'dtype':<9}"
        + "".join(f"{n:>9}" for n in names)
        + f"{'seed/im2col':>13}{'GEMM eff.':>11}"
    )
    for shape in shapes:
        for dtype in dtypes:
            best, flops, gemm_rate = bench(shape, dtype, repeats)
            ratio = best["seed"] / best["im2col"]
            eff = flops / best["im2col"] / gemm_rate
            speedups.append(ratio)
            row = f"{str(shape):<28}{dtype.__name__:<9}" + "".join(cell(best, n) for n in names)
            print(row + f"{ratio:>12.2f}x{eff:>10.0%}", flush=True)
    geo = float(np.exp(np.mean(np.log(speedups))))
    print(f"\nim2col vs seed approach, geometric mean speed-up: {geo:.2f}x")
    print("GEMM eff. = conv FLOP/s of the im2col path / FLOP/s of a 1024x1024 matmul, same dtype, same run")

    names = [n for n in names if n != "seed"]
    print("\n2. depthwise layers (groups = C = F), forward + backward, seconds; dense: the same layer with groups=1")
    print(
        f"{'shape (N,C,F,H,k,p,s)':<28}{'dtype':<9}"
        + "".join(f"{n:>9}" for n in [*names, "dense"])
        + f"{'dense/depthwise':>17}"
    )
    for shape in DEPTHWISE:
        for dtype in dtypes:
            best = bench_depthwise(shape, dtype, repeats)
            row = f"{str(shape):<28}{dtype.__name__:<9}" + "".join(cell(best, n) for n in [*names, "dense"])
            print(row + f"{best['dense'] / best['im2col']:>16.1f}x", flush=True)

    print("\n3. forward only, seconds, and each method's time / im2col's (below 1: faster than im2col)")
    ratios = [m for m in FORWARD if m != "im2col"]
    print(
        f"{'layer (N,C,F,H,k,p,s)':<28}{'groups':>7}{'dtype':>9}"
        + "".join(f"{m:>9}" for m in FORWARD)
        + "".join(f"{m + '/im2col':>17}" for m in ratios)
    )
    for shape, groups in [(s, 1) for s in shapes] + [(s, s[1]) for s in DEPTHWISE]:
        for dtype in dtypes:
            best = bench_forward(shape, groups, dtype, repeats)
            row = f"{str(shape):<28}{groups:>7}{dtype.__name__:>9}" + "".join(cell(best, m) for m in FORWARD)
            row += "".join(f"{best[m] / best['im2col']:>16.2f}x" if m in best else f"{'-':>17}" for m in ratios)
            print(row, flush=True)


if __name__ == "__main__":
    with blas_threads(1):  # the work each method does, not how well its products split across cores
        main()
