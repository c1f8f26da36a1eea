//! `losscape census DB`: the Morse completeness check of every landscape.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use losscape_analysis::census::{Closure, Saturation};
use losscape_analysis::table::Records;
use serde_json::json;

use crate::Format;
use losscape_db::Store;
use losscape_report::analyses::{LandscapeCensus, morse_censuses};
use losscape_report::data::{StoredExperiment, read_landscapes};

/// `losscape census DB [--landscape KEY] [--format table|json|csv]`.
pub fn census(db: &Path, key: Option<&str>, format: Format) -> Result<ExitCode> {
    let store = Store::open_read_only(db)
        .with_context(|| format!("cannot read database {}", db.display()))?;
    // A census is a verdict on the stored points: never on damaged ones.
    store.check_integrity()?;
    let exp = StoredExperiment::read(&store)?;
    let landscapes = read_landscapes(&store, &exp, key)?;
    let censuses = morse_censuses(&store, &landscapes, &exp.config.identity)?;
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&to_json(db, &censuses))?),
        Format::Csv => out!("{}", to_records(&censuses).to_csv()),
        Format::Table => {
            for (i, c) in censuses.iter().enumerate() {
                if i > 0 {
                    outln!();
                }
                out!("{}", describe(c));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One row per landscape and Hessian index, with the landscape's sum and verdict repeated.
fn to_records(censuses: &[LandscapeCensus]) -> Records {
    let mut r = Records::new([
        "landscape",
        "n_hidden",
        "lambda",
        "group_order",
        "index",
        "orbits",
        "points",
        "morse_sum",
        "passes",
        "voided",
        "degenerate_points",
        "saturation",
        "closed",
        "certificate",
    ]);
    for c in censuses {
        for n in &c.census.by_index {
            r.push(vec![
                json!(c.key),
                json!(c.n_hidden),
                Records::real(c.lambda),
                json!(c.census.group_order),
                json!(n.index),
                json!(n.orbits),
                json!(n.points),
                json!(c.census.morse_sum),
                json!(c.census.passes()),
                json!(c.census.voided()),
                json!(c.census.degenerate.len()),
                json!(Saturation::describe(c.saturation.as_ref())),
                json!(c.closure.as_ref().is_some_and(Closure::closed)),
                json!(c.certificate()),
            ]);
        }
    }
    r
}

/// The same data as the text output, for programs.
fn to_json(db: &Path, censuses: &[LandscapeCensus]) -> serde_json::Value {
    let landscapes: Vec<serde_json::Value> =
        censuses.iter().map(LandscapeCensus::to_json).collect();
    serde_json::json!({
        "database": db.display().to_string(),
        "landscapes": landscapes,
    })
}

/// One landscape as text.
fn describe(c: &LandscapeCensus) -> String {
    let m = &c.census;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}  (n_hidden {}, lambda {:e}; symmetry group order |G| = {})",
        c.key, c.n_hidden, c.lambda, m.group_order
    );
    let _ = writeln!(out, "{:>6} {:>8} {:>12}", "index", "orbits", "points");
    for n in &m.by_index {
        let _ = writeln!(out, "{:>6} {:>8} {:>12}", n.index, n.orbits, n.points);
    }
    if m.by_index.is_empty() {
        let _ = writeln!(out, "  (no stationary points stored)");
    }
    let terms: Vec<String> = m
        .by_index
        .iter()
        .map(|n| format!("{}{}", if n.index % 2 == 0 { "+" } else { "-" }, n.points))
        .collect();
    let _ = writeln!(
        out,
        "Morse sum: {}{}",
        m.morse_sum,
        if terms.len() > 1 {
            format!("  ({})", terms.join(" "))
        } else {
            String::new()
        }
    );
    let _ = writeln!(out, "verdict: {}", m.verdict());
    if m.voided() {
        let _ = writeln!(
            out,
            "degenerate critical points (a zero Hessian eigenvalue; not counted, they void the \
             check):"
        );
        for d in &m.degenerate {
            let _ = writeln!(
                out,
                "  census point {}: E = {:.10}, index {}, {} zero mode(s)",
                d.id, d.energy, d.hessian_index, d.zero_modes
            );
        }
    } else {
        let _ = writeln!(out, "degenerate critical points: none");
    }
    let x = &m.ts_cross_check;
    if m.census_points == 0 {
        let _ = writeln!(
            out,
            "census vs stored TS: no census stationary points stored (no census stage run)"
        );
    } else {
        let _ = writeln!(
            out,
            "census vs stored TS: {} census index-1 orbit(s), {} not among the {} stored TS{}; \
             {} stored TS not found by the census{}",
            x.census_index1,
            x.census_unmatched.len(),
            x.stored,
            ids("census ids", &x.census_unmatched),
            x.stored_unmatched.len(),
            ids("TS ids", &x.stored_unmatched),
        );
    }
    let _ = writeln!(
        out,
        "saturation: {}",
        Saturation::describe(c.saturation.as_ref())
    );
    match &c.closure {
        None => {
            let _ = writeln!(out, "closure: no saddle-to-saddle search run");
        }
        Some(k) => {
            let _ = writeln!(
                out,
                "closure: {}; {} of {} census points searched from, {} seeded from stored \
                 minima and transition states{}{}",
                k.describe(),
                k.searched,
                k.points,
                k.seeded,
                ids("; unsearched census ids", &k.unsearched),
                ids("; broken census ids", &k.broken),
            );
        }
    }
    let _ = writeln!(out, "certificate: {}", c.certificate().describe());
    for w in &m.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

/// ` (census ids 3, 7)` or nothing.
fn ids(label: &str, list: &[i64]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = list.iter().map(i64::to_string).collect();
    format!(" ({label} {})", shown.join(", "))
}
