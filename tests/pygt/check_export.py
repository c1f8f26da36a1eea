"""Loads a losscape PATHSAMPLE export with PyGT and prints what it found as JSON.

Usage: check_export.py DIR BETA. Prints {"n": minima in the largest connected network,
"energies": [...] (absolute, min.data order of the retained minima), "retained": [bool per
min.data line], "a"/"b": sizes of min.A/min.B, "mfpt": [[j, T(gm <- j), T(j <- gm)], ...] for the
global minimum gm and every other minimum j}. The Rust test compares these with the database;
this script only loads and computes.

Rates come from mfpt.compute_MFPT (graph transformation to the two minima): PyGT 0.3.0's
stats.compute_rates fails when set A holds a single minimum, as the default min.A does.
"""
import json
import sys

import numpy as np
from PyGT import io, mfpt

path, beta = sys.argv[1], float(sys.argv[2])
B, K, tau, n, u, s, emin, retained = io.load_ktn(path, beta=beta)
a_sel, b_sel = io.load_ktn_AB(path, retained)
gm = int(np.argmin(u))
times = []
for j in range(n):
    if j != gm:
        t_gm_j, t_j_gm = mfpt.compute_MFPT(gm, j, B, tau)
        times.append([j, float(t_gm_j), float(t_j_gm)])
print(json.dumps({
    "n": int(n),
    "energies": [float(e + emin) for e in u],
    "retained": [bool(r) for r in retained],
    "a": int(a_sel.sum()),
    "b": int(b_sel.sum()),
    "a_is_global": bool(a_sel[gm]),
    "mfpt": times,
}))
