//! PATHSAMPLE exchange files (docs/model.md, "PATHSAMPLE files"), so disconnectionDPS, PyGT and pele can read our
//! networks and we can read theirs.
//!
//! - `min.data`: one line per minimum, `E fvib pgorder Ix Iy Iz`, Fortran `(2F20.10,I6,3F20.10)`;
//!   the 1-based line number is the minimum's id in the other files.
//! - `ts.data`: one line per transition state, `E fvib pgorder min1 min2 Ix Iy Iz`, Fortran
//!   `(2F20.10,3I10,3F20.10)`; a degenerate rearrangement has `min1 == min2`.
//! - `points.min`, `points.ts`: the coordinates, raw native-endian `f64`, one record of `P`
//!   values per line of the matching `.data` file, no header.
//!
//! `pgorder` is the point's symmetry number, the order of its stabiliser in the network's
//! symmetry group (the Morse census's `|Stab(x)|`, see [`crate::census::point_group_order`]):
//! PATHSAMPLE and PyGT divide a point's partition function by it, so a symmetric minimum such as
//! w = 0 (stabiliser 16 at N_h = 2) weighs 1/16 of a generic one. The moments of inertia have no
//! meaning for a network and are written as 1.
//! Reading accepts whitespace-separated fields (as other tools write them) and falls back to the
//! fixed Fortran field widths, where wide numbers run into each other without a space.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::{MinimumInfo, TsInfo};

/// File names inside a PATHSAMPLE directory.
pub const MIN_DATA: &str = "min.data";
/// Transition-state list.
pub const TS_DATA: &str = "ts.data";
/// Minimum coordinates.
pub const POINTS_MIN: &str = "points.min";
/// Transition-state coordinates.
pub const POINTS_TS: &str = "points.ts";

/// Width of an `F20.10` field.
const F_WIDTH: usize = 20;

/// Why PATHSAMPLE files could not be read.
#[derive(Debug, Error)]
pub enum PathsampleError {
    /// A file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The record length `P` was zero.
    #[error("the coordinate dimension must be positive")]
    ZeroDimension,
    /// A line is not valid UTF-8 text.
    #[error("{file} line {line}: not valid text")]
    NotText {
        /// File name.
        file: &'static str,
        /// 1-based line number.
        line: usize,
    },
    /// A line has the wrong number of fields.
    #[error("{file} line {line}: expected {expected} columns, found {found}")]
    ColumnCount {
        /// File name.
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// Columns the format has.
        expected: usize,
        /// Columns found (whitespace-separated).
        found: usize,
    },
    /// A field is not a number of the right kind.
    #[error("{file} line {line} column {column}: cannot parse {text:?} as {what}")]
    BadNumber {
        /// File name.
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The field's text.
        text: String,
        /// "a real number" or "an integer".
        what: &'static str,
    },
    /// A transition state names a minimum beyond the end of `min.data`.
    #[error("{file} line {line}: minimum index {index} out of range 1..={n_minima}")]
    MinimumOutOfRange {
        /// File name.
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// The index found.
        index: i64,
        /// Number of minima in `min.data`.
        n_minima: usize,
    },
    /// A points file's length is not a whole number of records.
    #[error("{file}: {bytes} bytes is not a multiple of the record size {record} (8 x {dim})")]
    PartialRecord {
        /// File name.
        file: &'static str,
        /// File length.
        bytes: usize,
        /// Record size in bytes.
        record: usize,
        /// Coordinates per record.
        dim: usize,
    },
    /// A points file holds a different number of records than its `.data` file has lines.
    #[error("{file}: {records} records but {data_file} has {lines} lines")]
    RecordCount {
        /// The points file.
        file: &'static str,
        /// Records found.
        records: usize,
        /// The matching data file.
        data_file: &'static str,
        /// Its line count.
        lines: usize,
    },
}

/// Endpoint sets (PATHSAMPLE's reactant and product communities).
pub const MIN_A: &str = "min.A";
/// Product set.
pub const MIN_B: &str = "min.B";
/// Our map from file line numbers to database ids (not read by other tools).
pub const IDS_CSV: &str = "ids.csv";

/// The contents of one PATHSAMPLE export, built in memory so nothing is written unless every
/// value is valid (writing is the caller's business).
#[derive(Debug, Clone, PartialEq)]
pub struct PathsampleFiles {
    /// `min.data`.
    pub min_data: String,
    /// `ts.data`.
    pub ts_data: String,
    /// `points.min`.
    pub points_min: Vec<u8>,
    /// `points.ts`.
    pub points_ts: Vec<u8>,
    /// `ids.csv`: `file,line,database_id` for every line of `min.data` and `ts.data`.
    pub ids_csv: String,
    /// The 1-based `min.data` line of each minimum id, in file order.
    pub line_of: Vec<(i64, usize)>,
}

/// The point-group order (symmetry number) of every point of an export, in the order of the
/// minima and of the transition states.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PointGroupOrders {
    /// One per minimum (line of `min.data`).
    pub minima: Vec<u64>,
    /// One per transition state (line of `ts.data`).
    pub ts: Vec<u64>,
}

/// Formats the four PATHSAMPLE files and the id map.
///
/// Transition states refer to minima by id; the files use 1-based positions in `minima`, and a
/// degenerate transition state is written with `min2 = min1`. Fails with
/// [`io::ErrorKind::InvalidInput`] if a transition state names an unknown minimum, a value is not
/// finite or does not fit the 20-character Fortran field, coordinate vectors differ in length,
/// or `orders` does not hold one order of at least 1 per point.
pub fn format_pathsample(
    minima: &[MinimumInfo],
    ts: &[TsInfo],
    orders: &PointGroupOrders,
) -> io::Result<PathsampleFiles> {
    if orders.minima.len() != minima.len() || orders.ts.len() != ts.len() {
        return Err(invalid(format!(
            "{} minima and {} transition states but {} and {} point-group orders",
            minima.len(),
            ts.len(),
            orders.minima.len(),
            orders.ts.len()
        )));
    }
    let (min_data, ts_data, points_min, points_ts) = format_parts(minima, ts, orders)?;
    let mut ids_csv = String::from("file,line,database_id\n");
    for (i, m) in minima.iter().enumerate() {
        let _ = writeln!(ids_csv, "{MIN_DATA},{},{}", i + 1, m.id);
    }
    for (i, t) in ts.iter().enumerate() {
        let _ = writeln!(ids_csv, "{TS_DATA},{},{}", i + 1, t.id);
    }
    Ok(PathsampleFiles {
        min_data,
        ts_data,
        points_min,
        points_ts,
        ids_csv,
        line_of: minima
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id, i + 1))
            .collect(),
    })
}

/// A `min.A` / `min.B` file: the number of minima, then their 1-based `min.data` line numbers,
/// one a line (the layout PATHSAMPLE and PyGT read).
pub fn endpoints_file(lines: &[usize]) -> String {
    let mut out = format!("{}\n", lines.len());
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
    out
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// The four files' contents.
fn format_parts(
    minima: &[MinimumInfo],
    ts: &[TsInfo],
    orders: &PointGroupOrders,
) -> io::Result<(String, String, Vec<u8>, Vec<u8>)> {
    let dim = minima
        .first()
        .map(|m| m.coords.len())
        .or_else(|| ts.first().map(|t| t.coords.len()));
    let mut index = std::collections::HashMap::with_capacity(minima.len());
    let mut min_text = String::with_capacity(minima.len() * 110);
    let mut points_min = Vec::with_capacity(minima.len() * dim.unwrap_or(0) * 8);
    for ((i, m), &order) in minima.iter().enumerate().zip(&orders.minima) {
        if index.insert(m.id, i + 1).is_some() {
            return Err(invalid(format!(
                "minimum id {} appears more than once",
                m.id
            )));
        }
        let what = || format!("minimum {}", m.id);
        push_f20(&mut min_text, m.energy, &what)?;
        push_f20(&mut min_text, m.ln_prod_positive, &what)?;
        push_order(&mut min_text, order, 6, &what)?;
        for _ in 0..3 {
            push_f20(&mut min_text, 1.0, &what)?;
        }
        min_text.push('\n');
        push_points(&mut points_min, &m.coords, dim, &what)?;
    }
    let mut ts_text = String::with_capacity(ts.len() * 135);
    let mut points_ts = Vec::with_capacity(ts.len() * dim.unwrap_or(0) * 8);
    for (t, &order) in ts.iter().zip(&orders.ts) {
        let what = || format!("transition state {}", t.id);
        let find = |id: i64| {
            index.get(&id).copied().ok_or_else(|| {
                invalid(format!(
                    "transition state {} connects unknown minimum {id}",
                    t.id
                ))
            })
        };
        let a = find(t.min1)?;
        let b = if t.degenerate { a } else { find(t.min2)? };
        push_f20(&mut ts_text, t.energy, &what)?;
        push_f20(&mut ts_text, t.ln_prod_positive, &what)?;
        push_order(&mut ts_text, order, 10, &what)?;
        let _ = write!(ts_text, "{a:>10}{b:>10}");
        for _ in 0..3 {
            push_f20(&mut ts_text, 1.0, &what)?;
        }
        ts_text.push('\n');
        push_points(&mut points_ts, &t.coords, dim, &what)?;
    }
    Ok((min_text, ts_text, points_min, points_ts))
}

/// Appends a point-group order as a Fortran integer field of `width` characters.
fn push_order(
    out: &mut String,
    order: u64,
    width: usize,
    what: &dyn Fn() -> String,
) -> io::Result<()> {
    let s = order.to_string();
    if order == 0 || s.len() >= width {
        return Err(invalid(format!(
            "{}: point-group order {order} is not a positive integer of at most {} digits",
            what(),
            width - 1
        )));
    }
    let _ = write!(out, "{s:>width$}");
    Ok(())
}

/// Appends `v` as Fortran `F20.10`.
fn push_f20(out: &mut String, v: f64, what: &dyn Fn() -> String) -> io::Result<()> {
    if !v.is_finite() {
        return Err(invalid(format!("{}: value {v} is not finite", what())));
    }
    let s = format!("{v:.10}");
    // Rust prints "-0.0000000000" for tiny negatives, as Fortran does; only the width matters.
    if s.len() > F_WIDTH {
        return Err(invalid(format!(
            "{}: value {v} does not fit an F20.10 field",
            what()
        )));
    }
    let _ = write!(out, "{s:>20}");
    Ok(())
}

fn push_points(
    out: &mut Vec<u8>,
    coords: &[f64],
    dim: Option<usize>,
    what: &dyn Fn() -> String,
) -> io::Result<()> {
    if Some(coords.len()) != dim {
        return Err(invalid(format!(
            "{}: {} coordinates, expected {}",
            what(),
            coords.len(),
            dim.unwrap_or(0)
        )));
    }
    for c in coords {
        out.extend_from_slice(&c.to_ne_bytes());
    }
    Ok(())
}

/// Reads the four PATHSAMPLE files from `dir`, with `dim` coordinates per record.
///
/// Ids are the 1-based line numbers; accuracy is unknown (`NaN`); minima get Hessian index 0;
/// a transition state with `min1 == min2` is marked degenerate. The point-group orders are
/// dropped; [`read_pathsample_with_orders`] returns them too.
pub fn read_pathsample(
    dir: &Path,
    dim: usize,
) -> Result<(Vec<MinimumInfo>, Vec<TsInfo>), PathsampleError> {
    read_pathsample_with_orders(dir, dim).map(|(m, t, _)| (m, t))
}

/// [`read_pathsample`] and the point-group order of every line of `min.data` and `ts.data`.
pub fn read_pathsample_with_orders(
    dir: &Path,
    dim: usize,
) -> Result<(Vec<MinimumInfo>, Vec<TsInfo>, PointGroupOrders), PathsampleError> {
    if dim == 0 {
        return Err(PathsampleError::ZeroDimension);
    }
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|source| PathsampleError::Io { path, source })
    };
    let min_rows = parse_min_data(&read(MIN_DATA)?)?;
    let ts_rows = parse_ts_data(&read(TS_DATA)?, min_rows.len())?;
    let min_points = parse_points(
        &read(POINTS_MIN)?,
        dim,
        POINTS_MIN,
        MIN_DATA,
        min_rows.len(),
    )?;
    let ts_points = parse_points(&read(POINTS_TS)?, dim, POINTS_TS, TS_DATA, ts_rows.len())?;
    let orders = PointGroupOrders {
        minima: min_rows.iter().map(|r| r.order).collect(),
        ts: ts_rows.iter().map(|r| r.order).collect(),
    };
    let minima = min_rows
        .into_iter()
        .zip(min_points)
        .enumerate()
        .map(|(i, (MinRow { energy, fvib, .. }, coords))| MinimumInfo {
            id: i as i64 + 1,
            energy,
            accuracy: f64::NAN,
            coords,
            ln_prod_positive: fvib,
            hessian_index: 0,
        })
        .collect();
    let ts = ts_rows
        .into_iter()
        .zip(ts_points)
        .enumerate()
        .map(|(i, (row, coords))| TsInfo {
            id: i as i64 + 1,
            energy: row.energy,
            accuracy: f64::NAN,
            coords,
            ln_prod_positive: row.fvib,
            min1: row.min1,
            min2: row.min2,
            degenerate: row.min1 == row.min2,
        })
        .collect();
    Ok((minima, ts, orders))
}

/// The kind of a field in a fixed-format record.
#[derive(Clone, Copy)]
enum Field {
    Real,
    Int(usize),
}

impl Field {
    fn width(self) -> usize {
        match self {
            Field::Real => F_WIDTH,
            Field::Int(w) => w,
        }
    }
}

const MIN_FORMAT: [Field; 6] = [
    Field::Real,
    Field::Real,
    Field::Int(6),
    Field::Real,
    Field::Real,
    Field::Real,
];
const TS_FORMAT: [Field; 8] = [
    Field::Real,
    Field::Real,
    Field::Int(10),
    Field::Int(10),
    Field::Int(10),
    Field::Real,
    Field::Real,
    Field::Real,
];

/// Parsed values of one record: reals as `f64`, integers as `i64`, in order.
enum Value {
    Real(f64),
    Int(i64),
}

/// Splits the data lines of `bytes`: trailing blank lines are dropped, any other blank line is a
/// record with no columns (an error for the caller to report with its line number).
fn data_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    while lines
        .last()
        .is_some_and(|l| l.iter().all(u8::is_ascii_whitespace))
    {
        lines.pop();
    }
    lines
}

/// Parses one record, by whitespace first and by fixed Fortran widths when fields ran together.
fn parse_record(
    raw: &[u8],
    format: &[Field],
    file: &'static str,
    line: usize,
) -> Result<Vec<Value>, PathsampleError> {
    let text = std::str::from_utf8(raw).map_err(|_| PathsampleError::NotText { file, line })?;
    let text = text.strip_suffix('\r').unwrap_or(text);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let fields = if fields.len() == format.len() {
        fields
    } else {
        let total: usize = format.iter().map(|f| f.width()).sum();
        let fixed =
            (text.is_ascii() && text.trim_end().len() <= total && text.len() >= total - F_WIDTH)
                .then(|| {
                    let mut at = 0;
                    format
                        .iter()
                        .map(|f| {
                            let end = (at + f.width()).min(text.len());
                            let s = text.get(at.min(end)..end).unwrap_or("").trim();
                            at += f.width();
                            s
                        })
                        .collect::<Vec<&str>>()
                })
                .filter(|v| {
                    v.iter()
                        .all(|s| !s.is_empty() && !s.contains(char::is_whitespace))
                });
        match fixed {
            Some(v) => v,
            None => {
                return Err(PathsampleError::ColumnCount {
                    file,
                    line,
                    expected: format.len(),
                    found: fields.len(),
                });
            }
        }
    };
    fields
        .iter()
        .zip(format)
        .enumerate()
        .map(|(j, (s, f))| {
            let bad = |what| PathsampleError::BadNumber {
                file,
                line,
                column: j + 1,
                text: (*s).to_string(),
                what,
            };
            match f {
                Field::Real => parse_real(s)
                    .map(Value::Real)
                    .ok_or_else(|| bad("a real number")),
                Field::Int(_) => s
                    .parse::<i64>()
                    .map(Value::Int)
                    .map_err(|_| bad("an integer")),
            }
        })
        .collect()
}

/// Parses a Fortran real: also accepts `D` exponents; rejects NaN and infinities.
fn parse_real(s: &str) -> Option<f64> {
    let v: f64 = if s.contains(['d', 'D']) {
        s.replace(['d', 'D'], "e").parse().ok()?
    } else {
        s.parse().ok()?
    };
    v.is_finite().then_some(v)
}

fn real(v: &Value) -> f64 {
    match v {
        Value::Real(x) => *x,
        Value::Int(i) => *i as f64,
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Real(x) => *x as i64,
    }
}

#[derive(Debug)]
struct MinRow {
    energy: f64,
    fvib: f64,
    order: u64,
}

/// A point-group order as read: a positive integer, or the line is refused.
fn order_field(
    v: &Value,
    file: &'static str,
    line: usize,
    column: usize,
) -> Result<u64, PathsampleError> {
    let i = int(v);
    u64::try_from(i)
        .ok()
        .filter(|&o| o >= 1)
        .ok_or(PathsampleError::BadNumber {
            file,
            line,
            column,
            text: i.to_string(),
            what: "a point-group order (an integer >= 1)",
        })
}

/// `(energy, fvib, point-group order)` per line of `min.data`.
fn parse_min_data(bytes: &[u8]) -> Result<Vec<MinRow>, PathsampleError> {
    data_lines(bytes)
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let v = parse_record(raw, &MIN_FORMAT, MIN_DATA, i + 1)?;
            Ok(MinRow {
                energy: real(&v[0]),
                fvib: real(&v[1]),
                order: order_field(&v[2], MIN_DATA, i + 1, 3)?,
            })
        })
        .collect()
}

#[derive(Debug)]
struct TsRow {
    energy: f64,
    fvib: f64,
    order: u64,
    min1: i64,
    min2: i64,
}

fn parse_ts_data(bytes: &[u8], n_minima: usize) -> Result<Vec<TsRow>, PathsampleError> {
    data_lines(bytes)
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let line = i + 1;
            let v = parse_record(raw, &TS_FORMAT, TS_DATA, line)?;
            let check = |index: i64| {
                if index >= 1 && (index as u64) <= n_minima as u64 {
                    Ok(index)
                } else {
                    Err(PathsampleError::MinimumOutOfRange {
                        file: TS_DATA,
                        line,
                        index,
                        n_minima,
                    })
                }
            };
            Ok(TsRow {
                energy: real(&v[0]),
                fvib: real(&v[1]),
                order: order_field(&v[2], TS_DATA, line, 3)?,
                min1: check(int(&v[3]))?,
                min2: check(int(&v[4]))?,
            })
        })
        .collect()
}

fn parse_points(
    bytes: &[u8],
    dim: usize,
    file: &'static str,
    data_file: &'static str,
    lines: usize,
) -> Result<Vec<Vec<f64>>, PathsampleError> {
    let record = dim.checked_mul(8).ok_or(PathsampleError::ZeroDimension)?;
    if !bytes.len().is_multiple_of(record) {
        return Err(PathsampleError::PartialRecord {
            file,
            bytes: bytes.len(),
            record,
            dim,
        });
    }
    let records = bytes.len() / record;
    if records != lines {
        return Err(PathsampleError::RecordCount {
            file,
            records,
            data_file,
            lines,
        });
    }
    Ok(bytes
        .chunks_exact(record)
        .map(|r| {
            r.chunks_exact(8)
                .map(|b| f64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> (Vec<MinimumInfo>, Vec<TsInfo>) {
        let minima: Vec<MinimumInfo> = (0..4)
            .map(|i| MinimumInfo {
                id: 100 + i,
                energy: 0.1 * i as f64 - 1.0 / 3.0,
                accuracy: 1.0,
                coords: (0..7)
                    .map(|k| (i * 7 + k) as f64 * std::f64::consts::PI - 1e-300)
                    .collect(),
                ln_prod_positive: -12.345678901234 + i as f64,
                hessian_index: 0,
            })
            .collect();
        let ts = vec![
            TsInfo {
                id: 7,
                energy: 0.5,
                accuracy: 0.75,
                coords: vec![f64::MIN_POSITIVE; 7],
                ln_prod_positive: 3.25,
                min1: 100,
                min2: 103,
                degenerate: false,
            },
            TsInfo {
                id: 8,
                energy: 123456.789,
                accuracy: 0.5,
                coords: vec![-0.0; 7],
                ln_prod_positive: -1e-12,
                min1: 102,
                min2: 102,
                degenerate: true,
            },
        ];
        (minima, ts)
    }

    /// Orders 1, 2, 3, ... for the minima and 10, 20, ... for the transition states, so a
    /// reader that mixes up lines or columns is caught.
    fn orders(minima: &[MinimumInfo], ts: &[TsInfo]) -> PointGroupOrders {
        PointGroupOrders {
            minima: (1..=minima.len() as u64).collect(),
            ts: (1..=ts.len() as u64).map(|k| 10 * k).collect(),
        }
    }

    /// Writes the four files as an export would (the report crate writes them atomically).
    fn write_pathsample(dir: &Path, minima: &[MinimumInfo], ts: &[TsInfo]) -> io::Result<()> {
        let f = format_pathsample(minima, ts, &orders(minima, ts))?;
        std::fs::write(dir.join(MIN_DATA), f.min_data)?;
        std::fs::write(dir.join(TS_DATA), f.ts_data)?;
        std::fs::write(dir.join(POINTS_MIN), f.points_min)?;
        std::fs::write(dir.join(POINTS_TS), f.points_ts)
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let (minima, ts) = sample();
        write_pathsample(dir.path(), &minima, &ts).unwrap();
        let text = std::fs::read_to_string(dir.path().join(MIN_DATA)).unwrap();
        let first = text.lines().next().unwrap();
        // (2F20.10,I6,3F20.10): 20 + 20 + 6 + 60 characters.
        assert_eq!(first.len(), 106);
        assert_eq!(&first[..20], "       -0.3333333333");
        assert_eq!(&first[40..46], "     1");
        let ts_text = std::fs::read_to_string(dir.path().join(TS_DATA)).unwrap();
        let first = ts_text.lines().next().unwrap();
        assert_eq!(first.len(), 130);
        assert_eq!(&first[40..70], "        10         1         4");

        let (m2, t2, o2) = read_pathsample_with_orders(dir.path(), 7).unwrap();
        assert_eq!(o2, orders(&minima, &ts));
        assert_eq!(m2.len(), 4);
        for (i, (a, b)) in minima.iter().zip(&m2).enumerate() {
            assert_eq!(b.id, i as i64 + 1);
            assert!((a.energy - b.energy).abs() <= 1e-10);
            assert!((a.ln_prod_positive - b.ln_prod_positive).abs() <= 1e-10);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a.coords), bits(&b.coords));
        }
        let pos = |id: i64| minima.iter().position(|m| m.id == id).unwrap() as i64 + 1;
        for (a, b) in ts.iter().zip(&t2) {
            assert!((a.energy - b.energy).abs() <= 1e-10);
            assert_eq!((b.min1, b.min2), (pos(a.min1), pos(a.min2)));
            assert_eq!(a.degenerate, b.degenerate);
            assert_eq!(
                a.coords.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                b.coords.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn write_rejects_unrepresentable_input() {
        let dir = tempfile::tempdir().unwrap();
        let (mut minima, mut ts) = sample();
        ts[0].min2 = 999;
        assert_eq!(
            write_pathsample(dir.path(), &minima, &ts)
                .unwrap_err()
                .kind(),
            io::ErrorKind::InvalidInput
        );
        ts[0].min2 = 100;
        minima[1].energy = 1e12;
        assert!(write_pathsample(dir.path(), &minima, &ts).is_err());
        minima[1].energy = f64::NAN;
        assert!(write_pathsample(dir.path(), &minima, &ts).is_err());
        minima[1].energy = 0.0;
        minima[1].coords.pop();
        assert!(write_pathsample(dir.path(), &minima, &ts).is_err());
        minima[1].coords.push(0.0);
        // Orders: one per point, positive, and within the integer field.
        let (minima, ts) = sample();
        let mut o = orders(&minima, &ts);
        assert!(format_pathsample(&minima, &ts, &o).is_ok());
        o.ts.pop();
        assert!(format_pathsample(&minima, &ts, &o).is_err());
        let mut o = orders(&minima, &ts);
        o.minima[0] = 0;
        assert!(format_pathsample(&minima, &ts, &o).is_err());
        o.minima[0] = 100_000; // six digits do not fit I6 with a separating space
        assert!(format_pathsample(&minima, &ts, &o).is_err());
        o.minima[0] = 99_999;
        assert!(format_pathsample(&minima, &ts, &o).is_ok());
    }

    #[test]
    fn wide_fields_that_run_together_are_read_by_width() {
        // A 20-character energy leaves no space before the next field.
        let line = format!(
            "{:>20}{:>20}{:>6}{:>20}{:>20}{:>20}\n",
            "123456789.0123456789", "-1.5000000000", 1, "1.0", "1.0", "1.0"
        );
        let rows = parse_min_data(line.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        assert!((rows[0].energy - 123_456_789.012_345_67).abs() < 1e-6);
        assert_eq!(rows[0].fvib, -1.5);
        // Free-format lines with single spaces (as pele writes) also parse.
        let rows = parse_min_data(b"0.5 -2.0 16 1.0 1.0 1.0\n\n").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].energy, rows[0].fvib, rows[0].order),
            (0.5, -2.0, 16)
        );
        let ts = parse_ts_data(b"0.7 1.0D0 2 1 2 1 1 1\n", 2).unwrap();
        assert_eq!(
            (ts[0].fvib, ts[0].order, ts[0].min1, ts[0].min2),
            (1.0, 2, 1, 2)
        );
        // An order of 0 has no meaning as a symmetry number.
        assert!(matches!(
            parse_min_data(b"0.5 -2.0 0 1.0 1.0 1.0\n").unwrap_err(),
            PathsampleError::BadNumber { column: 3, .. }
        ));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let err = parse_min_data(b"0.5 -2.0 1 1.0 1.0 1.0\n0.5 -2.0 1 1.0\n").unwrap_err();
        assert!(matches!(
            err,
            PathsampleError::ColumnCount {
                file: MIN_DATA,
                line: 2,
                expected: 6,
                found: 4
            }
        ));
        assert_eq!(
            err.to_string(),
            "min.data line 2: expected 6 columns, found 4"
        );
        let err = parse_ts_data(b"0.7 1.0 1 1 3 1 1 1\n", 2).unwrap_err();
        assert!(matches!(
            err,
            PathsampleError::MinimumOutOfRange {
                file: TS_DATA,
                line: 1,
                index: 3,
                n_minima: 2
            }
        ));
        let err = parse_ts_data(b"0.7 1.0 1 1 0 1 1 1\n", 2).unwrap_err();
        assert!(matches!(
            err,
            PathsampleError::MinimumOutOfRange { index: 0, .. }
        ));
        let err = parse_min_data(b"0.5 x 1 1.0 1.0 1.0\n").unwrap_err();
        assert!(matches!(
            err,
            PathsampleError::BadNumber {
                line: 1,
                column: 2,
                ..
            }
        ));
        let err = parse_points(&[0u8; 20], 2, POINTS_MIN, MIN_DATA, 1).unwrap_err();
        assert!(matches!(
            err,
            PathsampleError::PartialRecord {
                bytes: 20,
                record: 16,
                ..
            }
        ));
        let err = parse_points(&[0u8; 32], 2, POINTS_TS, TS_DATA, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "points.ts: 2 records but ts.data has 1 lines"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = read_pathsample(dir.path(), 3).unwrap_err();
        assert!(err.to_string().contains("min.data"));
        assert!(matches!(
            read_pathsample(dir.path(), 0),
            Err(PathsampleError::ZeroDimension)
        ));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(
            min in proptest::collection::vec(any::<u8>(), 0..300),
            ts in proptest::collection::vec(any::<u8>(), 0..300),
            pts in proptest::collection::vec(any::<u8>(), 0..64),
            dim in 1usize..4,
        ) {
            if let Ok(rows) = parse_min_data(&min) {
                let _ = parse_ts_data(&ts, rows.len());
            }
            let _ = parse_ts_data(&ts, 3);
            let _ = parse_points(&pts, dim, POINTS_MIN, MIN_DATA, 2);
        }

        #[test]
        fn mutated_valid_text_never_panics(
            pos in 0usize..400,
            byte in any::<u8>(),
            cut in 0usize..400,
        ) {
            let (minima, ts) = sample();
            let f = format_pathsample(&minima, &ts, &orders(&minima, &ts)).unwrap();
            let (m, t) = (f.min_data, f.ts_data);
            for text in [m, t] {
                let mut bytes = text.into_bytes();
                if !bytes.is_empty() {
                    let p = pos % bytes.len();
                    bytes[p] = byte;
                    bytes.truncate(cut.max(1));
                }
                if let Ok(rows) = parse_min_data(&bytes) {
                    prop_assert!(rows.iter().all(|r| r.energy.is_finite() && r.fvib.is_finite() && r.order >= 1));
                }
                let _ = parse_ts_data(&bytes, 4);
            }
        }
    }

    #[test]
    fn random_files_on_disk_never_panic() {
        use proptest::test_runner::{Config, TestRunner};
        let dir = tempfile::tempdir().unwrap();
        let mut runner = TestRunner::new(Config {
            cases: 24,
            ..Config::default()
        });
        let files = proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 4);
        runner
            .run(&files, |f| {
                for (name, bytes) in [MIN_DATA, TS_DATA, POINTS_MIN, POINTS_TS].iter().zip(&f) {
                    std::fs::write(dir.path().join(name), bytes).unwrap();
                }
                let _ = read_pathsample(dir.path(), 2);
                Ok(())
            })
            .unwrap();
    }
}
