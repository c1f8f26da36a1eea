//! Shards and merging: the databases written by the shards of one sweep (each with its own id
//! range, see [`Store::set_shard`]) are combined into one, every record kept with its id.
//!
//! Because the shards' ids are disjoint, a merge copies rows unchanged: the minima a transition
//! state joins, the runs a record came from and the keys of finished work (which name minima by
//! id) all stay valid, so the merged database can be read, reported and resumed like any other.
//! A row already present (same id) is updated to the part's version, so merging a part again,
//! or again after it was resumed, is harmless.

use std::path::Path;

use rusqlite::OptionalExtension;

use crate::error::{DbError, invalid, sql};
use crate::store::Store;

/// Width of one shard's id range: shard `i` numbers its rows from `(i + 1) << SHARD_ID_BITS`.
pub const SHARD_ID_BITS: u32 = 40;

/// Which shard of how many a database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index.
    pub index: u64,
    /// Number of shards of the sweep.
    pub count: u64,
}

impl Shard {
    /// The first id of this shard's range, less one.
    pub fn id_base(&self) -> i64 {
        ((self.index + 1) as i64) << SHARD_ID_BITS
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Tables in the order their rows are copied (parents before children).
const TABLES: [&str; 7] = [
    "runs",
    "datasets",
    "landscapes",
    "minima",
    "transition_states",
    "stationary_points",
    "attempts",
];

/// What one merge copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeCounts {
    /// Rows the part had, per table in copy order: runs, data sets, landscapes, minima,
    /// transition states, stationary points, attempts.
    pub rows: [usize; 7],
    /// Of those, rows new to the merged database.
    pub new_rows: [usize; 7],
}

impl Store {
    /// The shard this database holds (`meta.shard`), if it is one.
    pub fn shard(&self) -> Result<Option<Shard>, DbError> {
        let text = self.meta("shard")?;
        let Some(text) = text else { return Ok(None) };
        let parsed = text
            .split_once('/')
            .and_then(|(i, n)| Some((i.parse().ok()?, n.parse().ok()?)));
        match parsed {
            Some((index, count)) => Ok(Some(Shard { index, count })),
            None => Err(crate::error::corrupt(
                self.path(),
                format!("meta shard {text:?} is not INDEX/COUNT"),
            )),
        }
    }

    /// Marks this database as shard `shard` of a sweep and gives its rows the shard's id range.
    /// A database is one shard for its whole life: another shard spec, or making a database
    /// that already holds records (outside a shard) a shard, is refused.
    pub fn set_shard(&mut self, shard: Shard) -> Result<(), DbError> {
        match self.shard()? {
            Some(existing) if existing == shard => return Ok(()),
            Some(existing) => {
                return Err(invalid(
                    self.path(),
                    format!("it holds shard {existing} of a sweep, not shard {shard}"),
                ));
            }
            None => {}
        }
        if !self.runs()?.is_empty() {
            return Err(invalid(
                self.path(),
                format!(
                    "it already holds runs that are not shard {shard}; a shard needs a database of its own"
                ),
            ));
        }
        self.set_meta("shard", &shard.to_string())?;
        self.set_id_base(shard.id_base())
    }

    /// Checks that this database, a shard, holds what its label says and nothing dangling:
    /// every row's id lies in the id range of its `meta.shard` (a label edited by hand, or a
    /// file of one shard renamed to another, would otherwise merge as the wrong shard), and
    /// every reference (a transition state's minima, a record's run) names a stored row.
    /// Returns the shard. Errors name this file, so a merge says which part is at fault.
    pub fn check_shard_contents(&self) -> Result<Shard, DbError> {
        let path = self.path();
        let shard = self.shard()?.ok_or_else(|| {
            invalid(
                path,
                "it is not a shard of a sweep (written by `losscape run --shard I/N`)",
            )
        })?;
        if shard.count == 0 || shard.index >= shard.count {
            return Err(crate::error::corrupt(
                path,
                format!(
                    "meta shard {shard} names no shard of a {}-way split",
                    shard.count
                ),
            ));
        }
        let (low, high) = (shard.id_base(), shard.id_base() + (1 << SHARD_ID_BITS));
        self.with_connection_ref(|conn| {
            // The data set is one row with a fixed id in every database (a merge checks it by
            // its hash); every other table numbers its rows in the shard's range.
            for table in TABLES.iter().filter(|t| **t != "datasets") {
                let (min, max): (Option<i64>, Option<i64>) = conn
                    .query_row(&format!("SELECT min(id), max(id) FROM {table}"), [], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .map_err(sql(path))?;
                if let (Some(min), Some(max)) = (min, max)
                    && (min <= low || max > high)
                {
                    let owner = (min >> SHARD_ID_BITS) - 1;
                    return Err(crate::error::corrupt(
                        path,
                        format!(
                            "meta shard says {shard}, but its {table} have ids {min}..={max}, \
                             outside that shard's range ({low}, {high}] (they look like shard \
                             {owner}'s); was the label or the file changed?"
                        ),
                    ));
                }
            }
            let dangling: Option<(String, i64, String)> = conn
                .query_row("PRAGMA foreign_key_check", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
                .map_err(sql(path))?;
            if let Some((table, row, parent)) = dangling {
                return Err(crate::error::corrupt(
                    path,
                    format!(
                        "row {row} of {table} refers to a row of {parent} that is not stored \
                         (the part is damaged; run its shard again)"
                    ),
                ));
            }
            Ok(())
        })?;
        Ok(shard)
    }

    /// Copies every record of the shard database `part` into this one, ids unchanged, in one
    /// transaction (a killed merge leaves this database as it was before the part). Rows
    /// already present are updated to the part's version. The caller checks that the part
    /// belongs to the same experiment; this checks that it is a shard, that it is not this
    /// database's own kind of shard, and that its landscapes mean the same here.
    pub fn merge_shard(&mut self, part: &Path) -> Result<MergeCounts, DbError> {
        let shard = self.check_part(part)?;
        let id_base = self
            .id_base()
            .max((shard.count as i64 + 1) << SHARD_ID_BITS);
        let path = self.path().to_path_buf();
        let part_text = part
            .to_str()
            .ok_or_else(|| invalid(part, "the path of a part must be valid UTF-8 to attach it"))?;
        let counts = self.with_connection(|conn| {
            conn.execute("ATTACH DATABASE ?1 AS part", [part_text])
                .map_err(sql(&path))?;
            let result = (|| {
                let tx = conn.unchecked_transaction().map_err(sql(&path))?;
                let mut counts = MergeCounts::default();
                for (t, table) in TABLES.iter().enumerate() {
                    (counts.rows[t], counts.new_rows[t]) = copy_table(&tx, &path, table)?;
                }
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('id_base', ?1) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [id_base.to_string()],
                )
                .map_err(sql(&path))?;
                tx.commit().map_err(sql(&path))?;
                Ok(counts)
            })();
            let detached = conn.execute("DETACH DATABASE part", []).map_err(sql(&path));
            let counts = result?;
            detached?;
            Ok(counts)
        })?;
        self.refresh_id_base()?;
        Ok(counts)
    }

    /// Checks that `part` is a shard whose landscapes and data set agree with this database;
    /// returns its shard.
    fn check_part(&self, part: &Path) -> Result<Shard, DbError> {
        let reader = Store::open_read_only(part)?;
        let shard = reader.check_shard_contents()?;
        for l in reader.landscapes()? {
            // Same key, same meaning (the store refuses a key reused with other parameters).
            if let Some(mine) = self.landscape_by_key(&l.key)?
                && mine.id != l.id
            {
                return Err(invalid(
                    part,
                    format!(
                        "its landscape {} (id {}) is already stored here as id {}: the part overlaps another shard",
                        l.key, l.id, mine.id
                    ),
                ));
            }
        }
        // One data set: the part's copy must be the one already merged, if any.
        if let (Some((theirs, _)), Some((mine, _))) = (reader.dataset()?, self.dataset()?)
            && theirs.sha256 != mine.sha256
        {
            return Err(invalid(
                part,
                format!(
                    "its data set (sha256 {}) is not the one already merged (sha256 {})",
                    theirs.sha256, mine.sha256
                ),
            ));
        }
        Ok(shard)
    }

    /// A `meta` value.
    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>, DbError> {
        self.with_connection_ref(|conn| {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(sql(self.path()))
        })
    }

    pub(crate) fn set_meta(&mut self, key: &str, value: &str) -> Result<(), DbError> {
        self.write(|b| b.set_meta(key, value))
    }
}

/// Upserts every row of the attached `part.{table}` into `main.{table}`, ids unchanged;
/// returns (rows in the part, rows new here).
fn copy_table(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
    table: &str,
) -> Result<(usize, usize), DbError> {
    let columns: Vec<String> = {
        let mut stmt = tx
            .prepare(&format!("PRAGMA main.table_info({table})"))
            .map_err(sql(path))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(1))
            .map_err(sql(path))?;
        rows.collect::<Result<_, _>>().map_err(sql(path))?
    };
    let list = columns.join(", ");
    let updates: Vec<String> = columns
        .iter()
        .filter(|c| *c != "id")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let rows = tx
        .query_row(&format!("SELECT count(*) FROM part.{table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(sql(path))? as usize;
    let new_rows = tx
        .query_row(
            &format!(
                "SELECT count(*) FROM part.{table} \
                 WHERE id NOT IN (SELECT id FROM main.{table})"
            ),
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(sql(path))? as usize;
    // `WHERE true` lets SQLite parse the upsert after a SELECT.
    tx.execute(
        &format!(
            "INSERT INTO main.{table} ({list}) SELECT {list} FROM part.{table} \
             WHERE true ON CONFLICT (id) DO UPDATE SET {}",
            updates.join(", ")
        ),
        [],
    )
    .map_err(sql(path))?;
    Ok((rows, new_rows))
}
