//! What the store does with the file system around a database: links, special files, journals
//! left by killed writers, folders it may not write.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{run_info, spec};
use losscape_db::{DbError, Store};
use rusqlite::Connection;
use tempfile::TempDir;

/// A database with one run and the landscapes `keys`.
fn populated(path: &Path, keys: &[&str]) {
    let mut store = Store::open(path).unwrap();
    store.begin_run(&run_info(7)).unwrap();
    for k in keys {
        store.landscape_id(&spec(k)).unwrap();
    }
}

fn landscape_keys(store: &Store) -> Vec<String> {
    store
        .landscapes()
        .unwrap()
        .into_iter()
        .map(|l| l.key)
        .collect()
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

#[test]
fn the_writer_lock_holds_through_symbolic_and_hard_links() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("y.db");
    let writer = Store::open(&path).unwrap();

    let soft = dir.path().join("ylink.db");
    std::os::unix::fs::symlink(&path, &soft).unwrap();
    let hard = dir.path().join("yhard.db");
    fs::hard_link(&path, &hard).unwrap();
    for other in [&soft, &hard] {
        let err = Store::open(other).unwrap_err();
        assert!(matches!(err, DbError::Busy { .. }), "{other:?}: {err}");
        assert!(err.to_string().contains("busy"), "{err}");
    }
    drop(writer);
    // Released: either name opens now, and both see the same database.
    let mut via_link = Store::open(&soft).unwrap();
    via_link.landscape_id(&spec("through-link")).unwrap();
    drop(via_link);
    assert_eq!(
        landscape_keys(&Store::open_read_only(&path).unwrap()),
        ["through-link"]
    );
    // No lock file or other litter is left beside the database (a reader, as any SQLite
    // reader, may leave the WAL companions).
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm"))
        .collect();
    names.sort();
    assert_eq!(names, ["y.db", "yhard.db", "ylink.db"]);
}

#[test]
fn special_files_are_refused_without_opening_them() {
    let dir = TempDir::new().unwrap();
    let fifo = dir.path().join("p.db");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped the FIFO case: mkfifo is not available");
    } else {
        // Opening a FIFO would block this test forever; it must be refused from its metadata.
        for err in [
            Store::open(&fifo).unwrap_err(),
            Store::open_read_only(&fifo).unwrap_err(),
        ] {
            assert!(matches!(err, DbError::NotSqlite { .. }), "{err}");
            assert!(err.to_string().contains("FIFO"), "{err}");
        }
    }
    let null = Path::new("/dev/null");
    for err in [
        Store::open(null).unwrap_err(),
        Store::open_read_only(null).unwrap_err(),
    ] {
        assert!(err.to_string().contains("device"), "{err}");
    }
    assert!(!Path::new("/dev/null.lock").exists());
    assert!(!Path::new("/dev/null-journal").exists());
}

/// What a writer killed mid-transaction leaves: runs `before` on `db` (in rollback-journal mode,
/// with a one-page cache so a large transaction spills pages into the file before it commits),
/// then `transaction` (plus 800 kB of filler) without committing, and copies the file and its
/// hot journal to `crashed.db` beside it.
fn killed_in_transaction(db: &Path, before: &str, transaction: &str) -> PathBuf {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = DELETE; PRAGMA cache_size = 1; PRAGMA locking_mode = EXCLUSIVE;",
    )
    .unwrap();
    conn.execute_batch(before).unwrap();
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE;
         CREATE TABLE filler (x BLOB);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
         INSERT INTO filler SELECT randomblob(4000) FROM n;
         {transaction}"
    ))
    .unwrap();
    assert!(!conn.is_autocommit(), "inside a transaction");
    let crashed = db.with_file_name("crashed.db");
    fs::copy(db, &crashed).unwrap();
    let journal = with_suffix(db, "-journal");
    assert!(journal.exists(), "the transaction has a rollback journal");
    fs::copy(&journal, with_suffix(&crashed, "-journal")).unwrap();
    crashed
}

#[test]
fn a_hot_journal_left_by_a_killed_writer_is_rolled_back_by_the_next_open() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("x.db");
    populated(&db, &["kept"]);
    let crashed = killed_in_transaction(&db, "", "UPDATE landscapes SET key = 'uncommitted';");

    // A reader reads the committed state (from a private copy: it may not roll back in place).
    let reader = Store::open_read_only(&crashed).unwrap();
    assert_eq!(landscape_keys(&reader), ["kept"]);
    drop(reader);
    assert!(
        with_suffix(&crashed, "-journal").exists(),
        "a reader changes nothing"
    );
    // A writer rolls the journal back in place and goes on.
    let mut writer = Store::open(&crashed).unwrap();
    assert_eq!(landscape_keys(&writer), ["kept"]);
    writer.landscape_id(&spec("new")).unwrap();
    drop(writer);
    assert_eq!(
        landscape_keys(&Store::open_read_only(&crashed).unwrap()),
        ["kept", "new"]
    );
}

#[test]
fn a_database_whose_creation_was_killed_is_created_again() {
    // The state a kill during creation leaves: a blank file being initialised, with its journal.
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("new.db");
    let crashed = killed_in_transaction(&db, "CREATE TABLE seed (x); DROP TABLE seed;", "");

    populated(&crashed, &["fresh"]);
    let reader = Store::open_read_only(&crashed).unwrap();
    assert_eq!(landscape_keys(&reader), ["fresh"]);
    assert_eq!(reader.runs().unwrap().len(), 1);
}

#[test]
fn a_foreign_database_with_a_hot_journal_is_refused_untouched() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("theirs.db");
    let crashed = killed_in_transaction(
        &db,
        "CREATE TABLE customers (name TEXT); INSERT INTO customers VALUES ('ada');",
        "",
    );
    let journal = with_suffix(&crashed, "-journal");
    let (file, hot) = (fs::read(&crashed).unwrap(), fs::read(&journal).unwrap());
    for err in [
        Store::open(&crashed).unwrap_err(),
        Store::open_read_only(&crashed).unwrap_err(),
    ] {
        assert!(matches!(err, DbError::NotOurs { .. }), "{err}");
        assert!(err.to_string().contains("customers"), "{err}");
    }
    assert_eq!(fs::read(&crashed).unwrap(), file, "the file was changed");
    assert_eq!(fs::read(&journal).unwrap(), hot, "the journal was changed");
}

#[test]
fn a_database_in_a_read_only_folder_can_be_read() {
    use std::os::unix::fs::PermissionsExt;
    if losscape_test_support::uid() == Some(0) {
        // Root ignores permissions, so the test runs again in a process of its own as the
        // unprivileged `nobody` (setpriv, from util-linux), where the folder is read-only.
        let name = "a_database_in_a_read_only_folder_can_be_read";
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(std::env::current_exe().unwrap())
            .args(["--exact", name, "--test-threads=1"])
            .output()
            .expect("running as root, the test needs setpriv to drop privileges");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && report.contains("1 passed"),
            "as nobody:\n{report}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let dir = TempDir::new().unwrap();
    let folder = dir.path().join("ro");
    fs::create_dir(&folder).unwrap();
    let db = folder.join("q.db");
    populated(&db, &["a", "b"]);
    fs::set_permissions(&db, fs::Permissions::from_mode(0o444)).unwrap();
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o555)).unwrap();
    let reader = Store::open_read_only(&db);
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(landscape_keys(&reader.unwrap()), ["a", "b"]);
}
