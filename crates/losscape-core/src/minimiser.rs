use crate::Landscape;

/// When a local minimisation counts as converged and how long it may try.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Convergence {
    /// Stop once the RMS gradient `|g| / sqrt(dim)` is at or below this.
    pub rms_gradient: f64,
    /// Give up (returning `converged = false`) after this many iterations.
    pub max_iterations: usize,
}

/// What a finished local minimisation reports. The coordinates are in the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuenchOutcome {
    /// Energy at the final point.
    pub energy: f64,
    /// RMS gradient at the final point.
    pub rms_gradient: f64,
    /// Iterations taken.
    pub iterations: usize,
    /// Energy + gradient evaluations used.
    pub evaluations: usize,
    /// Whether `rms_gradient <= Convergence::rms_gradient` was reached within the budget.
    pub converged: bool,
}

/// Why a minimisation could not produce a usable point at all.
///
/// Running out of iterations is not an error (see [`QuenchOutcome::converged`]); these are.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MinimiseError {
    /// The energy or gradient became NaN or infinite.
    #[error("non-finite energy or gradient after {evaluations} evaluations")]
    NonFinite {
        /// Evaluations made before the bad value appeared.
        evaluations: usize,
    },
    /// The coordinate buffer does not match the landscape's dimension.
    #[error("coordinate vector has length {got}, the landscape needs {expected}")]
    Dimension {
        /// Landscape dimension.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// An external optimiser (plugin) failed; the message says how.
    #[error("optimiser '{name}' failed: {message}")]
    External {
        /// Optimiser name.
        name: String,
        /// What went wrong.
        message: String,
    },
}

/// A local minimiser: moves `x` downhill to a point where the RMS gradient is small.
///
/// The built-in L-BFGS and optimisers loaded from plugins both implement this, so every search
/// (basin-hopping quenches, push-offs) can use either.
pub trait Minimiser: Send + Sync {
    /// Short name, stored in provenance ("lbfgs", "fire", ...).
    fn name(&self) -> &str;

    /// Minimises from `x` in place.
    fn minimise(
        &self,
        landscape: &dyn Landscape,
        x: &mut [f64],
        stop: &Convergence,
    ) -> Result<QuenchOutcome, MinimiseError>;
}
