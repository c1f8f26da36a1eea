//! Units of work: writes spread over many calls that reach the file all together or not at all.

use losscape_db::{LandscapeId, LandscapeSpec, NewMinimum, RunId, RunInfo, Store};

fn setup(store: &mut Store) -> (RunId, LandscapeId) {
    let run = store
        .begin_run(&RunInfo {
            program_version: "test".into(),
            command: "test".into(),
            config_text: String::new(),
            seed: 1,
            threads: 1,
            minimiser: "lbfgs".into(),
        })
        .unwrap();
    let landscape = store
        .landscape_id(&LandscapeSpec {
            key: "h1".into(),
            n_in: 1,
            n_hidden: 1,
            n_out: 1,
            dimension: 2,
            lambda: 1e-3,
            dataset: "test".into(),
            config_json: "{}".into(),
        })
        .unwrap();
    (run, landscape)
}

fn minimum(landscape_id: LandscapeId, run: RunId, x: f64) -> NewMinimum {
    NewMinimum {
        landscape_id,
        energy: x,
        coords: vec![x, -x],
        rms_gradient: 1e-12,
        hessian_index: 0,
        lowest_eigenvalue: 1.0,
        ln_prod_positive: 0.0,
        accuracy: 1.0,
        times_found: 1,
        first_run: run,
    }
}

#[test]
fn a_unit_is_invisible_to_readers_until_committed_and_gone_when_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("units.db");
    let mut store = Store::open(&path).unwrap();
    let (run, l) = setup(&mut store);

    store.begin_unit().unwrap();
    assert!(store.in_unit());
    store.begin_unit().unwrap(); // already open: no-op
    let a = store
        .write(|b| b.insert_minimum(&minimum(l, run, 1.0)))
        .unwrap();
    // A failing write inside the unit rolls back only itself.
    let failed = store.write(|b| {
        b.insert_minimum(&minimum(l, run, 2.0))?;
        b.insert_minimum(&NewMinimum {
            coords: vec![0.0; 5],
            ..minimum(l, run, 3.0)
        })
    });
    assert!(failed.is_err());
    store
        .write(|b| {
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: l,
                stage: "connect",
                key: "pair-1-2",
                outcome: "done",
                detail: "{}",
                run_id: run,
            })
        })
        .unwrap();
    // The writer sees its own unit; a reader sees nothing of it yet.
    assert_eq!(store.minima(l).unwrap().len(), 1);
    let reader = Store::open_read_only(&path).unwrap();
    assert!(reader.minima(l).unwrap().is_empty());
    assert!(reader.attempts(l, "connect").unwrap().is_empty());
    store.commit_unit().unwrap();
    assert!(!store.in_unit());
    let seen = reader.minima(l).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].id, a);
    assert_eq!(reader.attempts(l, "connect").unwrap().len(), 1);

    // Rolled back: as if it never happened.
    store.begin_unit().unwrap();
    store
        .write(|b| b.insert_minimum(&minimum(l, run, 4.0)))
        .unwrap();
    store.rollback_unit().unwrap();
    assert_eq!(store.minima(l).unwrap().len(), 1);
    // Committing or rolling back without a unit does nothing.
    store.commit_unit().unwrap();
    store.rollback_unit().unwrap();

    // Dropped with a unit open (a killed process): the unit is lost, the rest kept.
    store.begin_unit().unwrap();
    store
        .write(|b| b.insert_minimum(&minimum(l, run, 5.0)))
        .unwrap();
    drop(store);
    let reopened = Store::open(&path).unwrap();
    assert_eq!(reopened.minima(l).unwrap().len(), 1);
}

/// The guard commits only when told to and rolls back what is left open when it goes, while
/// the store stays usable.
#[test]
fn the_units_guard_commits_explicitly_and_rolls_back_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("guard.db");
    let mut store = Store::open(&path).unwrap();
    let (run, l) = setup(&mut store);
    let reader = Store::open_read_only(&path).unwrap();
    {
        let mut units = store.units();
        units
            .write(|b| b.insert_minimum(&minimum(l, run, 1.0)))
            .unwrap();
        assert!(units.in_unit());
        assert!(reader.minima(l).unwrap().is_empty());
        units.commit().unwrap();
        assert!(!units.in_unit());
        assert_eq!(reader.minima(l).unwrap().len(), 1);
        // A second unit, never committed.
        units
            .write(|b| b.insert_minimum(&minimum(l, run, 2.0)))
            .unwrap();
        assert_eq!(units.store().minima(l).unwrap().len(), 2);
    }
    assert!(!store.in_unit());
    assert_eq!(store.minima(l).unwrap().len(), 1);
    assert_eq!(reader.minima(l).unwrap().len(), 1);
}
