//! Schema versions 2 (`stationary_points`) and 3 (`datasets`), and the upgrade of older files.

use std::fs;
use std::path::{Path, PathBuf};

use losscape_db::{
    APPLICATION_ID, DatasetRecord, DbError, LandscapeId, LandscapeSpec, NewStationaryPoint, RunId,
    RunInfo, SCHEMA_VERSION, Store,
};
use tempfile::TempDir;

const DIM: usize = 12; // XOR with 2 hidden units: 5 * 2 + 2

/// The complete schema of version 1, as losscape 0.1.0 wrote it.
const SCHEMA_V1: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
    program_version TEXT NOT NULL, command TEXT NOT NULL, config_text TEXT NOT NULL,
    seed INTEGER NOT NULL, threads INTEGER NOT NULL CHECK (threads >= 0), minimiser TEXT NOT NULL
);
CREATE TABLE landscapes (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
    n_in INTEGER NOT NULL CHECK (n_in >= 0), n_hidden INTEGER NOT NULL CHECK (n_hidden >= 0),
    n_out INTEGER NOT NULL CHECK (n_out >= 0), dimension INTEGER NOT NULL CHECK (dimension >= 0),
    lambda REAL NOT NULL, dataset TEXT NOT NULL, config_json TEXT NOT NULL
);
CREATE TABLE minima (
    id INTEGER PRIMARY KEY, landscape_id INTEGER NOT NULL REFERENCES landscapes (id),
    energy REAL NOT NULL, coords BLOB NOT NULL, rms_gradient REAL,
    hessian_index INTEGER NOT NULL CHECK (hessian_index >= 0), lowest_eigenvalue REAL,
    ln_prod_positive REAL, accuracy REAL, times_found INTEGER NOT NULL CHECK (times_found >= 0),
    first_run INTEGER NOT NULL REFERENCES runs (id), UNIQUE (landscape_id, id)
);
CREATE INDEX minima_by_energy ON minima (landscape_id, energy);
CREATE TABLE transition_states (
    id INTEGER PRIMARY KEY, landscape_id INTEGER NOT NULL REFERENCES landscapes (id),
    energy REAL NOT NULL, coords BLOB NOT NULL, rms_gradient REAL,
    hessian_index INTEGER NOT NULL CHECK (hessian_index >= 0), negative_eigenvalue REAL,
    negative_vector BLOB NOT NULL, ln_prod_positive REAL, accuracy REAL,
    min1 INTEGER NOT NULL, min2 INTEGER NOT NULL,
    degenerate INTEGER NOT NULL CHECK (degenerate IN (0, 1)),
    times_found INTEGER NOT NULL CHECK (times_found >= 0),
    first_run INTEGER NOT NULL REFERENCES runs (id),
    FOREIGN KEY (landscape_id, min1) REFERENCES minima (landscape_id, id),
    FOREIGN KEY (landscape_id, min2) REFERENCES minima (landscape_id, id)
);
CREATE INDEX transition_states_by_energy ON transition_states (landscape_id, energy);
CREATE INDEX transition_states_by_min1 ON transition_states (min1);
CREATE INDEX transition_states_by_min2 ON transition_states (min2);
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY, landscape_id INTEGER NOT NULL REFERENCES landscapes (id),
    stage TEXT NOT NULL, key TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs (id), recorded_at TEXT NOT NULL,
    UNIQUE (landscape_id, stage, key)
);
INSERT INTO meta VALUES ('format', 'losscape'), ('schema_version', '1');
INSERT INTO runs VALUES (1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z', 'completed',
    'losscape 0.1.0', 'losscape run', '', 7, 2, 'lbfgs');
INSERT INTO landscapes VALUES (1, 'h2-l1e-3', 2, 2, 2, 12, 0.001, 'xor', '{}');
INSERT INTO minima VALUES (1, 1, 0.5, zeroblob(96), 1e-11, 0, 0.01, 3.0, 1.0, 4, 1);
";

/// Writes a version-1 database with one run, one landscape and one minimum (all coordinates 0).
fn v1_file(dir: &TempDir) -> PathBuf {
    let path = dir.path().join("old.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(SCHEMA_V1).unwrap();
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    drop(conn);
    path
}

fn meta_version(path: &Path) -> String {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

fn point(landscape_id: LandscapeId, run: RunId, energy: f64, index: u32) -> NewStationaryPoint {
    NewStationaryPoint {
        landscape_id,
        energy,
        coords: (0..DIM).map(|i| energy * i as f64 - 0.25).collect(),
        rms_gradient: 1e-12,
        hessian_index: index,
        zero_modes: 0,
        lowest_eigenvalue: -0.5 * index as f64,
        ln_prod_positive: 7.25,
        accuracy: 0.75,
        times_found: 1,
        first_run: run,
    }
}

#[test]
fn the_current_schema_version_is_4() {
    assert_eq!(SCHEMA_VERSION, 4);
}

#[test]
fn a_version_1_file_reads_as_it_is_without_stationary_points() {
    let dir = TempDir::new().unwrap();
    let path = v1_file(&dir);
    let before = fs::read(&path).unwrap();
    let store = Store::open_read_only(&path).unwrap();
    let l = store.landscape_by_key("h2-l1e-3").unwrap().unwrap();
    assert_eq!(store.minima(l.id).unwrap().len(), 1);
    assert!(store.stationary_points(l.id).unwrap().is_empty());
    assert!(matches!(
        store.stationary_points(LandscapeId(99)),
        Err(DbError::NotFound { .. })
    ));
    drop(store);
    assert_eq!(
        fs::read(&path).unwrap(),
        before,
        "a reader must not migrate"
    );
    assert_eq!(meta_version(&path), "1");
}

#[test]
fn opening_a_version_1_file_for_writing_upgrades_it_and_keeps_its_records() {
    let dir = TempDir::new().unwrap();
    let path = v1_file(&dir);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(meta_version(&path), "4");
    let l = store.landscape_by_key("h2-l1e-3").unwrap().unwrap();
    let minima = store.minima(l.id).unwrap();
    assert_eq!(minima.len(), 1);
    assert_eq!((minima[0].energy, minima[0].times_found), (0.5, 4));
    assert_eq!(minima[0].coords, vec![0.0; DIM]);
    assert!(store.stationary_points(l.id).unwrap().is_empty());

    let run = store
        .begin_run(&RunInfo {
            program_version: "test".into(),
            command: "census".into(),
            config_text: String::new(),
            seed: 1,
            threads: 1,
            minimiser: "lbfgs".into(),
        })
        .unwrap();
    let id = store
        .write(|b| b.insert_stationary_point(&point(l.id, run, 0.6, 2)))
        .unwrap();
    drop(store);

    // Reopening (as reader and as writer) finds version 3 with the new record.
    let reader = Store::open_read_only(&path).unwrap();
    let points = reader.stationary_points(l.id).unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!((points[0].id, points[0].hessian_index), (id, 2));
    drop(reader);
    drop(Store::open(&path).unwrap());
    assert_eq!(meta_version(&path), "4");
}

/// The `stationary_points` table of version 2, as losscape wrote it.
const SCHEMA_V2_ADDITION: &str = "
CREATE TABLE stationary_points (
    id INTEGER PRIMARY KEY, landscape_id INTEGER NOT NULL REFERENCES landscapes (id),
    energy REAL NOT NULL, coords BLOB NOT NULL, rms_gradient REAL,
    hessian_index INTEGER NOT NULL CHECK (hessian_index >= 0),
    zero_modes INTEGER NOT NULL CHECK (zero_modes >= 0), lowest_eigenvalue REAL,
    ln_prod_positive REAL, accuracy REAL, times_found INTEGER NOT NULL CHECK (times_found >= 0),
    first_run INTEGER NOT NULL REFERENCES runs (id)
);
CREATE INDEX stationary_points_by_energy ON stationary_points (landscape_id, energy);
UPDATE meta SET value = '2' WHERE key = 'schema_version';
";

fn v2_file(dir: &TempDir) -> PathBuf {
    let path = v1_file(dir);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(SCHEMA_V2_ADDITION)
        .unwrap();
    path
}

fn xor_record() -> DatasetRecord {
    DatasetRecord {
        sha256: "ab".repeat(32),
        kind: "xor".into(),
        source: String::new(),
        n_in: 2,
        n_out: 2,
        inputs: vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0],
        labels: vec![0, 1, 1, 0],
    }
}

#[test]
fn a_version_2_file_reads_without_a_data_set_and_upgrades_to_store_one() {
    let dir = TempDir::new().unwrap();
    let path = v2_file(&dir);
    let before = fs::read(&path).unwrap();
    let reader = Store::open_read_only(&path).unwrap();
    assert_eq!(reader.dataset().unwrap(), None, "no datasets table yet");
    let l = reader.landscape_by_key("h2-l1e-3").unwrap().unwrap();
    assert!(
        reader.timings(l.id).unwrap().is_empty(),
        "no timings table yet"
    );
    drop(reader);
    assert_eq!(
        fs::read(&path).unwrap(),
        before,
        "a reader must not migrate"
    );

    let mut store = Store::open(&path).unwrap();
    assert_eq!(meta_version(&path), "4");
    assert_eq!(store.dataset().unwrap(), None, "migrated, still empty");
    let l = store.landscape_by_key("h2-l1e-3").unwrap().unwrap();
    store
        .write(|b| b.add_timing(l.id, RunId(1), "census", "total", 1, 0.5))
        .unwrap();
    store
        .write(|b| b.add_timing(l.id, RunId(1), "census", "total", 1, 0.25))
        .unwrap();
    let t = store.timings(l.id).unwrap();
    assert_eq!((t.len(), t[0].count, t[0].seconds), (1, 2, 0.75), "{t:?}");
    let l = store.landscape_by_key("h2-l1e-3").unwrap().unwrap();
    assert_eq!(store.minima(l.id).unwrap().len(), 1, "records kept");
    store
        .write(|b| b.store_dataset(&xor_record(), Some(RunId(1))))
        .unwrap();
    let (back, run) = store.dataset().unwrap().unwrap();
    assert_eq!(back, xor_record());
    assert_eq!(run, Some(RunId(1)));
    // One data set per database.
    let mut other = xor_record();
    other.sha256 = "cd".repeat(32);
    assert!(store.write(|b| b.store_dataset(&other, None)).is_err());
    drop(store);
    let reader = Store::open_read_only(&path).unwrap();
    assert_eq!(reader.dataset().unwrap().unwrap().0, xor_record());
}

#[test]
fn a_malformed_data_set_record_is_refused() {
    let dir = TempDir::new().unwrap();
    let mut store = Store::open(&dir.path().join("d.db")).unwrap();
    let mut bad = xor_record();
    bad.sha256 = "not-hex".into();
    assert!(store.write(|b| b.store_dataset(&bad, None)).is_err());
    let mut bad = xor_record();
    bad.inputs.pop();
    assert!(store.write(|b| b.store_dataset(&bad, None)).is_err());
    assert_eq!(store.dataset().unwrap(), None);
}

#[test]
fn a_version_2_file_without_the_stationary_points_table_is_corrupt() {
    let dir = TempDir::new().unwrap();
    let path = v1_file(&dir);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    let err = Store::open_read_only(&path).unwrap_err();
    assert!(matches!(err, DbError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("stationary_points"), "{err}");
}

#[test]
fn stationary_points_round_trip_in_storage_order() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("new.db");
    let mut store = Store::open(&path).unwrap();
    let run = store
        .begin_run(&RunInfo {
            program_version: "test".into(),
            command: "census".into(),
            config_text: String::new(),
            seed: 1,
            threads: 1,
            minimiser: "lbfgs".into(),
        })
        .unwrap();
    let spec = |key: &str| LandscapeSpec {
        key: key.into(),
        n_in: 2,
        n_hidden: 2,
        n_out: 2,
        dimension: DIM as u32,
        lambda: 1e-3,
        dataset: "xor".into(),
        config_json: "{}".into(),
    };
    let l = store.landscape_id(&spec("a")).unwrap();
    let other = store.landscape_id(&spec("b")).unwrap();
    let mut degenerate = point(l, run, 0.3, 1);
    degenerate.zero_modes = 2;
    degenerate.lowest_eigenvalue = f64::NAN;
    degenerate.accuracy = f64::NAN;
    let written = [
        point(l, run, 0.7, 2),
        degenerate,
        point(l, run, 0.7, 1),
        point(l, run, 0.1, 0),
        point(other, run, 0.0, 0),
    ];
    let ids = store
        .write(|b| {
            written
                .iter()
                .map(|p| b.insert_stationary_point(p))
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap();
    store
        .write(|b| b.add_stationary_times_found(ids[2], 5))
        .unwrap();
    drop(store);

    let store = Store::open_read_only(&path).unwrap();
    let back = store.stationary_points(l).unwrap();
    let order: Vec<i64> = back.iter().map(|p| p.id).collect();
    // Storage order, as for minima and transition states (resumed runs rely on it).
    assert_eq!(order, vec![ids[0], ids[1], ids[2], ids[3]]);
    for p in &back {
        let i = ids.iter().position(|&id| id == p.id).unwrap();
        let mut expect = written[i].clone();
        if i == 2 {
            expect.times_found += 5;
        }
        let got = p.to_new();
        assert_eq!(got.coords, expect.coords);
        assert_eq!(
            (
                got.energy,
                got.hessian_index,
                got.zero_modes,
                got.times_found
            ),
            (
                expect.energy,
                expect.hessian_index,
                expect.zero_modes,
                expect.times_found
            )
        );
        assert_eq!(
            got.lowest_eigenvalue.is_nan(),
            expect.lowest_eigenvalue.is_nan()
        );
        if !expect.lowest_eigenvalue.is_nan() {
            assert_eq!(got.lowest_eigenvalue, expect.lowest_eigenvalue);
            assert_eq!(got.accuracy, expect.accuracy);
        }
        assert_eq!(
            (got.rms_gradient, got.ln_prod_positive, got.first_run),
            (
                expect.rms_gradient,
                expect.ln_prod_positive,
                expect.first_run
            )
        );
    }
    assert_eq!(store.stationary_points(other).unwrap().len(), 1);
}

#[test]
fn inconsistent_stationary_points_are_refused() {
    let dir = TempDir::new().unwrap();
    let path = v1_file(&dir);
    let mut store = Store::open(&path).unwrap();
    let mut short = point(LandscapeId(1), RunId(1), 0.2, 1);
    short.coords.pop();
    let mut nan = point(LandscapeId(1), RunId(1), f64::NAN, 1);
    nan.coords = vec![0.0; DIM];
    for bad in [
        short,
        nan,
        point(LandscapeId(7), RunId(1), 0.2, 1),
        point(LandscapeId(1), RunId(9), 0.2, 1),
    ] {
        let err = store
            .write(|b| b.insert_stationary_point(&bad))
            .unwrap_err();
        assert!(
            matches!(err, DbError::Invalid { .. } | DbError::NotFound { .. }),
            "{err}"
        );
    }
    assert!(matches!(
        store.write(|b| b.add_stationary_times_found(1, 1)),
        Err(DbError::NotFound { .. })
    ));
    assert!(store.stationary_points(LandscapeId(1)).unwrap().is_empty());
}
