//! Single-ended transition-state search from minima.
//!
//! The number of transition states found on a landscape depends on how hard one looks.
//! Besides connecting pairs, every minimum is left along each of its `modes` softest Hessian
//! eigenvectors (all of them by default), in both directions: the start is displaced by `displacement` along the mode
//! and hybrid eigenvector-following climbs, following that mode (by overlap) until the Hessian
//! acquires a negative eigenvalue and then the lowest mode. Each saddle found is verified and
//! pushed off, and the results go to the [`Sink`].

use losscape_core::ParamError;
use losscape_core::param::positive;
use losscape_core::vec;
use losscape_hessian::analyse;
use serde::{Deserialize, Serialize};

use crate::{Attempt, AttemptOutcome, MinId, Sink, SinkError, Toolkit, refine, store_refined};

/// Survey settings. `Default` holds the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurveyParams {
    /// Number of softest Hessian eigenvectors searched along from each minimum; 0 (the
    /// default) means every mode. Saddles on symmetric subspaces are often reached only along
    /// stiff modes, so a complete census needs them all on the small landscapes.
    pub modes: usize,
    /// Initial displacement from the minimum along the mode.
    pub displacement: f64,
}

impl Default for SurveyParams {
    fn default() -> Self {
        Self {
            modes: 0,
            displacement: 0.05,
        }
    }
}

impl SurveyParams {
    /// How many modes are searched on a landscape of dimension `n`.
    pub fn mode_count(&self, n: usize) -> usize {
        if self.modes == 0 {
            n
        } else {
            self.modes.min(n)
        }
    }

    /// Checks every field; the message names the key and the allowed values.
    pub fn validate(&self) -> Result<(), ParamError> {
        positive("displacement", self.displacement)
    }
}

/// Result of surveying one minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SurveyReport {
    /// Searches started (searches the sink reported as already tried are not counted).
    pub attempts: usize,
    /// Transition states handed to the sink.
    pub transition_states: usize,
}

/// Why a survey could not start.
#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    /// Invalid parameters.
    #[error("invalid parameters: {0}")]
    Params(losscape_core::ParamError),
    /// The minimum does not match the landscape dimension.
    #[error("minimum has length {got}, the landscape needs {expected}")]
    Dimension {
        /// Landscape dimension.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// The Hessian at the minimum is not finite.
    #[error("non-finite energy, gradient or Hessian at the minimum")]
    NonFinite,
    /// The sink stopped the survey.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// Searches for transition states around the minimum `id` at `coords`.
pub fn run(
    tools: &Toolkit<'_>,
    sink: &mut dyn Sink,
    id: MinId,
    coords: &[f64],
) -> Result<SurveyReport, SurveyError> {
    tools.params.validate().map_err(SurveyError::Params)?;
    let l = tools.landscape;
    let n = l.dim();
    if coords.len() != n {
        return Err(SurveyError::Dimension {
            expected: n,
            got: coords.len(),
        });
    }
    let params = &tools.params.survey;
    let a = analyse(l, coords, tools.checks.zero_eigenvalue);
    if !a.is_finite() {
        return Err(SurveyError::NonFinite);
    }
    let mut report = SurveyReport::default();
    // The attempts still to make, with their starting points and guiding modes.
    let mut pending = Vec::new();
    for mode in 0..params.mode_count(n) {
        for positive in [true, false] {
            let attempt = Attempt::Mode {
                minimum: id,
                mode,
                positive,
            };
            if sink.already_tried(&attempt)? {
                continue;
            }
            let mut guide = a.spectrum.vector(mode).to_vec();
            vec::scale(if positive { 1.0 } else { -1.0 }, &mut guide);
            let mut start = coords.to_vec();
            vec::axpy(params.displacement, &guide, &mut start);
            pending.push((attempt, start, guide));
        }
    }
    // The searches are independent: refine them together, then store in attempt order.
    let results = tools.executor.refine_all(pending.len(), &|i| {
        refine(tools, &pending[i].1, Some(&pending[i].2))
    });
    for ((attempt, _, _), result) in pending.iter().zip(results) {
        report.attempts += 1;
        let mut outcome = AttemptOutcome::default();
        // Each attempt stands alone (a saddle met again is counted again by the sink), so
        // its outcome does not depend on which other attempts a resumed run skips.
        let mut found = Vec::new();
        if store_refined(tools, sink, result, &mut outcome, &mut found)?.is_some() {
            report.transition_states += 1;
        }
        sink.attempt_done(attempt, &outcome)?;
    }
    Ok(report)
}
