//! The error every parameter struct's `validate` returns: which key, and what is allowed.
//!
//! A struct names its own fields (`spring`); whoever nests it adds the section with
//! [`ParamError::in_section`] (`dneb.spring`), so the experiment file's error names the full
//! key without any crate knowing where it sits in the file.

/// A parameter value outside its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct ParamError {
    /// Dotted key, e.g. `spring` inside its struct, `dneb.spring` in the experiment file.
    pub key: String,
    /// What is allowed and the value that was given, e.g. `must be >= 1 (got 0)`.
    pub reason: String,
}

impl ParamError {
    /// An error for `key`.
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// The same error with its key inside `section`: `spring` becomes `dneb.spring`.
    #[must_use]
    pub fn in_section(self, section: &str) -> Self {
        Self {
            key: format!("{section}.{}", self.key),
            reason: self.reason,
        }
    }
}

/// `v` must be finite and > 0.
pub fn positive(key: &str, v: f64) -> Result<(), ParamError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(ParamError::new(
            key,
            format!("must be a finite number > 0 (got {v})"),
        ))
    }
}

/// `v` must be at least `min`.
pub fn at_least(key: &str, v: usize, min: usize) -> Result<(), ParamError> {
    if v >= min {
        Ok(())
    } else {
        Err(ParamError::new(key, format!("must be >= {min} (got {v})")))
    }
}

/// `v` must lie in `[0, 1]`.
pub fn fraction(key: &str, v: f64) -> Result<(), ParamError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(ParamError::new(
            key,
            format!("must be between 0 and 1 (got {v})"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_prefixes_the_key_and_the_message_names_both() {
        let e = positive("spring", -5.0).unwrap_err().in_section("dneb");
        assert_eq!(e.key, "dneb.spring");
        assert_eq!(
            e.to_string(),
            "dneb.spring: must be a finite number > 0 (got -5)"
        );
        assert!(positive("x", f64::NAN).is_err());
        assert!(positive("x", f64::INFINITY).is_err());
        assert_eq!(at_least("n", 1, 1), Ok(()));
        assert_eq!(
            at_least("n", 0, 1).unwrap_err().reason,
            "must be >= 1 (got 0)"
        );
        assert!(fraction("f", 1.5).is_err() && fraction("f", f64::NAN).is_err());
        assert_eq!(fraction("f", 0.0), Ok(()));
    }
}
