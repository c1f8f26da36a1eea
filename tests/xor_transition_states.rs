//! The acceptance test of the transition-state stages on the XOR landscape: after `connect`
//! every minimum of N_h = 2, λ = 1e-3 is in one component, and every stored transition state is
//! a verified index-1 saddle above both its minima that pushes off to exactly them.

use std::path::Path;

use losscape_core::Landscape;
use losscape_db::Store;
use losscape_experiment::{Experiment, RunOptions, run};
use losscape_hessian::analyse;
use losscape_ts::pushoff;

const CONFIG: &str = r#"
[experiment]
name = "xor-ts"
seed = 11
stages = ["basin_hopping", "connect", "survey", "connect"]

[landscape]
n_hidden = [2]
lambda = [1e-3]

[basin_hopping]
chains = 6
steps = 150
max_without_new = 60
"#;

#[test]
fn xor_h2_minima_are_connected_by_verified_transition_states() {
    let dir = tempfile::tempdir().unwrap();
    let exp = Experiment::from_text(CONFIG.into(), Path::new("xor-ts.toml")).unwrap();
    let mut store = Store::open(&dir.path().join("xor.db")).unwrap();
    let summaries = run(&exp, &mut store, &RunOptions::default(), &()).unwrap();
    assert_eq!(summaries.len(), 1);
    let s = &summaries[0].counts;
    assert!(s.minima_by_structure >= 3, "{:?}", summaries[0]);
    assert!(
        s.transition_states >= s.minima_by_structure - 1,
        "{:?}",
        summaries[0]
    );
    assert_eq!(
        s.components, 1,
        "all minima in one component: {:?}",
        summaries[0]
    );

    let model = exp.perceptron(&exp.config.landscapes()[0]).unwrap();
    let landscape = &store.landscapes().unwrap()[0];
    let minima = store.minima(landscape.id).unwrap();
    let energy = |id: i64| {
        minima
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.energy)
            .unwrap()
    };
    let coords = |id: i64| &minima.iter().find(|m| m.id == id).unwrap().coords;
    let quench = exp.config.quench.convergence();
    for t in store.transition_states(landscape.id).unwrap() {
        let a = analyse(&model, &t.coords, exp.config.checks.zero_eigenvalue);
        assert_eq!(a.index, 1, "ts {} index", t.id);
        assert_eq!(a.zero_modes, 0, "ts {} zero modes", t.id);
        assert!(a.rms_gradient <= 1e-9, "ts {} rms {}", t.id, a.rms_gradient);
        assert_eq!(t.hessian_index, 1);
        assert!(
            t.energy > energy(t.min1) && t.energy > energy(t.min2),
            "ts {} below a minimum",
            t.id
        );

        let push = pushoff::run(
            &model,
            &exp.ts_minimiser(),
            &t.coords,
            t.energy,
            a.lowest_vector(),
            &exp.config.pushoff,
            &quench,
            &exp.config.identity,
            exp.config.checks.zero_eigenvalue,
            None,
        )
        .unwrap();
        let sides = [&push.connects.minus, &push.connects.plus];
        for end in [t.min1, t.min2] {
            let reached = sides.iter().any(|q| {
                (q.energy - energy(end)).abs() < 1e-7
                    && model.aligned_distance(coords(end), &q.coords) < 1e-3
            });
            assert!(reached, "ts {} does not push off to minimum {end}", t.id);
        }
        if t.degenerate {
            assert_eq!(t.min1, t.min2);
        } else {
            assert_ne!(t.min1, t.min2);
        }
    }
}

/// Single-ended eigenvector-following converges: surveying every mode of every N_h = 2,
/// λ = 1e-3 minimum, more directions end on a verified transition state than stall near a
/// saddle or among higher-index saddles (the hybrid method with a few tangent-space L-BFGS
/// iterations per step ended 18 of 20 such searches without convergence). Directions along
/// which the followed mode never meets negative curvature (stiff modes climbing a wall) are a
/// property of the landscape and not counted.
#[test]
fn xor_h2_survey_directions_mostly_converge() {
    const SURVEY: &str = r#"
[experiment]
seed = 11
stages = ["basin_hopping", "survey"]
[landscape]
n_hidden = [2]
lambda = [1e-3]
[basin_hopping]
chains = 6
steps = 150
max_without_new = 60
"#;
    let dir = tempfile::tempdir().unwrap();
    let exp = Experiment::from_text(SURVEY.into(), Path::new("survey.toml")).unwrap();
    let mut store = Store::open(&dir.path().join("survey.db")).unwrap();
    run(&exp, &mut store, &RunOptions::default(), &()).unwrap();
    let landscape = &store.landscapes().unwrap()[0];
    let attempts = store.attempts(landscape.id, "survey").unwrap();
    let found = attempts.iter().filter(|a| a.outcome == "connected").count();
    let stuck = attempts
        .iter()
        .filter(|a| a.detail.contains("near a saddle") || a.detail.contains("higher-index"))
        .count();
    assert!(
        found >= 10,
        "{found} transition states from {} directions",
        attempts.len()
    );
    assert!(
        found > stuck,
        "{found} converged, {stuck} stalled near saddles"
    );
}
