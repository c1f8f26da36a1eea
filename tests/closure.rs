//! The census's closure under saddle-to-saddle searches, end to end from the CLI (issue 21):
//! on the quick sweep every landscape is reported closed and h3-l1e-2 has its 3/12/19/9
//! orbits with 12 stored transition states found by the census; a closed database that loses
//! a census orbit is no longer closed and a resumed run finds the orbit again; a database that
//! loses a cancelling pair still passes the Morse check but is not reported closed.

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rusqlite::Connection;
use serde_json::Value;
use support::{losscape, ok, text};

/// The quick sweep, run once for every test of this file (each works on its own copy).
fn quick_sweep() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, db) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = losscape(&["run", "--db", "quick.db", "--quiet"], dir.path());
        assert!(out.status.success(), "{}", text(&out));
        let db = dir.path().join("quick.db");
        (dir, db)
    });
    db
}

/// A copy of the quick sweep's database in a fresh folder.
fn copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quick.db");
    std::fs::copy(quick_sweep(), &db).unwrap();
    (dir, db)
}

/// `losscape census DB --format json`, the landscape `key`.
fn census(dir: &Path, key: &str) -> Value {
    let json: Value =
        serde_json::from_str(&ok(&["census", "quick.db", "--format", "json"], dir)).unwrap();
    json["landscapes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == key)
        .unwrap_or_else(|| panic!("{key} missing"))
        .clone()
}

fn orbits(l: &Value) -> Vec<u64> {
    l["by_index"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["orbits"].as_u64().unwrap())
        .collect()
}

/// The census points of `key` as (id, index, points in its orbit), from the JSON's counted
/// orbits (census points that match a stored minimum or transition state are counted as
/// those, so they are looked up by energy in the census table).
fn census_rows(db: &Path, key: &str) -> Vec<(i64, u32, f64)> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT s.id, s.hessian_index, s.energy FROM stationary_points s \
             JOIN landscapes l ON l.id = s.landscape_id WHERE l.key = ?1 ORDER BY s.id",
        )
        .unwrap();
    stmt.query_map([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Deletes census point `id`, its closure records and, with `stored_ts`, the stored
/// transition state of landscape `key` at the same energy (so no other table still counts
/// the orbit).
fn remove_orbit(db: &Path, key: &str, id: i64, energy: f64, stored_ts: bool) {
    let conn = Connection::open(db).unwrap();
    conn.execute("DELETE FROM stationary_points WHERE id = ?1", [id])
        .unwrap();
    conn.execute(
        "DELETE FROM attempts WHERE stage = 'saturate' AND key LIKE ?1",
        [format!("closure-{id}-%")],
    )
    .unwrap();
    if stored_ts {
        let n = conn
            .execute(
                "DELETE FROM transition_states WHERE abs(energy - ?1) < 1e-9 \
                 AND landscape_id = (SELECT id FROM landscapes WHERE key = ?2)",
                rusqlite::params![energy, key],
            )
            .unwrap();
        assert_eq!(n, 1, "one stored transition state at E = {energy}");
    }
}

#[test]
fn every_quick_landscape_is_closed_and_h3_has_its_twelve_transition_states() {
    let (dir, _db) = copy();
    let json: Value =
        serde_json::from_str(&ok(&["census", "quick.db", "--format", "json"], dir.path())).unwrap();
    for l in json["landscapes"].as_array().unwrap() {
        let key = l["key"].as_str().unwrap();
        assert_eq!(l["morse_sum"], 1, "{key}");
        assert_eq!(l["closed"], true, "{key}: {:#}", l["closure"]);
        assert_eq!(l["certificate"], "closed", "{key}");
        assert_eq!(l["saturation"]["closed"], true, "{key}");
    }
    let h3 = census(dir.path(), "h3-l1e-2");
    assert_eq!(orbits(&h3), [3, 12, 19, 9], "{h3:#}");
    // The census found every transition state itself: none was seeded from connect's.
    assert_eq!(h3["closure"]["seeded"], 0, "{:#}", h3["closure"]);
    let check = &h3["ts_cross_check"];
    assert_eq!(check["stored"], 12, "{check:#}");
    assert_eq!(check["census_index1"], 12, "{check:#}");
    assert!(check["census_unmatched"].as_array().unwrap().is_empty());
    assert!(check["stored_unmatched"].as_array().unwrap().is_empty());
    // The text says it too, and the summary shows the closure.
    let text = ok(
        &["census", "quick.db", "--landscape", "h3-l1e-2"],
        dir.path(),
    );
    assert!(
        text.contains("certificate: Morse check passes and census closed"),
        "{text}"
    );
    let summary = ok(&["summary", "quick.db"], dir.path());
    assert!(summary.contains("closed ("), "{summary}");
    // Where the time went: every stage, and the closure's searches.
    let timing = ok(
        &["summary", "quick.db", "--timing", "--format", "json"],
        dir.path(),
    );
    let rows: Value = serde_json::from_str(&timing).unwrap();
    let closure = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["landscape"] == "h3-l1e-2" && r["kind"] == "closure")
        .expect("closure timing");
    assert_eq!(closure["count"], h3["closure"]["searches"], "{closure:#}");
}

#[test]
fn a_lost_orbit_breaks_the_closure_and_a_resumed_run_finds_it_again() {
    let (dir, db) = copy();
    let key = "h3-l1e-2";
    // An index-2 orbit: only the census holds it.
    let (id, _, energy) = *census_rows(&db, key)
        .iter()
        .find(|p| p.1 == 2)
        .expect("an index-2 census point");
    remove_orbit(&db, key, id, energy, false);
    let broken = census(dir.path(), key);
    assert_eq!(broken["closed"], false, "{:#}", broken["closure"]);
    assert_eq!(
        broken["passes"], false,
        "one orbit fewer fails the Morse check"
    );
    assert!(
        !broken["closure"]["broken"].as_array().unwrap().is_empty(),
        "{:#}",
        broken["closure"]
    );
    // The resumed run enters saturation again and redoes the searches that reached it.
    let out = losscape(&["run", "--db", "quick.db", "--quiet"], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let again = census(dir.path(), key);
    assert_eq!(again["closed"], true, "{:#}", again["closure"]);
    assert_eq!(orbits(&again), [3, 12, 19, 9]);
    let refound = census_rows(&db, key)
        .into_iter()
        .any(|p| p.1 == 2 && (p.2 - energy).abs() < 1e-9);
    assert!(refound, "the index-2 orbit at E = {energy} was found again");
}

#[test]
fn a_missing_cancelling_pair_passes_the_morse_check_but_is_not_closed() {
    let (dir, db) = copy();
    let key = "h3-l1e-2";
    let before = census(dir.path(), key);
    // An index-1 and an index-2 orbit of the same size: removing both leaves the Morse sum.
    let size = |index: u64| -> Vec<(f64, u64)> {
        before["orbits"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["hessian_index"] == index)
            .map(|o| (o["energy"].as_f64().unwrap(), o["points"].as_u64().unwrap()))
            .collect()
    };
    let (ones, twos) = (size(1), size(2));
    let (e1, e2) = ones
        .iter()
        .find_map(|&(e1, n1)| {
            twos.iter()
                .find(|&&(_, n2)| n2 == n1)
                .map(|&(e2, _)| (e1, e2))
        })
        .expect("an index-1 and an index-2 orbit of equal size");
    let rows = census_rows(&db, key);
    let find = |index: u32, e: f64| {
        rows.iter()
            .find(|p| p.1 == index && (p.2 - e).abs() < 1e-9)
            .copied()
            .unwrap()
    };
    let (a, b) = (find(1, e1), find(2, e2));
    remove_orbit(&db, key, a.0, a.2, true);
    remove_orbit(&db, key, b.0, b.2, false);
    let after = census(dir.path(), key);
    assert_eq!(after["morse_sum"], 1, "the pair cancels: {after:#}");
    assert_eq!(after["passes"], true);
    assert_eq!(after["closed"], false, "{:#}", after["closure"]);
    assert_eq!(after["certificate"], "passes");
}
