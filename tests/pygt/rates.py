"""Computes, with PyGT, the equilibrium occupations and rates of a losscape PATHSAMPLE export.

Usage: rates.py DIR BETA. Prints {"retained": [bool per min.data line], "pi": [...] (the
normalised equilibrium occupations exp(-beta u + s) of the retained minima, min.data order),
"s": PyGT's entropies, "smin": the shift PyGT subtracts from the fvib column, "k": the rate
matrix (k[i][j] = rate i <- j), "mfpt_ab": MFPT A <- B, "mfpt_ba": MFPT B <- A}. The Rust test
computes the same numbers directly from the database and the census; this script only loads
and computes.
"""
import json
import sys

import numpy as np
from PyGT import io, stats

path, beta = sys.argv[1], float(sys.argv[2])
B, K, tau, n, u, s, emin, retained = io.load_ktn(path, beta=beta)
a_sel, b_sel = io.load_ktn_AB(path, retained)
pi = np.exp(-beta * u + s)
pi /= pi.sum()
# A dense branching matrix: PyGT 0.3.0's graph transformation fails on the sparse one it returns
# (numpy.linalg.cond of a 0-dimensional array) with current numpy.
rates = stats.compute_rates(a_sel, b_sel, B.toarray(), tau, pi)
# The shift load_ktn applies to the fvib column (its Smin), so the caller can undo it.
mins = np.loadtxt(path + "/min.data", usecols=(1,), ndmin=1)
tss = np.loadtxt(path + "/ts.data", usecols=(1,), ndmin=1)
print(json.dumps({
    "retained": [bool(r) for r in retained],
    "pi": [float(p) for p in pi],
    "s": [float(x) for x in s],
    "smin": float(min(mins.min(), tss.min())),
    "k": K.toarray().tolist(),
    "mfpt_ab": float(rates["MFPTAB"]),
    "mfpt_ba": float(rates["MFPTBA"]),
}))
