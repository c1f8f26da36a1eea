//! The safe side of the ABI that plugin authors write against.

use std::fmt;

use crate::status;

/// Stopping criteria handed to a plugin's minimiser.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stop {
    /// Converged once the RMS gradient `|g| / sqrt(n)` is at or below this.
    pub rms_gradient: f64,
    /// Give up (with `converged = false`) after this many iterations.
    pub max_iterations: usize,
}

/// What a plugin's minimiser returns on success. The coordinates are in the buffer it was given;
/// the number of evaluations is counted by the export glue, not by the plugin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// Energy at the final coordinates.
    pub energy: f64,
    /// RMS gradient at the final coordinates (see [`rms`]).
    pub rms_gradient: f64,
    /// Iterations taken.
    pub iterations: usize,
    /// Whether `rms_gradient <= Stop::rms_gradient` was reached within the budget.
    pub converged: bool,
}

/// The host's evaluation callback failed with this status; the plugin must stop and return it
/// (usually with `?`, which turns it into [`PluginError::Callback`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalError {
    /// The status code the host returned (see [`crate::status`]).
    pub status: i32,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "host evaluation failed ({}, status {})",
            status::name(self.status),
            self.status
        )
    }
}

impl std::error::Error for EvalError {}

/// Why a plugin function failed. Each variant maps to one status code.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginError {
    /// The configuration was rejected; the message names the key and the allowed keys.
    BadConfig(String),
    /// The host's callback failed; stop without further evaluations.
    Callback(EvalError),
    /// A NaN or infinite value appeared inside the plugin.
    NonFinite(String),
    /// The arguments did not make sense (e.g. an empty coordinate vector where one is needed).
    InvalidArgument(String),
    /// Any other failure.
    Failed(String),
}

impl PluginError {
    /// The status code this error is reported with.
    pub fn status(&self) -> i32 {
        match self {
            Self::BadConfig(_) => status::BAD_CONFIG,
            Self::Callback(_) => status::CALLBACK_FAILED,
            Self::NonFinite(_) => status::NON_FINITE,
            Self::InvalidArgument(_) => status::INVALID_ARGUMENT,
            Self::Failed(_) => status::FAILED,
        }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadConfig(m) => write!(f, "bad config: {m}"),
            Self::Callback(e) => e.fmt(f),
            Self::NonFinite(m) => write!(f, "non-finite value: {m}"),
            Self::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Self::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for PluginError {}

impl From<EvalError> for PluginError {
    fn from(e: EvalError) -> Self {
        Self::Callback(e)
    }
}

/// The evaluation callback as a plugin sees it: energy returned, gradient written into the
/// second argument (same length as the first).
pub type Evaluate<'a> = dyn FnMut(&[f64], &mut [f64]) -> Result<f64, EvalError> + 'a;

/// Signature of a plugin's minimiser: the config text, the coordinates (start in, result out),
/// the evaluation callback and the stopping criteria.
pub type MinimiseImpl =
    fn(&str, &mut [f64], &mut Evaluate<'_>, Stop) -> Result<Report, PluginError>;

/// Signature of a plugin's config checker.
pub type CheckConfigImpl = fn(&str) -> Result<(), PluginError>;

/// RMS of a gradient, `|g| / sqrt(n)` (0 for an empty vector): the convergence measure the host
/// uses, so plugins should report exactly this.
pub fn rms(g: &[f64]) -> f64 {
    if g.is_empty() {
        return 0.0;
    }
    let sum: f64 = g.iter().map(|v| v * v).sum();
    (sum / g.len() as f64).sqrt()
}

/// The longest prefix of `s` that fits in `max` bytes and ends on a character boundary.
pub fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    // A UTF-8 character is at most 4 bytes, so this loop runs at most 3 times.
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate_utf8("abc", 10), "abc");
        assert_eq!(truncate_utf8("abc", 2), "ab");
        // 'é' is two bytes, '€' three.
        assert_eq!(truncate_utf8("é€", 1), "");
        assert_eq!(truncate_utf8("é€", 3), "é");
        assert_eq!(truncate_utf8("é€", 4), "é");
        assert_eq!(truncate_utf8("é€", 5), "é€");
        assert_eq!(truncate_utf8("x", 0), "");
    }

    #[test]
    fn errors_map_to_statuses() {
        assert_eq!(
            PluginError::BadConfig("k".into()).status(),
            status::BAD_CONFIG
        );
        let e: PluginError = EvalError {
            status: status::PANIC,
        }
        .into();
        assert_eq!(e.status(), status::CALLBACK_FAILED);
        assert!(e.to_string().contains("panic"));
        assert_eq!(rms(&[3.0, 4.0]), (12.5f64).sqrt());
        assert_eq!(rms(&[]), 0.0);
    }
}
