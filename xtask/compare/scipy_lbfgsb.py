"""Quench the scaling table's random XOR starts with scipy's L-BFGS-B, for comparison with
losscape's L-BFGS on exactly the same points and the same stopping rule.

    cargo run --release -p xtask -- bench --no-run --sizes 2,16 --starts /tmp/starts
    python xtask/compare/scipy_lbfgsb.py /tmp/starts/starts-h2.f64 --n-hidden 2

The starts file holds raw little-endian f64 records of length P = 5 N_h + 2 (GMIN order:
W_ih row by row, W_ho row by row, b_h, b_o). The loss is the one of docs/model.md ("The loss") with
lambda = 1e-3 (the scaling table's). A quench stops, as losscape's do, at the first evaluated
point whose RMS gradient |g|/sqrt(P) is at or below --rms (1e-10): a callback raises
StopIteration there (scipy >= 1.11), and gtol/ftol are set to 0 so that scipy's own tests do
not stop it earlier. Evaluations are scipy's nfev (every energy + gradient call, line-search
trials included). Prints evaluations per quench (mean, median) and how many converged.
"""

import argparse
import sys

import numpy as np
from scipy.optimize import minimize

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
C = np.array([0, 1, 1, 0])


def loss_and_grad(w, n_h, lam):
    w_ih = w[: 2 * n_h].reshape(n_h, 2)
    w_ho = w[2 * n_h : 4 * n_h].reshape(2, n_h)
    b_h = w[4 * n_h : 5 * n_h]
    b_o = w[5 * n_h :]
    h = np.tanh(X @ w_ih.T + b_h)  # (N, n_h)
    y = h @ w_ho.T + b_o  # (N, 2)
    m = y.max(axis=1, keepdims=True)
    z = np.exp(y - m)
    s = z.sum(axis=1, keepdims=True)
    lse = (m + np.log(s)).ravel()
    n = len(C)
    e = np.mean(lse - y[np.arange(n), C]) + lam * w @ w
    d = z / s
    d[np.arange(n), C] -= 1.0
    d /= n  # dE/dy
    g_ho = d.T @ h
    g_bo = d.sum(axis=0)
    back = (d @ w_ho) * (1.0 - h * h)
    g_ih = back.T @ X
    g_bh = back.sum(axis=0)
    g = np.concatenate([g_ih.ravel(), g_ho.ravel(), g_bh, g_bo]) + 2.0 * lam * w
    return e, g


class Stop:
    """Counts evaluations and remembers the last gradient, so the callback can apply
    losscape's RMS-gradient rule to the point scipy just accepted."""

    def __init__(self, n_h, lam, rms):
        self.n_h, self.lam, self.rms = n_h, lam, rms
        self.evals = 0
        self.last_x = None  # the last evaluated point: the end point when a quench stops
        self.last_rms = np.inf

    def fun(self, w):
        self.evals += 1
        e, g = loss_and_grad(w, self.n_h, self.lam)
        self.last_x = w.copy()
        self.last_rms = np.linalg.norm(g) / np.sqrt(len(w))
        if self.last_rms <= self.rms:
            # The first evaluated point that meets the rule ends the quench, as in losscape
            # (whose every evaluation is a candidate point).
            raise Converged()
        return e, g


class Converged(Exception):
    pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("starts")
    p.add_argument("--n-hidden", type=int, required=True)
    p.add_argument("--lambda", dest="lam", type=float, default=1e-3)
    p.add_argument("--rms", type=float, default=1e-10)
    p.add_argument("--maxcor", type=int, default=10)
    p.add_argument("--limit", type=int, default=0, help="quench only the first N starts")
    p.add_argument("--ends", help="write the end points here (same format as the starts)")
    a = p.parse_args()
    dim = 5 * a.n_hidden + 2
    starts = np.fromfile(a.starts, dtype="<f8").reshape(-1, dim)
    if a.limit:
        starts = starts[: a.limit]
    evals, converged, ends = [], 0, []
    for x0 in starts:
        s = Stop(a.n_hidden, a.lam, a.rms)
        try:
            minimize(
                s.fun,
                x0,
                jac=True,
                method="L-BFGS-B",
                options={
                    "maxcor": a.maxcor,
                    "gtol": 0.0,
                    "ftol": 0.0,
                    "maxiter": 20000,
                    "maxfun": 100000,
                },
            )
            ok = s.last_rms <= a.rms
        except Converged:
            ok = True
        converged += ok
        evals.append(s.evals)
        ends.append(s.last_x)
    evals = np.array(evals)
    if a.ends:
        np.asarray(ends, dtype="<f8").tofile(a.ends)
    print(
        f"scipy {__import__('scipy').__version__} L-BFGS-B maxcor={a.maxcor}, N_h={a.n_hidden}: "
        f"{len(evals)} quenches, {converged} converged to RMS gradient <= {a.rms:g}, "
        f"E+G evals per quench: mean {evals.mean():.1f}, median {np.median(evals):.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
