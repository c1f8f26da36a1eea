//! The schema, and the checks that decide whether a file is ours before anything touches it.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use crate::error::{DbError, sql};

/// Schema version written by (and the newest understood by) this build.
///
/// Version 2 added the `stationary_points` table, version 3 the `datasets` table (the training
/// data a run used, stored with its SHA-256). An older file is upgraded in place when it is
/// opened for writing (migrated forward); read-only stores read it as it is, with no stationary
/// points (version 1) and no stored data set (versions 1 and 2).
pub const SCHEMA_VERSION: i64 = 4;

/// Value of SQLite's `PRAGMA application_id` in every losscape database: the ASCII bytes
/// `"LSCP"`. Lets `file(1)` and this crate recognise the file without reading any table.
pub const APPLICATION_ID: i32 = 0x4C53_4350;

/// The `meta.format` value of every losscape database.
pub const FORMAT: &str = "losscape";

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Size of the SQLite database header; a non-empty file shorter than this is not SQLite.
const SQLITE_HEADER_LEN: u64 = 100;

/// Tables every version has (those of schema version 1).
const TABLES: [&str; 6] = [
    "meta",
    "runs",
    "landscapes",
    "minima",
    "transition_states",
    "attempts",
];

/// Schema version 1. Run inside the initialising transaction together with the `meta` rows
/// and the application id, so a half-initialised file cannot exist.
///
/// REAL columns that may legitimately be NaN are nullable (SQLite turns NaN into NULL);
/// energies are NOT NULL. Composite foreign keys make a transition state's minima belong to
/// its own landscape.
const SCHEMA_V1: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    status          TEXT NOT NULL
                    CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
    program_version TEXT NOT NULL,
    command         TEXT NOT NULL,
    config_text     TEXT NOT NULL,
    seed            INTEGER NOT NULL,
    threads         INTEGER NOT NULL CHECK (threads >= 0),
    minimiser       TEXT NOT NULL
);
CREATE TABLE landscapes (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    n_in        INTEGER NOT NULL CHECK (n_in >= 0),
    n_hidden    INTEGER NOT NULL CHECK (n_hidden >= 0),
    n_out       INTEGER NOT NULL CHECK (n_out >= 0),
    dimension   INTEGER NOT NULL CHECK (dimension >= 0),
    lambda      REAL NOT NULL,
    dataset     TEXT NOT NULL,
    config_json TEXT NOT NULL
);
CREATE TABLE minima (
    id                INTEGER PRIMARY KEY,
    landscape_id      INTEGER NOT NULL REFERENCES landscapes (id),
    energy            REAL NOT NULL,
    coords            BLOB NOT NULL,
    rms_gradient      REAL,
    hessian_index     INTEGER NOT NULL CHECK (hessian_index >= 0),
    lowest_eigenvalue REAL,
    ln_prod_positive  REAL,
    accuracy          REAL,
    times_found       INTEGER NOT NULL CHECK (times_found >= 0),
    first_run         INTEGER NOT NULL REFERENCES runs (id),
    UNIQUE (landscape_id, id)
);
CREATE INDEX minima_by_energy ON minima (landscape_id, energy);
CREATE TABLE transition_states (
    id                  INTEGER PRIMARY KEY,
    landscape_id        INTEGER NOT NULL REFERENCES landscapes (id),
    energy              REAL NOT NULL,
    coords              BLOB NOT NULL,
    rms_gradient        REAL,
    hessian_index       INTEGER NOT NULL CHECK (hessian_index >= 0),
    negative_eigenvalue REAL,
    negative_vector     BLOB NOT NULL,
    ln_prod_positive    REAL,
    accuracy            REAL,
    min1                INTEGER NOT NULL,
    min2                INTEGER NOT NULL,
    degenerate          INTEGER NOT NULL CHECK (degenerate IN (0, 1)),
    times_found         INTEGER NOT NULL CHECK (times_found >= 0),
    first_run           INTEGER NOT NULL REFERENCES runs (id),
    FOREIGN KEY (landscape_id, min1) REFERENCES minima (landscape_id, id),
    FOREIGN KEY (landscape_id, min2) REFERENCES minima (landscape_id, id)
);
CREATE INDEX transition_states_by_energy ON transition_states (landscape_id, energy);
CREATE INDEX transition_states_by_min1 ON transition_states (min1);
CREATE INDEX transition_states_by_min2 ON transition_states (min2);
CREATE TABLE attempts (
    id           INTEGER PRIMARY KEY,
    landscape_id INTEGER NOT NULL REFERENCES landscapes (id),
    stage        TEXT NOT NULL,
    key          TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    detail       TEXT NOT NULL,
    run_id       INTEGER NOT NULL REFERENCES runs (id),
    recorded_at  TEXT NOT NULL,
    UNIQUE (landscape_id, stage, key)
);
";

/// Schema version 2: the census record of verified stationary points of any Hessian index
/// (same column conventions as `minima`). Run in one transaction, either after [`SCHEMA_V1`]
/// when initialising or by [`migrate`] on a version-1 file.
const SCHEMA_V2: &str = "
CREATE TABLE stationary_points (
    id                INTEGER PRIMARY KEY,
    landscape_id      INTEGER NOT NULL REFERENCES landscapes (id),
    energy            REAL NOT NULL,
    coords            BLOB NOT NULL,
    rms_gradient      REAL,
    hessian_index     INTEGER NOT NULL CHECK (hessian_index >= 0),
    zero_modes        INTEGER NOT NULL CHECK (zero_modes >= 0),
    lowest_eigenvalue REAL,
    ln_prod_positive  REAL,
    accuracy          REAL,
    times_found       INTEGER NOT NULL CHECK (times_found >= 0),
    first_run         INTEGER NOT NULL REFERENCES runs (id)
);
CREATE INDEX stationary_points_by_energy ON stationary_points (landscape_id, energy);
";

/// Schema version 3: the training data of the experiment, a copy independent of the file it
/// was read from, so an edited or deleted data file cannot change any analysis of the
/// database. At most one row (`id = 1`): a database holds one experiment, and a run with other
/// data is refused. `inputs` uses the coordinate blob layout; `labels` is comma-separated text.
const SCHEMA_V3: &str = "
CREATE TABLE datasets (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    sha256    TEXT NOT NULL CHECK (length(sha256) = 64),
    kind      TEXT NOT NULL,
    source    TEXT NOT NULL,
    n_rows    INTEGER NOT NULL CHECK (n_rows >= 1),
    n_in      INTEGER NOT NULL CHECK (n_in >= 1),
    n_out     INTEGER NOT NULL CHECK (n_out >= 2),
    inputs    BLOB NOT NULL,
    labels    TEXT NOT NULL,
    first_run INTEGER REFERENCES runs (id),
    stored_at TEXT NOT NULL
);
";

/// Schema version 4: where the time went. One row per landscape, run, stage and kind of work
/// (`total` for a whole stage; `closure`, `connect` for the parts of a saturation round),
/// with how many units of that kind ran and their wall time; a resumed run adds its own rows.
/// For the user's accounting only: no result depends on it, and merges leave it out.
const SCHEMA_V4: &str = "
CREATE TABLE timings (
    landscape_id INTEGER NOT NULL REFERENCES landscapes (id),
    run_id       INTEGER NOT NULL REFERENCES runs (id),
    stage        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    count        INTEGER NOT NULL CHECK (count >= 0),
    seconds      REAL NOT NULL CHECK (seconds >= 0),
    PRIMARY KEY (landscape_id, run_id, stage, kind)
);
";

/// What the file system says about a database path, judged without SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnDisk {
    /// No file at the path.
    Absent,
    /// A zero-length file (SQLite treats it as an empty database).
    Empty,
    /// A file that starts with the SQLite header.
    Sqlite,
}

/// Looks at the first bytes of `path` with plain file I/O (never opening it for writing), so a
/// file that is not SQLite is refused before SQLite could touch it.
pub(crate) fn probe_file(path: &Path) -> Result<OnDisk, DbError> {
    let io_err = |action| {
        move |source| DbError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    };
    // Judge the kind of file before opening it: opening a FIFO blocks until a writer comes, and
    // a device is no place for a database.
    let kind = match std::fs::metadata(path) {
        Ok(meta) => meta.file_type(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(OnDisk::Absent),
        Err(e) => return Err(io_err("inspect the database file")(e)),
    };
    if let Some(found) = not_a_regular_file(kind) {
        return Err(DbError::NotSqlite {
            path: path.to_path_buf(),
            found: found.to_owned(),
        });
    }
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(OnDisk::Absent),
        Err(e) => return Err(io_err("open the database file")(e)),
    };
    let meta = file
        .metadata()
        .map_err(io_err("inspect the database file"))?;
    if let Some(found) = not_a_regular_file(meta.file_type()) {
        return Err(DbError::NotSqlite {
            path: path.to_path_buf(),
            found: found.to_owned(),
        });
    }
    let len = meta.len();
    if len == 0 {
        return Ok(OnDisk::Empty);
    }
    let mut head = Vec::with_capacity(SQLITE_MAGIC.len());
    file.by_ref()
        .take(SQLITE_MAGIC.len() as u64)
        .read_to_end(&mut head)
        .map_err(io_err("read the database header"))?;
    if head.as_slice() != SQLITE_MAGIC || len < SQLITE_HEADER_LEN {
        let shown: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
        let why = if head.as_slice() == SQLITE_MAGIC {
            "is shorter than an SQLite header"
        } else {
            "does not start with the SQLite header"
        };
        return Err(DbError::NotSqlite {
            path: path.to_path_buf(),
            found: format!(
                "a {len}-byte file that {why} (first bytes: {})",
                shown.join(" ")
            ),
        });
    }
    Ok(OnDisk::Sqlite)
}

/// What a file that is not a regular file is, for the message that refuses it; `None` for a
/// regular file.
fn not_a_regular_file(kind: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a directory")
    } else if kind.is_fifo() {
        Some("a FIFO (named pipe), not a regular file")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device, not a regular file")
    } else if kind.is_socket() {
        Some("a socket, not a regular file")
    } else {
        Some("not a regular file")
    }
}

/// What an SQLite connection found inside a file that passed [`probe_file`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contents {
    /// No schema objects and no application id: free to initialise.
    Blank,
    /// A losscape database of the current schema version with all its tables.
    Current,
    /// A losscape database of an older schema version (with all the tables of that version),
    /// which a writer upgrades with [`migrate`] and a reader reads as it is.
    Outdated(i64),
}

/// Decides whether the database behind `conn` is ours, using reads only.
///
/// Refuses (as an error naming the path and what was found) anything with a foreign
/// application id, with tables but no losscape `meta`, with a mismatched `format`, or with a
/// schema version newer than [`SCHEMA_VERSION`] (older versions are [`Contents::Outdated`]).
pub(crate) fn inspect(conn: &Connection, path: &Path) -> Result<Contents, DbError> {
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| unreadable(path, e))?;
    let names = table_names(conn, path)?;
    let objects: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| unreadable(path, e))?;

    if app_id == 0 && objects == 0 {
        return Ok(Contents::Blank);
    }
    let not_ours = |why: &str| DbError::NotOurs {
        path: path.to_path_buf(),
        found: format!("{} ({why})", describe(app_id, &names)),
    };
    if app_id != APPLICATION_ID {
        return Err(not_ours(&format!(
            "losscape databases have application_id {APPLICATION_ID:#010x}"
        )));
    }
    if !names.iter().any(|n| n == "meta") {
        return Err(not_ours("the losscape meta table is missing"));
    }
    let version = schema_version(conn, path, &not_ours)?;
    let later_tables: &[&str] = match version {
        1 => &[],
        2 => &["stationary_points"],
        _ => &["stationary_points", "datasets"],
    };
    if let Some(missing) = TABLES
        .iter()
        .chain(later_tables)
        .find(|t| !names.iter().any(|n| n == *t))
    {
        return Err(DbError::Corrupt {
            path: path.to_path_buf(),
            what: format!("schema version {version} but the {missing} table is missing"),
        });
    }
    if version < SCHEMA_VERSION {
        Ok(Contents::Outdated(version))
    } else {
        Ok(Contents::Current)
    }
}

/// The names of the database's own tables, sorted.
fn table_names(conn: &Connection, path: &Path) -> Result<Vec<String>, DbError> {
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .map_err(|e| unreadable(path, e))?;
    let rows = stmt
        .query_map([], |r| r.get(0))
        .map_err(|e| unreadable(path, e))?;
    rows.collect::<Result<_, _>>()
        .map_err(|e| unreadable(path, e))
}

/// What a foreign database looks like, for the error that refuses it.
fn describe(app_id: i32, names: &[String]) -> String {
    let tables = if names.is_empty() {
        "no tables".to_owned()
    } else {
        const SHOWN: usize = 8;
        let mut list = names
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if names.len() > SHOWN {
            list.push_str(&format!(", ... ({} tables)", names.len()));
        }
        format!("tables {list}")
    };
    format!("an SQLite database with application_id {app_id:#010x} and {tables}")
}

/// The schema version in `meta`, after checking the format entry; refuses a missing or
/// foreign format, a missing or unparsable version, one below 1 and one newer than ours.
fn schema_version(
    conn: &Connection,
    path: &Path,
    not_ours: &dyn Fn(&str) -> DbError,
) -> Result<i64, DbError> {
    let meta = |key: &str| -> Result<Option<String>, DbError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
            r.get::<_, String>(0)
        })
        .optional()
        .map_err(|e| not_ours(&format!("its meta table cannot be read: {e}")))
    };
    match meta("format")? {
        Some(f) if f == FORMAT => {}
        Some(f) => return Err(not_ours(&format!("meta format is {f:?}, not {FORMAT:?}"))),
        None => return Err(not_ours("meta has no format entry")),
    }
    let version_text =
        meta("schema_version")?.ok_or_else(|| not_ours("meta has no schema_version"))?;
    let version: i64 = version_text.trim().parse().map_err(|_| {
        not_ours(&format!(
            "meta schema_version {version_text:?} is not a number"
        ))
    })?;
    if version > SCHEMA_VERSION {
        return Err(DbError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < 1 {
        return Err(not_ours(&format!("unknown schema_version {version}")));
    }
    Ok(version)
}

/// Creates the current schema in a blank database. Must run inside a transaction.
pub(crate) fn initialise(conn: &Connection, path: &Path) -> Result<(), DbError> {
    conn.execute_batch(SCHEMA_V1).map_err(sql(path))?;
    conn.execute_batch(SCHEMA_V2).map_err(sql(path))?;
    conn.execute_batch(SCHEMA_V3).map_err(sql(path))?;
    conn.execute_batch(SCHEMA_V4).map_err(sql(path))?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('format', ?1), ('schema_version', ?2)",
        (FORMAT, SCHEMA_VERSION.to_string()),
    )
    .map_err(sql(path))?;
    // The application id lives in the file header, which SQLite journals like any page, so it
    // commits or rolls back together with the tables.
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(sql(path))?;
    Ok(())
}

/// Upgrades a database of schema version `from` (judged [`Contents::Outdated`] by [`inspect`])
/// to [`SCHEMA_VERSION`]: creates the tables added since and bumps `meta.schema_version`. Must
/// run inside the writer's opening transaction, so the upgrade is all or nothing.
pub(crate) fn migrate(conn: &Connection, path: &Path, from: i64) -> Result<(), DbError> {
    if from < 2 {
        conn.execute_batch(SCHEMA_V2).map_err(sql(path))?;
    }
    if from < 3 {
        conn.execute_batch(SCHEMA_V3).map_err(sql(path))?;
    }
    if from < 4 {
        conn.execute_batch(SCHEMA_V4).map_err(sql(path))?;
    }
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        [SCHEMA_VERSION.to_string()],
    )
    .map_err(sql(path))?;
    Ok(())
}

/// Whether the database behind `conn` has the `stationary_points` table (schema version 2 on).
pub(crate) fn has_stationary_points(conn: &Connection, path: &Path) -> Result<bool, DbError> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'stationary_points'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(sql(path))
}

/// Whether the database behind `conn` has the `datasets` table (schema version 3 on).
pub(crate) fn has_datasets(conn: &Connection, path: &Path) -> Result<bool, DbError> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'datasets'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(sql(path))
}

/// Whether the database behind `conn` has the `timings` table (schema version 4 on).
pub(crate) fn has_timings(conn: &Connection, path: &Path) -> Result<bool, DbError> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'timings'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(sql(path))
}

/// Maps an error from the very first reads of a file. SQLite reports a file whose header looks
/// right but whose contents do not (or that is encrypted) as "not a database".
fn unreadable(path: &Path, e: rusqlite::Error) -> DbError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
        DbError::NotSqlite {
            path: path.to_path_buf(),
            found: format!("a file with an SQLite header that SQLite cannot read ({e})"),
        }
    } else {
        DbError::Sqlite {
            path: path.to_path_buf(),
            source: e,
        }
    }
}
