//! Creating a database is atomic for readers: while a writer creates one, a reader finds no
//! file or a whole database, never an empty or half-initialised one.

use std::sync::atomic::{AtomicBool, Ordering};

use losscape_db::{DbError, Store};

#[test]
fn readers_never_see_a_database_being_created() {
    const DATABASES: usize = 60;
    let dir = tempfile::tempdir().expect("temporary folder");
    let paths: Vec<_> = (0..DATABASES)
        .map(|i| dir.path().join(format!("db-{i}.db")))
        .collect();
    let done = AtomicBool::new(false);
    let failures = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut failures = Vec::new();
            let mut opened = 0;
            for path in &paths {
                // Poll until the database appears; every open must then succeed.
                loop {
                    match Store::open_read_only(path) {
                        Ok(store) => {
                            store.runs().expect("a whole database reads");
                            opened += 1;
                            break;
                        }
                        Err(DbError::Missing { .. }) if !done.load(Ordering::Acquire) => {}
                        Err(DbError::Missing { .. }) => break,
                        Err(e) => failures.push(e.to_string()),
                    }
                }
            }
            (failures, opened)
        });
        for path in &paths {
            drop(Store::open(path).expect("create"));
        }
        done.store(true, Ordering::Release);
        reader.join().expect("the reader thread")
    });
    let (failures, opened) = failures;
    assert!(opened > 0, "the reader never found a database");
    assert!(
        failures.is_empty(),
        "{} failed reads: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    // No temporary file is left beside the databases.
    let stray: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".losscape-new-"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}
