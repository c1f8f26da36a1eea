//! Promises of the README under adversarial use: kills in the first milliseconds, writers that
//! meet through links, special files and read-only folders as databases, resuming with another
//! config, experiment names that look like paths, sizes that do not fit in memory, and the
//! smaller edges of the command line.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use losscape_db::Store;
use support::{bin, text};

/// A run small enough to be killed and redone dozens of times: two landscapes, a few chains.
const TINY: &str = "[experiment]\nname = \"tiny\"\nseed = 5\nstages = [\"basin_hopping\"]\n\
    [landscape]\nn_hidden = [1, 2]\nlambda = [1e-3]\n\
    [basin_hopping]\nchains = 3\nsteps = 20\n";

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 test paths")
}

fn losscape(args: &[&str], cwd: &Path) -> Output {
    support::losscape(args, cwd)
}

/// Stored minima, exactly (id, energy bits, coordinate bits), by landscape key.
fn minima(db: &Path) -> Vec<(String, i64, u64, Vec<u64>)> {
    let store = Store::open_read_only(db).expect("open the database");
    let mut out = Vec::new();
    for l in store.landscapes().expect("landscapes") {
        for m in store.minima(l.id).expect("minima") {
            let bits = m.coords.iter().map(|x| x.to_bits()).collect();
            out.push((l.key.clone(), m.id, m.energy.to_bits(), bits));
        }
    }
    out
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a test file");
    path
}

fn run_ok(cfg: &Path, db: &Path, dir: &Path) -> Output {
    let out = losscape(&["run", p(cfg), "--db", p(db), "--quiet"], dir);
    assert!(out.status.success(), "run failed:\n{}", text(&out));
    out
}

/// Kills in the first milliseconds of a run, when the database is being created, never leave a
/// file that later commands cannot open: every killed run resumes to the uninterrupted result.
/// (Before creation was made safe, about one kill in twenty left a hot journal that made every
/// later command fail with "attempt to write a readonly database".)
#[test]
fn kills_during_creation_leave_a_database_that_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "tiny.toml", TINY);
    let reference = dir.path().join("reference.db");
    run_ok(&cfg, &reference, dir.path());
    let expected = minima(&reference);
    assert!(!expected.is_empty());

    let db = dir.path().join("e.db");
    let mut hit_creation = 0;
    for i in 0..120u64 {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let mut child = Command::new(bin())
            .args(["run", p(&cfg), "--db", p(&db), "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start losscape");
        // Sweep the kill moment across process start-up and database creation.
        std::thread::sleep(Duration::from_micros(500 + 250 * i));
        let _ = child.kill();
        let _ = child.wait();
        if db.exists() {
            hit_creation += 1;
        }
        let summary = losscape(&["summary", p(&db)], dir.path());
        let msg = text(&summary);
        assert!(
            !msg.contains("readonly") && !msg.contains("panicked"),
            "kill #{i}: {msg}"
        );
        run_ok(&cfg, &db, dir.path());
        assert_eq!(minima(&db), expected, "kill #{i}: resumed run differs");
    }
    assert!(hit_creation > 0, "no kill happened after the file existed");
}

/// Two `run`s on one database through a symbolic or a hard link: the second is refused as busy
/// and records nothing.
#[test]
fn a_second_writer_through_a_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, make) in [
        (
            "symbolic",
            (|a: &Path, b: &Path| std::os::unix::fs::symlink(a, b)) as fn(&Path, &Path) -> _,
        ),
        ("hard", |a: &Path, b: &Path| std::fs::hard_link(a, b)),
    ] {
        let db = dir.path().join(format!("{kind}.db"));
        let link = dir.path().join(format!("{kind}-link.db"));
        // The first writer holds the database open while it works; a run over a slow config
        // makes sure it is still running when the second one starts.
        let slow = write(
            dir.path(),
            "slow.toml",
            &TINY.replace("steps = 20", "steps = 4000"),
        );
        let mut first = Command::new(bin())
            .args(["run", p(&slow), "--db", p(&db), "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the first writer");
        while Store::open_read_only(&db)
            .and_then(|s| s.runs())
            .map_or(true, |r| r.is_empty())
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        make(&db, &link).expect("make the link");
        let second = losscape(&["run", p(&slow), "--db", p(&link), "--quiet"], dir.path());
        let msg = text(&second);
        let _ = first.kill();
        let _ = first.wait();
        assert!(!second.status.success(), "{kind} link: second writer ran");
        assert!(msg.contains("busy"), "{kind} link: {msg}");
        let runs = Store::open_read_only(&db).unwrap().runs().unwrap();
        assert_eq!(
            runs.len(),
            1,
            "{kind} link: the refused writer recorded a run"
        );
    }
}
