//! Read-only commands: tables printed from a database.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Result, bail};
use losscape_core::Identity;
use losscape_db::{LandscapeRow, Store};
use losscape_experiment::{Config, LandscapeSummary, summarise};

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
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.key,
            s.minima_by_energy,
            s.minima_by_structure,
            s.lowest_energy.map_or("-".into(), |e| format!("{e:.8}")),
            s.correct_minima,
            s.transition_states,
            s.degenerate_ts,
            s.ts_ratio().map_or("-".into(), |r| format!("{r:.2}")),
            s.components,
            match s.saturation {
                Some(sat) if sat.saturated => format!("yes ({} rounds)", sat.rounds),
                Some(sat) => format!("no ({} rounds)", sat.rounds),
                None => "-".into(),
            }
        );
    }
    out
}

/// `losscape summary DB`.
pub fn summary(store: &Store) -> Result<ExitCode> {
    let identity = stored_identity(store)?;
    let rows = store
        .landscapes()?
        .iter()
        .map(|l| summarise(store, l.id, &identity))
        .collect::<Result<Vec<_>, _>>()?;
    print!("{}", summary_table(&rows));
    Ok(ExitCode::SUCCESS)
}

/// `losscape minima DB`.
pub fn minima(store: &Store, key: Option<&str>, coords: bool) -> Result<ExitCode> {
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
pub fn transition_states(store: &Store, key: Option<&str>) -> Result<ExitCode> {
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
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `losscape path DB A B --landscape K`: the path whose highest transition state is lowest.
pub fn path(store: &Store, key: &str, from: i64, to: i64) -> Result<ExitCode> {
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
        println!("no path between {from} and {to} yet: they are in different components");
        return Ok(ExitCode::FAILURE);
    };
    let start = energy_of(from).unwrap_or(f64::NAN);
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
