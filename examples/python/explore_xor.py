"""A tour of the losscape Python package, notebook style: run a small XOR sweep, read it into
numpy, quench with scipy from your own starts and match what you find against the database.

    pip install ./crates/losscape-py scipy networkx
    python examples/python/explore_xor.py [WORK_FOLDER]

Each "# %%" block is one notebook cell (VS Code and Jupytext run them as cells).
"""

# %% Run a small sweep: a dict with the structure of an experiment file.
import logging
import pathlib
import sys
import tempfile

import numpy as np
from scipy.optimize import minimize

import losscape

logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
work = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp())
work.mkdir(parents=True, exist_ok=True)
config = {
    "experiment": {"name": "tour", "seed": 1, "stages": ["basin_hopping", "connect"]},
    "data": {"kind": "xor"},
    "landscape": {"n_hidden": [2, 3], "lambda": [1e-3]},
    "basin_hopping": {"chains": 8, "steps": 100, "max_without_new": 60},
}
print(losscape.check(config)["text"])
summaries = losscape.run(config, work / "tour.db")  # Ctrl-C keeps what is committed
for s in summaries:
    print(s["landscape"], s["minima_by_energy"], "minima,", s["transition_states"], "TS")

# %% The database as numpy arrays.
db = losscape.open(work / "tour.db")
landscape = db["h3-l1e-3"]
minima = landscape.minima()
print(landscape, "-", len(minima["id"]), "minima")
order = np.argsort(minima["energy"])
for i in order[:5]:
    print(f"  minimum {minima['id'][i]}: E = {minima['energy'][i]:.8f}, "
          f"accuracy {minima['accuracy'][i]:.2f}")

# %% The model: your own quenches with scipy, matched against the stored minima.
model = landscape.model()
rng = np.random.default_rng(0)
for trial in range(5):
    start = rng.normal(scale=2.0, size=model.dim)
    result = minimize(model.energy_gradient, start, jac=True, method="L-BFGS-B",
                      options={"gtol": 1e-10, "ftol": 1e-14})
    distances = [model.align(x, result.x) for x in minima["coords"]]
    nearest = int(np.argmin(distances))
    print(f"start {trial}: E = {result.fun:.8f}; nearest stored minimum "
          f"{minima['id'][nearest]} at aligned distance {distances[nearest]:.2e} "
          f"(orbit of {model.orbit_size(result.x)} copies)")

# %% Curvature at the global minimum, and the connection graph.
best = minima["coords"][order[0]]
eigenvalues = np.linalg.eigvalsh(model.hessian(best))
print("lowest Hessian eigenvalues at the global minimum:", eigenvalues[:3])
edges = landscape.edges()
print(len(edges["ts"]), "transition states join", len(set(edges["min1"]) | set(edges["min2"])),
      "minima")
try:
    graph = landscape.to_networkx()
    import networkx as nx

    print("connected:", nx.is_connected(graph))
except ImportError:
    print("(install networkx for landscape.to_networkx())")
