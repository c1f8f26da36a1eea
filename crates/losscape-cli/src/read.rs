//! Read-only commands: tables printed from a database.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Result, bail};
use losscape_analysis::counts::COUNT_COLUMNS;
use losscape_analysis::paths::{PathStep, minimax_path};
use losscape_analysis::table::Records;
use losscape_db::{LandscapeRow, Store};
use losscape_experiment::{LandscapeSummary, summarise};
use losscape_report::data::{read_points, select, select_one, stored_identity};
use serde_json::{Value, json};

use crate::Format;

/// Prints records as `format` asks (`Table` is handled by each command itself).
pub fn print_records(records: &Records, format: Format) -> Result<()> {
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&records.to_json())?),
        Format::Csv => out!("{}", records.to_csv()),
        Format::Table => unreachable!("tables are printed by each command"),
    }
    Ok(())
}

/// The closing table of a run, or of `losscape summary`.
pub fn summary_table(rows: &[LandscapeSummary]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| landscape | minima (energy) | minima (structure) | lowest E | correct minima | TS | degenerate TS | TS/minima | components | saturated |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for s in rows {
        let c = &s.counts;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.key,
            c.minima_by_energy,
            c.minima_by_structure,
            c.lowest_energy().map_or("-".into(), |e| format!("{e:.8}")),
            c.correct_minima,
            c.transition_states,
            c.degenerate_ts,
            c.ts_ratio().map_or("-".into(), |r| format!("{r:.2}")),
            c.components,
            match s.saturation {
                Some(sat) if sat.closed => format!("closed ({} rounds)", sat.rounds),
                Some(sat) if sat.saturated => format!("yes ({} rounds)", sat.rounds),
                Some(sat) => format!("no ({} rounds)", sat.rounds),
                None => "-".into(),
            }
        );
    }
    out
}

/// The summary rows as records (`--format json|csv`).
pub fn summary_records(rows: &[LandscapeSummary]) -> Records {
    let mut r = Records::new(COUNT_COLUMNS.iter().copied().chain([
        "saturated",
        "saturation_rounds",
        "closed",
    ]));
    for s in rows {
        let mut row = s.counts.record_values(&s.key);
        row.extend([
            s.saturation.map_or(Value::Null, |x| json!(x.saturated)),
            s.saturation.map_or(Value::Null, |x| json!(x.rounds)),
            s.saturation.map_or(Value::Null, |x| json!(x.closed)),
        ]);
        r.push(row);
    }
    r
}

/// `losscape summary DB`.
pub fn summary(store: &Store, format: Format) -> Result<ExitCode> {
    let identity = stored_identity(store)?;
    let rows = store
        .landscapes()?
        .iter()
        .map(|l| summarise(store, l.id, &identity))
        .collect::<Result<Vec<_>, _>>()?;
    match format {
        Format::Table => out!("{}", summary_table(&rows)),
        _ => print_records(&summary_records(&rows), format)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `losscape summary DB --timing`: wall time and units of work per landscape, stage and kind
/// of work, with each landscape's total.
pub fn timing(store: &Store, format: Format) -> Result<ExitCode> {
    let mut r = Records::new(["landscape", "stage", "kind", "count", "seconds"]);
    let mut table = String::new();
    let _ = writeln!(table, "| landscape | stage | kind | count | seconds |");
    let _ = writeln!(table, "|---|---|---|---:|---:|");
    for l in store.landscapes()? {
        let rows = store.timings(l.id)?;
        for t in &rows {
            r.push(vec![
                json!(l.key),
                json!(t.stage),
                json!(t.kind),
                json!(t.count),
                Records::real(t.seconds),
            ]);
            let _ = writeln!(
                table,
                "| {} | {} | {} | {} | {:.2} |",
                l.key, t.stage, t.kind, t.count, t.seconds
            );
        }
        let total: f64 = rows
            .iter()
            .filter(|t| t.kind == "total")
            .map(|t| t.seconds)
            .sum();
        let _ = writeln!(table, "| {} | all stages | total | | {total:.2} |", l.key);
    }
    match format {
        Format::Table => print!("{table}"),
        _ => print_records(&r, format)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// How the rows of one kind of stored point are listed: as records and as a terminal table.
struct PointListing<T> {
    /// Record columns after `landscape` (`coords` is added when asked for).
    columns: &'static [&'static str],
    /// The terminal table's header line.
    header: String,
    /// The points of one landscape, in listing order.
    read: fn(&Store, &LandscapeRow) -> Result<Vec<T>>,
    /// One point's record values (after the landscape key) and its coordinates.
    record: fn(&T) -> (Vec<Value>, &[f64]),
    /// One point's line of the terminal table.
    line: fn(&T) -> String,
}

/// Lists the points of the landscapes `key` selects as `format` asks, with coordinates if
/// `coords`.
fn list_points<T>(
    store: &Store,
    key: Option<&str>,
    coords: bool,
    format: Format,
    listing: &PointListing<T>,
) -> Result<ExitCode> {
    let landscapes = select(store, key)?;
    if format != Format::Table {
        let mut cols = vec!["landscape"];
        cols.extend_from_slice(listing.columns);
        if coords {
            cols.push("coords");
        }
        let mut r = Records::new(cols);
        for l in &landscapes {
            for p in (listing.read)(store, l)? {
                let (values, c) = (listing.record)(&p);
                let mut row = vec![json!(l.key)];
                row.extend(values);
                if coords {
                    row.push(Value::Array(c.iter().map(|&x| Records::real(x)).collect()));
                }
                r.push(row);
            }
        }
        print_records(&r, format)?;
        return Ok(ExitCode::SUCCESS);
    }
    for l in &landscapes {
        outln!(
            "# {}  (n_hidden {}, lambda {:e})",
            l.key,
            l.n_hidden,
            l.lambda
        );
        outln!("{}", listing.header);
        for p in (listing.read)(store, l)? {
            outln!("{}", (listing.line)(&p));
            if coords {
                let c = (listing.record)(&p).1;
                let text: Vec<String> = c.iter().map(|c| format!("{c:.10}")).collect();
                outln!("       [{}]", text.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `losscape minima DB`: every minimum with its landscape, lowest energy first per landscape.
pub fn minima(store: &Store, key: Option<&str>, coords: bool, format: Format) -> Result<ExitCode> {
    let listing = PointListing {
        columns: &[
            "id",
            "energy",
            "rms_gradient",
            "hessian_index",
            "lowest_eigenvalue",
            "ln_prod_positive",
            "accuracy",
            "times_found",
            "first_run",
        ],
        header: format!(
            "{:>6} {:>18} {:>10} {:>12} {:>10} {:>6}",
            "id", "energy", "rms grad", "lowest ev", "accuracy", "found"
        ),
        read: |store, l| {
            let mut rows = store.minima(l.id)?;
            rows.sort_by(|a, b| a.energy.total_cmp(&b.energy));
            Ok(rows)
        },
        record: |m| {
            let values = vec![
                json!(m.id),
                Records::real(m.energy),
                Records::real(m.rms_gradient),
                json!(m.hessian_index),
                Records::real(m.lowest_eigenvalue),
                Records::real(m.ln_prod_positive),
                Records::real(m.accuracy),
                json!(m.times_found),
                json!(m.first_run),
            ];
            (values, &m.coords)
        },
        line: |m| {
            format!(
                "{:>6} {:>18.12} {:>10.2e} {:>12.4e} {:>10.3} {:>6}",
                m.id, m.energy, m.rms_gradient, m.lowest_eigenvalue, m.accuracy, m.times_found
            )
        },
    };
    list_points(store, key, coords, format, &listing)
}

/// `losscape ts DB`.
pub fn transition_states(
    store: &Store,
    key: Option<&str>,
    coords: bool,
    format: Format,
) -> Result<ExitCode> {
    let listing = PointListing {
        columns: &[
            "id",
            "energy",
            "rms_gradient",
            "hessian_index",
            "negative_eigenvalue",
            "ln_prod_positive",
            "accuracy",
            "min1",
            "min2",
            "degenerate",
            "times_found",
            "first_run",
        ],
        header: format!(
            "{:>6} {:>18} {:>10} {:>12} {:>6} {:>6} {:>10} {:>5}",
            "id", "energy", "rms grad", "negative ev", "min1", "min2", "accuracy", "degen"
        ),
        read: |store, l| Ok(store.transition_states(l.id)?),
        record: |t| {
            let values = vec![
                json!(t.id),
                Records::real(t.energy),
                Records::real(t.rms_gradient),
                json!(t.hessian_index),
                Records::real(t.negative_eigenvalue),
                Records::real(t.ln_prod_positive),
                Records::real(t.accuracy),
                json!(t.min1),
                json!(t.min2),
                json!(t.degenerate),
                json!(t.times_found),
                json!(t.first_run),
            ];
            (values, &t.coords)
        },
        line: |t| {
            format!(
                "{:>6} {:>18.12} {:>10.2e} {:>12.4e} {:>6} {:>6} {:>10.3} {:>5}",
                t.id,
                t.energy,
                t.rms_gradient,
                t.negative_eigenvalue,
                t.min1,
                t.min2,
                t.accuracy,
                if t.degenerate { "yes" } else { "" }
            )
        },
    };
    list_points(store, key, coords, format, &listing)
}

/// `losscape path DB A B --landscape K`: the path whose highest transition state is lowest.
///
/// `--format json|csv` prints the path as rows `step, kind, id, energy` (minima and transition
/// states alternating, from `from` to `to`); no path gives no rows and exit code 1.
pub fn path(store: &Store, key: &str, from: i64, to: i64, format: Format) -> Result<ExitCode> {
    let (minima, ts) = read_points(store, &select_one(store, key)?)?;
    let energy_of = |id: i64| minima.iter().find(|m| m.id == id).map(|m| m.energy);
    for id in [from, to] {
        if energy_of(id).is_none() {
            bail!("minimum {id} is not in landscape {key} (see `losscape minima`)");
        }
    }
    let Some(steps) = minimax_path(&ts, from, to) else {
        if format == Format::Table {
            outln!("no path between {from} and {to} yet: they are in different components");
        } else {
            eprintln!("no path between {from} and {to} yet: they are in different components");
            print_records(&path_records(from, f64::NAN, &[], &energy_of), format)?;
        }
        return Ok(ExitCode::FAILURE);
    };
    let start = energy_of(from).unwrap_or(f64::NAN);
    if format != Format::Table {
        print_records(&path_records(from, start, &steps, &energy_of), format)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("minimum {from:>6}  E = {start:.10}");
    let mut highest = f64::NEG_INFINITY;
    for s in steps {
        highest = highest.max(s.ts_energy);
        outln!("  ts    {:>6}  E = {:.10}", s.ts_id, s.ts_energy);
        outln!(
            "minimum {:>6}  E = {:.10}",
            s.minimum,
            energy_of(s.minimum).unwrap_or(f64::NAN)
        );
    }
    outln!(
        "highest transition state {highest:.10}, barrier from {from}: {:.10}",
        highest - start
    );
    Ok(ExitCode::SUCCESS)
}

/// A path as records: the start minimum, then (transition state, minimum) per step. Empty for
/// no path (`start` NaN).
fn path_records(
    from: i64,
    start: f64,
    steps: &[PathStep],
    energy_of: &dyn Fn(i64) -> Option<f64>,
) -> Records {
    let mut r = Records::new(["step", "kind", "id", "energy"]);
    if start.is_nan() {
        return r;
    }
    r.push(vec![
        json!(0),
        json!("minimum"),
        json!(from),
        Records::real(start),
    ]);
    for (i, s) in steps.iter().enumerate() {
        r.push(vec![
            json!(2 * i + 1),
            json!("transition_state"),
            json!(s.ts_id),
            Records::real(s.ts_energy),
        ]);
        r.push(vec![
            json!(2 * i + 2),
            json!("minimum"),
            json!(s.minimum),
            Records::real(energy_of(s.minimum).unwrap_or(f64::NAN)),
        ]);
    }
    r
}

/// `losscape attempts DB`: the recorded units of work, per landscape in order of first
/// recording, optionally of one stage only.
pub fn attempts(
    store: &Store,
    key: Option<&str>,
    stage: Option<&str>,
    format: Format,
) -> Result<ExitCode> {
    let mut r = Records::new([
        "landscape",
        "id",
        "stage",
        "key",
        "outcome",
        "detail",
        "run_id",
        "recorded_at",
    ]);
    let mut stages = std::collections::BTreeSet::new();
    for l in select(store, key)? {
        for a in store.all_attempts(l.id)? {
            stages.insert(a.stage.clone());
            if stage.is_some_and(|s| s != a.stage) {
                continue;
            }
            r.push(vec![
                json!(l.key),
                json!(a.id),
                json!(a.stage),
                json!(a.key),
                json!(a.outcome),
                json!(a.detail),
                json!(a.run_id),
                json!(a.recorded_at),
            ]);
        }
    }
    if let Some(s) = stage
        && r.is_empty()
        && !stages.contains(s)
    {
        bail!(
            "--stage {s}: no attempts of that stage are recorded; the stages recorded are: {}",
            stages.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    match format {
        Format::Table => out!("{}", r.to_text()),
        _ => print_records(&r, format)?,
    }
    Ok(ExitCode::SUCCESS)
}
