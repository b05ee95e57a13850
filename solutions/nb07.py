"""Reference solutions for notebook 07: separable counts, grouped product, shortest FFT length, Winograd counts."""

import numpy as np

# 1. Warm-up: MobileNet's stride-2 block, C=128 -> F=256 channels on a 56x56 input, 3x3, padding 1.
#    The depthwise layer's output: OH = (56 + 2 - 3) // 2 + 1 = 28, so both layers run at 28x28.
#    weights: depthwise 128·9 = 1,152 + pointwise 256·128 = 32,768 -> 33,920
#    multiply-adds: 28·28 · 33,920 = 26,593,280 (a dense 3x3 layer: 28·28 · 294,912 = 231,211,008)
#    In flops (2 per multiply-add) that would be 53,186,560: the exercise asks for multiply-adds.
my_separable_counts = (33_920, 26_593_280)


# 2. A grouped layer from one cols: the columns of cols are ordered (c, kh, kw), the KH*KW columns of channel 0
#    first, so group g's C/G channels are one run of (C/G)*KH*KW consecutive columns. One product per group, the
#    groups' outputs side by side in filter order (group g's filters are g*F/G ... (g+1)*F/G - 1).


def my_grouped_product(cols, w, b, groups):
    F = w.shape[0]
    Fg = F // groups  # filters per group
    width = w[0].size  # (C/G)*KH*KW: the columns of one group
    parts = []
    for g in range(groups):
        cols_g = cols[:, g * width : (g + 1) * width]  # (N*OH*OW, (C/G)*KH*KW): group g's channels
        w_g = w[g * Fg : (g + 1) * Fg].reshape(Fg, -1)  # (F/G, (C/G)*KH*KW), columns ordered (c, kh, kw)
        parts.append(cols_g @ w_g.T)  # (N*OH*OW, F/G)
    return np.concatenate(parts, axis=1) + b  # (N*OH*OW, F)


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
#    Winograd F(4x4, 3x3): F(m, 3) makes m outputs from m + 2 products, so a 4x4 tile costs (4 + 2)² = 36.
#    Tiles per side: ceil(7 / 4) = 2, so 4 tiles, for each of the 512·512 (filter, channel) pairs:
#    4·36·512·512 = 37,748,736.
#    Direct: 49 outputs · 9 taps · 512·512 = 115,605,504. The ratio is 3.06, not 4: the tiles make 8x8
#    outputs of which 7x7 are kept.
my_winograd_counts = (37_748_736, 115_605_504)
