//! The plain input types every analysis works on.

use serde::{Deserialize, Serialize};

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
