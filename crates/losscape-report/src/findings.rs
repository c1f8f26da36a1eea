//! The paper's findings, each judged from the measured data.
//!
//! Nothing here is hard-coded: every verdict is computed from the counts, the embedding check
//! and the sensitivity measurement, and the evidence quotes the numbers it was computed from.
//! Where a series of numbers goes against a finding, the evidence names it.

use crate::html::{Finding, Verdict};
use losscape_analysis::counts::CountsRow;
use losscape_analysis::{PointKind, classifies_all};

use crate::analyses::{EmbeddingPair, LandscapeSensitivity};

/// Mean accuracies closer than this are treated as equal in finding 6.
pub const ACCURACY_MARGIN: f64 = 0.01;

/// Which way a count is claimed to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// One line of numbers: a label (e.g. "λ = 1e-2") and `(x label, x, y)` points.
struct Series {
    label: String,
    points: Vec<(String, f64, f64)>,
}

/// Judges whether every series moves in `dir` as x grows. A series agrees if its last value is
/// beyond its first in `dir` and no step goes the other way; it disagrees otherwise (flat
/// counts included). All agree: holds; none agree: does not hold; mixed: inconclusive.
fn judge_trend(series: Vec<Series>, dir: Direction, x_name: &str) -> (Verdict, String) {
    let usable: Vec<Series> = series
        .into_iter()
        .map(|mut s| {
            s.points.retain(|p| p.2.is_finite());
            s.points.sort_by(|a, b| a.1.total_cmp(&b.1));
            s
        })
        .filter(|s| s.points.len() >= 2)
        .collect();
    if usable.is_empty() {
        return (
            Verdict::Inconclusive,
            format!("no series has two or more values of {x_name} to compare"),
        );
    }
    let against = |a: f64, b: f64| match dir {
        Direction::Up => b < a,
        Direction::Down => b > a,
    };
    let mut parts = Vec::new();
    let mut disagree = Vec::new();
    for s in &usable {
        let values: Vec<String> = s.points.iter().map(|p| fmt_count(p.2)).collect();
        let xs: Vec<&str> = s.points.iter().map(|p| p.0.as_str()).collect();
        parts.push(format!(
            "{}: {} ({x_name} {})",
            s.label,
            values.join(" → "),
            xs.join(", ")
        ));
        let first = s.points[0].2;
        let last = s.points[s.points.len() - 1].2;
        let back = s.points.windows(2).any(|w| against(w[0].2, w[1].2));
        let net = match dir {
            Direction::Up => last > first,
            Direction::Down => last < first,
        };
        if back || !net {
            let how = if back {
                "goes the other way"
            } else {
                "does not change"
            };
            disagree.push(format!("{} {how}", s.label));
        }
    }
    let n = usable.len();
    let verdict = match disagree.len() {
        0 => Verdict::Holds,
        d if d == n => Verdict::DoesNotHold,
        _ => Verdict::Inconclusive,
    };
    let mut evidence = parts.join("; ");
    if disagree.is_empty() {
        evidence.push_str(&format!(". Every one of the {n} series agrees."));
    } else {
        evidence.push_str(&format!(
            ". Disagrees: {} ({} of {n} series).",
            disagree.join(", "),
            disagree.len()
        ));
    }
    (verdict, evidence)
}

fn fmt_count(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn fmt_lambda(l: f64) -> String {
    format!("{l:e}")
}

/// Groups rows into series: one per distinct `key`, x from `x`, y from `y`.
fn group(
    rows: &[CountsRow],
    key: impl Fn(&CountsRow) -> f64,
    key_label: impl Fn(f64) -> String,
    x: impl Fn(&CountsRow) -> (String, f64),
    y: impl Fn(&CountsRow) -> f64,
) -> Vec<Series> {
    let mut keys: Vec<f64> = rows.iter().map(&key).collect();
    keys.sort_by(f64::total_cmp);
    keys.dedup();
    keys.into_iter()
        .map(|k| Series {
            label: key_label(k),
            points: rows
                .iter()
                .filter(|r| key(r) == k)
                .map(|r| {
                    let (xl, xv) = x(r);
                    (xl, xv, y(r))
                })
                .collect(),
        })
        .collect()
}

fn by_hidden(rows: &[CountsRow], y: impl Fn(&CountsRow) -> f64) -> Vec<Series> {
    group(
        rows,
        |r| r.lambda,
        |l| format!("λ = {}", fmt_lambda(l)),
        |r| (r.n_hidden.to_string(), r.n_hidden as f64),
        y,
    )
}

/// A note on search completeness for transition-state counts.
fn completeness(rows: &[CountsRow]) -> String {
    let split: Vec<String> = rows
        .iter()
        .filter(|r| r.components > 1)
        .map(|r| {
            format!(
                "N_h = {}, λ = {} ({} components)",
                r.n_hidden,
                fmt_lambda(r.lambda),
                r.components
            )
        })
        .collect();
    if split.is_empty() {
        " Every landscape's minima are joined into one connected network.".to_string()
    } else {
        format!(
            " Not fully connected, so its transition-state count is a lower bound: {}.",
            split.join("; ")
        )
    }
}

/// Findings 1–4: how the counts depend on `N_h` and `λ`.
pub fn count_findings(rows: &[CountsRow]) -> Vec<Finding> {
    let mut out = Vec::new();
    let (v, e) = judge_trend(
        by_hidden(rows, |r| r.minima_by_structure as f64),
        Direction::Up,
        "N_h",
    );
    out.push(Finding {
        statement: "(1) The number of minima grows with the number of hidden units N_h (at each λ)."
            .into(),
        evidence: format!("Minima (distinct structures) per λ: {e}"),
        verdict: v,
    });
    let (v, e) = judge_trend(
        by_hidden(rows, |r| r.transition_states as f64),
        Direction::Up,
        "N_h",
    );
    out.push(Finding {
        statement: "(2) The number of transition states grows with N_h (at each λ).".into(),
        evidence: format!("Transition states per λ: {e}{}", completeness(rows)),
        verdict: v,
    });
    let (v, e) = judge_trend(by_hidden(rows, |r| r.ts_per_minimum), Direction::Up, "N_h");
    out.push(Finding {
        statement: "(3) The ratio of transition states to minima grows with N_h (at each λ)."
            .into(),
        evidence: format!("TS/minimum per λ: {e}{}", completeness(rows)),
        verdict: v,
    });
    let (v, e) = judge_trend(
        group(
            rows,
            |r| r.n_hidden as f64,
            |n| format!("N_h = {n}"),
            |r| (fmt_lambda(r.lambda), r.lambda),
            |r| r.minima_by_structure as f64,
        ),
        Direction::Down,
        "λ",
    );
    out.push(Finding {
        statement: "(4) Stronger regularisation gives fewer minima: the count falls as λ grows \
                    (at each N_h)."
            .into(),
        evidence: format!("Minima (distinct structures) per N_h: {e}"),
        verdict: v,
    });
    out
}

/// Finding 5: stationary points of `N_h` padded with a zero hidden unit are stationary points
/// of `N_h + 1` with the same energy and the predicted Hessian index.
pub fn embedding_finding(pairs: &[EmbeddingPair]) -> Finding {
    let statement = "(5) Stationary points of the N_h network, padded with a hidden unit whose \
                     weights are all zero, are stationary points of the N_h + 1 network with the \
                     same loss, and their Hessian index is the one predicted from the coupling \
                     block (2λ against its singular values)."
        .to_string();
    let rows: Vec<_> = pairs.iter().flat_map(|p| &p.rows).collect();
    if rows.is_empty() {
        return Finding {
            statement,
            evidence: "No pair of landscapes (N_h, λ), (N_h + 1, λ) with stored points in the \
                       database, so nothing could be checked."
                .into(),
            verdict: Verdict::Inconclusive,
        };
    }
    let n = rows.len();
    let stationary = rows.iter().filter(|r| r.stationary).count();
    let agrees = rows.iter().filter(|r| r.agrees).count();
    let found = rows.iter().filter(|r| r.found_as.is_some()).count();
    let max_de = rows.iter().map(|r| r.delta_energy).fold(0.0, f64::max);
    let max_g = rows
        .iter()
        .map(|r| r.padded_rms_gradient)
        .fold(0.0, f64::max);
    let minima: Vec<_> = rows
        .iter()
        .filter(|r| r.kind == PointKind::Minimum)
        .collect();
    let become_saddles = minima.iter().filter(|r| r.computed_index > 0).count();
    let disagreeing: Vec<_> = rows.iter().filter(|r| !r.agrees).collect();
    let near_ties = disagreeing.iter().filter(|r| r.zero_modes > 0).count();
    let pair_names: Vec<String> = pairs
        .iter()
        .map(|p| format!("{} → {}", p.from, p.to))
        .collect();
    let mut evidence = format!(
        "{n} points checked over {} pair(s) ({}). Stationary after padding: {stationary} of {n} \
         (largest |ΔE| {max_de:.1e}, largest RMS gradient {max_g:.1e}). Hessian index as \
         predicted: {agrees} of {n}. {become_saddles} of {} minima become saddles of the larger \
         network. {found} of {n} padded points were also found by the search of the larger \
         landscape.",
        pairs.len(),
        pair_names.join(", "),
        minima.len()
    );
    let verdict = if stationary < n {
        evidence.push_str(&format!(
            " {} padded point(s) are NOT stationary: this contradicts the finding.",
            n - stationary
        ));
        Verdict::DoesNotHold
    } else if disagreeing.is_empty() {
        Verdict::Holds
    } else if near_ties == disagreeing.len() {
        evidence.push_str(&format!(
            " The {} index disagreement(s) all have an eigenvalue within the zero tolerance (a \
             singular value ≈ 2λ), where the count is decided by rounding.",
            disagreeing.len()
        ));
        Verdict::Inconclusive
    } else {
        evidence.push_str(&format!(
            " {} point(s) have a computed index other than predicted: the index part of the \
             finding does not hold for them.",
            disagreeing.len()
        ));
        Verdict::DoesNotHold
    };
    Finding {
        statement,
        evidence,
        verdict,
    }
}

/// Pooled means of one kind of point: count, clean accuracy, fully-correct fraction and noisy
/// accuracy per σ.
struct Pooled {
    count: usize,
    train: f64,
    correct: f64,
    noisy: Vec<f64>,
}

fn pool(results: &[LandscapeSensitivity], kind: PointKind, n_sigma: usize) -> Pooled {
    let points: Vec<_> = results
        .iter()
        .flat_map(|r| &r.points)
        .filter(|p| p.kind == kind)
        .collect();
    let n = points.len().max(1) as f64;
    Pooled {
        count: points.len(),
        train: points.iter().map(|p| p.train_accuracy).sum::<f64>() / n,
        correct: points
            .iter()
            .filter(|p| classifies_all(p.train_accuracy))
            .count() as f64
            / n,
        noisy: (0..n_sigma)
            .map(|s| {
                points
                    .iter()
                    .map(|p| p.noisy_accuracy.get(s).copied().unwrap_or(f64::NAN))
                    .sum::<f64>()
                    / n
            })
            .collect(),
    }
}

/// Finding 6: how minima and transition states classify the training data, and how their
/// accuracy holds up when the inputs are perturbed.
pub fn sensitivity_finding(results: &[LandscapeSensitivity], sigmas: &[f64]) -> Finding {
    let statement = format!(
        "(6) Minima classify the training data at least as well as transition states, and keep \
         at least as much accuracy when Gaussian noise is added to the inputs (pooled over all \
         landscapes; differences below {ACCURACY_MARGIN} count as equal)."
    );
    let min = pool(results, PointKind::Minimum, sigmas.len());
    let ts = pool(results, PointKind::TransitionState, sigmas.len());
    if min.count == 0 || ts.count == 0 {
        return Finding {
            statement,
            evidence: format!(
                "Needs both kinds of point: {} minima and {} transition states were measured.",
                min.count, ts.count
            ),
            verdict: Verdict::Inconclusive,
        };
    }
    let mut evidence = format!(
        "Minima ({}): mean training accuracy {:.3}, {:.0}% classify all points; under noise {}. \
         Transition states ({}): mean training accuracy {:.3}, {:.0}% classify all points; under \
         noise {}.",
        min.count,
        min.train,
        100.0 * min.correct,
        noisy_text(&min, sigmas),
        ts.count,
        ts.train,
        100.0 * ts.correct,
        noisy_text(&ts, sigmas)
    );
    let (verdict, remark) = sensitivity_verdict(&min, &ts, sigmas);
    evidence.push_str(&remark);
    Finding {
        statement,
        evidence,
        verdict,
    }
}

/// Pooled noisy accuracies as `a at σ = s, ...`.
fn noisy_text(p: &Pooled, sigmas: &[f64]) -> String {
    sigmas
        .iter()
        .zip(&p.noisy)
        .map(|(s, a)| format!("{a:.3} at σ = {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether minima do at least as well as transition states, clean and at every noise level,
/// and the remark the evidence ends with (empty when the finding holds).
fn sensitivity_verdict(min: &Pooled, ts: &Pooled, sigmas: &[f64]) -> (Verdict, String) {
    let clean_ok = min.train >= ts.train - ACCURACY_MARGIN;
    let noisy_ok: Vec<bool> = min
        .noisy
        .iter()
        .zip(&ts.noisy)
        .map(|(m, t)| *m >= *t - ACCURACY_MARGIN)
        .collect();
    let all_noisy = noisy_ok.iter().all(|&b| b);
    let no_noisy = noisy_ok.iter().all(|&b| !b);
    if clean_ok && all_noisy {
        return (Verdict::Holds, String::new());
    }
    if !clean_ok && no_noisy {
        let remark = " Transition states do better than minima, clean and at every noise level: \
                      this contradicts the finding.";
        return (Verdict::DoesNotHold, remark.to_string());
    }
    let worse: Vec<String> = sigmas
        .iter()
        .zip(&noisy_ok)
        .filter(|(_, ok)| !**ok)
        .map(|(s, _)| format!("σ = {s}"))
        .collect();
    let remark = format!(
        " Mixed: minima are {} on clean inputs{}.",
        if clean_ok {
            "at least as accurate"
        } else {
            "less accurate"
        },
        if worse.is_empty() {
            String::new()
        } else {
            format!(" and less accurate under noise at {}", worse.join(", "))
        }
    );
    (Verdict::Inconclusive, remark)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n_hidden: usize, lambda: f64, minima: usize, ts: usize) -> CountsRow {
        CountsRow {
            certified: true,
            n_hidden,
            lambda,
            minima_by_energy: minima,
            minima_by_structure: minima,
            transition_states: ts,
            degenerate_ts: 0,
            correct_minima: minima / 2,
            correct_ts: ts / 2,
            ts_per_minimum: ts as f64 / minima as f64,
            frac_minima_correct: 0.5,
            frac_ts_correct: 0.5,
            global_min_energy: 0.1,
            components: 1,
            minima_points: None,
            ts_points: None,
        }
    }

    #[test]
    fn growing_counts_hold_and_shrinking_counts_do_not() {
        let rows = [
            row(2, 1e-2, 3, 4),
            row(3, 1e-2, 6, 12),
            row(2, 1e-3, 4, 5),
            row(3, 1e-3, 9, 20),
        ];
        let f = count_findings(&rows);
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].verdict, Verdict::Holds, "{}", f[0].evidence);
        assert_eq!(f[1].verdict, Verdict::Holds);
        assert_eq!(f[2].verdict, Verdict::Holds);
        // Minima at N_h 2: 3 (λ 1e-2) vs 4 (λ 1e-3): fewer with larger λ, likewise N_h 3.
        assert_eq!(f[3].verdict, Verdict::Holds, "{}", f[3].evidence);

        let reversed = [row(2, 1e-2, 6, 4), row(3, 1e-2, 3, 4)];
        let f = count_findings(&reversed);
        assert_eq!(f[0].verdict, Verdict::DoesNotHold);
        assert!(
            f[0].evidence.contains("goes the other way"),
            "{}",
            f[0].evidence
        );
        assert_eq!(
            f[1].verdict,
            Verdict::DoesNotHold,
            "flat TS counts do not grow"
        );
        assert!(f[1].evidence.contains("does not change"));
        assert_eq!(f[3].verdict, Verdict::Inconclusive, "one λ only");
    }

    #[test]
    fn mixed_series_are_inconclusive_and_named() {
        let rows = [
            row(1, 1e-2, 2, 1),
            row(2, 1e-2, 5, 6),
            row(1, 1e-1, 1, 0),
            row(2, 1e-1, 1, 0),
        ];
        let f = count_findings(&rows);
        assert_eq!(f[0].verdict, Verdict::Inconclusive);
        assert!(
            f[0].evidence.contains("λ = 1e-1 does not change"),
            "{}",
            f[0].evidence
        );
    }
}
