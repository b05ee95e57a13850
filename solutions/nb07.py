"""Reference solutions for notebook 07: separable counts, grouped convolution, FFT correlation, Winograd counts."""

import numpy as np

import conv_lab as cl

# 1. Warm-up: MobileNet's stride-2 block, C=128 -> F=256 channels on a 56x56 input, 3x3, padding 1.
#    The depthwise layer's output: OH = (56 + 2 - 3) // 2 + 1 = 28, so both layers run at 28x28.
#    weights: depthwise 128·9 = 1,152 + pointwise 256·128 = 32,768 -> 33,920
#    multiply-adds: 28·28 · 33,920 = 26,593,280 (a dense 3x3 layer: 28·28 · 294,912 = 231,211,008)
my_separable_counts = (33_920, 26_593_280)


# 2. Grouped convolution: one im2col and one matrix product per group, the groups' outputs in order.


def my_grouped_conv(x, w, b, groups, stride, padding, dilation):
    N, C, H, W = x.shape
    F, Cg, KH, KW = w.shape  # Cg = C // groups channels per filter
    Fg = F // groups  # filters per group
    OH = (H + 2 * padding - dilation * (KH - 1) - 1) // stride + 1
    OW = (W + 2 * padding - dilation * (KW - 1) - 1) // stride + 1
    parts = []
    for g in range(groups):
        xg = x[:, g * Cg : (g + 1) * Cg]  # (N, C/G, H, W): group g's run of channels
        wg = w[g * Fg : (g + 1) * Fg]  # (F/G, C/G, KH, KW): group g's filters
        cols = cl.im2col(xg, (KH, KW), stride, padding, dilation)  # (N*OH*OW, C/G*KH*KW)
        yg = cols @ wg.reshape(Fg, -1).T  # (N*OH*OW, F/G)
        parts.append(yg.reshape(N, OH, OW, Fg).transpose(0, 3, 1, 2))  # (N, F/G, OH, OW)
    return np.concatenate(parts, axis=1) + b[None, :, None, None]  # (N, F, OH, OW)


# 3. Find the bug: the classmate's FFT has length H + K - 1 (the rule for a full convolution of an unpadded
#    input). It fails for p >= K, e.g. a 3x3 kernel with padding 3: the layer has H + 2p - K + 1 outputs, more
#    than H + K - 1, so the output comes back too short, and its last rows are wrong too whenever their
#    windows need image rows that rfft2 cut off (rows H + K - 1 to H + p - 1 of xp).
#    Why it is right for p <= K - 1, even when the FFT is shorter than the padded input (p > (K - 1)/2):
#    rfft2(xp, s=...) cuts off the last rows of xp, and those are bottom padding only (H + K - 1 >= H + p);
#    a window that runs past the end of the FFT wraps around to the top, onto rows 0, 1, ..., which are
#    top padding as long as it runs past by fewer than p rows (the last window ends at row H + 2p - 1, so it
#    runs past by at most H + 2p - (H + K - 1) = 2p - K + 1 <= p rows). Zeros are read in place of zeros.
#    The shortest exact length L must therefore
#      - keep every image row and let a window run past the end by at most p: L >= H + p (the top padding
#        then serves as the bottom padding too; taps beyond L, cut from the kernel by rfft2, only ever meet
#        bottom padding in the outputs kept, so the kernel need not fit);
#      - hold all OH = H + 2p - K + 1 outputs: L >= H + 2p - K + 1, larger than H + p when p >= K.
#    H + K - 1 meets both exactly when p <= K - 1.


def my_fft_length(H, K, padding):
    return max(H + padding, H + 2 * padding - K + 1)


# 4. Predict, then check: C = F = 512, a 7x7 input, 3x3, padding 1 -> a 7x7 output.
#    Winograd F(2x2, 3x3): tiles per side ceil(7 / 2) = 4, so 16 tiles of 16 products, for each of
#    the 512·512 (filter, channel) pairs: 16·16·512·512 = 67,108,864.
#    Direct: 49 outputs · 9 taps · 512·512 = 115,605,504. The ratio is 1.72, not 2.25: the odd size
#    wastes the outputs of the last row and column of tiles.
my_winograd_counts = (67_108_864, 115_605_504)
