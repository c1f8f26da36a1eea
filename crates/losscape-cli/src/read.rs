//! Read-only commands: tables printed from a database.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Result, bail};
use losscape_analysis::table::Records;
use losscape_core::Identity;
use losscape_db::{LandscapeRow, Store};
use losscape_experiment::{Config, LandscapeSummary, summarise};
use serde_json::{Value, json};

use crate::Format;

/// Prints records as `format` asks (`Table` is handled by each command itself).
pub fn print_records(records: &Records, format: Format) -> Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&records.to_json())?),
        Format::Csv => print!("{}", records.to_csv()),
        Format::Table => unreachable!("tables are printed by each command"),
    }
    Ok(())
}

fn coords_value(c: &[f64]) -> Value {
    Value::Array(c.iter().map(|&x| Records::real(x)).collect())
}

/// The landscapes selected by `--landscape` (all when `None`), or an error listing the keys.
pub fn select(store: &Store, key: Option<&str>) -> Result<Vec<LandscapeRow>> {
    let all = store.landscapes()?;
    let Some(key) = key else { return Ok(all) };
    let chosen: Vec<_> = all.iter().filter(|l| l.key == key).cloned().collect();
    if chosen.is_empty() {
        let keys: Vec<_> = all.iter().map(|l| l.key.as_str()).collect();
        bail!(
            "no landscape '{key}' in {}; it has: {}",
            store.path().display(),
            if keys.is_empty() {
                "none".to_string()
            } else {
                keys.join(", ")
            }
        );
    }
    Ok(chosen)
}

/// The identity rule the database was built with (from its newest run's config).
pub fn stored_identity(store: &Store) -> Result<Identity> {
    let runs = store.runs()?;
    Ok(runs
        .last()
        .and_then(|r| Config::parse(&r.config_text, std::path::Path::new("<stored config>")).ok())
        .map(|c| c.identity)
        .unwrap_or_default())
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
    let mut r = Records::new([
        "landscape",
        "n_hidden",
        "lambda",
        "minima_by_energy",
        "minima_by_structure",
        "lowest_energy",
        "correct_minima",
        "transition_states",
        "degenerate_ts",
        "correct_ts",
        "ts_per_minimum",
        "components",
        "saturated",
        "saturation_rounds",
    ]);
    for s in rows {
        let c = &s.counts;
        r.push(vec![
            json!(s.key),
            json!(c.n_hidden),
            Records::real(c.lambda),
            json!(c.minima_by_energy),
            json!(c.minima_by_structure),
            c.lowest_energy().map_or(Value::Null, Records::real),
            json!(c.correct_minima),
            json!(c.transition_states),
            json!(c.degenerate_ts),
            json!(c.correct_ts),
            c.ts_ratio().map_or(Value::Null, Records::real),
            json!(c.components),
            s.saturation.map_or(Value::Null, |x| json!(x.saturated)),
            s.saturation.map_or(Value::Null, |x| json!(x.rounds)),
        ]);
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
        Format::Table => print!("{}", summary_table(&rows)),
        _ => print_records(&summary_records(&rows), format)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `losscape minima DB`: every minimum with its landscape, lowest energy first per landscape.
pub fn minima(store: &Store, key: Option<&str>, coords: bool, format: Format) -> Result<ExitCode> {
    if format != Format::Table {
        let mut cols = vec![
            "landscape",
            "id",
            "energy",
            "rms_gradient",
            "hessian_index",
            "lowest_eigenvalue",
            "ln_prod_positive",
            "accuracy",
            "times_found",
            "first_run",
        ];
        if coords {
            cols.push("coords");
        }
        let mut r = Records::new(cols);
        for l in select(store, key)? {
            let mut rows = store.minima(l.id)?;
            rows.sort_by(|a, b| a.energy.total_cmp(&b.energy));
            for m in rows {
                let mut row = vec![
                    json!(l.key),
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
                if coords {
                    row.push(coords_value(&m.coords));
                }
                r.push(row);
            }
        }
        print_records(&r, format)?;
        return Ok(ExitCode::SUCCESS);
    }
    for l in select(store, key)? {
        println!(
            "# {}  (n_hidden {}, lambda {:e})",
            l.key, l.n_hidden, l.lambda
        );
        println!(
            "{:>6} {:>18} {:>10} {:>12} {:>10} {:>6}",
            "id", "energy", "rms grad", "lowest ev", "accuracy", "found"
        );
        let mut rows = store.minima(l.id)?;
        rows.sort_by(|a, b| a.energy.total_cmp(&b.energy));
        for m in rows {
            println!(
                "{:>6} {:>18.12} {:>10.2e} {:>12.4e} {:>10.3} {:>6}",
                m.id, m.energy, m.rms_gradient, m.lowest_eigenvalue, m.accuracy, m.times_found
            );
            if coords {
                let text: Vec<String> = m.coords.iter().map(|c| format!("{c:.10}")).collect();
                println!("       [{}]", text.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `losscape ts DB`.
pub fn transition_states(
    store: &Store,
    key: Option<&str>,
    coords: bool,
    format: Format,
) -> Result<ExitCode> {
    if format != Format::Table {
        let mut cols = vec![
            "landscape",
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
        ];
        if coords {
            cols.push("coords");
        }
        let mut r = Records::new(cols);
        for l in select(store, key)? {
            for t in store.transition_states(l.id)? {
                let mut row = vec![
                    json!(l.key),
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
                if coords {
                    row.push(coords_value(&t.coords));
                }
                r.push(row);
            }
        }
        print_records(&r, format)?;
        return Ok(ExitCode::SUCCESS);
    }
    for l in select(store, key)? {
        println!(
            "# {}  (n_hidden {}, lambda {:e})",
            l.key, l.n_hidden, l.lambda
        );
        println!(
            "{:>6} {:>18} {:>10} {:>12} {:>6} {:>6} {:>10} {:>5}",
            "id", "energy", "rms grad", "negative ev", "min1", "min2", "accuracy", "degen"
        );
        for t in store.transition_states(l.id)? {
            println!(
                "{:>6} {:>18.12} {:>10.2e} {:>12.4e} {:>6} {:>6} {:>10.3} {:>5}",
                t.id,
                t.energy,
                t.rms_gradient,
                t.negative_eigenvalue,
                t.min1,
                t.min2,
                t.accuracy,
                if t.degenerate { "yes" } else { "" }
            );
            if coords {
                let text: Vec<String> = t.coords.iter().map(|c| format!("{c:.10}")).collect();
                println!("       [{}]", text.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `losscape path DB A B --landscape K`: the path whose highest transition state is lowest.
///
/// `--format json|csv` prints the path as rows `step, kind, id, energy` (minima and transition
/// states alternating, from `from` to `to`); no path gives no rows and exit code 1.
pub fn path(store: &Store, key: &str, from: i64, to: i64, format: Format) -> Result<ExitCode> {
    let l = select(store, Some(key))?.remove(0);
    let minima = store.minima(l.id)?;
    let ts = store.transition_states(l.id)?;
    let energy_of = |id: i64| minima.iter().find(|m| m.id == id).map(|m| m.energy);
    for id in [from, to] {
        if energy_of(id).is_none() {
            bail!("minimum {id} is not in landscape {key} (see `losscape minima`)");
        }
    }
    let edges: Vec<(i64, i64, f64, i64)> = ts
        .iter()
        .filter(|t| !t.degenerate && t.min1 != t.min2)
        .map(|t| (t.min1, t.min2, t.energy, t.id))
        .collect();
    let Some(steps) = minimax_path(&edges, from, to) else {
        if format == Format::Table {
            println!("no path between {from} and {to} yet: they are in different components");
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
    println!("minimum {from:>6}  E = {start:.10}");
    let mut highest = f64::NEG_INFINITY;
    for (ts_id, ts_energy, next) in steps {
        highest = highest.max(ts_energy);
        println!("  ts    {ts_id:>6}  E = {ts_energy:.10}");
        println!(
            "minimum {next:>6}  E = {:.10}",
            energy_of(next).unwrap_or(f64::NAN)
        );
    }
    println!(
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
    steps: &[(i64, f64, i64)],
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
    for (i, &(ts_id, ts_energy, next)) in steps.iter().enumerate() {
        r.push(vec![
            json!(2 * i + 1),
            json!("transition_state"),
            json!(ts_id),
            Records::real(ts_energy),
        ]);
        r.push(vec![
            json!(2 * i + 2),
            json!("minimum"),
            json!(next),
            Records::real(energy_of(next).unwrap_or(f64::NAN)),
        ]);
    }
    r
}

/// Among all paths from `from` to `to`, the one whose highest edge energy is lowest
/// (Dijkstra on the bottleneck); returns (ts id, ts energy, next minimum) steps.
pub fn minimax_path(
    edges: &[(i64, i64, f64, i64)],
    from: i64,
    to: i64,
) -> Option<Vec<(i64, f64, i64)>> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut best: BTreeMap<i64, f64> = BTreeMap::new();
    let mut prev: BTreeMap<i64, (i64, f64, i64)> = BTreeMap::new();
    let mut done = BTreeSet::new();
    best.insert(from, f64::NEG_INFINITY);
    loop {
        let (&node, &cost) = best
            .iter()
            .filter(|(n, _)| !done.contains(*n))
            .min_by(|a, b| a.1.total_cmp(b.1))?;
        if node == to {
            break;
        }
        done.insert(node);
        for &(a, b, e, id) in edges {
            let other = if a == node {
                b
            } else if b == node {
                a
            } else {
                continue;
            };
            let c = cost.max(e);
            if !done.contains(&other) && best.get(&other).is_none_or(|&old| c < old) {
                best.insert(other, c);
                prev.insert(other, (node, e, id));
            }
        }
    }
    let mut steps = Vec::new();
    let mut at = to;
    while at != from {
        let (p, e, id) = prev[&at];
        steps.push((id, e, at));
        at = p;
    }
    steps.reverse();
    Some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimax_prefers_the_lower_highest_barrier() {
        // 1-2 directly over a high barrier, or 1-3-2 over two lower ones.
        let edges = [(1, 2, 5.0, 10), (1, 3, 2.0, 11), (3, 2, 3.0, 12)];
        assert_eq!(
            minimax_path(&edges, 1, 2),
            Some(vec![(11, 2.0, 3), (12, 3.0, 2)])
        );
        assert_eq!(minimax_path(&edges, 1, 4), None);
    }
}
