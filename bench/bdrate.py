#!/usr/bin/env python3
"""Bjontegaard delta rate (BD-rate): the average bitrate difference of a test
encoder against a reference at equal quality, over the overlap of their quality
ranges (VCEG-M33: cubic fit of log-rate as a function of quality, integrated).

usage: bdrate.py REF_POINTS TEST_POINTS
  each POINTS is "rate,quality;rate,quality;..." (at least 4 points).
Prints the BD-rate in percent (negative = the test needs fewer bits).
Pure Python (no numpy), so it runs on a bare machine."""
import math
import sys


def polyfit3(xs, ys):
    """Least-squares cubic through (xs, ys): coefficients c0..c3 of c0 + c1 x + ..."""
    n = 4
    a = [[sum(x ** (i + j) for x in xs) for j in range(n)] for i in range(n)]
    b = [sum(y * x ** i for x, y in zip(xs, ys)) for i in range(n)]
    for col in range(n):  # Gaussian elimination with partial pivoting
        piv = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[piv] = a[piv], a[col]
        b[col], b[piv] = b[piv], b[col]
        for r in range(col + 1, n):
            f = a[r][col] / a[col][col]
            for c in range(col, n):
                a[r][c] -= f * a[col][c]
            b[r] -= f * b[col]
    c = [0.0] * n
    for r in range(n - 1, -1, -1):
        c[r] = (b[r] - sum(a[r][k] * c[k] for k in range(r + 1, n))) / a[r][r]
    return c


def integral(c, lo, hi):
    def prim(x):
        return sum(ci * x ** (i + 1) / (i + 1) for i, ci in enumerate(c))
    return prim(hi) - prim(lo)


def bd_rate(ref, test):
    """ref, test: lists of (rate, quality). Returns percent."""
    rq = [(q, math.log(r)) for r, q in ref]
    tq = [(q, math.log(r)) for r, q in test]
    cr = polyfit3([q for q, _ in rq], [l for _, l in rq])
    ct = polyfit3([q for q, _ in tq], [l for _, l in tq])
    lo = max(min(q for q, _ in rq), min(q for q, _ in tq))
    hi = min(max(q for q, _ in rq), max(q for q, _ in tq))
    if hi <= lo:
        raise ValueError("quality ranges do not overlap")
    avg = (integral(ct, lo, hi) - integral(cr, lo, hi)) / (hi - lo)
    return (math.exp(avg) - 1) * 100


def parse(s):
    return [tuple(float(v) for v in p.split(",")) for p in s.split(";") if p]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print("%.2f" % bd_rate(parse(sys.argv[1]), parse(sys.argv[2])))
