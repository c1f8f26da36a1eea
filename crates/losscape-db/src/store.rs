//! [`Store`]: one open experiment database, and [`Batch`]: the writes of one transaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};

use crate::blob::{decode_f64s, encode_f64s};
use crate::error::{DbError, corrupt, invalid, not_found, sql};
use crate::lock::{WriterLock, real_path};
use crate::records::{
    AttemptRow, DatasetRecord, LandscapeId, LandscapeRow, LandscapeSpec, MinimumRow, NewAttempt,
    NewMinimum, NewStationaryPoint, NewTs, RunId, RunInfo, RunRow, RunStatus, StationaryPointRow,
    TimingRow, TsRow,
};
use crate::schema::{
    Contents, OnDisk, has_datasets, has_stationary_points, has_timings, initialise, inspect,
    migrate, probe_file,
};

/// How long a statement waits for another connection's lock (a reader's checkpoint, a writer's
/// commit) before failing. Contention is brief: only one writer exists, readers never block it.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// SQL expression for "now" in UTC, ISO 8601 with milliseconds. Taken from SQLite so every
/// timestamp in a file comes from one clock and one format.
macro_rules! now_sql {
    () => {
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    };
}

/// An open experiment database.
///
/// [`Store::open`] gives a writer: it holds the single-writer lock (see [`DbError::Busy`]) for
/// its whole life. [`Store::open_read_only`] gives a reader, any number of which may run beside
/// the writer (WAL mode). All writes go through transactions: a process killed at any moment
/// leaves every committed record intact and nothing of an uncommitted one.
#[derive(Debug)]
pub struct Store {
    // Field order matters: the connection (and its final WAL checkpoint) must be closed before
    // the writer lock is released, and fields drop in declaration order.
    conn: Connection,
    path: PathBuf,
    read_only: bool,
    /// Whether the file has the `stationary_points` table (a read-only store of a version-1
    /// file has not; it reads as empty).
    has_stationary: bool,
    /// Runs begun through this store and not yet finished: not stale, whatever their status.
    own_runs: Vec<RunId>,
    /// New rows of every table get ids above this (`meta.id_base`, 0 if absent): the shards of
    /// a sweep use disjoint id ranges, so their records merge with their ids unchanged.
    id_base: i64,
    /// The private copy a reader reads when the file cannot be read in place; removed after
    /// the connection closes.
    _copy: Option<PrivateCopy>,
    _lock: Option<WriterLock>,
}

impl Drop for Store {
    /// A writer leaves the file in rollback-journal mode: WAL is what lets readers run beside a
    /// writer, but a file left in WAL mode makes every later reader create `-wal` and `-shm`
    /// files that a read-only connection cannot remove, so empty companions would litter the
    /// folder after every read command. The switch checkpoints the WAL and removes both files;
    /// it needs the file to itself, so while a reader is still attached it is skipped at once
    /// (no waiting) and the file stays in WAL mode. The next writer switches WAL on again.
    fn drop(&mut self) {
        if self.read_only || !self.conn.is_autocommit() {
            return;
        }
        if self.conn.busy_timeout(Duration::ZERO).is_ok() {
            let _ = self
                .conn
                .query_row("PRAGMA journal_mode = DELETE", [], |r| {
                    r.get::<_, String>(0)
                });
        }
    }
}

/// Opens an SQLite connection to `file` with the settings every store uses; errors name
/// `shown`, the path as the user gave it.
fn connect(file: &Path, shown: &Path, read_only: bool) -> Result<Connection, DbError> {
    // No URI flag: a path is always a file name, even if it contains '?' or starts "file:".
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(file, flags).map_err(sql(shown))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql(shown))?;
    // Per-connection settings: they change nothing in the file.
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(sql(shown))?;
    if read_only {
        conn.pragma_update(None, "query_only", true)
            .map_err(sql(shown))?;
    }
    Ok(conn)
}

/// A read-only connection to `file` and what it holds, or the reason it cannot be read in
/// place.
fn inspect_in_place(file: &Path, shown: &Path) -> Result<(Connection, Contents), DbError> {
    let conn = connect(file, shown, true)?;
    let contents = inspect(&conn, shown)?;
    Ok((conn, contents))
}

/// Whether `e` says the file could not be read where it lies, although it may be readable: a
/// hot rollback journal left by a killed writer (which only a read-write connection may roll
/// back), or a folder where SQLite cannot create the companion files a WAL reader needs.
fn needs_private_copy(e: &DbError) -> bool {
    matches!(
        e,
        DbError::Sqlite { source, .. }
            if matches!(
                source.sqlite_error_code(),
                Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
            )
    )
}

/// A private copy of a database file and its `-wal`/`-journal` companions in a fresh temporary
/// folder, where SQLite may finish what a killed writer left (roll back a hot journal, recover a
/// WAL) without touching the original. Removed when dropped.
#[derive(Debug)]
struct PrivateCopy {
    file: PathBuf,
    _dir: tempfile::TempDir,
}

impl PrivateCopy {
    fn new(file: &Path, shown: &Path) -> Result<PrivateCopy, DbError> {
        let io_err = |action| {
            move |source| DbError::Io {
                path: shown.to_path_buf(),
                action,
                source,
            }
        };
        let dir = tempfile::Builder::new()
            .prefix("losscape-read-")
            .tempdir()
            .map_err(io_err("create a folder for a private copy of the database"))?;
        let copy = dir.path().join("copy.db");
        std::fs::copy(file, &copy).map_err(io_err("copy the database file"))?;
        for suffix in ["-wal", "-journal"] {
            let companion = with_suffix(file, suffix);
            if companion.is_file() {
                std::fs::copy(&companion, with_suffix(&copy, suffix))
                    .map_err(io_err("copy the database's journal"))?;
            }
        }
        Ok(PrivateCopy {
            file: copy,
            _dir: dir,
        })
    }

    /// Opens the copy (read-write, so SQLite recovers it), judges it, then forbids writes.
    fn open(&self, shown: &Path) -> Result<(Connection, Contents), DbError> {
        let conn = connect(&self.file, shown, false)?;
        let contents = inspect(&conn, shown)?;
        conn.pragma_update(None, "query_only", true)
            .map_err(sql(shown))?;
        Ok((conn, contents))
    }
}

/// Creates the database at `path` (which does not exist) already initialised, or leaves the
/// path alone where another process was faster.
///
/// The schema is written into a temporary file in the same folder, which is then linked to
/// the database's name: a reader never finds an empty or half-initialised file there, only no
/// file or a whole database ("read commands work at any time"). Linking, unlike renaming,
/// never replaces a file another process created meanwhile. Where the file system cannot link
/// (or the name is a dangling symbolic link), nothing is created here and [`Store::open`]
/// initialises the file in place as before.
fn create_initialised(path: &Path) -> Result<(), DbError> {
    let file = real_path(path)?;
    let folder = match file.parent() {
        Some(f) if !f.as_os_str().is_empty() => f,
        _ => Path::new("."),
    };
    let io_err = |action| {
        move |source| DbError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    };
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::Builder::new()
        .prefix(".losscape-new-")
        .suffix(".db")
        // As SQLite creates a file: everyone may read and write, less the umask.
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(folder)
        .map_err(io_err("create the new database beside its final name"))?;
    {
        let mut conn = connect(temp.path(), path, false)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(path))?;
        initialise(&tx, path)?;
        tx.commit().map_err(sql(path))?;
        // Closing the connection leaves the file complete, without companions.
    }
    match std::fs::hard_link(temp.path(), &file) {
        Ok(()) => {
            // Make the new name durable too (best effort: not every file system allows it).
            if let Ok(dir) = std::fs::File::open(folder) {
                let _ = dir.sync_all();
            }
            Ok(())
        }
        // Another process created it, or linking is not possible here: `open` goes on with
        // whatever is at the path now.
        Err(_) => Ok(()),
    }
    // `temp` is removed when dropped; the database keeps its other name.
}

/// How many of SQLite's integrity-check findings a damage report quotes.
const INTEGRITY_FINDINGS_SHOWN: usize = 3;

/// Refuses a database whose pages, records or indexes SQLite finds inconsistent
/// (`PRAGMA integrity_check`: unlike `quick_check` it also compares every index with its table,
/// which is what a changed byte in a stored number shows as). Damage is refused before anything
/// is written or read into a result: a resumed run would build on it, a report would print it.
fn integrity(conn: &Connection, shown: &Path) -> Result<(), DbError> {
    let mut stmt = conn
        .prepare(&format!(
            "PRAGMA integrity_check({INTEGRITY_FINDINGS_SHOWN})"
        ))
        .map_err(sql(shown))?;
    let findings: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(sql(shown))?
        .collect::<Result<_, _>>()
        .map_err(sql(shown))?;
    if findings.len() == 1 && findings[0] == "ok" {
        return Ok(());
    }
    let name = shown.display();
    Err(corrupt(
        shown,
        format!(
            "SQLite's integrity check fails ({}); it was left as it is. Restore it from a backup \
             or run it again (a shard: run that shard again), or save what is still readable \
             into a new file with `sqlite3 '{name}' .recover | sqlite3 recovered.db` and check \
             that with `losscape summary recovered.db`",
            findings.join("; ")
        ),
    ))
}

/// `file` with `suffix` appended to its name (SQLite's `-wal`, `-journal`, `-shm`).
fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Units of work on a [`Store`], committed explicitly and rolled back on drop (see
/// [`Store::units`]).
pub struct Units<'a> {
    store: &'a mut Store,
}

impl Units<'_> {
    /// Runs `f` inside the current unit, opening one if none is open.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Batch<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.store.begin_unit()?;
        self.store.write(f)
    }

    /// Commits the open unit (nothing to do if none is open); the next write opens another.
    pub fn commit(&mut self) -> Result<(), DbError> {
        self.store.commit_unit()
    }

    /// Discards the open unit (nothing to do if none is open).
    pub fn rollback(&mut self) -> Result<(), DbError> {
        self.store.rollback_unit()
    }

    /// Whether a unit is open.
    pub fn in_unit(&self) -> bool {
        self.store.in_unit()
    }

    /// The store, for reads.
    pub fn store(&self) -> &Store {
        self.store
    }
}

impl Drop for Units<'_> {
    fn drop(&mut self) {
        // Whatever was not committed explicitly is not kept.
        let _ = self.store.rollback_unit();
    }
}

impl Store {
    /// Opens the database at `path` for writing, creating and initialising it if the file does
    /// not exist, is empty, or is an SQLite database without any schema.
    ///
    /// Refuses, without modifying the file, anything that is not a regular file (a folder, a
    /// FIFO, a device), a file that is not SQLite, an SQLite database that is not ours, or one
    /// of a newer schema version. Takes the single-writer lock on the file itself
    /// ([`DbError::Busy`] if another process holds it, through whatever name), and marks runs
    /// left `running` by a killed process as interrupted ([`Store::interrupt_stale_runs`]).
    ///
    /// A writer killed while it created the file may leave a hot rollback journal beside it;
    /// the file is then judged on a private copy where the journal is rolled back, and, if it is
    /// ours (or still blank), the journal is rolled back in place by the read-write connection.
    pub fn open(path: &Path) -> Result<Store, DbError> {
        // Refuse what is not SQLite before creating or locking anything.
        if probe_file(path)? == OnDisk::Absent {
            create_initialised(path)?;
        }
        let lock = WriterLock::acquire(path, path)?;
        let file = real_path(path)?;
        if probe_file(&file)? == OnDisk::Sqlite {
            // Judge existing contents through a read-only connection first: a read-write one
            // may write on its own (hot-journal rollback, checkpoint on close), which a foreign
            // file must never see.
            match inspect_in_place(&file, path) {
                Ok(_) => {}
                Err(e) if needs_private_copy(&e) => {
                    PrivateCopy::new(&file, path)?.open(path)?;
                }
                Err(e) => return Err(e),
            }
        }
        let mut conn = connect(&file, path, false)?;
        // Judge again inside the write transaction, which sees the rolled-back state.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(path))?;
        match inspect(&tx, path)? {
            Contents::Blank => initialise(&tx, path)?,
            Contents::Outdated(version) => {
                integrity(&tx, path)?;
                migrate(&tx, path, version)?
            }
            Contents::Current => integrity(&tx, path)?,
        }
        tx.commit().map_err(sql(path))?;
        // WAL lets readers run beside the writer. It is switched outside any transaction, and
        // only now that the file is known to be ours. Should a file system not support WAL,
        // SQLite stays with its rollback journal: equally safe, only readers wait more.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sql(path))?;
        // FULL also survives power loss (NORMAL only process crashes); commits are per batch of
        // records, so the extra fsync is cheap.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql(path))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            read_only: false,
            has_stationary: true,
            own_runs: Vec::new(),
            id_base: 0,
            _copy: None,
            _lock: Some(lock),
        };
        store.id_base = store.meta_id_base()?;
        store.interrupt_stale_runs()?;
        Ok(store)
    }

    /// Opens an existing losscape database for reading only. Never creates, initialises,
    /// migrates, locks or writes anything; works while a writer has the database open. An older
    /// schema version is read as it is (a version-1 file has no stationary points).
    ///
    /// Where the file cannot be read in place (a folder without write permission, where SQLite
    /// cannot create a WAL reader's companion files, or a hot journal left by a killed writer),
    /// the store reads a private copy of the file and its journal, taken now.
    pub fn open_read_only(path: &Path) -> Result<Store, DbError> {
        match probe_file(path)? {
            OnDisk::Absent => {
                return Err(DbError::Missing {
                    path: path.to_path_buf(),
                });
            }
            OnDisk::Empty => {
                return Err(DbError::NotOurs {
                    path: path.to_path_buf(),
                    found: "an empty file (a database is created by opening it for writing)"
                        .to_owned(),
                });
            }
            OnDisk::Sqlite => {}
        }
        let file = real_path(path)?;
        let (conn, contents, copy) = match inspect_in_place(&file, path) {
            Ok((conn, contents)) => (conn, contents, None),
            Err(e) if needs_private_copy(&e) => {
                let copy = PrivateCopy::new(&file, path)?;
                let (conn, contents) = copy.open(path)?;
                (conn, contents, Some(copy))
            }
            Err(e) => return Err(e),
        };
        if contents == Contents::Blank {
            return Err(DbError::NotOurs {
                path: path.to_path_buf(),
                found: "an SQLite database without any tables".to_owned(),
            });
        }
        let has_stationary = has_stationary_points(&conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            read_only: true,
            has_stationary,
            own_runs: Vec::new(),
            id_base: 0,
            _copy: copy,
            _lock: None,
        })
    }

    /// Refuses a damaged database (SQLite's `integrity_check`), with a way out in the message.
    /// [`Store::open`] checks every existing file before writing; readers whose results must
    /// not rest on damaged data (the census, the report) call this.
    pub fn check_integrity(&self) -> Result<(), DbError> {
        integrity(&self.conn, &self.path)
    }

    /// The lowest id new rows of this database may get, less one (see [`Store::set_id_base`]).
    pub fn id_base(&self) -> i64 {
        self.id_base
    }

    /// From now on, new rows of every table get ids above `base` (recorded in `meta`, so it
    /// holds for every later writer too). A shard of a sweep sets its own range
    /// (shard `i` gets `(i + 1) << 40`) so that the shards' records have disjoint ids and merge
    /// unchanged. Ids only grow: a base below the current one is refused.
    pub fn set_id_base(&mut self, base: i64) -> Result<(), DbError> {
        self.writable("set the id base")?;
        if base < self.id_base {
            return Err(invalid(
                &self.path,
                format!(
                    "id base {base} is below the database's id base {}",
                    self.id_base
                ),
            ));
        }
        self.write(|b| {
            b.conn
                .execute(
                    "INSERT INTO meta (key, value) VALUES ('id_base', ?1) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [base.to_string()],
                )
                .map_err(sql(b.path))?;
            Ok(())
        })?;
        self.id_base = base;
        Ok(())
    }

    /// Runs `f` on the connection itself, for the merge (which attaches another file).
    pub(crate) fn with_connection<T>(
        &mut self,
        f: impl FnOnce(&mut Connection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.writable("merge")?;
        if self.in_unit() {
            return Err(invalid(&self.path, "cannot merge inside a unit of work"));
        }
        f(&mut self.conn)
    }

    pub(crate) fn with_connection_ref<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        f(&self.conn)
    }

    /// Re-reads `meta.id_base` (after a merge raised it).
    pub(crate) fn refresh_id_base(&mut self) -> Result<(), DbError> {
        self.id_base = self.meta_id_base()?;
        Ok(())
    }

    fn meta_id_base(&self) -> Result<i64, DbError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'id_base'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql(&self.path))?;
        match text {
            None => Ok(0),
            Some(t) => t
                .parse()
                .map_err(|_| corrupt(&self.path, format!("meta id_base {t:?} is not a number"))),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True for a store from [`Store::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn writable(&self, action: &'static str) -> Result<(), DbError> {
        if self.read_only {
            Err(DbError::ReadOnly {
                path: self.path.clone(),
                action,
            })
        } else {
            Ok(())
        }
    }

    /// Runs `f` in one write transaction: committed if `f` returns `Ok`, rolled back if it
    /// returns `Err` (or panics), so either all of its records are stored or none. Inside a
    /// unit of work ([`Store::begin_unit`]) it is a savepoint of the unit's transaction and
    /// reaches the file only when the unit commits.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Batch<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.writable("write")?;
        let id_base = self.id_base;
        let path = self.path.as_path();
        if self.in_unit() {
            // Inside a unit of work: a savepoint, so the closure is still all or nothing, but
            // nothing reaches the file before the unit commits.
            let sp = self.conn.savepoint().map_err(sql(path))?;
            let value = f(&mut Batch {
                conn: &sp,
                path,
                id_base,
            })?; // dropping `sp` rolls it back
            sp.commit().map_err(sql(path))?;
            return Ok(value);
        }
        // IMMEDIATE takes the write lock up front, so the transaction cannot fail half-way
        // with SQLITE_BUSY when it first writes.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(path))?;
        let value = f(&mut Batch {
            conn: &tx,
            path,
            id_base,
        })?; // dropping `tx` on error rolls back
        tx.commit().map_err(sql(path))?;
        Ok(value)
    }

    /// Opens a unit of work: every [`Store::write`] until [`Store::commit_unit`] joins one
    /// transaction, so a unit whose writes are spread over many calls (one search attempt that
    /// stores minima and transition states as it finds them, then its attempt record) is
    /// committed entirely or not at all. A process killed inside a unit loses only that unit.
    /// Does nothing if a unit is already open.
    pub fn begin_unit(&mut self) -> Result<(), DbError> {
        self.writable("begin a unit of work")?;
        if self.in_unit() {
            return Ok(());
        }
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(sql(&self.path))
    }

    /// Commits the open unit of work (nothing to do if none is open).
    pub fn commit_unit(&mut self) -> Result<(), DbError> {
        if !self.in_unit() {
            return Ok(());
        }
        self.conn.execute_batch("COMMIT").map_err(sql(&self.path))
    }

    /// Discards every write of the open unit of work (nothing to do if none is open).
    pub fn rollback_unit(&mut self) -> Result<(), DbError> {
        if !self.in_unit() {
            return Ok(());
        }
        self.conn.execute_batch("ROLLBACK").map_err(sql(&self.path))
    }

    /// Whether a unit of work is open ([`Store::begin_unit`]).
    pub fn in_unit(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// A guard for units of work one after another: a unit opens at the first
    /// [`Units::write`], reaches the file only at an explicit [`Units::commit`], and is rolled
    /// back if still open when the guard is dropped (an error, an early return, a panic).
    pub fn units(&mut self) -> Units<'_> {
        Units { store: self }
    }

    /// Records the start of a run (status `running`, start time now) and returns its id.
    pub fn begin_run(&mut self, info: &RunInfo) -> Result<RunId, DbError> {
        self.writable("begin a run")?;
        let id = self.write(|b| {
            b.conn
                .prepare_cached(concat!(
                    "INSERT INTO runs (id, started_at, status, program_version, command, ",
                    "config_text, seed, threads, minimiser) VALUES (",
                    "(SELECT max(coalesce(max(id), 0), ?7) + 1 FROM runs), ",
                    now_sql!(),
                    ", 'running', ?1, ?2, ?3, ?4, ?5, ?6)"
                ))
                .and_then(|mut s| {
                    s.execute(params![
                        info.program_version,
                        info.command,
                        info.config_text,
                        // Same bits: SQLite integers are signed.
                        info.seed as i64,
                        info.threads,
                        info.minimiser,
                        b.id_base,
                    ])
                })
                .map_err(sql(b.path))?;
            Ok(RunId(b.conn.last_insert_rowid()))
        })?;
        self.own_runs.push(id);
        Ok(id)
    }

    /// Sets the final status of a run and its finish time (now).
    ///
    /// `status` must not be [`RunStatus::Running`].
    pub fn finish_run(&mut self, run_id: RunId, status: RunStatus) -> Result<(), DbError> {
        self.writable("finish a run")?;
        if status == RunStatus::Running {
            return Err(invalid(
                &self.path,
                format!("run {run_id} cannot be finished with status running"),
            ));
        }
        self.write(|b| {
            let changed = b
                .conn
                .execute(
                    concat!(
                        "UPDATE runs SET status = ?2, finished_at = ",
                        now_sql!(),
                        " WHERE id = ?1"
                    ),
                    params![run_id, status.as_str()],
                )
                .map_err(sql(b.path))?;
            if changed == 0 {
                return Err(not_found(b.path, format!("run {run_id}")));
            }
            Ok(())
        })?;
        self.own_runs.retain(|&id| id != run_id);
        Ok(())
    }

    /// Marks as `interrupted` every run still `running` that was not begun through this store:
    /// since a writer holds the single-writer lock, such runs belong to a process that died.
    /// Their `finished_at` stays empty, as the moment of death is unknown. Returns how many runs
    /// were marked. Called by [`Store::open`].
    pub fn interrupt_stale_runs(&mut self) -> Result<usize, DbError> {
        self.writable("mark stale runs")?;
        let own = self.own_runs.clone();
        self.write(|b| {
            let running: Vec<RunId> = {
                let mut stmt = b
                    .conn
                    .prepare("SELECT id FROM runs WHERE status = 'running' ORDER BY id")
                    .map_err(sql(b.path))?;
                let rows = stmt.query_map([], |r| r.get(0)).map_err(sql(b.path))?;
                rows.collect::<Result<_, _>>().map_err(sql(b.path))?
            };
            let mut marked = 0;
            for id in running.into_iter().filter(|id| !own.contains(id)) {
                b.conn
                    .execute("UPDATE runs SET status = 'interrupted' WHERE id = ?1", [id])
                    .map_err(sql(b.path))?;
                marked += 1;
            }
            Ok(marked)
        })
    }

    /// All runs, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRow>, DbError> {
        let path = self.path.as_path();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, started_at, finished_at, status, program_version, command, \
                 config_text, seed, threads, minimiser FROM runs ORDER BY id",
            )
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(3)?,
                    RunRow {
                        id: r.get(0)?,
                        started_at: r.get(1)?,
                        finished_at: r.get(2)?,
                        status: RunStatus::Running, // replaced below
                        program_version: r.get(4)?,
                        command: r.get(5)?,
                        config_text: r.get(6)?,
                        seed: r.get::<_, i64>(7)? as u64, // same bits, see begin_run
                        threads: r.get(8)?,
                        minimiser: r.get(9)?,
                    },
                ))
            })
            .map_err(sql(path))?;
        let mut runs = Vec::new();
        for row in rows {
            let (id, status, mut run) = row.map_err(sql(path))?;
            run.status = status
                .parse()
                .map_err(|e| corrupt(path, format!("run {id}: {e}")))?;
            runs.push(run);
        }
        Ok(runs)
    }

    /// The id of the landscape with `spec.key`, inserting it first if it is new.
    ///
    /// If the key exists, its shape (`n_in`, `n_hidden`, `n_out`, `dimension`), `lambda` and
    /// `dataset` must equal `spec`'s, else [`DbError::Invalid`]: one key, one landscape.
    /// `config_json` is descriptive only and is not compared (nor updated).
    pub fn landscape_id(&mut self, spec: &LandscapeSpec) -> Result<LandscapeId, DbError> {
        self.writable("add a landscape")?;
        if spec.lambda.is_nan() {
            return Err(invalid(
                &self.path,
                format!("landscape {:?} has lambda NaN", spec.key),
            ));
        }
        self.write(|b| {
            if let Some(existing) = landscape_by_key(b.conn, b.path, &spec.key)? {
                let same = existing.n_in == spec.n_in
                    && existing.n_hidden == spec.n_hidden
                    && existing.n_out == spec.n_out
                    && existing.dimension == spec.dimension
                    && existing.lambda == spec.lambda
                    && existing.dataset == spec.dataset;
                if !same {
                    return Err(invalid(
                        b.path,
                        format!(
                            "landscape key {:?} is already stored as {}-{}-{} (dimension {}, \
                             lambda {}, dataset {:?}); it cannot now mean {}-{}-{} (dimension \
                             {}, lambda {}, dataset {:?})",
                            spec.key,
                            existing.n_in,
                            existing.n_hidden,
                            existing.n_out,
                            existing.dimension,
                            existing.lambda,
                            existing.dataset,
                            spec.n_in,
                            spec.n_hidden,
                            spec.n_out,
                            spec.dimension,
                            spec.lambda,
                            spec.dataset
                        ),
                    ));
                }
                return Ok(existing.id);
            }
            b.conn
                .execute(
                    "INSERT INTO landscapes (id, key, n_in, n_hidden, n_out, dimension, lambda, \
                     dataset, config_json) VALUES ((SELECT max(coalesce(max(id), 0), ?9) + 1 \
                     FROM landscapes), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        spec.key,
                        spec.n_in,
                        spec.n_hidden,
                        spec.n_out,
                        spec.dimension,
                        spec.lambda,
                        spec.dataset,
                        spec.config_json,
                        b.id_base
                    ],
                )
                .map_err(sql(b.path))?;
            Ok(LandscapeId(b.conn.last_insert_rowid()))
        })
    }

    /// All landscapes, in order of creation.
    pub fn landscapes(&self) -> Result<Vec<LandscapeRow>, DbError> {
        let path = self.path.as_path();
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{LANDSCAPE_SELECT} ORDER BY id"))
            .map_err(sql(path))?;
        let rows = stmt.query_map([], landscape_row).map_err(sql(path))?;
        rows.collect::<Result<_, _>>().map_err(sql(path))
    }

    /// The landscape stored under `key`, if any (a lookup that works on read-only stores).
    pub fn landscape_by_key(&self, key: &str) -> Result<Option<LandscapeRow>, DbError> {
        landscape_by_key(&self.conn, &self.path, key)
    }

    /// All minima of a landscape, ordered by id. [`DbError::NotFound`] for an unknown landscape.
    pub fn minima(&self, landscape_id: LandscapeId) -> Result<Vec<MinimumRow>, DbError> {
        let path = self.path.as_path();
        let dim = dimension(&self.conn, path, landscape_id)?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, landscape_id, energy, coords, rms_gradient, hessian_index, \
                 lowest_eigenvalue, ln_prod_positive, accuracy, times_found, first_run \
                 FROM minima WHERE landscape_id = ?1 ORDER BY id",
            )
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([landscape_id], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(3)?,
                    MinimumRow {
                        id: r.get(0)?,
                        landscape_id: r.get(1)?,
                        energy: r.get(2)?,
                        coords: Vec::new(), // decoded below, with a length check
                        rms_gradient: real(r, 4)?,
                        hessian_index: r.get(5)?,
                        lowest_eigenvalue: real(r, 6)?,
                        ln_prod_positive: real(r, 7)?,
                        accuracy: real(r, 8)?,
                        times_found: r.get(9)?,
                        first_run: r.get(10)?,
                    },
                ))
            })
            .map_err(sql(path))?;
        let mut minima = Vec::new();
        for row in rows {
            let (blob, mut m) = row.map_err(sql(path))?;
            m.coords = decode_vector(path, &blob, dim, || format!("coords of minimum {}", m.id))?;
            minima.push(m);
        }
        Ok(minima)
    }

    /// All transition states of a landscape, ordered by id. [`DbError::NotFound`] for an
    /// unknown landscape.
    pub fn transition_states(&self, landscape_id: LandscapeId) -> Result<Vec<TsRow>, DbError> {
        let path = self.path.as_path();
        let dim = dimension(&self.conn, path, landscape_id)?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, landscape_id, energy, coords, rms_gradient, hessian_index, \
                 negative_eigenvalue, negative_vector, ln_prod_positive, accuracy, min1, min2, \
                 degenerate, times_found, first_run \
                 FROM transition_states WHERE landscape_id = ?1 ORDER BY id",
            )
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([landscape_id], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, Vec<u8>>(7)?,
                    TsRow {
                        id: r.get(0)?,
                        landscape_id: r.get(1)?,
                        energy: r.get(2)?,
                        coords: Vec::new(), // decoded below, with a length check
                        rms_gradient: real(r, 4)?,
                        hessian_index: r.get(5)?,
                        negative_eigenvalue: real(r, 6)?,
                        negative_vector: Vec::new(), // decoded below
                        ln_prod_positive: real(r, 8)?,
                        accuracy: real(r, 9)?,
                        min1: r.get(10)?,
                        min2: r.get(11)?,
                        degenerate: r.get(12)?,
                        times_found: r.get(13)?,
                        first_run: r.get(14)?,
                    },
                ))
            })
            .map_err(sql(path))?;
        let mut states = Vec::new();
        for row in rows {
            let (coords, vector, mut t) = row.map_err(sql(path))?;
            t.coords = decode_vector(path, &coords, dim, || {
                format!("coords of transition state {}", t.id)
            })?;
            t.negative_vector = decode_vector(path, &vector, dim, || {
                format!("negative_vector of transition state {}", t.id)
            })?;
            states.push(t);
        }
        Ok(states)
    }

    /// All census stationary points of a landscape, in id (storage) order, like minima and transition states.
    /// [`DbError::NotFound`] for an unknown landscape; empty for a version-1 file opened
    /// read-only.
    pub fn stationary_points(
        &self,
        landscape_id: LandscapeId,
    ) -> Result<Vec<StationaryPointRow>, DbError> {
        let path = self.path.as_path();
        let dim = dimension(&self.conn, path, landscape_id)?;
        if !self.has_stationary {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, landscape_id, energy, coords, rms_gradient, hessian_index, \
                 zero_modes, lowest_eigenvalue, ln_prod_positive, accuracy, times_found, \
                 first_run FROM stationary_points WHERE landscape_id = ?1 ORDER BY id",
            )
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([landscape_id], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(3)?,
                    StationaryPointRow {
                        id: r.get(0)?,
                        landscape_id: r.get(1)?,
                        energy: r.get(2)?,
                        coords: Vec::new(), // decoded below, with a length check
                        rms_gradient: real(r, 4)?,
                        hessian_index: r.get(5)?,
                        zero_modes: r.get(6)?,
                        lowest_eigenvalue: real(r, 7)?,
                        ln_prod_positive: real(r, 8)?,
                        accuracy: real(r, 9)?,
                        times_found: r.get(10)?,
                        first_run: r.get(11)?,
                    },
                ))
            })
            .map_err(sql(path))?;
        let mut points = Vec::new();
        for row in rows {
            let (blob, mut p) = row.map_err(sql(path))?;
            p.coords = decode_vector(path, &blob, dim, || {
                format!("coords of stationary point {}", p.id)
            })?;
            points.push(p);
        }
        Ok(points)
    }

    /// The recorded outcome of one unit of work, if any.
    pub fn attempt(
        &self,
        landscape_id: LandscapeId,
        stage: &str,
        key: &str,
    ) -> Result<Option<AttemptRow>, DbError> {
        let path = self.path.as_path();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{ATTEMPT_SELECT} WHERE landscape_id = ?1 AND stage = ?2 AND key = ?3"
            ))
            .map_err(sql(path))?;
        stmt.query_row(params![landscape_id, stage, key], attempt_row)
            .optional()
            .map_err(sql(path))
    }

    /// All recorded outcomes of every stage of a landscape, in order of first recording.
    pub fn all_attempts(&self, landscape_id: LandscapeId) -> Result<Vec<AttemptRow>, DbError> {
        let path = self.path.as_path();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{ATTEMPT_SELECT} WHERE landscape_id = ?1 ORDER BY id"
            ))
            .map_err(sql(path))?;
        let rows = stmt
            .query_map(params![landscape_id], attempt_row)
            .map_err(sql(path))?;
        rows.collect::<Result<_, _>>().map_err(sql(path))
    }

    /// All recorded outcomes of one stage of a landscape, in order of first recording.
    pub fn attempts(
        &self,
        landscape_id: LandscapeId,
        stage: &str,
    ) -> Result<Vec<AttemptRow>, DbError> {
        let path = self.path.as_path();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{ATTEMPT_SELECT} WHERE landscape_id = ?1 AND stage = ?2 ORDER BY id"
            ))
            .map_err(sql(path))?;
        let rows = stmt
            .query_map(params![landscape_id, stage], attempt_row)
            .map_err(sql(path))?;
        rows.collect::<Result<_, _>>().map_err(sql(path))
    }
}

impl Store {
    /// The stored training data of the experiment, if any: `None` for a database made before
    /// schema version 3 (or by an import that stored none). The first run stores it; see
    /// [`Batch::store_dataset`].
    pub fn dataset(&self) -> Result<Option<(DatasetRecord, Option<RunId>)>, DbError> {
        let path = self.path.as_path();
        if !has_datasets(&self.conn, path)? {
            return Ok(None);
        }
        let row = self
            .conn
            .query_row(
                "SELECT sha256, kind, source, n_rows, n_in, n_out, inputs, labels, first_run \
                 FROM datasets WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, u32>(4)?,
                        r.get::<_, u32>(5)?,
                        r.get::<_, Vec<u8>>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, Option<RunId>>(8)?,
                    ))
                },
            )
            .optional()
            .map_err(sql(path))?;
        let Some((sha256, kind, source, n_rows, n_in, n_out, blob, labels, first_run)) = row else {
            return Ok(None);
        };
        let inputs =
            decode_f64s(&blob).map_err(|e| corrupt(path, format!("datasets.inputs: {e}")))?;
        let labels: Vec<u32> = if labels.is_empty() {
            Vec::new()
        } else {
            labels
                .split(',')
                .map(|t| t.trim().parse::<u32>())
                .collect::<Result<_, _>>()
                .map_err(|e| corrupt(path, format!("datasets.labels: {e}")))?
        };
        if labels.len() as i64 != n_rows || inputs.len() != labels.len() * n_in as usize {
            return Err(corrupt(
                path,
                format!(
                    "datasets: {n_rows} rows of {n_in} features, but {} labels and {} feature values",
                    labels.len(),
                    inputs.len()
                ),
            ));
        }
        Ok(Some((
            DatasetRecord {
                sha256,
                kind,
                source,
                n_in,
                n_out,
                inputs,
                labels,
            },
            first_run,
        )))
    }
}

impl Store {
    /// Wall time per stage and kind of work of one landscape, summed over every run, in
    /// stage and kind order; empty for a file written before timings were recorded.
    pub fn timings(&self, landscape_id: LandscapeId) -> Result<Vec<TimingRow>, DbError> {
        let path = self.path.as_path();
        dimension(&self.conn, path, landscape_id)?; // existence, with a clear error
        if !has_timings(&self.conn, path)? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT stage, kind, sum(count), sum(seconds) FROM timings \
                 WHERE landscape_id = ?1 GROUP BY stage, kind ORDER BY stage, kind",
            )
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([landscape_id], |r| {
                Ok(TimingRow {
                    stage: r.get(0)?,
                    kind: r.get(1)?,
                    count: r.get(2)?,
                    seconds: r.get(3)?,
                })
            })
            .map_err(sql(path))?;
        rows.collect::<Result<_, _>>().map_err(sql(path))
    }
}

/// The writes of one transaction, handed to the closure of [`Store::write`].
#[derive(Debug)]
pub struct Batch<'a> {
    conn: &'a Connection,
    path: &'a Path,
    /// New rows get ids above this ([`Store::set_id_base`]).
    id_base: i64,
}

impl Batch<'_> {
    /// Sets a `meta` value.
    pub(crate) fn set_meta(&mut self, key: &str, value: &str) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map_err(sql(self.path))?;
        Ok(())
    }

    /// Inserts a minimum and returns its id.
    ///
    /// Checks that the landscape and the run exist, that `coords` has the landscape's
    /// dimension, that the energy is not NaN and that `times_found` is not negative.
    pub fn insert_minimum(&mut self, m: &NewMinimum) -> Result<i64, DbError> {
        let what = || "new minimum".to_owned();
        self.check_common(m.landscape_id, m.energy, m.times_found, m.first_run, what)?;
        let dim = dimension(self.conn, self.path, m.landscape_id)?;
        check_len(self.path, &m.coords, dim, || {
            "coords of new minimum".to_owned()
        })?;
        self.conn
            .prepare_cached(
                "INSERT INTO minima (id, landscape_id, energy, coords, rms_gradient, \
                 hessian_index, lowest_eigenvalue, ln_prod_positive, accuracy, times_found, \
                 first_run) VALUES ((SELECT max(coalesce(max(id), 0), ?11) + 1 FROM minima), \
                 ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    m.landscape_id,
                    m.energy,
                    encode_f64s(&m.coords),
                    m.rms_gradient,
                    m.hessian_index,
                    m.lowest_eigenvalue,
                    m.ln_prod_positive,
                    m.accuracy,
                    m.times_found,
                    m.first_run,
                    self.id_base,
                ])
            })
            .map_err(sql(self.path))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Adds `by` (not negative) to a minimum's `times_found`.
    pub fn add_times_found(&mut self, minimum_id: i64, by: i64) -> Result<(), DbError> {
        self.bump("minima", "minimum", minimum_id, by)
    }

    /// Inserts a transition state and returns its id.
    ///
    /// Besides the checks of [`Batch::insert_minimum`] (for `coords` and `negative_vector`),
    /// `min1` and `min2` must be minima of the same landscape.
    pub fn insert_ts(&mut self, t: &NewTs) -> Result<i64, DbError> {
        let what = || "new transition state".to_owned();
        self.check_common(t.landscape_id, t.energy, t.times_found, t.first_run, what)?;
        let dim = dimension(self.conn, self.path, t.landscape_id)?;
        check_len(self.path, &t.coords, dim, || {
            "coords of new transition state".to_owned()
        })?;
        check_len(self.path, &t.negative_vector, dim, || {
            "negative_vector of new transition state".to_owned()
        })?;
        for min in [t.min1, t.min2] {
            let owner: Option<LandscapeId> = self
                .conn
                .prepare_cached("SELECT landscape_id FROM minima WHERE id = ?1")
                .and_then(|mut s| s.query_row([min], |r| r.get(0)).optional())
                .map_err(sql(self.path))?;
            match owner {
                None => return Err(not_found(self.path, format!("minimum {min}"))),
                Some(l) if l != t.landscape_id => {
                    return Err(invalid(
                        self.path,
                        format!(
                            "transition state of landscape {} cannot join minimum {min} of \
                             landscape {l}",
                            t.landscape_id
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        self.conn
            .prepare_cached(
                "INSERT INTO transition_states (id, landscape_id, energy, coords, rms_gradient, \
                 hessian_index, negative_eigenvalue, negative_vector, ln_prod_positive, \
                 accuracy, min1, min2, degenerate, times_found, first_run) \
                 VALUES ((SELECT max(coalesce(max(id), 0), ?15) + 1 FROM transition_states), \
                 ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    t.landscape_id,
                    t.energy,
                    encode_f64s(&t.coords),
                    t.rms_gradient,
                    t.hessian_index,
                    t.negative_eigenvalue,
                    encode_f64s(&t.negative_vector),
                    t.ln_prod_positive,
                    t.accuracy,
                    t.min1,
                    t.min2,
                    t.degenerate,
                    t.times_found,
                    t.first_run,
                    self.id_base,
                ])
            })
            .map_err(sql(self.path))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Adds `by` (not negative) to a transition state's `times_found`.
    pub fn add_ts_times_found(&mut self, ts_id: i64, by: i64) -> Result<(), DbError> {
        self.bump("transition_states", "transition state", ts_id, by)
    }

    /// Inserts a census stationary point and returns its id, with the checks of
    /// [`Batch::insert_minimum`].
    pub fn insert_stationary_point(&mut self, p: &NewStationaryPoint) -> Result<i64, DbError> {
        let what = || "new stationary point".to_owned();
        self.check_common(p.landscape_id, p.energy, p.times_found, p.first_run, what)?;
        let dim = dimension(self.conn, self.path, p.landscape_id)?;
        check_len(self.path, &p.coords, dim, || {
            "coords of new stationary point".to_owned()
        })?;
        self.conn
            .prepare_cached(
                "INSERT INTO stationary_points (id, landscape_id, energy, coords, rms_gradient, \
                 hessian_index, zero_modes, lowest_eigenvalue, ln_prod_positive, accuracy, \
                 times_found, first_run) VALUES ((SELECT max(coalesce(max(id), 0), ?12) + 1 \
                 FROM stationary_points), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    p.landscape_id,
                    p.energy,
                    encode_f64s(&p.coords),
                    p.rms_gradient,
                    p.hessian_index,
                    p.zero_modes,
                    p.lowest_eigenvalue,
                    p.ln_prod_positive,
                    p.accuracy,
                    p.times_found,
                    p.first_run,
                    self.id_base,
                ])
            })
            .map_err(sql(self.path))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Adds `count` units and `seconds` of wall time to a landscape's timing of `stage` and
    /// `kind` in `run`.
    pub fn add_timing(
        &mut self,
        landscape_id: LandscapeId,
        run_id: RunId,
        stage: &str,
        kind: &str,
        count: i64,
        seconds: f64,
    ) -> Result<(), DbError> {
        dimension(self.conn, self.path, landscape_id)?; // existence, with a clear error
        self.check_run(run_id)?;
        self.conn
            .prepare_cached(
                "INSERT INTO timings (landscape_id, run_id, stage, kind, count, seconds) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (landscape_id, run_id, stage, kind) \
                 DO UPDATE SET count = count + excluded.count, seconds = seconds + excluded.seconds",
            )
            .and_then(|mut s| {
                s.execute(params![
                    landscape_id,
                    run_id,
                    stage,
                    kind,
                    count.max(0),
                    seconds.max(0.0)
                ])
            })
            .map_err(sql(self.path))?;
        Ok(())
    }

    /// Adds `by` (not negative) to a census stationary point's `times_found`.
    pub fn add_stationary_times_found(&mut self, id: i64, by: i64) -> Result<(), DbError> {
        self.bump("stationary_points", "stationary point", id, by)
    }

    /// Records the outcome of one unit of work, replacing any earlier outcome for the same
    /// `(landscape_id, stage, key)` (the row keeps its id; `run_id` and the time are updated).
    pub fn record_attempt(&mut self, attempt: &NewAttempt<'_>) -> Result<(), DbError> {
        let NewAttempt {
            landscape_id,
            stage,
            key,
            outcome,
            detail,
            run_id,
        } = *attempt;
        dimension(self.conn, self.path, landscape_id)?; // existence, with a clear error
        self.check_run(run_id)?;
        self.conn
            .prepare_cached(concat!(
                "INSERT INTO attempts (id, landscape_id, stage, key, outcome, detail, run_id, ",
                "recorded_at) VALUES ((SELECT max(coalesce(max(id), 0), ?7) + 1 FROM attempts), ",
                "?1, ?2, ?3, ?4, ?5, ?6, ",
                now_sql!(),
                ") ON CONFLICT (landscape_id, stage, key) DO UPDATE SET ",
                "outcome = excluded.outcome, detail = excluded.detail, ",
                "run_id = excluded.run_id, recorded_at = excluded.recorded_at"
            ))
            .and_then(|mut s| {
                s.execute(params![
                    landscape_id,
                    stage,
                    key,
                    outcome,
                    detail,
                    run_id,
                    self.id_base
                ])
            })
            .map_err(sql(self.path))?;
        Ok(())
    }

    /// Stores the experiment's training data (the single row of `datasets`), recording the run
    /// that stored it. Fails if a data set is stored already: whether the new one is the same
    /// is for the caller to check first (see [`Store::dataset`]).
    pub fn store_dataset(
        &mut self,
        d: &DatasetRecord,
        run_id: Option<RunId>,
    ) -> Result<(), DbError> {
        if d.sha256.len() != 64 || !d.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid(
                self.path,
                format!("data set sha256 {:?} is not 64 hex digits", d.sha256),
            ));
        }
        if d.inputs.len() != d.n_rows() * d.n_in as usize {
            return Err(invalid(
                self.path,
                format!(
                    "data set has {} rows of {} features but {} feature values",
                    d.n_rows(),
                    d.n_in,
                    d.inputs.len()
                ),
            ));
        }
        if let Some(run) = run_id {
            self.check_run(run)?;
        }
        let labels: Vec<String> = d.labels.iter().map(u32::to_string).collect();
        self.conn
            .execute(
                concat!(
                    "INSERT INTO datasets (id, sha256, kind, source, n_rows, n_in, n_out, inputs, ",
                    "labels, first_run, stored_at) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ",
                    now_sql!(),
                    ")"
                ),
                params![
                    d.sha256,
                    d.kind,
                    d.source,
                    d.n_rows() as i64,
                    d.n_in,
                    d.n_out,
                    encode_f64s(&d.inputs),
                    labels.join(","),
                    run_id,
                ],
            )
            .map_err(sql(self.path))?;
        Ok(())
    }

    /// Checks shared by minima and transition states.
    fn check_common(
        &self,
        landscape_id: LandscapeId,
        energy: f64,
        times_found: i64,
        first_run: RunId,
        what: impl Fn() -> String,
    ) -> Result<(), DbError> {
        if energy.is_nan() {
            return Err(invalid(self.path, format!("{} has energy NaN", what())));
        }
        if times_found < 0 {
            return Err(invalid(
                self.path,
                format!("{} has times_found {times_found} < 0", what()),
            ));
        }
        dimension(self.conn, self.path, landscape_id)?;
        self.check_run(first_run)
    }

    fn check_run(&self, run_id: RunId) -> Result<(), DbError> {
        let exists = self
            .conn
            .prepare_cached("SELECT 1 FROM runs WHERE id = ?1")
            .and_then(|mut s| s.exists([run_id]))
            .map_err(sql(self.path))?;
        if exists {
            Ok(())
        } else {
            Err(not_found(self.path, format!("run {run_id}")))
        }
    }

    fn bump(&self, table: &str, noun: &str, id: i64, by: i64) -> Result<(), DbError> {
        if by < 0 {
            return Err(invalid(
                self.path,
                format!("times_found of {noun} {id} cannot change by {by}"),
            ));
        }
        let changed = self
            .conn
            .prepare_cached(&format!(
                "UPDATE {table} SET times_found = times_found + ?2 WHERE id = ?1"
            ))
            .and_then(|mut s| s.execute([id, by]))
            .map_err(sql(self.path))?;
        if changed == 0 {
            return Err(not_found(self.path, format!("{noun} {id}")));
        }
        Ok(())
    }
}

const LANDSCAPE_SELECT: &str = "SELECT id, key, n_in, n_hidden, n_out, dimension, lambda, \
                                dataset, config_json FROM landscapes";

fn landscape_row(r: &Row<'_>) -> rusqlite::Result<LandscapeRow> {
    Ok(LandscapeRow {
        id: r.get(0)?,
        key: r.get(1)?,
        n_in: r.get(2)?,
        n_hidden: r.get(3)?,
        n_out: r.get(4)?,
        dimension: r.get(5)?,
        lambda: r.get(6)?,
        dataset: r.get(7)?,
        config_json: r.get(8)?,
    })
}

fn landscape_by_key(
    conn: &Connection,
    path: &Path,
    key: &str,
) -> Result<Option<LandscapeRow>, DbError> {
    conn.prepare_cached(&format!("{LANDSCAPE_SELECT} WHERE key = ?1"))
        .and_then(|mut s| s.query_row([key], landscape_row).optional())
        .map_err(sql(path))
}

const ATTEMPT_SELECT: &str = "SELECT id, landscape_id, stage, key, outcome, detail, run_id, \
                              recorded_at FROM attempts";

fn attempt_row(r: &Row<'_>) -> rusqlite::Result<AttemptRow> {
    Ok(AttemptRow {
        id: r.get(0)?,
        landscape_id: r.get(1)?,
        stage: r.get(2)?,
        key: r.get(3)?,
        outcome: r.get(4)?,
        detail: r.get(5)?,
        run_id: r.get(6)?,
        recorded_at: r.get(7)?,
    })
}

/// The coordinate dimension of a landscape; [`DbError::NotFound`] if there is no such landscape.
fn dimension(conn: &Connection, path: &Path, landscape_id: LandscapeId) -> Result<usize, DbError> {
    let dim: Option<u32> = conn
        .prepare_cached("SELECT dimension FROM landscapes WHERE id = ?1")
        .and_then(|mut s| s.query_row([landscape_id], |r| r.get(0)).optional())
        .map_err(sql(path))?;
    let dim = dim.ok_or_else(|| not_found(path, format!("landscape {landscape_id}")))?;
    // u32 always fits usize on the 32- and 64-bit targets we support.
    Ok(dim as usize)
}

/// A nullable REAL column: SQLite stores NaN as NULL, so NULL reads back as NaN.
fn real(r: &Row<'_>, idx: usize) -> rusqlite::Result<f64> {
    Ok(r.get::<_, Option<f64>>(idx)?.unwrap_or(f64::NAN))
}

fn check_len(
    path: &Path,
    values: &[f64],
    dim: usize,
    what: impl FnOnce() -> String,
) -> Result<(), DbError> {
    if values.len() == dim {
        Ok(())
    } else {
        Err(invalid(
            path,
            format!(
                "{} has {} values, but its landscape has dimension {dim}",
                what(),
                values.len()
            ),
        ))
    }
}

/// Decodes a stored vector and checks its length against the landscape's dimension.
fn decode_vector(
    path: &Path,
    blob: &[u8],
    dim: usize,
    what: impl Fn() -> String,
) -> Result<Vec<f64>, DbError> {
    let values = decode_f64s(blob).map_err(|e| corrupt(path, format!("{}: {e}", what())))?;
    if values.len() != dim {
        return Err(corrupt(
            path,
            format!(
                "{} holds {} values, but its landscape has dimension {dim}",
                what(),
                values.len()
            ),
        ));
    }
    Ok(values)
}
