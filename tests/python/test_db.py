"""`losscape.open`: a database read into numpy equals what the CLI prints."""

import math

import numpy as np
import pytest
from scipy.optimize import minimize

import losscape


def by_key(records):
    out = {}
    for r in records:
        out.setdefault(r["landscape"], []).append(r)
    return out


def real(x):
    # The CLI prints NaN as null.
    return math.nan if x is None else x


def test_landscape_keys_are_the_clis(quick_db, cli):
    db = losscape.open(quick_db)
    summary = cli("summary", quick_db, "--format", "json")
    assert db.keys() == [r["landscape"] for r in summary]
    assert [l.key for l in db.landscapes()] == db.keys()
    assert db.keys() == ["h2-l1e-2", "h2-l1e-3", "h3-l1e-2", "h3-l1e-3"]
    for l, r in zip(db.landscapes(), summary):
        assert (l.n_hidden, l.lam) == (r["n_hidden"], r["lambda"])
    # The summary counts are the CLI's too.
    for mine, theirs in zip(db.summary(), summary):
        assert mine == pytest.approx(theirs, nan_ok=True)


def test_minima_equal_the_clis(quick_db, cli):
    db = losscape.open(quick_db)
    printed = by_key(cli("minima", quick_db, "--coords", "--format", "json"))
    for l in db.landscapes():
        m = l.minima()
        rows = {r["id"]: r for r in printed[l.key]}
        assert sorted(rows) == list(m["id"])
        assert m["coords"].shape == (len(rows), l.dim)
        for i, id_ in enumerate(m["id"]):
            r = rows[int(id_)]
            assert m["energy"][i] == r["energy"]
            np.testing.assert_array_equal(m["coords"][i], r["coords"])
            assert m["rms_gradient"][i] == r["rms_gradient"]
            assert m["hessian_index"][i] == r["hessian_index"]
            assert m["lowest_eigenvalue"][i] == r["lowest_eigenvalue"]
            assert m["ln_prod_positive"][i] == r["ln_prod_positive"]
            assert m["accuracy"][i] == r["accuracy"]
            assert m["times_found"][i] == r["times_found"]
            assert m["first_run"][i] == r["first_run"]


def test_transition_states_equal_the_clis(quick_db, cli):
    db = losscape.open(quick_db)
    printed = by_key(cli("ts", quick_db, "--coords", "--format", "json"))
    total = 0
    for l in db.landscapes():
        t = l.transition_states()
        rows = {r["id"]: r for r in printed.get(l.key, [])}
        assert sorted(rows) == list(t["id"])
        assert t["negative_vector"].shape == t["coords"].shape == (len(rows), l.dim)
        for i, id_ in enumerate(t["id"]):
            r = rows[int(id_)]
            assert t["energy"][i] == r["energy"]
            np.testing.assert_array_equal(t["coords"][i], r["coords"])
            assert (t["min1"][i], t["min2"][i]) == (r["min1"], r["min2"])
            assert bool(t["degenerate"][i]) == r["degenerate"]
            assert t["negative_eigenvalue"][i] == real(r["negative_eigenvalue"])
            assert t["hessian_index"][i] == r["hessian_index"] == 1
        e = l.edges()
        np.testing.assert_array_equal(e["ts"], t["id"])
        np.testing.assert_array_equal(e["min1"], t["min1"])
        total += len(rows)
    assert total > 0, "the quick sweep stores transition states"


def test_census_equals_the_clis(quick_db, cli):
    db = losscape.open(quick_db)
    printed = {c["key"]: c for c in cli("census", quick_db, "--format", "json")["landscapes"]}
    for l in db.landscapes():
        c = l.census()
        theirs = printed[l.key]
        for field in (
            "group_order", "by_index", "morse_sum", "passes", "voided", "verdict",
            "closed", "certificate", "closure",
        ):
            assert c[field] == theirs[field], field
        np.testing.assert_array_equal(c["index"], [n["index"] for n in theirs["by_index"]])
        np.testing.assert_array_equal(
            c["points_by_index"], [n["points"] for n in theirs["by_index"]]
        )
        # The census's own points, of every index, are the ones the CLI counted.
        points = l.stationary_points()
        assert len(points["id"]) == theirs["census_points"] > 0
        assert points["coords"].shape == (len(points["id"]), l.dim)
        assert set(points["hessian_index"]) == {n["index"] for n in theirs["by_index"]}


def test_stored_energies_and_gradients_are_the_models(quick_db):
    db = losscape.open(quick_db)
    for l in db.landscapes():
        model = l.model()
        assert (model.n_hidden, model.lam, model.dim) == (l.n_hidden, l.lam, l.dim)
        for points in (l.minima(), l.transition_states(), l.stationary_points()):
            for x, e, rms in zip(points["coords"], points["energy"], points["rms_gradient"]):
                energy, grad = model.energy_gradient(x)
                assert energy == pytest.approx(e, rel=1e-12, abs=1e-15)
                assert np.linalg.norm(grad) / math.sqrt(l.dim) == pytest.approx(
                    rms, rel=1e-6, abs=1e-14
                )


def test_scipy_reaches_a_stored_minimum(quick_db):
    db = losscape.open(quick_db)
    l = db["h3-l1e-3"]
    model = l.model()
    m = l.minima()
    rng = np.random.default_rng(5)
    for i in range(min(3, len(m["id"]))):
        target = m["coords"][i]
        start = target + 0.02 * rng.normal(size=l.dim)
        result = minimize(
            model.energy_gradient, start, jac=True, method="L-BFGS-B",
            options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10000},
        )
        assert result.fun == pytest.approx(m["energy"][i], abs=1e-9)
        assert model.align(target, result.x) < 1e-3


def test_orbit_sizes_are_the_censuss(quick_db):
    db = losscape.open(quick_db)
    for l in db.landscapes():
        model = l.model()
        counted = {
            (o["source"], o["id"]): o["points"] for o in l.census()["orbits"]
        }
        m = l.minima()
        compared = 0
        for id_, x in zip(m["id"], m["coords"]):
            if ("minimum", int(id_)) in counted:
                assert model.orbit_size(x) == counted[("minimum", int(id_))]
                compared += 1
        assert compared > 0


def test_connection_graph_as_networkx(quick_db):
    import networkx as nx

    db = losscape.open(quick_db)
    l = db["h2-l1e-2"]
    g = l.to_networkx()
    assert isinstance(g, nx.MultiGraph)
    assert sorted(g.nodes) == sorted(int(i) for i in l.minima()["id"])
    assert g.number_of_edges() == len(l.transition_states()["id"])
    # The quick sweep connects every minimum to the global one.
    assert nx.is_connected(g)


def test_read_errors_are_the_clis(quick_db, tmp_path):
    db = losscape.open(quick_db)
    with pytest.raises(losscape.DatabaseError, match=r"h9-l1e-2.*h2-l1e-2, h2-l1e-3"):
        db["h9-l1e-2"]
    with pytest.raises(losscape.DatabaseError, match=r"cannot read database .*missing\.db"):
        losscape.open(tmp_path / "missing.db")
    not_ours = tmp_path / "notes.txt"
    not_ours.write_text("hello")
    with pytest.raises(losscape.LosscapeError, match="notes.txt"):
        losscape.open(not_ours)


def test_reading_leaves_the_file_alone(small_db):
    before = small_db.read_bytes()
    db = losscape.open(small_db)
    for l in db.landscapes():
        l.minima(), l.transition_states(), l.census()
    assert small_db.read_bytes() == before
