//! The keys and details of search attempts in the database's attempts table.
//!
//! One type for the key ([`SearchKey`]: `pair-A-B`, `mode-M-K±`, `census-R-B`) and one for the
//! JSON detail ([`SearchDetail`]), used by the code that records attempts and by the code that
//! reads them back. The texts are those of databases written before these types (schema v3),
//! so old databases resume unchanged.

use std::fmt;
use std::str::FromStr;

use losscape_ts::{Attempt, AttemptOutcome, MinId};
use serde::{Deserialize, Serialize};

/// The key of a search attempt (a [`Attempt`] of `losscape-ts`) as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SearchKey(pub(crate) Attempt);

impl fmt::Display for SearchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Attempt::Pair { a, b } => write!(f, "pair-{a}-{b}"),
            Attempt::Mode {
                minimum,
                mode,
                positive,
            } => write!(
                f,
                "mode-{minimum}-{mode}{}",
                if positive { '+' } else { '-' }
            ),
            Attempt::Census { round, batch } => write!(f, "census-{round}-{batch}"),
        }
    }
}

/// A text that is not a search attempt's key (a stage marker, a round record, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotASearchKey;

impl FromStr for SearchKey {
    type Err = NotASearchKey;

    fn from_str(s: &str) -> Result<Self, NotASearchKey> {
        let two = |rest: &str| -> Option<(u64, u64)> {
            let (x, y) = rest.split_once('-')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        };
        let attempt = if let Some(rest) = s.strip_prefix("pair-") {
            two(rest).map(|(a, b)| Attempt::Pair {
                a: a as MinId,
                b: b as MinId,
            })
        } else if let Some(rest) = s.strip_prefix("census-") {
            two(rest).map(|(round, batch)| Attempt::Census {
                round: round as usize,
                batch: batch as usize,
            })
        } else if let Some(rest) = s.strip_prefix("mode-") {
            let positive = rest.ends_with('+');
            let body = rest.strip_suffix(['+', '-']);
            body.and_then(two).map(|(minimum, mode)| Attempt::Mode {
                minimum: minimum as MinId,
                mode: mode as usize,
                positive,
            })
        } else {
            None
        };
        attempt.map(SearchKey).ok_or(NotASearchKey)
    }
}

impl SearchKey {
    /// The two minima of a pair attempt's key.
    pub(crate) fn pair(key: &str) -> Option<(MinId, MinId)> {
        match key.parse() {
            Ok(SearchKey(Attempt::Pair { a, b })) => Some((a, b)),
            _ => None,
        }
    }
}

/// The outcome column of a search attempt.
pub(crate) fn search_outcome(outcome: &AttemptOutcome) -> &'static str {
    if outcome.transition_states > 0 {
        "connected"
    } else {
        "no transition state"
    }
}

/// The JSON detail of a search attempt. Fields in alphabetical order: the text is that of the
/// map the detail used to be written as.
/// Missing fields read as 0 or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct SearchDetail {
    /// Candidates tried.
    pub(crate) candidates: usize,
    /// Why candidates failed, one line each.
    pub(crate) failures: Vec<String>,
    /// Points (minima, transition states, census points) the attempt stored.
    pub(crate) new_points: usize,
    /// Verified transition states stored.
    pub(crate) transition_states: usize,
}

impl SearchDetail {
    /// The detail of `outcome`, which stored `new_points` points.
    pub(crate) fn new(outcome: &AttemptOutcome, new_points: usize) -> Self {
        Self {
            candidates: outcome.candidates,
            failures: outcome.failures.clone(),
            new_points,
            transition_states: outcome.transition_states,
        }
    }

    /// As stored.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }

    /// A stored detail; `None` for a text that is not one.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_read_as_before() {
        let cases = [
            (Attempt::pair(17, 3), "pair-3-17"),
            (
                Attempt::Mode {
                    minimum: 4,
                    mode: 1,
                    positive: true,
                },
                "mode-4-1+",
            ),
            (
                Attempt::Mode {
                    minimum: 12,
                    mode: 0,
                    positive: false,
                },
                "mode-12-0-",
            ),
            (Attempt::Census { round: 2, batch: 9 }, "census-2-9"),
        ];
        for (attempt, text) in cases {
            assert_eq!(SearchKey(attempt).to_string(), text);
            assert_eq!(text.parse(), Ok(SearchKey(attempt)));
        }
        assert_eq!(SearchKey::pair("pair-3-17"), Some((3, 17)));
        assert_eq!(SearchKey::pair("mode-4-1+"), None);
        for other in [
            "origin",
            "chain-3",
            "2-survey-start",
            "pair-3",
            "mode-1-2",
            "",
        ] {
            assert_eq!(other.parse::<SearchKey>(), Err(NotASearchKey), "{other}");
        }
    }

    /// A detail as the earlier code wrote it (a `serde_json::json!` map) parses, and the type
    /// writes the very same text.
    #[test]
    fn details_written_the_old_way_parse_and_are_written_identically() {
        let outcome = AttemptOutcome {
            candidates: 14,
            transition_states: 2,
            failures: vec!["ef: transition state already found in this attempt".into()],
        };
        let old = serde_json::json!({
            "candidates": outcome.candidates,
            "transition_states": outcome.transition_states,
            "new_points": 5,
            "failures": outcome.failures,
        })
        .to_string();
        let detail = SearchDetail::new(&outcome, 5);
        assert_eq!(detail.to_json(), old);
        assert_eq!(SearchDetail::parse(&old), Some(detail));
        // A text from a schema-v3 database of the quick sweep (key `mode-1-1+`).
        let stored = r#"{"candidates":1,"failures":[],"new_points":0,"transition_states":1}"#;
        let parsed = SearchDetail::parse(stored).unwrap();
        assert_eq!((parsed.candidates, parsed.transition_states), (1, 1));
        assert_eq!(parsed.to_json(), stored);
        assert_eq!(SearchDetail::parse("{}"), Some(SearchDetail::default()));
        assert_eq!(SearchDetail::parse("12"), None);
    }
}
