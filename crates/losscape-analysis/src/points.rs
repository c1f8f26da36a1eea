//! The plain input types every analysis works on.

use serde::{Deserialize, Serialize};

/// The lowest training accuracy that counts as "classifies the data" (every training point
/// correct); see [`classifies_all`].
pub const FULL_ACCURACY: f64 = 1.0 - 1e-9;

/// Whether a point with training accuracy `accuracy` classifies every training point
/// correctly: the one definition used by the counts table, the run summary and the findings.
///
/// Accuracy is the ratio `correct / rows`, so it is exactly 1 when every row is right and at
/// most `1 - 1/rows` otherwise. The threshold [`FULL_ACCURACY`] sits a hair below 1 rather than
/// at it, so a value that reached 1 through arithmetic other than that ratio (a mean over
/// points, a copy read back from text) still counts, while any data set of fewer than 10⁹ rows
/// stays on the right side of it. `NaN` (accuracy unknown) does not classify the data.
pub fn classifies_all(accuracy: f64) -> bool {
    accuracy >= FULL_ACCURACY
}

/// A stored local minimum, as the analyses need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinimumInfo {
    /// Database id (unique within one landscape).
    pub id: i64,
    /// Loss at the minimum.
    pub energy: f64,
    /// Training accuracy in `[0, 1]`; `NaN` when unknown (e.g. read from PATHSAMPLE files).
    pub accuracy: f64,
    /// Coordinates (the flat parameter vector).
    pub coords: Vec<f64>,
    /// Natural log of the product of the positive Hessian eigenvalues (PATHSAMPLE's `fvib`).
    pub ln_prod_positive: f64,
    /// Number of negative Hessian eigenvalues (0 for a true minimum).
    pub hessian_index: usize,
}

/// A stored transition state (index-1 saddle) and the two minima it connects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TsInfo {
    /// Database id (unique within one landscape).
    pub id: i64,
    /// Loss at the saddle.
    pub energy: f64,
    /// Training accuracy in `[0, 1]`; `NaN` when unknown.
    pub accuracy: f64,
    /// Coordinates (the flat parameter vector).
    pub coords: Vec<f64>,
    /// Natural log of the product of the positive Hessian eigenvalues.
    pub ln_prod_positive: f64,
    /// Id of the first connected minimum.
    pub min1: i64,
    /// Id of the second connected minimum.
    pub min2: i64,
    /// Whether the saddle joins two symmetry-related copies of one minimum.
    pub degenerate: bool,
}

impl TsInfo {
    /// Whether this saddle should be left out of connectivity analyses: flagged as a degenerate
    /// rearrangement or joining a minimum to itself.
    pub fn is_degenerate(&self) -> bool {
        self.degenerate || self.min1 == self.min2
    }
}

/// Which kind of stationary point a result row refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PointKind {
    /// A local minimum.
    Minimum,
    /// A transition state.
    TransitionState,
}

impl PointKind {
    /// Short label used in tables ("min" / "ts").
    pub fn label(self) -> &'static str {
        match self {
            PointKind::Minimum => "min",
            PointKind::TransitionState => "ts",
        }
    }
}

/// Points with only the fields an analysis of the network of minima reads, for unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::TsInfo;

    /// A non-degenerate transition state `id` at `energy` joining `min1` and `min2`.
    pub fn ts(id: i64, energy: f64, min1: i64, min2: i64) -> TsInfo {
        TsInfo {
            id,
            energy,
            accuracy: 1.0,
            coords: vec![],
            ln_prod_positive: 0.0,
            min1,
            min2,
            degenerate: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FULL_ACCURACY, classifies_all};

    #[test]
    fn classifying_the_data_means_every_row_correct_within_a_hair() {
        assert!(classifies_all(1.0));
        assert!(classifies_all(FULL_ACCURACY));
        assert!(classifies_all(1.0 - 1e-12), "1 reached through rounding");
        assert!(!classifies_all(1.0 - 2e-9), "just below the threshold");
        // The largest accuracy short of 1 for a data set of a million rows.
        assert!(!classifies_all(999_999.0 / 1_000_000.0));
        assert!(!classifies_all(0.75));
        assert!(!classifies_all(f64::NAN));
    }
}
