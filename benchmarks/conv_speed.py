"""Time a convolution layer's forward + backward pass, every method side by side.

Run:  python benchmarks/conv_speed.py [--repeats 7] [--quick]

For each shape and dtype, every contender runs once per round, in turn, so
that a slow spell on this shared machine hits them all alike. Each time
reported is the fastest of the rounds: noise from other processes only ever
adds time, so the minimum is the steadiest estimate of a method's own cost.
Ratios are taken within one run only. (The timing loop is
conv_lab.speed.best_of_rounds, shared with notebook 03.)

Contenders (forward method + backward method):

- im2col : conv2d(method="im2col") + conv2d_backward(method="im2col")   (the default)
- rot180 : conv2d(method="im2col") + conv2d_backward(method="rot180")
- einsum : conv2d(method="einsum") + conv2d_backward(method="im2col")
- loops  : conv2d(method="loops")  + conv2d_backward(method="loops")
- seed   : the im2col/col2im approach the seed tutorial publishes,
           re-implemented below for comparison only

GEMM efficiency = (conv FLOPs / conv time) / (FLOPs per second of a plain
square matrix multiply in the same dtype, timed in the same rounds).
Conv FLOPs for forward + backward = 3 GEMMs of 2*N*OH*OW*F*C*KH*KW each.
"""

import argparse

import numpy as np

import conv_lab as cl
from conv_lab.speed import best_of_rounds, matmul_flops

SHAPES = [  # (N, C, F, H, k, p, s)
    (32, 64, 64, 32, 3, 1, 1),
    (16, 3, 32, 64, 5, 2, 2),
    (64, 128, 128, 8, 3, 1, 1),
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


def lab(fwd, bwd):
    def run(x, w, b, dy, s, p):
        y = cl.conv2d(x, w, b, stride=s, padding=p, method=fwd)
        dx, dw, db = cl.conv2d_backward(dy, x, w, stride=s, padding=p, method=bwd)
        return y, dx, dw, db

    return run


CONTENDERS = {
    "im2col": lab("im2col", "im2col"),
    "rot180": lab("im2col", "rot180"),
    "einsum": lab("einsum", "im2col"),
    "loops": lab("loops", "loops"),
    "seed": seed_fwd_bwd,
}


def bench(shape, dtype, repeats):
    N, C, F, H, k, p, s = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, H)).astype(dtype)
    w = rng.standard_normal((F, C, k, k)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    OH = cl.output_size(H, k, s, p)
    dy = rng.standard_normal((N, F, OH, OH)).astype(dtype)
    flops = 3 * matmul_flops(N * OH * OH, C * k * k, F)
    A = rng.standard_normal((1024, 1024)).astype(dtype)
    gemm_flops = matmul_flops(1024, 1024, 1024)

    # every contender must compute the same thing before it is timed
    ref = CONTENDERS["loops"](
        x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), dy.astype(np.float64), s, p
    )
    tol = 1e-9 if dtype == np.float64 else 2e-3
    for name, fn in CONTENDERS.items():
        for got, want in zip(fn(x, w, b, dy, s, p), ref):
            err = cl.rel_error(got, want)
            if err > tol:
                raise SystemExit(f"{name} disagrees with loops on {shape} {dtype.__name__}: rel error {err:.1e}")

    runs = {name: (lambda fn=fn: fn(x, w, b, dy, s, p)) for name, fn in CONTENDERS.items()}
    runs["gemm"] = lambda: np.matmul(A, A)
    med = best_of_rounds(runs, repeats)
    gemm_rate = gemm_flops / med["gemm"]
    return med, flops, gemm_rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="first shape, float64 only, 3 repeats")
    args = parser.parse_args()
    shapes = SHAPES[:1] if args.quick else SHAPES
    dtypes = [np.float64] if args.quick else [np.float64, np.float32]
    repeats = 3 if args.quick else args.repeats

    speedups = []
    header = f"{'shape (N,C,F,H,k,p,s)':<28}{'dtype':<9}" + "".join(f"{n:>9}" for n in CONTENDERS)
    print("fastest of the rounds, seconds, for forward + backward")
    print(header + f"{'seed/im2col':>13}{'GEMM eff.':>11}")
    for shape in shapes:
        for dtype in dtypes:
            med, flops, gemm_rate = bench(shape, dtype, repeats)
            ratio = med["seed"] / med["im2col"]
            eff = flops / med["im2col"] / gemm_rate
            speedups.append(ratio)
            row = f"{str(shape):<28}{dtype.__name__:<9}" + "".join(f"{med[n]:>9.4f}" for n in CONTENDERS)
            print(row + f"{ratio:>12.2f}x{eff:>10.0%}", flush=True)
    geo = float(np.exp(np.mean(np.log(speedups))))
    print(f"\nim2col vs seed approach, geometric mean speed-up: {geo:.2f}x")
    print("GEMM eff. = conv FLOP/s of the im2col path / FLOP/s of a 1024x1024 matmul, same dtype, same run")


if __name__ == "__main__":
    main()
