//! Behaviour of the experiment database as seen through its public API.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{DIM, run_info, spec};
use losscape_db::{
    APPLICATION_ID, DbError, LandscapeId, NewMinimum, NewTs, RunId, RunStatus, Store,
};
use tempfile::TempDir;

fn db_in(dir: &TempDir) -> PathBuf {
    dir.path().join("experiment.losscape")
}

/// Deterministic, NaN-free pseudo-random values spanning many magnitudes and signs.
fn values(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let x = f64::from_bits(state.wrapping_mul(0x2545_F491_4F6C_DD1D));
        if !x.is_nan() {
            out.push(x);
        }
    }
    out
}

fn minimum(landscape_id: LandscapeId, run: RunId, seed: u64) -> NewMinimum {
    NewMinimum {
        landscape_id,
        energy: -1.0 / (seed as f64 + 3.0),
        coords: values(seed, DIM as usize),
        rms_gradient: 1e-11,
        hessian_index: 0,
        lowest_eigenvalue: 1e-3 * seed as f64,
        ln_prod_positive: 12.5,
        accuracy: 0.75,
        times_found: 1,
        first_run: run,
    }
}

fn ts(landscape_id: LandscapeId, run: RunId, min1: i64, min2: i64, seed: u64) -> NewTs {
    NewTs {
        landscape_id,
        energy: 0.5 + seed as f64,
        coords: values(seed, DIM as usize),
        rms_gradient: 3e-12,
        hessian_index: 1,
        negative_eigenvalue: -0.25,
        negative_vector: values(seed + 1000, DIM as usize),
        ln_prod_positive: 8.0,
        accuracy: 0.5,
        min1,
        min2,
        degenerate: min1 == min2,
        times_found: 2,
        first_run: run,
    }
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every table of one file, as owned rows, for before/after comparisons.
fn snapshot(path: &Path) -> String {
    let store = Store::open_read_only(path).expect("readable");
    let mut out = format!(
        "{:?}\n{:?}\n",
        store.runs().unwrap(),
        store.landscapes().unwrap()
    );
    for l in store.landscapes().unwrap() {
        out += &format!(
            "{:?}\n{:?}\n{:?}\n",
            store.minima(l.id).unwrap(),
            store.transition_states(l.id).unwrap(),
            store.attempts(l.id, "connect").unwrap()
        );
    }
    out
}

#[test]
fn every_record_type_round_trips_and_survives_reopening() {
    let dir = TempDir::new().unwrap();
    let path = db_in(&dir);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.path(), path);
    let info = run_info(u64::MAX - 7); // above i64::MAX: stored with the same bits
    let run = store.begin_run(&info).unwrap();
    let land = store.landscape_id(&spec("xor-h2")).unwrap();
    let mut special = minimum(land, run, 99);
    special.coords[0] = -0.0;
    special.coords[1] = f64::MIN_POSITIVE / 8.0; // subnormal
    special.coords[2] = f64::INFINITY;
    special.coords[3] = f64::MAX;
    let news = [minimum(land, run, 1), minimum(land, run, 2), special];
    let (ids, ts_new) = store
        .write(|b| {
            let ids: Vec<i64> = news
                .iter()
                .map(|m| b.insert_minimum(m))
                .collect::<Result<_, _>>()?;
            let t = [
                ts(land, run, ids[0], ids[1], 5),
                ts(land, run, ids[2], ids[2], 6),
            ];
            for x in &t {
                b.insert_ts(x)?;
            }
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: land,
                stage: "connect",
                key: "1-2",
                outcome: "connected",
                detail: "one ts",
                run_id: run,
            })?;
            Ok((ids, t))
        })
        .unwrap();
    store.finish_run(run, RunStatus::Completed).unwrap();
    drop(store);

    for reopened in [
        Store::open(&path).unwrap(),
        Store::open_read_only(&path).unwrap(),
    ] {
        let runs = reopened.runs().unwrap();
        assert_eq!(runs.len(), 1);
        let r = &runs[0];
        assert_eq!((r.id, r.status), (run, RunStatus::Completed));
        assert_eq!(r.seed, info.seed);
        assert_eq!(
            (
                &r.program_version,
                &r.command,
                &r.config_text,
                r.threads,
                &r.minimiser
            ),
            (
                &info.program_version,
                &info.command,
                &info.config_text,
                info.threads,
                &info.minimiser
            )
        );
        assert!(
            r.started_at.ends_with('Z') && r.started_at.len() == 24,
            "{}",
            r.started_at
        );
        assert!(
            r.finished_at
                .as_deref()
                .is_some_and(|f| f >= r.started_at.as_str())
        );

        let lands = reopened.landscapes().unwrap();
        assert_eq!(lands.len(), 1);
        assert_eq!(lands[0].id, land);
        assert_eq!(lands[0].spec(), spec("xor-h2"));
        assert_eq!(
            reopened.landscape_by_key("xor-h2").unwrap().unwrap(),
            lands[0]
        );
        assert!(reopened.landscape_by_key("nope").unwrap().is_none());

        let minima = reopened.minima(land).unwrap();
        assert_eq!(minima.iter().map(|m| m.id).collect::<Vec<_>>(), ids);
        for (row, new) in minima.iter().zip(&news) {
            assert_eq!(row.to_new(), *new);
            assert_eq!(
                bits(&row.coords),
                bits(&new.coords),
                "coordinates bit-exact"
            );
        }
        let states = reopened.transition_states(land).unwrap();
        assert_eq!(states.len(), 2);
        for (row, new) in states.iter().zip(&ts_new) {
            assert_eq!(row.to_new(), *new);
            assert_eq!(bits(&row.coords), bits(&new.coords));
            assert_eq!(bits(&row.negative_vector), bits(&new.negative_vector));
        }
        assert!(states[1].degenerate && !states[0].degenerate);

        let a = reopened.attempt(land, "connect", "1-2").unwrap().unwrap();
        assert_eq!(
            (
                a.landscape_id,
                &*a.stage,
                &*a.key,
                &*a.outcome,
                &*a.detail,
                a.run_id
            ),
            (land, "connect", "1-2", "connected", "one ts", run)
        );
    }
}

#[test]
fn nan_in_optional_columns_reads_back_as_nan_but_nan_energy_is_refused() {
    let dir = TempDir::new().unwrap();
    let mut store = Store::open(&db_in(&dir)).unwrap();
    let run = store.begin_run(&run_info(1)).unwrap();
    let land = store.landscape_id(&spec("k")).unwrap();
    let mut m = minimum(land, run, 1);
    m.accuracy = f64::NAN;
    m.lowest_eigenvalue = f64::NAN;
    store.write(|b| b.insert_minimum(&m)).unwrap();
    let row = &store.minima(land).unwrap()[0];
    assert!(row.accuracy.is_nan() && row.lowest_eigenvalue.is_nan());
    assert_eq!(row.energy, m.energy);

    m.energy = f64::NAN;
    let err = store.write(|b| b.insert_minimum(&m)).unwrap_err();
    assert!(matches!(err, DbError::Invalid { .. }), "{err}");
    assert_eq!(store.minima(land).unwrap().len(), 1);
}

#[test]
fn times_found_accumulates() {
    let dir = TempDir::new().unwrap();
    let mut store = Store::open(&db_in(&dir)).unwrap();
    let run = store.begin_run(&run_info(1)).unwrap();
    let land = store.landscape_id(&spec("k")).unwrap();
    let (m, t) = store
        .write(|b| {
            let m = b.insert_minimum(&minimum(land, run, 1))?;
            let t = b.insert_ts(&ts(land, run, m, m, 2))?;
            b.add_times_found(m, 4)?;
            b.add_ts_times_found(t, 3)?;
            Ok((m, t))
        })
        .unwrap();
    assert_eq!(store.minima(land).unwrap()[0].times_found, 5);
    assert_eq!(store.transition_states(land).unwrap()[0].times_found, 5);
    let err = store.write(|b| b.add_times_found(m + 100, 1)).unwrap_err();
    assert!(matches!(err, DbError::NotFound { .. }), "{err}");
    let err = store.write(|b| b.add_ts_times_found(t, -1)).unwrap_err();
    assert!(matches!(err, DbError::Invalid { .. }), "{err}");
}

#[test]
fn attempts_are_upserted_by_landscape_stage_and_key() {
    let dir = TempDir::new().unwrap();
    let mut store = Store::open(&db_in(&dir)).unwrap();
    let run1 = store.begin_run(&run_info(1)).unwrap();
    let run2 = store.begin_run(&run_info(2)).unwrap();
    let a = store.landscape_id(&spec("a")).unwrap();
    let b_id = store.landscape_id(&spec("b")).unwrap();
    assert!(
        store
            .attempt(a, "basin_hopping", "chain-3")
            .unwrap()
            .is_none()
    );
    store
        .write(|b| {
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: a,
                stage: "basin_hopping",
                key: "chain-3",
                outcome: "started",
                detail: "",
                run_id: run1,
            })?;
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: a,
                stage: "basin_hopping",
                key: "chain-4",
                outcome: "done",
                detail: "17 minima",
                run_id: run1,
            })?;
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: a,
                stage: "connect",
                key: "chain-3",
                outcome: "gave_up",
                detail: "",
                run_id: run1,
            })?;
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: b_id,
                stage: "basin_hopping",
                key: "chain-3",
                outcome: "done",
                detail: "",
                run_id: run1,
            })
        })
        .unwrap();
    let first = store
        .attempt(a, "basin_hopping", "chain-3")
        .unwrap()
        .unwrap();
    store
        .write(|b| {
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: a,
                stage: "basin_hopping",
                key: "chain-3",
                outcome: "done",
                detail: "12 minima",
                run_id: run2,
            })
        })
        .unwrap();
    let second = store
        .attempt(a, "basin_hopping", "chain-3")
        .unwrap()
        .unwrap();
    assert_eq!(second.id, first.id, "an upsert keeps the row");
    assert_eq!(
        (&*second.outcome, &*second.detail, second.run_id),
        ("done", "12 minima", run2)
    );
    let stage = store.attempts(a, "basin_hopping").unwrap();
    assert_eq!(
        stage.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        ["chain-3", "chain-4"]
    );
    assert_eq!(store.attempts(a, "connect").unwrap().len(), 1);
    assert_eq!(store.attempts(b_id, "basin_hopping").unwrap().len(), 1);
}

#[test]
fn landscape_keys_are_idempotent_and_cannot_change_meaning() {
    let dir = TempDir::new().unwrap();
    let mut store = Store::open(&db_in(&dir)).unwrap();
    let id = store.landscape_id(&spec("xor")).unwrap();
    let mut again = spec("xor");
    again.config_json = "{}".into(); // descriptive only
    assert_eq!(store.landscape_id(&again).unwrap(), id);
    let other = store.landscape_id(&spec("xor-2")).unwrap();
    assert_ne!(other, id);
    let mut changed = spec("xor");
    changed.n_hidden = 3;
    let err = store.landscape_id(&changed).unwrap_err();
    assert!(matches!(err, DbError::Invalid { .. }), "{err}");
    assert_eq!(store.landscapes().unwrap().len(), 2);
}

#[test]
fn inconsistent_records_are_refused() {
    let dir = TempDir::new().unwrap();
    let path = db_in(&dir);
    let mut store = Store::open(&path).unwrap();
    let run = store.begin_run(&run_info(1)).unwrap();
    let a = store.landscape_id(&spec("a")).unwrap();
    let b_id = store.landscape_id(&spec("b")).unwrap();
    let (ma, mb) = store
        .write(|b| {
            Ok((
                b.insert_minimum(&minimum(a, run, 1))?,
                b.insert_minimum(&minimum(b_id, run, 2))?,
            ))
        })
        .unwrap();

    let mut short = minimum(a, run, 3);
    short.coords.pop();
    let mut bad_vector = ts(a, run, ma, ma, 4);
    bad_vector.negative_vector.push(1.0);
    let cases: Vec<(&str, Result<i64, DbError>)> = vec![
        ("short coords", store.write(|b| b.insert_minimum(&short))),
        (
            "unknown landscape",
            store.write(|b| b.insert_minimum(&minimum(LandscapeId(a.0 + 50), run, 3))),
        ),
        (
            "unknown run",
            store.write(|b| b.insert_minimum(&minimum(a, RunId(run.0 + 50), 3))),
        ),
        (
            "long negative vector",
            store.write(|b| b.insert_ts(&bad_vector)),
        ),
        (
            "minimum of another landscape",
            store.write(|b| b.insert_ts(&ts(a, run, ma, mb, 5))),
        ),
        (
            "unknown minimum",
            store.write(|b| b.insert_ts(&ts(a, run, ma, mb + 50, 5))),
        ),
    ];
    for (what, result) in cases {
        let err = result.expect_err(what);
        assert_eq!(err.path(), path, "{what}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{what}: {err}"
        );
    }
    assert_eq!(store.minima(a).unwrap().len(), 1);
    assert!(store.transition_states(a).unwrap().is_empty());
    assert!(matches!(
        store.minima(LandscapeId(a.0 + 50)),
        Err(DbError::NotFound { .. })
    ));
}

#[test]
fn a_failing_write_leaves_nothing_behind() {
    let dir = TempDir::new().unwrap();
    let path = db_in(&dir);
    let mut store = Store::open(&path).unwrap();
    let run = store.begin_run(&run_info(1)).unwrap();
    let land = store.landscape_id(&spec("k")).unwrap();
    let before = snapshot(&path);
    let err = store
        .write(|b| {
            let m = b.insert_minimum(&minimum(land, run, 1))?;
            b.insert_ts(&ts(land, run, m, m, 2))?;
            b.record_attempt(&losscape_db::NewAttempt {
                landscape_id: land,
                stage: "connect",
                key: "1-1",
                outcome: "connected",
                detail: "",
                run_id: run,
            })?;
            b.add_times_found(m, 1)?;
            b.insert_minimum(&minimum(LandscapeId(land.0 + 1), run, 3)) // unknown landscape: fails
        })
        .unwrap_err();
    assert!(matches!(err, DbError::NotFound { .. }), "{err}");
    assert_eq!(snapshot(&path), before);
    assert!(store.minima(land).unwrap().is_empty());
    assert!(store.attempt(land, "connect", "1-1").unwrap().is_none());

    // The store is still usable, and ids are not disturbed by the rolled-back inserts.
    let id = store
        .write(|b| b.insert_minimum(&minimum(land, run, 1)))
        .unwrap();
    assert_eq!(store.minima(land).unwrap()[0].id, id);
}

#[test]
fn committed_data_is_on_disk_while_the_writer_is_still_running() {
    // Copying the files of an open store is what a process killed at that moment leaves.
    let dir = TempDir::new().unwrap();
    let path = db_in(&dir);
    let mut store = Store::open(&path).unwrap();
    let run = store.begin_run(&run_info(1)).unwrap();
    let land = store.landscape_id(&spec("k")).unwrap();
    store
        .write(|b| b.insert_minimum(&minimum(land, run, 1)))
        .unwrap();

    let crash = TempDir::new().unwrap();
    let copy = db_in(&crash);
    fs::copy(&path, &copy).unwrap();
    let wal = |p: &Path| PathBuf::from(format!("{}-wal", p.display()));
    if wal(&path).exists() {
        fs::copy(wal(&path), wal(&copy)).unwrap();
    }
    let mut recovered = Store::open(&copy).unwrap();
    assert_eq!(recovered.minima(land).unwrap().len(), 1);
    assert_eq!(recovered.runs().unwrap()[0].status, RunStatus::Interrupted);
    assert_eq!(recovered.interrupt_stale_runs().unwrap(), 0);
    drop(store);
}

#[test]
fn runs_left_running_are_marked_interrupted_by_the_next_writer() {
    let dir = TempDir::new().unwrap();
    let path = db_in(&dir);
    let mut store = Store::open(&path).unwrap();
    let done = store.begin_run(&run_info(1)).unwrap();
    store.finish_run(done, RunStatus::Completed).unwrap();
    let failed = store.begin_run(&run_info(2)).unwrap();
    store.finish_run(failed, RunStatus::Failed).unwrap();
    let stale = store.begin_run(&run_info(3)).unwrap();
    // A store never interrupts its own runs.
    assert_eq!(store.interrupt_stale_runs().unwrap(), 0);
    drop(store); // as if killed: `stale` is still running

    // Readers report what is there and change nothing.
    let reader = Store::open_read_only(&path).unwrap();
    assert_eq!(reader.runs().unwrap()[2].status, RunStatus::Running);
    drop(reader);

    let mut store = Store::open(&path).unwrap();
    let runs = store.runs().unwrap();
    let statuses: Vec<_> = runs.iter().map(|r| (r.id, r.status)).collect();
    assert_eq!(
        statuses,
        [
            (done, RunStatus::Completed),
            (failed, RunStatus::Failed),
            (stale, RunStatus::Interrupted)
        ]
    );
    assert!(
        runs[2].finished_at.is_none(),
        "the time of death is unknown"
    );
    let err = store
        .finish_run(RunId(stale.0 + 10), RunStatus::Completed)
        .unwrap_err();
    assert!(matches!(err, DbError::NotFound { .. }), "{err}");
    let err = store.finish_run(stale, RunStatus::Running).unwrap_err();
    assert!(matches!(err, DbError::Invalid { .. }), "{err}");
}

#[test]
fn only_one_writer_at_a_time_but_readers_are_welcome() {
    let dir = TempDir::new().unwrap();
    let path = db_in(&dir);
    let mut first = Store::open(&path).unwrap();
    let run = first.begin_run(&run_info(1)).unwrap();

    let err = Store::open(&path).unwrap_err();
    match &err {
        DbError::Busy { path: p, holder } => {
            assert_eq!(p, &path);
            if Path::new("/proc/locks").exists() {
                assert_eq!(*holder, Some(std::process::id()));
            }
        }
        other => panic!("expected Busy, got {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("another losscape process"), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");

    let reader = Store::open_read_only(&path).unwrap();
    assert_eq!(reader.runs().unwrap().len(), 1);
    let land = first.landscape_id(&spec("k")).unwrap();
    first
        .write(|b| b.insert_minimum(&minimum(land, run, 1)))
        .unwrap();
    assert_eq!(
        reader.minima(land).unwrap().len(),
        1,
        "readers see new commits"
    );

    drop(first);
    let second = Store::open(&path).unwrap();
    assert_eq!(second.minima(land).unwrap().len(), 1);
}

#[test]
fn read_only_stores_refuse_writes() {
    let dir = TempDir::new().unwrap();
    let path = db_in(&dir);
    let mut writer = Store::open(&path).unwrap();
    let run = writer.begin_run(&run_info(1)).unwrap();
    let land = writer.landscape_id(&spec("k")).unwrap();
    drop(writer);
    let mut reader = Store::open_read_only(&path).unwrap();
    assert!(reader.is_read_only());
    let refused = [
        reader.begin_run(&run_info(2)).map(drop),
        reader.finish_run(run, RunStatus::Completed),
        reader.landscape_id(&spec("other")).map(drop),
        reader.interrupt_stale_runs().map(drop),
        reader
            .write(|b| b.insert_minimum(&minimum(land, run, 1)))
            .map(drop),
    ];
    for result in refused {
        assert!(
            matches!(result, Err(DbError::ReadOnly { .. })),
            "{result:?}"
        );
    }
}

#[test]
fn read_only_open_of_a_missing_file_fails_and_creates_nothing() {
    let dir = TempDir::new().unwrap();
    let path = db_in(&dir);
    let err = Store::open_read_only(&path).unwrap_err();
    assert!(matches!(err, DbError::Missing { .. }), "{err}");
    assert!(err.to_string().contains(&path.display().to_string()));
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing created"
    );
}

#[test]
fn empty_files_are_initialised_by_writers_only() {
    let dir = TempDir::new().unwrap();
    let path = db_in(&dir);
    fs::write(&path, b"").unwrap();
    let err = Store::open_read_only(&path).unwrap_err();
    assert!(matches!(err, DbError::NotOurs { .. }), "{err}");
    assert_eq!(fs::metadata(&path).unwrap().len(), 0);
    drop(Store::open(&path).unwrap());
    assert!(
        Store::open_read_only(&path)
            .unwrap()
            .runs()
            .unwrap()
            .is_empty()
    );

    // An SQLite database with no schema at all is also fair game.
    let blank = dir.path().join("blank.db");
    rusqlite::Connection::open(&blank)
        .unwrap()
        .execute_batch("PRAGMA user_version = 0; VACUUM;")
        .unwrap();
    drop(Store::open(&blank).unwrap());
    let app_id: i32 = rusqlite::Connection::open(&blank)
        .unwrap()
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app_id, APPLICATION_ID);
}

/// Both kinds of open refuse `path` with an error of the expected kind naming the path, and
/// leave the file byte-for-byte unchanged with no new file beside it, except that reading a
/// WAL-mode database (as any SQLite reader does) may create its `-wal`/`-shm` companions.
fn assert_refused_untouched(path: &Path, expect: fn(&DbError) -> bool, found: &str) {
    let before = fs::read(path).unwrap();
    let dir = path.parent().unwrap();
    let listing = || {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm"))
            .collect();
        names.sort();
        names
    };
    let files_before = listing();
    for err in [
        Store::open(path).unwrap_err(),
        Store::open_read_only(path).unwrap_err(),
    ] {
        assert!(expect(&err), "unexpected error kind: {err}");
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(
            msg.contains(found),
            "message should mention {found:?}: {msg}"
        );
        assert_eq!(
            fs::read(path).unwrap(),
            before,
            "file modified by a refused open"
        );
        assert_eq!(
            listing(),
            files_before,
            "files created beside a refused database"
        );
    }
}

#[test]
fn non_sqlite_files_are_refused_untouched() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("notes.db");
    let bytes: Vec<u8> = values(42, 512)
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    fs::write(&path, &bytes).unwrap();
    assert_refused_untouched(
        &path,
        |e| matches!(e, DbError::NotSqlite { .. }),
        "SQLite header",
    );

    // Too short to be SQLite, even with the right magic.
    fs::write(&path, b"SQLite format 3\0tiny").unwrap();
    assert_refused_untouched(&path, |e| matches!(e, DbError::NotSqlite { .. }), "shorter");

    // A directory is not a database either.
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    assert!(matches!(Store::open(&sub), Err(DbError::NotSqlite { .. })));
}

#[test]
fn foreign_sqlite_databases_are_refused_untouched() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO customers (name) VALUES ('ada'), ('alan');",
        )
        .unwrap();
    }
    assert_refused_untouched(&path, |e| matches!(e, DbError::NotOurs { .. }), "customers");

    // Our application id, but no meta table: still not ours.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    drop(conn);
    assert_refused_untouched(&path, |e| matches!(e, DbError::NotOurs { .. }), "meta");

    // A meta table saying something else.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
         INSERT INTO meta VALUES ('format', 'pele'), ('schema_version', '1');",
    )
    .unwrap();
    drop(conn);
    assert_refused_untouched(&path, |e| matches!(e, DbError::NotOurs { .. }), "pele");
}

#[test]
fn foreign_wal_databases_in_use_are_refused_untouched() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("busy-other.sqlite");
    let other = rusqlite::Connection::open(&path).unwrap();
    let mode: String = other
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    other
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2);")
        .unwrap();
    // The other program still has it open, its last commit only in the -wal file.
    assert_refused_untouched(&path, |e| matches!(e, DbError::NotOurs { .. }), "tables t");
    let n: i64 = other
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
}

#[test]
fn files_are_recognisable_from_their_header() {
    let dir = TempDir::new().unwrap();
    let path = db_in(&dir);
    let store = Store::open(&path).unwrap();
    let header = fs::read(&path).unwrap();
    assert_eq!(&header[..16], b"SQLite format 3\0");
    assert_eq!(
        header[68..72],
        APPLICATION_ID.to_be_bytes(),
        "application id"
    );
    assert_eq!(
        (header[18], header[19]),
        (2, 2),
        "WAL mode while a writer works"
    );
    drop(store);
    let header = fs::read(&path).unwrap();
    // Closed, the file is left in rollback mode, so readers create no `-wal`/`-shm` files.
    assert_eq!(
        (header[18], header[19]),
        (1, 1),
        "rollback mode once closed"
    );
}

#[test]
fn newer_schema_versions_are_refused_untouched() {
    let dir = TempDir::new().unwrap();
    let path = db_in(&dir);
    let mut store = Store::open(&path).unwrap();
    store.begin_run(&run_info(1)).unwrap(); // left running: a writer would touch it
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE meta SET value = '5' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    drop(conn);
    assert_refused_untouched(
        &path,
        |e| {
            matches!(
                e,
                DbError::NewerSchema {
                    found: 5,
                    supported: 4,
                    ..
                }
            )
        },
        "version 4",
    );
}
