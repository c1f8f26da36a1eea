//! Hessian-free eigenvector-following finds the transition states the dense path finds: the
//! quick sweep's N_h = 2, λ = 1e-3 landscape, with every transition state coming from
//! eigenvector-following (basin-hopping, connect, survey along every mode; no census, whose
//! Newton searches would find the saddles without it), run once with the default settings
//! (dense below `ef.hessian_free_above` parameters) and once with every search Hessian-free,
//! stores the same transition states (and minima) up to the symmetries of the network. With
//! the census as well (the quick sweep itself) the two agree on all four quick landscapes; that
//! takes too long for CI and is measured in docs/configuration.md. A third run also verifies every
//! minimum and transition state by inertia (`checks.inertia_above = 0`) and stores the same
//! points with the same lowest eigenvalues and `ln Π λ₊`.

mod support;

use std::path::{Path, PathBuf};

use losscape_core::Landscape;
use losscape_db::Store;
use losscape_model::{Dataset, Perceptron};
use support::{losscape, text};

/// Energy, coordinates, lowest eigenvalue and `ln Π λ₊` of stored points.
type Points = Vec<(f64, Vec<f64>, f64, f64)>;

/// (transition states, minima) of the database's only landscape, each sorted by energy.
fn points(db: &Path) -> (Points, Points) {
    let store = Store::open_read_only(db).unwrap();
    let landscapes = store.landscapes().unwrap();
    assert_eq!(landscapes.len(), 1);
    let id = landscapes[0].id;
    let mut ts: Points = store
        .transition_states(id)
        .unwrap()
        .into_iter()
        .map(|t| {
            (
                t.energy,
                t.coords,
                t.negative_eigenvalue,
                t.ln_prod_positive,
            )
        })
        .collect();
    let mut minima: Points = store
        .minima(id)
        .unwrap()
        .into_iter()
        .map(|m| (m.energy, m.coords, m.lowest_eigenvalue, m.ln_prod_positive))
        .collect();
    ts.sort_by(|a, b| a.0.total_cmp(&b.0));
    minima.sort_by(|a, b| a.0.total_cmp(&b.0));
    (ts, minima)
}

/// Every point of `a` has a partner in `b` with the same energy, lowest eigenvalue and
/// `ln Π λ₊` and, after symmetry alignment, the same coordinates; and the counts agree.
fn assert_same(what: &str, model: &Perceptron, a: &Points, b: &Points) {
    assert_eq!(a.len(), b.len(), "{what}: {} against {}", a.len(), b.len());
    let close = |p: f64, q: f64| (p - q).abs() <= 1e-8 * (1.0 + q.abs());
    for (e, x, lowest, ln) in a {
        assert!(
            b.iter().any(|(f, y, m, l)| (e - f).abs() <= 1e-9
                && model.aligned_distance(x, y) <= 1e-6
                && close(*lowest, *m)
                && close(*ln, *l)),
            "{what}: the point at E = {e} (lowest eigenvalue {lowest}, ln Π λ₊ {ln}) has no partner"
        );
    }
}

#[test]
fn dense_and_hessian_free_searches_store_the_same_transition_states() {
    let quick = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs/xor-quick.toml");
    let base = std::fs::read_to_string(quick)
        .unwrap()
        .replace("n_hidden = [2, 3]", "n_hidden = [2]")
        .replace("lambda = [1e-2, 1e-3]", "lambda = [1e-3]")
        .replace(
            "stages = [\"basin_hopping\", \"census\", \"connect\", \"saturate\"]",
            "stages = [\"basin_hopping\", \"connect\", \"survey\"]",
        );
    assert!(base.contains("n_hidden = [2]\n") && base.contains("lambda = [1e-3]\n"));
    assert!(base.contains("stages = [\"basin_hopping\", \"connect\", \"survey\"]"));
    let dir = tempfile::tempdir().unwrap();
    let free = base.replace("[minimiser]", "[ef]\nhessian_free_above = 0\n\n[minimiser]");
    let inertia = free.replace("[minimiser]", "[checks]\ninertia_above = 0\n\n[minimiser]");
    std::fs::write(dir.path().join("dense.toml"), &base).unwrap();
    std::fs::write(dir.path().join("free.toml"), &free).unwrap();
    std::fs::write(dir.path().join("inertia.toml"), &inertia).unwrap();
    for name in ["dense", "free", "inertia"] {
        let (cfg, db) = (format!("{name}.toml"), format!("{name}.db"));
        let out = losscape(&["run", &cfg, "--db", &db, "--quiet"], dir.path());
        assert!(out.status.success(), "{name}: {}", text(&out));
    }
    let model = Perceptron::new(Dataset::xor(), 2, 1e-3).unwrap();
    assert_eq!(model.dim(), 12);
    let (dense_ts, dense_minima) = points(&dir.path().join("dense.db"));
    let (free_ts, free_minima) = points(&dir.path().join("free.db"));
    assert!(
        dense_ts.len() >= 10,
        "only {} transition states",
        dense_ts.len()
    );
    assert_same("transition states", &model, &dense_ts, &free_ts);
    assert_same("transition states", &model, &free_ts, &dense_ts);
    assert_same("minima", &model, &dense_minima, &free_minima);
    let (light_ts, light_minima) = points(&dir.path().join("inertia.db"));
    assert_same("transition states by inertia", &model, &dense_ts, &light_ts);
    assert_same("transition states by inertia", &model, &light_ts, &dense_ts);
    assert_same("minima by inertia", &model, &dense_minima, &light_minima);
}
